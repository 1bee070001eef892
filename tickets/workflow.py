"""The ticket lifecycle: states and allowed transitions as data, and the one function that moves a ticket.

new → open → pending (waiting on customer) → on_hold (waiting on a third party) → solved → closed;
solved / closed reopen to open within `DeskSettings.reopen_window_days`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from service_center.core.api import ApplicationError
from tickets import cached_config, sla
from tickets.models import PAUSED_STATUSES, DeskSettings, Status, Ticket


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[Status]
    target: Status
    # Reopening is only allowed within the configured window after solving / closing.
    reopen: bool = False


_WORKING = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})

TRANSITIONS: tuple[Transition, ...] = (
    Transition("open", frozenset({Status.NEW, Status.PENDING, Status.ON_HOLD}), Status.OPEN),
    Transition("wait_on_customer", _WORKING - {Status.PENDING}, Status.PENDING),
    Transition("hold", _WORKING - {Status.ON_HOLD}, Status.ON_HOLD),
    Transition("solve", _WORKING, Status.SOLVED),
    Transition("close", _WORKING | {Status.SOLVED}, Status.CLOSED),
    Transition("reopen", frozenset({Status.SOLVED, Status.CLOSED}), Status.OPEN, reopen=True),
)


class InvalidTransition(ApplicationError):
    """The ticket cannot go to `target` now; `allowed` lists where it can go (the API answers 409)."""

    def __init__(self, *, ticket: Ticket, target: str, allowed: list[str], reason: str = "") -> None:
        self.ticket = ticket
        self.source = ticket.status
        self.target = target
        self.allowed = allowed
        self.reason = reason or str(_("A ticket in status “%(source)s” cannot move to “%(target)s”.") % {
            "source": ticket.status, "target": target,
        })
        super().__init__(self.reason, code="invalid_transition", status_code=status.HTTP_409_CONFLICT,
                         fields={"status": [self.reason], "allowed": allowed})


def transitions_from(status: str) -> list[Transition]:
    return [transition for transition in TRANSITIONS if status in transition.sources]


def _find(status: str, target: str) -> Transition | None:
    return next((t for t in transitions_from(status) if t.target == target), None)


def _reopen_deadline(ticket: Ticket, settings: DeskSettings) -> datetime | None:
    finished = ticket.closed_at or ticket.solved_at
    return finished + timedelta(days=settings.reopen_window_days) if finished else None


def allowed_targets(ticket: Ticket, *, now: datetime | None = None, settings: DeskSettings | None = None) -> list[str]:
    now = now or timezone.now()
    settings = settings or cached_config.desk_settings()
    targets = []
    for transition in transitions_from(ticket.status):
        if transition.reopen:
            deadline = _reopen_deadline(ticket, settings)
            if deadline is not None and now > deadline:
                continue
        targets.append(str(transition.target))
    return targets


def apply_transition(*, ticket: Ticket, target: str, actor: Any, reason: str = "",
                     override: bool = False, now: datetime | None = None) -> Ticket:
    """Lock the ticket, move it to `target`, stamp times, pause/resume SLA, record history with `actor`.

    Runs inside the caller's transaction and returns the locked, saved row (use it, not the
    argument, afterwards). `override` lets a supervisor solve a parent whose children are open.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_transition must run inside the caller's transaction")
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy").get(pk=ticket.pk)
    now = now or timezone.now()
    settings = DeskSettings.load()
    transition = _find(ticket.status, target)
    allowed = allowed_targets(ticket, now=now, settings=settings)
    if transition is None or str(transition.target) not in allowed:
        reason_text = ""
        if transition is not None and transition.reopen:
            reason_text = str(_("The reopen window of %(days)s days has passed.") % {
                "days": settings.reopen_window_days})
        raise InvalidTransition(ticket=ticket, target=target, allowed=allowed, reason=reason_text)
    if transition.target == Status.SOLVED and not override and ticket.children.filter(
        status__in=[str(status) for status in _WORKING]
    ).exists():
        raise InvalidTransition(
            ticket=ticket, target=target, allowed=[t for t in allowed if t != Status.SOLVED],
            reason=str(_("Open sub-tickets must be solved first (a supervisor may override).")),
        )

    source = ticket.status
    was_paused = source in PAUSED_STATUSES
    ticket.status = transition.target
    if transition.target in PAUSED_STATUSES and not was_paused:
        sla.pause(ticket, now=now)
    elif was_paused and transition.target not in PAUSED_STATUSES:
        sla.resume(ticket, now=now)
    if transition.target == Status.SOLVED:
        ticket.solved_at = now
        sla.stop(ticket)
    elif transition.target == Status.CLOSED:
        ticket.closed_at = now
        sla.stop(ticket)
    elif transition.reopen:
        ticket.solved_at = ticket.closed_at = None
        sla.restart_resolution(ticket, now=now)
    ticket._history_user = actor  # type: ignore[attr-defined]  # read by simple-history
    ticket._change_reason = reason or transition.name  # type: ignore[attr-defined]
    ticket.save()
    return ticket
