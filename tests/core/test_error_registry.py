"""One error vocabulary (issue 19 item 3): every error code written in the code base is in the registry,
with the status the registry gives it; the OpenAPI description and the README list the registry.

The scan reads every module of our apps (not tests, not migrations) and collects the codes handed to
the error types and builders: `ApplicationError` and its subclasses, `ChatError`, `error_body`, the
input guard's `Refusal`, the sockets' `FrameRefused`, the eligibility `Problem`, knowledge's
`InvalidTransition`, and JSON frames written as `{"code": ...}` literals. tests/api/test_contract.py
checks the codes in live responses.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rest_framework import status as http_status

from core.api import ApplicationError, error_body
from core.errors import ERROR_CODES, code_for, markdown_table

ROOT = Path(settings.BASE_DIR)
APPS = ("aftersales", "chat", "core", "knowledge", "profiles", "quality", "reports", "tickets", "desk",
        "service_center")


def _subclass_names(cls: type) -> set[str]:
    names = {cls.__name__}
    subclasses: list[type] = cls.__subclasses__()
    for subclass in subclasses:
        names |= _subclass_names(subclass)
    return names


# Callees whose `code=` keyword is an error code (`__init__`: a subclass fixing its code in super().__init__).
KEYWORD_CALLEES = {"error_body", "Refusal", "InvalidTransition", "_refuse", "__init__"}
# Callees whose first positional argument is an error code.
POSITIONAL_CALLEES = {"ChatError", "FrameRefused", "Problem", "add"}


def _modules() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _literal_status(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Attribute) and node.attr.startswith("HTTP_"):
        return int(getattr(http_status, node.attr))
    return None


def written_codes() -> Iterator[tuple[str, str, int | None]]:
    """(where, code, explicit literal status or None) for every error code literal in the code base."""
    import aftersales.services.requests  # noqa: F401  (imports the ApplicationError subclasses to list them)
    import quality.workflow  # noqa: F401
    import tickets.errors
    import tickets.services.surveys
    import tickets.workflow  # noqa: F401

    application_errors = _subclass_names(ApplicationError)
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant)
                            and isinstance(value.value, str)):
                        yield where, value.value, None
                continue
            if not isinstance(node, ast.Call):
                continue
            callee = _callee(node)
            keywords = {k.arg: k.value for k in node.keywords}
            if callee in application_errors or callee in KEYWORD_CALLEES:
                code = keywords.get("code")
                status = keywords.get("status_code", keywords.get("status"))
                literal_status = _literal_status(status)
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    yield where, code.value, literal_status
                elif isinstance(code, ast.IfExp):
                    for branch in (code.body, code.orelse):
                        if isinstance(branch, ast.Constant) and isinstance(branch.value, str):
                            yield where, branch.value, None
            elif callee in POSITIONAL_CALLEES and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield where, first.value, None


def test_the_scan_finds_the_codes_it_is_meant_to_find() -> None:
    codes = {code for _where, code, _status in written_codes()}
    # One from each kind of source, so a scan that silently stops matching fails here.
    assert {"agent_unavailable", "invalid_frame", "too_deep", "evidence_required", "two_factor_required",
            "already_rated", "read_only", "bad_signature"} <= codes


def test_every_written_code_is_registered_with_its_status() -> None:
    unknown = sorted(f"{where}: {code}" for where, code, _status in written_codes() if code not in ERROR_CODES)
    assert not unknown, "codes not in core/errors.py:\n" + "\n".join(unknown)
    wrong = sorted(f"{where}: {code} with {status}, registry says {ERROR_CODES[code].status}"
                   for where, code, status in written_codes()
                   if status is not None and status != ERROR_CODES[code].status)
    assert not wrong, "\n".join(wrong)


def test_application_error_takes_its_status_from_the_registry() -> None:
    assert ApplicationError("x", code="ticket_taken").status_code == 409
    assert ApplicationError("x", code="permission_denied").status_code == 403
    with pytest.raises(KeyError):
        ApplicationError("x", code="made_up_code")


@pytest.mark.parametrize(("candidate", "status", "expected"), [
    ("throttled", 429, "throttled"), ("error", 403, "permission_denied"), ("", 404, "not_found"),
    ("weird", 418, "invalid"), ("weird", 503, "server_error"),
])
def test_codes_outside_the_registry_never_reach_a_response(candidate: str, status: int, expected: str) -> None:
    assert code_for(candidate, status) == expected


def test_the_registry_is_listed_in_the_readme_and_the_openapi_description(client: Client) -> None:
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme, "README's error table is stale: paste core.errors.markdown_table()"
    description = client.get("/api/schema/?format=json").json()["info"]["description"]
    for code in ERROR_CODES:
        assert f"`{code}`" in description, code


def test_error_body_is_the_shape() -> None:
    assert error_body(code="not_found", message="m") == {"error": {"code": "not_found", "message": "m", "fields": {}}}
