"""`POST /api/v1/email/inbound/`: raw MIME from a mail service, authenticated by an integrator token."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from profiles.models import User
from tests.tickets.mails import MAILBOX, raw
from tickets.models import EmailMessage, Mailbox, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/email/inbound/"


@pytest.fixture
def integrator_client(make_user: Callable[..., User]) -> Client:
    token = Token.objects.create(user=make_user("integrator"))
    return Client(headers={"Authorization": f"Token {token.key}"})


def post(client: Client, body: bytes) -> Any:
    return client.post(URL, body, content_type="message/rfc822")


def test_a_mail_service_posts_a_mail_and_gets_the_ticket_number(integrator_client: Client, team: Any) -> None:
    Mailbox.objects.create(address=MAILBOX, team=team)

    response = post(integrator_client, raw(message_id="<a1@example.com>"))

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert response.json() == {"id": EmailMessage.objects.get().pk, "message_id": "a1@example.com",
                               "outcome": "ticket", "ticket": ticket.number, "duplicate": False}
    assert ticket.team == team


def test_a_redelivery_answers_200_and_stores_nothing_new(integrator_client: Client) -> None:
    body = raw(message_id="<again@example.com>")

    first, second = post(integrator_client, body), post(integrator_client, body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["duplicate"] is True and second.json()["id"] == first.json()["id"]
    assert EmailMessage.objects.count() == 1 and Ticket.objects.count() == 1


@pytest.mark.parametrize("body", [b"", b"not a mail"])
def test_a_body_that_is_not_a_mail_is_a_400_naming_the_problem_and_stores_nothing(integrator_client: Client,
                                                                                   body: bytes) -> None:
    users = User.objects.count()

    response = post(integrator_client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_mime" and response.json()["error"]["fields"]["message"]
    assert not EmailMessage.objects.exists() and not Ticket.objects.exists() and User.objects.count() == users


def test_a_body_over_the_limit_is_a_413(integrator_client: Client, settings: Any) -> None:
    settings.EMAIL_INBOUND_MAX_BYTES = 500

    response = post(integrator_client, raw(body="x" * 2000))

    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert not EmailMessage.objects.exists()


def test_a_mail_larger_than_djangos_request_body_cap_is_still_read(integrator_client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(integrator_client, raw(body="大" * 3000))

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("role", "status"), [
    ("anonymous", 401), ("customer", 403), ("agent", 403), ("supervisor", 403), ("qa", 403),
    ("merchant_staff", 403), ("integrator", 201), ("admin", 201),
])
def test_only_integrators_and_admins_may_post_mail(client_for: Callable[[str], Client], role: str,
                                                   status: int) -> None:
    response = post(client_for(role), raw())

    assert response.status_code == status
    assert Ticket.objects.exists() == (status == 201)
