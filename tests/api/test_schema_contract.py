"""What the schema promises, the API keeps (issue 17 item 2): every error status an operation can answer
is documented with the error shape, the input rule is written into the schema, and the few places that
answered outside their schema now answer inside it. tests/api/test_contract.py checks all of it live."""

import re
from functools import cache
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.schema import NAME_PATTERN, NONBLANK_TEXT_PATTERN, TEXT_PATTERN
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db


@cache
def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, operations in _schema()["paths"].items()
            for method, operation in operations.items()]


def test_every_operation_documents_the_error_statuses_it_can_answer() -> None:
    for path, method, operation in _operations():
        responses = operation["responses"]
        expected = {"400", "403", "406"} | ({"404"} if "{" in path else set()) | (
            {"413", "415"} if method in ("post", "put", "patch") else set())
        assert expected <= set(responses), (method, path, expected - set(responses))
        for status in expected:
            content = responses[status]["content"]["application/json"]["schema"]
            assert content["$ref"].endswith("/Error"), (method, path, status)


def test_the_input_rule_is_written_into_the_schema() -> None:
    customers = next(op for path, method, op in _operations() if path == "/api/v1/customers/" and method == "get")
    by_name = {p["name"]: p["schema"] for p in customers["parameters"]}
    assert by_name["tag"]["pattern"] == TEXT_PATTERN
    assert by_name["page_size"] | {"minimum": 1, "maximum": 200} == by_name["page_size"]
    detail = next(op for path, method, op in _operations() if path == "/api/v1/tickets/{id}/" and method == "get")
    assert next(p for p in detail["parameters"] if p["in"] == "path")["schema"]["pattern"] == NAME_PATTERN
    request = _schema()["components"]["schemas"]["TicketCreateRequest"]
    assert request["properties"]["subject"]["pattern"] == NONBLANK_TEXT_PATTERN  # required: DRF trims it
    assert request["properties"]["region"]["pattern"] == TEXT_PATTERN
    # Responses may carry what customers typed: no pattern there.
    assert "pattern" not in _schema()["components"]["schemas"]["Ticket"]["properties"]["subject"]
    for pattern in (NAME_PATTERN, TEXT_PATTERN, NONBLANK_TEXT_PATTERN):
        assert re.fullmatch(pattern, "退款 refund") and not re.fullmatch(pattern, "a\x00b")
    assert re.fullmatch(TEXT_PATTERN, "a\tb\r\n") and not re.fullmatch(NAME_PATTERN, "a\tb")
    assert re.fullmatch(TEXT_PATTERN, " ") and not re.fullmatch(NONBLANK_TEXT_PATTERN, " \t ")


@pytest.mark.parametrize("page_size", ["NaN", "0", "201", "-1", "\u0661"])
def test_a_page_size_the_api_cannot_use_is_a_400_naming_it(client_for: Any, page_size: str) -> None:
    error = assert_error(client_for("agent").get("/api/v1/tickets/", {"page_size": page_size}), 400, "invalid")
    assert set(error["fields"]) == {"page_size"}


def test_a_page_size_in_range_is_used(client_for: Any) -> None:
    assert client_for("agent").get("/api/v1/tickets/", {"page_size": "200"}).status_code == 200


@pytest.mark.parametrize("cursor", ["garbage", "WzQyXQ", "eyJiZWZvcmUiOiBbLTFdfQ==",
                                    "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMF0="])
def test_a_cursor_the_api_cannot_read_is_a_400_naming_it(client_for: Any, cursor: str) -> None:
    # Not base64 JSON; missing padding; a backward cursor at id -1; an id past bigint.
    error = assert_error(client_for("agent").get("/api/v1/tickets/", {"cursor": cursor}), 400, "invalid")
    assert set(error["fields"]) == {"cursor"}


def test_the_pagination_is_written_into_the_schema() -> None:
    tickets = next(op for path, method, op in _operations() if path == "/api/v1/tickets/" and method == "get")
    by_name = {p["name"]: p["schema"] for p in tickets["parameters"]}
    assert by_name["cursor"]["type"] == "string"
    page = tickets["responses"]["200"]["content"]["application/json"]["schema"]
    page = _schema()["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]] if "$ref" in page else page
    assert set(page["properties"]) == {"next", "previous", "results"}
    assert page["properties"]["next"]["nullable"] and page["properties"]["previous"]["nullable"]


def test_patch_me_without_fields_changes_nothing(client_for: Any) -> None:
    client = client_for("customer")
    before = client.get("/api/v1/me/").json()
    response = client.patch("/api/v1/me/", data="{}", content_type="application/json")
    assert response.status_code == 200
    assert response.json() == before


def test_a_call_without_an_end_documents_its_null_duration() -> None:
    duration = _schema()["components"]["schemas"]["CallRecord"]["properties"]["duration_seconds"]
    assert duration.get("nullable") is True
