"""Helpers for the page tests: the outcome each role should get, checked the same way everywhere."""

from typing import Any, Literal

from django.conf import settings
from django.urls import reverse

Outcome = Literal["ok", "login", "forbidden"]

# The text of the 403 page in the default language (Simplified Chinese).
FORBIDDEN_TEXT = "无权访问"


def assert_outcome(response: Any, outcome: Outcome, path: str) -> None:
    if outcome == "login":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse(settings.LOGIN_URL)}?next={path}"
    elif outcome == "forbidden":
        assert response.status_code == 403
        assert FORBIDDEN_TEXT in response.content.decode()
    else:
        assert response.status_code == 200, response.content[:500]


def page_text(response: Any) -> str:
    return response.content.decode()
