"""The widget on another site: the script, the signed customer token, the iframe page and its framing policy,
and the API that issues tokens."""

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.test import Client

from chat.embed import SALT, token_for
from profiles.models import User
from profiles.roles import Role
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _shop_may_frame(settings: Any) -> None:
    settings.CHAT_EMBED_ORIGINS = [SHOP]
    settings.CHAT_EMBED_TOKEN_MAX_AGE = 300


def external_id(user: User) -> str:
    found = user.customer_profile.external_id
    assert found
    return found


def signed_in_as(client: Client) -> Any:
    return client.session.get("_auth_user_id")


def test_the_script_is_public_javascript_that_opens_the_iframe() -> None:
    response = Client().get("/help/chat/embed.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert '"/help/chat/embed/?token="' in body and "document.currentScript" in body
    assert "在线客服" in body  # the button label, in the site's language


def test_a_valid_token_signs_its_customer_in_and_opens_the_framable_widget(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    client = Client()

    response = client.get("/help/chat/embed/", {"token": token_for(external_id=external_id(customer))})

    assert response.status_code == 302 and response["Location"] == "/help/chat/?embedded=1"
    assert signed_in_as(client) == str(customer.pk)
    widget = client.get(response["Location"])
    assert widget.status_code == 200
    assert f"frame-ancestors 'self' {SHOP}" in widget["Content-Security-Policy"]
    assert "X-Frame-Options" not in widget
    html = widget.content.decode()
    assert 'class="embedded"' in html and 'class="topbar' not in html
    assert '<input type="hidden" name="embedded" value="1">' in html
    # Starting the chat keeps the customer inside the frame.
    started = client.post("/help/chat/start/", {"embedded": "1"})
    assert started["Location"] == "/help/chat/?embedded=1"


def test_the_ordinary_widget_stays_unframable_without_an_allow_list(
    make_user: Callable[..., User], settings: Any
) -> None:
    settings.CHAT_EMBED_ORIGINS = []
    client = Client()
    client.force_login(make_user("customer"))
    response = client.get("/help/chat/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert 'class="topbar' in response.content.decode()


@pytest.mark.parametrize("token", [
    "",
    "not-a-token",
    signing.dumps({"customer": "C-NOBODY"}, salt=SALT),  # well signed, names nobody
    signing.dumps({"customer": "C000001"}, salt="another-purpose"),  # signed for something else
    signing.dumps(["C000001"], salt=SALT),  # not the payload's shape
], ids=["empty", "unsigned", "names-nobody", "other-salt", "wrong-shape"])  # xdist: same names in every worker
def test_a_bad_token_is_refused_and_signs_nobody_in(token: str) -> None:
    client = Client()
    response = client.get("/help/chat/embed/", {"token": token})
    assert response.status_code == 403
    assert "已过期或无效" in response.content.decode()
    assert signed_in_as(client) is None


def test_an_expired_token_is_refused(make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    customer = make_user("customer")
    token = token_for(external_id=external_id(customer))
    later = time.time() + 301
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    client = Client()
    assert client.get("/help/chat/embed/", {"token": token}).status_code == 403
    assert signed_in_as(client) is None


def test_a_tampered_token_does_not_switch_customers(make_user: Callable[..., User]) -> None:
    mine, theirs = make_user("customer"), make_user("customer")
    _payload, timestamp, signature = token_for(external_id=external_id(mine)).split(":")
    # Their id in the payload under my token's signature.
    forged = ":".join([signing.b64_encode(json.dumps({"customer": external_id(theirs)}).encode()).decode(),
                       timestamp, signature])
    client = Client()
    client.force_login(mine)
    assert client.get("/help/chat/embed/", {"token": forged}).status_code == 403
    assert signed_in_as(client) == str(mine.pk)


def test_staff_and_inactive_accounts_cannot_be_named(make_user: Callable[..., User]) -> None:
    inactive = make_user("customer")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    agent = make_user("agent")
    CustomerProfileFactory.create(user=agent)
    # An agent who also shops here: a token would otherwise open a desk session without 2FA.
    agent.groups.add(Group.objects.get(name=Role.CUSTOMER))
    for named in (external_id(inactive), external_id(agent)):
        client = Client()
        assert client.get("/help/chat/embed/", {"token": token_for(external_id=named)}).status_code == 403
        assert signed_in_as(client) is None


def test_the_left_message_reply_stays_in_the_frame(make_user: Callable[..., User]) -> None:
    from chat.services.tickets import leave_message

    customer = make_user("customer")
    left = leave_message(customer=customer, description="快递丢了", priority="normal", contact="phone",
                         category=None, uploads=[])
    client = Client()
    client.force_login(customer)
    response = client.get(f"/help/chat/message/{left.ticket.pk}/", {"embedded": "1"})
    assert response.status_code == 200 and 'class="embedded"' in response.content.decode()
    assert f"frame-ancestors 'self' {SHOP}" in response["Content-Security-Policy"]


# --- the API that issues tokens ---


def api_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_an_integrator_gets_a_token_that_opens_the_chat(make_user: Callable[..., User]) -> None:
    customer, integrator = make_user("customer"), make_user("integrator")
    response = api_client(integrator).post("/api/v1/chat/embed-tokens/", {"external_id": external_id(customer)},
                                           content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["expires_in"] == 300 and body["script_url"] == "http://testserver/help/chat/embed.js"
    browser = Client()
    assert browser.get("/help/chat/embed/", {"token": body["token"]}).status_code == 302
    assert signed_in_as(browser) == str(customer.pk)


@pytest.mark.parametrize(("payload", "status", "field"), [
    ({}, 400, "external_id"),
    ({"external_id": "x" * 65}, 400, "external_id"),
    ({"external_id": "C-NOBODY"}, 404, "external_id"),
])
def test_bad_requests_name_the_field(
    make_user: Callable[..., User], payload: dict[str, Any], status: int, field: str
) -> None:
    response = api_client(make_user("integrator")).post("/api/v1/chat/embed-tokens/", payload,
                                                        content_type="application/json")
    assert response.status_code == status
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", ["customer", "agent", "supervisor", "qa", "merchant_staff"])
def test_only_integrators_and_admins_issue_tokens(make_user: Callable[..., User], role: str) -> None:
    customer = make_user("customer")
    response = api_client(make_user(role)).post("/api/v1/chat/embed-tokens/",
                                                {"external_id": external_id(customer)},
                                                content_type="application/json")
    assert response.status_code == 403
