"""Every page carries a strict Content-Security-Policy; only Swagger UI gets inline styles."""

import re
from collections.abc import Callable

import pytest
from django.http import HttpResponseBase
from django.test import Client

from tests.conftest import ALL_ROLES


def _policy(response: HttpResponseBase) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/help/", "/accounts/login/", "/help/chat/", "/aftersales/", "/admin/login/"])
def test_pages_allow_only_this_sites_scripts_and_styles(path: str) -> None:
    policy = _policy(Client().get(path))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [role for role in ALL_ROLES if role != "anonymous"])
def test_signed_in_pages_carry_the_policy_too(client_for: Callable[[str], Client], role: str) -> None:
    response = client_for(role).get("/", follow=True)
    assert _policy(response)["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_api_docs_load_their_script_from_a_file_and_alone_allow_inline_styles() -> None:
    response = Client().get("/api/docs/")
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    # The start-up script is a separate request, not inline code.
    html = response.content.decode()
    assert re.search(r'<script src="[^"]*\?script="', html), html[-800:]
    assert Client().get("/api/docs/?script=").status_code == 200
