"""Mail held by the per-sender hourly limit: a supervisor releases it onto a ticket or rejects it in the
admin; QA and agents cannot."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from profiles.models import Team, User
from tests.clients import logged_in
from tests.tickets.mails import MAILBOX, png_bytes, raw
from tickets.channels.email import intake
from tickets.channels.email.intake import email_receive
from tickets.models import EmailMessage, Mailbox, Ticket

pytestmark = pytest.mark.django_db
Outcome = EmailMessage.Outcome
CHANGELIST = reverse("admin:tickets_emailmessage_changelist")


@pytest.fixture
def held(team: Team, settings: Any) -> EmailMessage:
    """The sender's second mail within the hour, over a limit of one."""
    settings.EMAIL_INBOUND_PER_SENDER_PER_HOUR = 1
    Mailbox.objects.create(address=MAILBOX, team=team)
    email_receive(raw=raw(subject="第一封"))
    email = email_receive(raw=raw(subject="第二封 换货", body="我想换一个颜色。",
                                  attachments=(("photo.png", png_bytes(), "image/png"),))).email
    assert email.outcome == Outcome.HELD and Ticket.objects.count() == 1
    return email


def _act(user: User, action: str, *emails: EmailMessage) -> Any:
    return logged_in(user).post(CHANGELIST, {"action": action, "_selected_action": [e.pk for e in emails]})


def test_a_supervisor_releases_a_held_mail_onto_a_ticket_once(
        held: EmailMessage, make_user: Callable[..., User], team: Team) -> None:
    supervisor = make_user("supervisor")

    assert _act(supervisor, "release_held", held).status_code == 302
    held.refresh_from_db()

    assert held.outcome == Outcome.TICKET and held.ticket is not None and held.ticket_message is not None
    ticket = held.ticket
    assert ticket.subject == "第二封 换货" and ticket.team == team
    assert held.ticket_message.body == "我想换一个颜色。"
    assert [a.filename for a in held.ticket_message.attachments.all()] == ["photo.png"]
    # Released again (a double click, a second supervisor): nothing more happens.
    assert _act(supervisor, "release_held", held).status_code == 302
    assert intake.email_release_held(email_id=held.pk, actor=supervisor) is None
    assert Ticket.objects.count() == 2 and ticket.messages.count() == 1
    assert EmailMessage.objects.count() == 2


def test_a_supervisor_rejects_a_held_mail_and_it_stays_rejected(
        held: EmailMessage, make_user: Callable[..., User]) -> None:
    supervisor = make_user("supervisor")

    assert _act(supervisor, "reject_held", held).status_code == 302
    held.refresh_from_db()

    assert held.outcome == Outcome.REJECTED and held.ticket is None and supervisor.username in held.detail
    # A rejected mail cannot be released afterwards.
    assert _act(supervisor, "release_held", held).status_code == 302
    held.refresh_from_db()
    assert held.outcome == Outcome.REJECTED and Ticket.objects.count() == 1


def test_only_held_mail_is_touched_among_the_selection(held: EmailMessage, make_user: Callable[..., User]) -> None:
    on_ticket = EmailMessage.objects.get(outcome=Outcome.TICKET)

    response = _act(make_user("supervisor"), "reject_held", held, on_ticket)

    on_ticket.refresh_from_db()
    assert response.status_code == 302 and on_ticket.outcome == Outcome.TICKET
    assert EmailMessage.objects.get(pk=held.pk).outcome == Outcome.REJECTED


@pytest.mark.parametrize(("role", "allowed"), [("supervisor", True), ("admin", True), ("qa", False),
                                                ("agent", False), ("customer", False),
                                                ("merchant_staff", False), ("integrator", False)])
def test_who_may_release_or_reject_held_mail(
        held: EmailMessage, make_user: Callable[..., User], role: str, allowed: bool) -> None:
    user = make_user(role)
    page = logged_in(user).get(CHANGELIST)

    for action in ("release_held", "reject_held"):
        _act(user, action, held)
        held.refresh_from_db()
        assert (held.outcome != Outcome.HELD) is allowed
        if allowed:
            assert action in page.content.decode()
        elif page.status_code == 200:  # QA reads the record but is offered no action
            assert action not in page.content.decode()
