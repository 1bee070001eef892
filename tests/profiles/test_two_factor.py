"""Staff roles need a TOTP code after their password; customers, merchant staff and integrators do not."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiles.models import AuditEntry, User
from tests.clients import logged_in as signed_in

pytestmark = pytest.mark.django_db

STAFF = ["agent", "supervisor", "qa", "admin"]


@pytest.fixture(autouse=True)
def _two_factor_on(settings: Any) -> None:
    settings.STAFF_TWO_FACTOR_REQUIRED = True
    # No lock-out delay between attempts, except in the test about it.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"



@pytest.mark.parametrize("role", STAFF)
def test_staff_pages_wait_for_the_second_step(make_user: Callable[..., User], role: str) -> None:
    client = signed_in(make_user(role))
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/?next=%2Fdesk%2F"
    api = client.get("/api/v1/customers/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "two_factor_required"


@pytest.mark.parametrize(("role", "path"), [("customer", "/help/tickets/"), ("merchant_staff", "/merchant/")])
def test_customers_and_merchant_staff_sign_in_with_a_password_only(
    make_user: Callable[..., User], role: str, path: str
) -> None:
    assert signed_in(make_user(role)).get(path).status_code == 200


def test_first_sign_in_sets_up_an_authenticator_then_opens_the_desk(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    client = signed_in(agent)
    page = client.get("/accounts/2fa/?next=/desk/").content.decode()
    assert 'src="data:image/svg+xml;charset=utf-8,%3Csvg' in page
    secret = re.search(r'class="two-factor__secret">([A-Z2-7]+)<', page)
    assert secret is not None
    device = TOTPDevice.objects.get(user=agent)
    assert not device.confirmed
    # The same key until it is confirmed: reloading the page does not invalidate a scanned code.
    assert secret.group(1) in client.get("/accounts/2fa/").content.decode()
    assert TOTPDevice.objects.filter(user=agent).count() == 1

    wrong = client.post("/accounts/2fa/", {"token": "000000" if code_for(device) != "000000" else "111111",
                                           "next": "/desk/"})
    assert wrong.status_code == 200
    assert "This code is wrong" in wrong.content.decode() or "验证码" in wrong.content.decode()
    assert AuditEntry.objects.filter(actor=agent, action=AuditEntry.Action.TWO_FACTOR_FAILED).count() == 1

    right = client.post("/accounts/2fa/", {"token": code_for(device), "next": "/desk/"})
    assert right.status_code == 302 and right["Location"] == "/desk/"
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(actor=agent, action=AuditEntry.Action.TWO_FACTOR_ENROLLED).count() == 1
    assert client.get("/desk/").status_code == 200
    assert client.get("/api/v1/customers/").status_code == 200


def test_a_code_is_refused_when_replayed_and_the_refusal_is_counted(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    code = code_for(device)
    first = signed_in(agent)
    assert first.post("/accounts/2fa/", {"token": code})["Location"] == "/"

    replay = signed_in(agent)
    response = replay.post("/accounts/2fa/", {"token": code, "next": "/desk/"})
    assert response.status_code == 200
    assert replay.get("/desk/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert AuditEntry.objects.filter(actor=agent, action=AuditEntry.Action.TWO_FACTOR_FAILED).count() == 1


def test_after_a_wrong_code_even_the_right_one_waits(settings: Any, make_user: Callable[..., User]) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    agent = make_user("agent")
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    client = signed_in(agent)
    client.post("/accounts/2fa/", {"token": "12345x"})  # malformed: a form error, not an attempt
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 0
    bad = "000000" if code_for(device) != "000000" else "111111"
    client.post("/accounts/2fa/", {"token": bad})
    assert client.post("/accounts/2fa/", {"token": code_for(device)}).status_code == 200
    assert client.get("/desk/").status_code == 302


def test_the_next_address_cannot_leave_the_site(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    response = signed_in(agent).post("/accounts/2fa/", {"token": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/accounts/2fa/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
