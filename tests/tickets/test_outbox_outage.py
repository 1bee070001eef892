"""A broker outage delays work, never loses it: the SLA escalation, a report export and the customer's reply
mail decided while Redis refuses connections all happen, once each, when the broker is back and the sweep runs."""

# ruff: noqa: RUF001  (Chinese replies are written with full-width punctuation)

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from core import queueing
from core.models import OutboxMessage
from profiles.models import Team, User
from profiles.roles import Role
from reports import exports
from reports.models import ExportJob
from tests.broker import broker_down
from tests.factories import TeamFactory, UserFactory
from tests.tickets.factories import SlaPolicyFactory
from tests.tickets.mails import MAILBOX, raw
from tickets import services
from tickets.channels.email.intake import email_receive
from tickets.models import Escalation, Mailbox, Notification, TeamSettings, Ticket

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def breaching_ticket(team: Team, supervisor: User, make_agent: Callable[..., User],
                     make_ticket: Callable[..., Ticket]) -> Ticket:
    senior = TeamFactory.create(name="专家组")
    make_agent(teams=[senior], user__username="expert1")
    TeamSettings.objects.create(team=team, escalation_team=senior, supervisor=supervisor)
    SlaPolicyFactory.create(priority="normal", first_response_minutes=60, next_response_minutes=120,
                            resolution_minutes=540)
    return make_ticket(now=datetime(2026, 11, 23, 10, tzinfo=SH))  # first response due 11:00


@pytest.fixture
def email_ticket(team: Team) -> Ticket:
    Mailbox.objects.create(address=MAILBOX, team=team)
    ticket = email_receive(raw=raw(message_id="<first@example.com>", subject="订单一直没有发货")).email.ticket
    assert ticket is not None
    return ticket


def test_escalation_export_and_reply_mail_survive_a_broker_outage(
        breaching_ticket: Ticket, email_ticket: Ticket, make_agent: Callable[..., User], settings: Any,
        tmp_path: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.REPORTS_EXPORT_ROOT = str(tmp_path / "exports")
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True)
    today = timezone.localdate()

    def mailed_to_customer() -> int:
        return sum(sent.to == ["zhangwei@example.com"] for sent in mail.outbox)

    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(now=datetime(2026, 11, 23, 11, 1, tzinfo=SH))["breaches"] == 1
        job = exports.export_request(user=supervisor, dataset="tickets", file_format="csv",
                                     date_from=today - timedelta(days=1), date_to=today)
        services.ticket_reply(ticket=email_ticket, author=make_agent(), body="您好，已经为您催促仓库发货。")

    # Nothing ran, nothing is lost: three rows wait for the broker.
    breaching_ticket.refresh_from_db()
    job.refresh_from_db()
    assert breaching_ticket.escalation_level == 0 and not Escalation.objects.exists()
    assert job.status == ExportJob.Status.QUEUED
    assert mailed_to_customer() == 0
    waiting = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING)
    assert sorted(waiting.values_list("task_name", flat=True)) == [
        "reports.tasks.run_export", "tickets.tasks.escalate_ticket", "tickets.tasks.send_email"]
    assert all("Error 111" in message.last_error for message in waiting)

    # The broker is back; the beat sweep hands everything over (twice: the second finds nothing to do). The
    # escalation's notification, queued by the escalation itself, is relayed when that run commits.
    later = timezone.now() + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert queueing.sweep(now=later)["sent"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert queueing.sweep(now=later + timedelta(minutes=5))["sent"] == 0

    breaching_ticket.refresh_from_db()
    job.refresh_from_db()
    assert breaching_ticket.escalation_level == 1 and Escalation.objects.count() == 1
    assert Notification.objects.filter(kind="escalation").exists()
    assert job.status == ExportJob.Status.DONE
    assert mailed_to_customer() == 1
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxMessage.State.DONE}
