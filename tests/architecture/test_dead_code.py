"""No dead functions: vulture over the apps and the tests finds none (a function only tests call still counts
as used, since deleting it would break them).

Entry points that Django, Celery and pytest call by decorator are ignored by decorator; those named only by a
dotted string in settings or urls are listed below with where they are named.
"""

from pathlib import Path

from vulture import Vulture

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "service_center", "profiles", "tickets", "chat", "aftersales", "knowledge", "quality", "reports",
            "desk", "tests")
CALLED_BY_DECORATOR = [
    "@pytest.fixture", "@shared_task", "@register.*", "@receiver", "@checks.register", "@admin.*", "@*.register",
    "@*.connect",  # Celery and Django signal receivers
]
NAMED_BY_STRING = [
    "navigation",  # TEMPLATES context_processors (service_center/settings/base.py)
    # SPECTACULAR_SETTINGS hooks (service_center/settings/base.py).
    "desk_only_fields_optional", "refuse_control_characters", "describe_errors",
    "bad_request", "permission_denied", "page_not_found", "server_error",  # handler400… (service_center/urls.py)
    "pytest_*",  # pytest hooks of the test plugins (tests/fast_flush.py)
]


def unused_functions() -> list[str]:
    vulture = Vulture(ignore_decorators=CALLED_BY_DECORATOR, ignore_names=NAMED_BY_STRING)
    vulture.scavenge([str(ROOT / package) for package in PACKAGES], exclude=["*/migrations/*"])
    return [f"{Path(item.filename).relative_to(ROOT)}:{item.first_lineno} {item.name}"
            for item in vulture.get_unused_code(min_confidence=60) if item.typ == "function"]


def test_no_function_is_left_uncalled() -> None:
    assert unused_functions() == []
