from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from profiles.models import Team, User
from tests.factories import TeamFactory
from tickets import services, tasks
from tickets.models import DeskSettings, Escalation, Notification, Status, TeamSettings, Ticket


@pytest.fixture
def senior(team: Team, supervisor: User, make_agent: Callable[..., User]) -> tuple[Team, User]:
    senior_team = TeamFactory.create(name="专家组")
    expert = make_agent(teams=[senior_team], user__username="expert1")
    TeamSettings.objects.create(team=team, escalation_team=senior_team, supervisor=supervisor)
    return senior_team, expert


def test_manual_escalation_moves_to_senior_team_and_notifies(
    senior: tuple[Team, User], make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
    supervisor: User, django_capture_on_commit_callbacks: Any,
) -> None:
    senior_team, expert = senior
    agent = make_agent()
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        escalation = services.ticket_escalate(ticket=ticket, actor=agent, note="客户情绪激动")
    assert escalation is not None and escalation.level == 1
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.team, ticket.assignee) == (1, senior_team, expert)
    assert set(Notification.objects.filter(kind="escalation").values_list("recipient", flat=True)) == {
        expert.pk, supervisor.pk}
    # One mail to each recipient, never one mail listing them all.
    assert sorted(sent.to for sent in mail.outbox) == sorted([[expert.email], [supervisor.email]])
    assert all(ticket.number in sent.subject for sent in mail.outbox)
    assert ticket.history.latest().history_user == agent
    assert "escalated" in ticket.history.latest().history_change_reason


def test_customer_cannot_escalate_by_hand(make_ticket: Callable[..., Ticket], customer: User) -> None:
    with pytest.raises(services.NotAllowed):
        services.ticket_escalate(ticket=make_ticket(), actor=customer)


def test_retried_task_escalates_once(senior: tuple[Team, User], make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    assert tasks.escalate_ticket(ticket.pk, Escalation.Reason.SLA_BREACH, 0) is True
    assert tasks.escalate_ticket(ticket.pk, Escalation.Reason.SLA_BREACH, 0) is False
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert Escalation.objects.filter(ticket=ticket).count() == 1


def test_worker_killed_mid_task_then_retried_escalates_once(senior: tuple[Team, User],
                                                           make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    real_notify = services.escalation.notifications.notify
    calls = {"n": 0}

    def dies_first_time(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise SystemExit("worker killed")  # after the escalation row and the reassignment were written
        return real_notify(**kwargs)

    with mock.patch.object(services.escalation.notifications, "notify", side_effect=dies_first_time), \
            pytest.raises(SystemExit):
        tasks.escalate_ticket(ticket.pk, Escalation.Reason.SLA_BREACH, 0)
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0 and not Escalation.objects.exists()
    with mock.patch.object(services.escalation.notifications, "notify", side_effect=dies_first_time):
        assert tasks.escalate_ticket(ticket.pk, Escalation.Reason.SLA_BREACH, 0) is True
        assert tasks.escalate_ticket(ticket.pk, Escalation.Reason.SLA_BREACH, 0) is False
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1 and Escalation.objects.count() == 1


def test_n_nudges_within_window_escalate_once(senior: tuple[Team, User], make_ticket: Callable[..., Ticket],
                                              customer: User) -> None:
    DeskSettings.objects.update_or_create(pk=1, defaults={"nudge_threshold": 3, "nudge_window_minutes": 30})
    ticket = make_ticket()  # the first message counts as one customer message
    now = timezone.now()
    services.ticket_nudge(ticket=ticket, customer=customer, now=now)
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0 and ticket.nudge_count == 1
    services.ticket_nudge(ticket=ticket, customer=customer, now=now)
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert Escalation.objects.get().reason == Escalation.Reason.NUDGES
    services.ticket_nudge(ticket=ticket, customer=customer, now=now + timedelta(seconds=1))
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1 and ticket.nudge_count == 3


def test_repeated_customer_messages_count_as_nudges(make_ticket: Callable[..., Ticket], customer: User) -> None:
    DeskSettings.objects.update_or_create(pk=1, defaults={"nudge_threshold": 3})
    ticket = make_ticket()
    services.ticket_reply(ticket=ticket, author=customer, body="在吗？")  # noqa: RUF001
    services.ticket_reply(ticket=ticket, author=customer, body="怎么还没人回复")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1


def test_nudge_only_own_open_ticket(make_ticket: Callable[..., Ticket], make_user: Callable[..., User],
                                    make_agent: Callable[..., User], customer: User) -> None:
    ticket = make_ticket()
    with pytest.raises(services.NotAllowed):
        services.ticket_nudge(ticket=ticket, customer=make_user("customer"))
    services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=make_agent())
    with pytest.raises(services.ValidationError):
        services.ticket_nudge(ticket=ticket, customer=customer)
