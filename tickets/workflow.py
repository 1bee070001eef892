"""The ticket lifecycle as a table for the core workflow engine (core/workflow.py).

new → open → pending (waiting on customer) → on_hold (waiting on a third party) → solved → closed;
solved / closed reopen to open within `DeskSettings.reopen_window_days`. Moving a ticket stamps its
times and pauses, resumes or stops its SLA clocks (the effects below).
"""

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.locks import require_transaction
from core.workflow import Refusal, Step, Workflow, move
from tickets import cached_config, held, sla
from tickets.models import PAUSED_STATUSES, Status, Ticket

_WORKING = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})


def _within_reopen_window(ticket: Ticket, step: Step) -> Refusal | None:
    finished = ticket.closed_at or ticket.solved_at
    if finished is None:
        return None
    days = cached_config.desk_settings().reopen_window_days
    if step.now > finished + timedelta(days=days):
        return Refusal(str(_("The reopen window of %(days)s days has passed.") % {"days": days}))
    return None


def _no_open_children(ticket: Ticket, step: Step) -> Refusal | None:
    """A parent is solved after its sub-tickets; `override=True` (a supervisor) skips this."""
    if step.options.get("override"):
        return None
    # A set-based batch reads this for all its rows in its lock query (services.batch); one ticket asks here.
    known: bool | None = getattr(ticket, "has_open_children", None)
    if not (known if known is not None else open_children(ticket.pk).exists()):
        return None
    return Refusal(str(_("Open sub-tickets must be solved first (a supervisor may override).")))


def open_children(parent: Any) -> QuerySet[Ticket]:
    """Sub-tickets still being worked on (`parent`: a ticket id or an OuterRef to one)."""
    return Ticket.objects.filter(parent_id=parent, status__in=[str(status) for status in _WORKING])


def _pause_or_resume_sla(ticket: Ticket, step: Step) -> None:
    was_paused = step.source in PAUSED_STATUSES
    if step.target in PAUSED_STATUSES and not was_paused:
        sla.pause(ticket, now=step.now)
    elif was_paused and step.target not in PAUSED_STATUSES:
        sla.resume(ticket, now=step.now)


def _solved(ticket: Ticket, step: Step) -> None:
    ticket.solved_at = step.now
    sla.stop(ticket)


def _closed(ticket: Ticket, step: Step) -> None:
    ticket.closed_at = step.now
    sla.stop(ticket)


def _reopened(ticket: Ticket, step: Step) -> None:
    ticket.solved_at = ticket.closed_at = None
    sla.restart_resolution(ticket, now=step.now)


TRANSITIONS = (
    move({Status.NEW, Status.PENDING, Status.ON_HOLD}, Status.OPEN, "open", effects=(_pause_or_resume_sla,)),
    move(_WORKING - {Status.PENDING}, Status.PENDING, "wait_on_customer", effects=(_pause_or_resume_sla,)),
    move(_WORKING - {Status.ON_HOLD}, Status.ON_HOLD, "hold", effects=(_pause_or_resume_sla,)),
    move(_WORKING, Status.SOLVED, "solve", preconditions=(_no_open_children,),
         effects=(_pause_or_resume_sla, _solved)),
    move(_WORKING | {Status.SOLVED}, Status.CLOSED, "close", effects=(_pause_or_resume_sla, _closed)),
    move({Status.SOLVED, Status.CLOSED}, Status.OPEN, "reopen", guards=(_within_reopen_window,),
         effects=(_pause_or_resume_sla, _reopened)),
)


def _lock(ticket: Ticket) -> Ticket:
    require_transaction("a ticket moves inside the caller's transaction")
    already: Ticket | None = held.held(ticket.pk)
    if already is not None:
        return already
    return Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy").get(pk=ticket.pk)


def _refused(ticket: Ticket, target: str) -> Refusal:
    return Refusal(str(_("A ticket in status “%(source)s” cannot move to “%(target)s”.") % {
        "source": ticket.status, "target": target}))


WORKFLOW: Workflow[Ticket] = Workflow(transitions=TRANSITIONS, refused=_refused, lock=_lock)

