"""Bulk actions: one job per request, with the result the ticket services give ticket by ticket.

A ticket the action cannot change (a transition the workflow refuses, a ticket the actor may not open)
is recorded as a failure and the job goes on. Status, priority, tag, assignment and macro jobs go
`batch.BATCH` tickets at a time through the set-based path (services.batch), each batch in one transaction
together with the job's progress, under the job's row lock: a job that stops half-way resumes where it was,
and two runs of the same job never change a ticket twice. A ticket someone holds, a merge, or a macro step
that path does not do goes through the ticket services one by one.
"""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api import ApplicationError
from core.queueing import enqueue
from profiles.models import User
from tickets import selectors
from tickets.errors import NotAllowed
from tickets.models import BulkJob, MacroAction, Priority, Status, Ticket
from tickets.selectors import is_desk
from tickets.services import batch
from tickets.services.collaboration import ticket_merge
from tickets.services.macros import macro_actions, macro_apply, macro_reason
from tickets.services.properties import clean_tags, ticket_update_properties
from tickets.services.tickets import ticket_assign, ticket_transition

Action = BulkJob.Action
# Up to this many tickets run within the request (the agent sees the result at once); more go to the
# `bulk` queue and the page shows a progress bar.
INLINE_LIMIT = 100
MAX_TICKETS = 10_000


def _clean_params(action: str, params: dict[str, Any], actor: User, ticket_ids: Sequence[int]) -> dict[str, Any]:
    """The parameters the action needs, checked now so a job never starts with a value it cannot use."""
    if action == Action.ASSIGN:
        assignee_id = params.get("assignee_id")
        if assignee_id is not None and not User.objects.filter(pk=assignee_id, agent_profile__isnull=False).exists():
            raise ValidationError({"assignee": _("Choose an agent.")})
        return {"assignee_id": assignee_id}
    if action == Action.STATUS:
        if params.get("status") not in Status.values:
            raise ValidationError({"status": _("Choose a status.")})
        return {"status": params["status"]}
    if action == Action.PRIORITY:
        if params.get("priority") not in Priority.values:
            raise ValidationError({"priority": _("Choose a priority.")})
        return {"priority": params["priority"]}
    if action == Action.TAG:
        tags = clean_tags([str(params.get("tag") or "")], field="tag")
        if not tags:
            raise ValidationError({"tag": _("Enter a tag.")})
        return {"tag": tags[0]}
    if action == Action.MACRO:
        try:
            macro = selectors.macro_for(actor, int(params.get("macro_id") or 0))
        except Http404:
            raise ValidationError({"macro": _("Choose one of your macros.")}) from None
        return {"macro_id": macro.pk}
    if action == Action.MERGE:
        target_id = params.get("target_id")
        if target_id not in ticket_ids:
            raise ValidationError({"target": _("Choose the ticket to merge the others into, among the selected.")})
        return {"target_id": target_id}
    raise ValidationError({"action": _("Choose an action.")})


def bulk_job_create(*, actor: User, action: str, params: dict[str, Any], ticket_ids: Sequence[int]) -> BulkJob:
    """Record the job; run it now when it is small, else hand it to the `bulk` queue."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can change tickets."))
    ids = list(dict.fromkeys(int(pk) for pk in ticket_ids))
    if not ids:
        raise ValidationError({"tickets": _("Select at least one ticket.")})
    if len(ids) > MAX_TICKETS:
        raise ValidationError({"tickets": _("At most %(n)s tickets at a time.") % {"n": f"{MAX_TICKETS:,}"}})
    cleaned = _clean_params(action, params, actor, ids)
    if action == Action.MERGE:  # the target stays open; the others are merged into it
        ids = [pk for pk in ids if pk != cleaned["target_id"]]
    job = BulkJob.objects.create(actor=actor, action=action, params=cleaned, ticket_ids=ids)
    if len(ids) <= INLINE_LIMIT:
        bulk_job_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        enqueue("tickets.tasks.run_bulk_job", job_id=job.pk)
    return job


def bulk_job_run(*, job_id: int) -> BulkJob:
    """Work through the job's tickets from where it stands; safe to call again at any point."""
    while True:
        with transaction.atomic():
            job = BulkJob.objects.select_for_update().select_related("actor").get(pk=job_id)
            if job.position >= len(job.ticket_ids):
                if job.state != BulkJob.State.DONE:
                    job.state, job.finished_at = BulkJob.State.DONE, timezone.now()
                    job.save(update_fields=["state", "finished_at"])
                return job
            plan = _plan(job)
            ticket_ids = job.ticket_ids[job.position: job.position + (batch.BATCH if plan else 1)]
            failures = _batch(job, plan, ticket_ids) if plan else [_one(job, ticket_ids[0])]
            job.failures = [*job.failures, *(failure for failure in failures if failure is not None)]
            job.succeeded += sum(failure is None for failure in failures)
            job.position += len(ticket_ids)
            job.state = BulkJob.State.RUNNING
            job.save(update_fields=["position", "succeeded", "failures", "state"])


def _plan(job: BulkJob) -> batch.Plan | None:
    """The job's action as set-based steps; None for what goes ticket by ticket (merge, a macro with a step
    the set-based path does not do, a macro no longer available to the actor: each ticket says so)."""
    actor, params = job.actor, job.params
    reason = _("Bulk action")
    if job.action == Action.ASSIGN:
        agent = User.objects.get(pk=params["assignee_id"]) if params["assignee_id"] else None
        return batch.Plan([MacroAction(kind=MacroAction.Kind.AGENT, agent=agent)], reason)
    if job.action == Action.STATUS:
        return batch.Plan([MacroAction(kind=MacroAction.Kind.STATUS, status=params["status"])], reason,
                          skip_same_status=True)
    if job.action == Action.PRIORITY:
        return batch.Plan([MacroAction(kind=MacroAction.Kind.PRIORITY, priority=params["priority"])], reason)
    if job.action == Action.TAG:
        return batch.Plan([MacroAction(kind=MacroAction.Kind.ADD_TAGS, tags=[params["tag"]])], reason)
    if job.action == Action.MACRO:
        try:
            macro = selectors.macro_for(actor, params["macro_id"])
        except Http404:
            return None
        macro_plan = batch.Plan(macro_actions(macro), macro_reason(macro), macro=macro)
        return macro_plan if macro_plan.supported else None
    return None


def _batch(job: BulkJob, plan: batch.Plan, ticket_ids: list[int]) -> list[dict[str, Any] | None]:
    """One batch set-based: each ticket's failure (None: changed), in the job's order."""
    visible = set(selectors.visible_tickets(job.actor).filter(pk__in=ticket_ids).values_list("pk", flat=True))
    now = timezone.now()
    tickets = batch.lock([pk for pk in ticket_ids if pk in visible])
    by_services = {ticket.pk for ticket in tickets if batch.needs_services(ticket, plan)}
    tickets = [ticket for ticket in tickets if ticket.pk not in by_services]
    outcomes = batch.prepare(tickets, plan, actor=job.actor, now=now)
    batch.write([outcome for outcome in outcomes.values() if isinstance(outcome, batch.Change)], actor=job.actor,
                now=now, macro=plan.macro)
    numbers = {ticket.pk: ticket.number for ticket in tickets}
    failures: list[dict[str, Any] | None] = []
    for pk in ticket_ids:
        outcome = outcomes.get(pk)
        if pk not in visible:
            failures.append({"ticket_id": pk, "number": "", "reason": _("You cannot open this ticket.")})
        elif outcome is None:  # held by someone (waited for here) or left to the services
            failures.append(_one(job, pk))
        elif isinstance(outcome, batch.Refusal):
            failures.append({"ticket_id": pk, "number": numbers[pk], "reason": outcome.message})
        else:
            failures.append(None)
    return failures


def _one(job: BulkJob, ticket_id: int) -> dict[str, Any] | None:
    """Change one ticket inside a savepoint: a refusal undoes that ticket's partial change only."""
    ticket = selectors.visible_tickets(job.actor).filter(pk=ticket_id).first()
    if ticket is None:
        return {"ticket_id": ticket_id, "number": "", "reason": _("You cannot open this ticket.")}
    try:
        with transaction.atomic():
            _perform(job, ticket)
    except Http404:
        return {"ticket_id": ticket.pk, "number": ticket.number, "reason": _("No longer available to you.")}
    except (ValidationError, ApplicationError) as error:
        reason = error.message if isinstance(error, ApplicationError) else "; ".join(error.messages)
        return {"ticket_id": ticket.pk, "number": ticket.number, "reason": str(reason)}
    return None


def _perform(job: BulkJob, ticket: Ticket) -> None:
    actor, params = job.actor, job.params
    if job.action == Action.ASSIGN:
        assignee = User.objects.get(pk=params["assignee_id"]) if params["assignee_id"] else None
        ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
    elif job.action == Action.STATUS:
        if ticket.status != params["status"]:
            ticket_transition(ticket=ticket, target=params["status"], actor=actor, reason=_("Bulk action"))
    elif job.action == Action.PRIORITY:
        ticket_update_properties(ticket=ticket, actor=actor, priority=params["priority"])
    elif job.action == Action.TAG:
        ticket_update_properties(ticket=ticket, actor=actor, add_tags=[params["tag"]])
    elif job.action == Action.MACRO:
        macro_apply(macro=selectors.macro_for(actor, params["macro_id"]), ticket=ticket, actor=actor)
    elif job.action == Action.MERGE:
        target = selectors.visible_tickets(actor).get(pk=params["target_id"])
        ticket_merge(source=ticket, target=target, actor=actor)
