from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from core.workflow import TransitionNotAllowed
from profiles.models import User
from tickets import services
from tickets.models import DeskSettings, Status, Ticket
from tickets.workflow import TRANSITIONS, WORKFLOW

S = Status
# The whole table, written out independently of workflow.TRANSITIONS: source → reachable targets.
EXPECTED = {
    S.NEW: {S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED},
    S.OPEN: {S.PENDING, S.ON_HOLD, S.SOLVED, S.CLOSED},
    S.PENDING: {S.OPEN, S.ON_HOLD, S.SOLVED, S.CLOSED},
    S.ON_HOLD: {S.OPEN, S.PENDING, S.SOLVED, S.CLOSED},
    S.SOLVED: {S.CLOSED, S.OPEN},
    S.CLOSED: {S.OPEN},
}


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_transition_table(db: None, source: Status, target: Status) -> None:
    ticket = Ticket(status=source, solved_at=timezone.now() if source == S.SOLVED else None,
                    closed_at=timezone.now() if source == S.CLOSED else None)
    assert (target in WORKFLOW.allowed_targets(ticket)) == (target in EXPECTED[source])
    assert {t.target for t in TRANSITIONS if source in t.sources} == EXPECTED[source]


def test_disallowed_transition_lists_allowed_targets(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]
                                                      ) -> None:
    agent = make_agent()
    ticket = make_ticket()
    services.ticket_transition(ticket=ticket, target=S.CLOSED, actor=agent)
    with pytest.raises(TransitionNotAllowed) as caught:
        services.ticket_transition(ticket=ticket, target=S.PENDING, actor=agent)
    assert caught.value.allowed == [S.OPEN]
    assert caught.value.status_code == 409
    assert caught.value.fields["allowed"] == [S.OPEN]


def test_history_records_actor_and_reason(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    ticket = make_ticket()
    services.ticket_transition(ticket=ticket, target=S.PENDING, actor=agent, reason="等待客户提供照片")
    latest = ticket.history.latest()
    assert latest.status == S.PENDING
    assert latest.history_user == agent
    assert latest.history_change_reason == "等待客户提供照片"


def test_reopen_only_within_window(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    DeskSettings.objects.update_or_create(pk=1, defaults={"reopen_window_days": 3})
    ticket = make_ticket()
    services.ticket_transition(ticket=ticket, target=S.SOLVED, actor=agent)
    later = timezone.now() + timedelta(days=2)
    reopened = services.ticket_transition(ticket=ticket, target=S.OPEN, actor=agent, now=later)
    assert reopened.status == S.OPEN and reopened.solved_at is None
    services.ticket_transition(ticket=ticket, target=S.SOLVED, actor=agent, now=later)
    with pytest.raises(TransitionNotAllowed, match="3"):
        services.ticket_transition(ticket=ticket, target=S.OPEN, actor=agent, now=later + timedelta(days=4))
    ticket.refresh_from_db()
    assert ticket.status == S.SOLVED


def test_customer_cannot_change_status(make_ticket: Callable[..., Ticket], customer: User) -> None:
    ticket = make_ticket()
    with pytest.raises(services.NotAllowed):
        services.ticket_transition(ticket=ticket, target=S.SOLVED, actor=customer)
