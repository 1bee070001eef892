"""Set-based changes: the common actions (status, priority, type, category, tags, team, agent, and a macro's reply
and note) on up to `BATCH` tickets at once, for the automation sweep and bulk jobs.

The result is the one the ticket services give step by step (tickets/services/tickets.py, properties.py,
macros.py): the same workflow rules, SLA effects, history rows, messages, events and notices. Only the cost
differs: each ticket is worked on in memory, then every table is written once for the batch.

- `lock` takes the rows with FOR UPDATE SKIP LOCKED: a ticket someone holds is left for the next run.
  Whether a ticket has open sub-tickets (the workflow's precondition on solving) is read in the same query.
- `prepare` runs the steps on a copy of each ticket; a step the rules refuse leaves that ticket as it was and
  names the reason (`Refusal`), the others go on.
- `write` saves the batch: one UPDATE for the tickets, one insert each for ticket history, messages, outbound
  replies, surveys and outbox rows, the search documents in one statement, and the events published per name
  after the commit (core.events.publish_batch: one live push per group).
"""

import copy
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Exists, F, Field, OuterRef
from django.utils.translation import gettext as _
from simple_history.utils import get_change_reason_from_object

from core import events
from core.api import ApplicationError
from core.queueing import enqueue_many
from profiles.models import AgentProfile, User
from tickets import held, routing, sla
from tickets.errors import AgentUnavailable, NotAllowed
from tickets.models import (
    Macro,
    MacroAction,
    Notification,
    OutboundMessage,
    Priority,
    SatisfactionSurvey,
    Status,
    Ticket,
    TicketMessage,
    TicketType,
)
from tickets.selectors import is_desk
from tickets.services import notifications, outbound, search_index
from tickets.services.common import BODY_MAX, clean_text, payload
from tickets.services.macros import PlannedStep, check_macro_access, macro_plan, team_ids
from tickets.services.properties import clean_tags, retagged
from tickets.services.surveys import survey_token
from tickets.workflow import WORKFLOW, open_children

Kind = MacroAction.Kind
BATCH = 500
# What the set-based path does itself; a macro with another step (an article link) goes through macro_apply.
KINDS = frozenset({Kind.REPLY, Kind.NOTE, Kind.STATUS, Kind.PRIORITY, Kind.TYPE, Kind.CATEGORY, Kind.ADD_TAGS,
                   Kind.REMOVE_TAGS, Kind.TEAM, Kind.AGENT})
_PROPERTY_FIELDS = ("priority", "type", "category", "tags")


@dataclass(frozen=True)
class Refusal:
    message: str  # as the services word it (a macro's: which step stopped, and why)


@dataclass
class Change:
    """One ticket after the steps, in memory: what `write` saves for it."""

    ticket: Ticket
    fields: set[str] = field(default_factory=set)
    snapshots: list[Ticket] = field(default_factory=list)  # one history row per save the services would make
    messages: list[TicketMessage] = field(default_factory=list)
    # (event name, payload, the message whose id the payload names once written)
    events: list[tuple[str, dict[str, Any], TicketMessage | None]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    solved: bool = False
    tags_before: list[str] | None = None  # the tags before the first step that changed them


@dataclass(frozen=True)
class Plan:
    """The steps, and what the services would be told: the reason a status change or transfer records."""

    actions: list[MacroAction]
    reason: str
    macro: Macro | None = None
    # A bulk status change leaves a ticket already in that status as it is; a macro's step is refused there.
    skip_same_status: bool = False

    @property
    def supported(self) -> bool:
        return all(action.kind in KINDS for action in self.actions)


def lock(ticket_ids: Sequence[int]) -> list[Ticket]:
    """The rows nobody else holds, locked for this transaction, in id order, each knowing whether it has open
    sub-tickets; rows another transaction holds are not waited for (they are not returned)."""
    return list(
        Ticket.objects.select_for_update(skip_locked=True, of=("self",)).select_related("sla_policy", "customer")
        .filter(pk__in=list(ticket_ids)).annotate(has_open_children=Exists(open_children(OuterRef("pk"))))
        .order_by("pk"))


class _Context:
    """What the steps of one batch read once: agents' availability and load, mentioned users, articles."""

    def __init__(self, plan: Plan, actor: User) -> None:
        self.plan = plan
        self.actor = actor
        self.agents: dict[int, tuple[AgentProfile | None, list[int], int]] = {}
        self.mentions: dict[frozenset[str], list[User]] = {}

    def agent(self, agent: User) -> tuple[AgentProfile | None, list[int], int]:
        if agent.pk not in self.agents:
            profile = AgentProfile.objects.filter(user=agent).prefetch_related("teams").first()
            teams = [team.pk for team in profile.teams.all()] if profile else []
            self.agents[agent.pk] = (profile, teams, routing.agent_loads([agent.pk])[agent.pk])
        return self.agents[agent.pk]

    def mentioned(self, body: str) -> list[User]:
        names = frozenset(notifications.MENTION.findall(body))
        if names not in self.mentions:
            self.mentions[names] = notifications.mentioned_users(body, exclude=self.actor) if names else []
        return self.mentions[names]


def needs_services(ticket: Ticket, plan: Plan) -> bool:
    """A case the set-based path leaves to the ticket services: a step it does not do (an article link), or a
    reply to a merged ticket (the services write it on the ticket it was merged into)."""
    return not plan.supported or (
        ticket.merged_into_id is not None and any(action.kind == Kind.REPLY for action in plan.actions))


def prepare(tickets: Sequence[Ticket], plan: Plan, *, actor: User, now: datetime) -> dict[int, Change | Refusal]:
    """Each locked ticket after the plan's steps (a copy: the rows passed in are not changed), or why not.
    Tickets `needs_services` names are for the caller to pass to the services, not here."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can change tickets."))
    if plan.macro is not None:
        try:
            check_macro_access(plan.macro, actor, team_ids(actor))
        except ApplicationError as error:
            return {ticket.pk: Refusal(str(error.message)) for ticket in tickets}
    context = _Context(plan, actor)
    outcomes: dict[int, Change | Refusal] = {}
    with held.holding(None):  # each calendar is read once for the batch
        for ticket in tickets:
            outcomes[ticket.pk] = _prepare_one(ticket, context, now)
    return outcomes


def _prepare_one(ticket: Ticket, context: _Context, now: datetime) -> Change | Refusal:
    change = Change(ticket=_copy(ticket))
    plan = context.plan
    steps: list[PlannedStep | None] = [None] * len(plan.actions)
    if plan.macro is not None:
        planned = macro_plan(macro=plan.macro, ticket=change.ticket, actor=context.actor, actions=plan.actions)
        if planned.problems:
            return Refusal(_("“%(macro)s” cannot be applied: %(problems)s")
                           % {"macro": plan.macro.title, "problems": "; ".join(planned.problems)})
        steps = list(planned.steps)
    for action, step in zip(plan.actions, steps, strict=True):
        try:
            _apply(action, step, change, context, now)
        except (ValidationError, ApplicationError) as error:
            reason = error.message if isinstance(error, ApplicationError) else "; ".join(error.messages)
            if plan.macro is None or step is None:
                return Refusal(str(reason))
            return Refusal(_("“%(macro)s” stopped at “%(step)s”: %(reason)s")
                           % {"macro": plan.macro.title, "step": step.label, "reason": reason})
    return change


def _copy(ticket: Ticket) -> Ticket:
    clone = copy.copy(ticket)
    clone.tags = list(ticket.tags)
    clone._state = copy.copy(ticket._state)
    clone._state.fields_cache = dict(ticket._state.fields_cache)
    return clone


def _save(change: Change, fields: Iterable[str], *, actor: User, reason: str) -> None:
    """What `common.save` does, in memory: the fields to write and the history row it would make."""
    ticket = change.ticket
    ticket._history_user = actor  # type: ignore[attr-defined]
    ticket._change_reason = reason  # type: ignore[attr-defined]
    change.fields.update(fields)
    change.snapshots.append(_copy(ticket))


def _publish(change: Change, name: str, message: TicketMessage | None = None, **extra: Any) -> None:
    change.events.append((name, payload(change.ticket, **extra), message))


def _transition(change: Change, target: str, *, actor: User, reason: str, now: datetime) -> None:
    """WORKFLOW.transition without its lock and save (the batch holds the rows and writes them together)."""
    WORKFLOW.apply(change.ticket, to=target, actor=actor, reason=reason, now=now)
    change.snapshots.append(_copy(change.ticket))
    change.fields.update({"status", *_SLA_AND_TIMES})


_SLA_AND_TIMES = ("sla_policy", "first_response_due_at", "next_response_due_at", "resolution_due_at", "due_at",
                  "first_responded_at", "solved_at", "closed_at", "sla_paused_at", "sla_paused_seconds",
                  "next_sla_check_at", "team", "assignee")


def _apply(action: MacroAction, step: PlannedStep | None, change: Change, context: _Context, now: datetime) -> None:
    ticket, actor, plan = change.ticket, context.actor, context.plan
    if action.kind == Kind.REPLY:
        _reply(change, step.text if step is not None else action.text, actor=actor, now=now)
    elif action.kind == Kind.NOTE:
        body = clean_text(step.text if step is not None else action.text, "body", BODY_MAX)
        _note(change, body, context)
    elif action.kind == Kind.STATUS:
        if plan.skip_same_status and ticket.status == action.status:
            return
        previous = ticket.status
        _transition(change, action.status, actor=actor, reason=plan.reason, now=now)
        _publish(change, "ticket.status_changed", previous_status=previous, actor_id=actor.pk, reason=plan.reason)
        change.solved = change.solved or ticket.status == Status.SOLVED
    elif action.kind in (Kind.PRIORITY, Kind.TYPE, Kind.CATEGORY, Kind.ADD_TAGS, Kind.REMOVE_TAGS):
        _properties(change, action, actor=actor, now=now)
    elif action.kind == Kind.TEAM:
        assert action.team is not None
        reason = clean_text(plan.reason, "reason", 300)
        previous_team, previous_assignee = ticket.team_id, ticket.assignee_id
        ticket.team, ticket.assignee = action.team, None
        _save(change, ["team", "assignee"], actor=actor, reason=f"transfer: {reason}")
        _message(change, TicketMessage.Kind.NOTE, _("Transferred: %(reason)s") % {"reason": reason}, actor)
        _publish(change, "ticket.transferred", previous_team_id=previous_team,
                 previous_assignee_id=previous_assignee, reason=reason, actor_id=actor.pk)
        if ticket.assignee_id != previous_assignee:
            _publish(change, "ticket.assigned", previous_assignee_id=previous_assignee)
    elif action.kind == Kind.AGENT:
        _assign(change, action.agent, context)


def _message(change: Change, kind: str, body: str, author: User) -> TicketMessage:
    message = TicketMessage(ticket=change.ticket, kind=kind, author=author, from_customer=False, body=body)
    change.messages.append(message)
    return message


def _reply(change: Change, body: str, *, actor: User, now: datetime) -> None:
    """`ticket_reply` by a desk user: a new ticket opens, the SLA hears the desk answered."""
    ticket = change.ticket
    body = clean_text(body, "body", BODY_MAX)
    if ticket.status == Status.NEW:
        _transition(change, Status.OPEN, actor=actor, reason="agent replied", now=now)
    message = _message(change, TicketMessage.Kind.REPLY, body, actor)
    sla.on_agent_reply(ticket, now=now)
    _save(change, _SLA_AND_TIMES, actor=actor, reason="reply")
    _publish(change, "ticket.replied", message, from_customer=False, author_id=actor.pk)


def _note(change: Change, body: str, context: _Context) -> None:
    """`ticket_add_note`: mentions notify those desk users."""
    actor, ticket = context.actor, change.ticket
    message = _message(change, TicketMessage.Kind.NOTE, body, actor)
    mentioned = context.mentioned(body)
    if mentioned:
        change.notices.append({
            "recipient_ids": [user.pk for user in mentioned], "kind": str(Notification.Kind.MENTION),
            "ticket_id": ticket.pk, "actor_id": actor.pk,
            "text": str(_("%(author)s mentioned you on %(number)s") % {"author": actor, "number": ticket.number})})
    _publish(change, "ticket.note_added", message, author_id=actor.pk)
    if mentioned:
        _publish(change, "ticket.mentioned", message, user_ids=[user.pk for user in mentioned])


def _properties(change: Change, action: MacroAction, *, actor: User, now: datetime) -> None:
    """`ticket_update_properties` with the one property the step sets."""
    ticket = change.ticket
    changed: list[str] = []
    if action.kind == Kind.PRIORITY and action.priority != ticket.priority:
        if action.priority not in Priority.values:
            raise ValidationError({"priority": _("Unknown priority.")})
        ticket.priority = action.priority
        sla.retarget(ticket, now=now)
        changed += ["priority", "sla_policy", "first_response_due_at", "resolution_due_at", "due_at",
                    "next_sla_check_at"]
    elif action.kind == Kind.TYPE and action.ticket_type != ticket.type:
        if action.ticket_type not in TicketType.values:
            raise ValidationError({"type": _("Unknown ticket type.")})
        ticket.type = action.ticket_type
        changed.append("type")
    elif action.kind == Kind.CATEGORY and action.category is not None and action.category_id != ticket.category_id:
        ticket.category = action.category
        changed.append("category")
    elif action.kind in (Kind.ADD_TAGS, Kind.REMOVE_TAGS):
        given = clean_tags(action.tags)
        added, removed = (given, []) if action.kind == Kind.ADD_TAGS else ([], given)
        tags = retagged(ticket.tags, added=added, removed=removed)
        if tags != ticket.tags:
            if change.tags_before is None:
                change.tags_before = list(ticket.tags)
            ticket.tags = tags
            changed.append("tags")
    if not changed:
        return
    _save(change, changed, actor=actor, reason="properties")
    _publish(change, "ticket.updated", actor_id=actor.pk, fields=[name for name in changed if name in _PROPERTY_FIELDS])


def _assign(change: Change, agent: User | None, context: _Context) -> None:
    """`ticket_assign` without force: the agent must be online and under capacity (counting this batch)."""
    ticket, actor = change.ticket, context.actor
    previous = ticket.assignee_id
    if agent is None:
        ticket.assignee = None
    else:
        profile, teams, load = context.agent(agent)
        if profile is None or not agent.is_active:
            raise ValidationError({"assignee": _("%(name)s is not an agent.") % {"name": agent}})
        if profile.presence != AgentProfile.Presence.ONLINE:
            raise AgentUnavailable(_("%(name)s is not online.") % {"name": agent})
        if load >= profile.capacity:
            raise AgentUnavailable(_("%(name)s is at capacity (%(load)s of %(capacity)s).") % {
                "name": agent, "load": load, "capacity": profile.capacity})
        if teams and ticket.team_id not in teams:
            ticket.team_id = teams[0]
        ticket.assignee = agent
    if ticket.assignee_id == previous:
        return
    if agent is not None and ticket.is_open:
        profile, teams, load = context.agents[agent.pk]
        context.agents[agent.pk] = (profile, teams, load + 1)
    _save(change, ["assignee", "team"], actor=actor, reason="assigned")
    if agent is not None and agent.pk != actor.pk:
        change.notices.append({
            "recipient_ids": [agent.pk], "kind": str(Notification.Kind.ASSIGNMENT), "ticket_id": ticket.pk,
            "actor_id": actor.pk,
            "text": str(_("%(actor)s assigned %(number)s to you") % {"actor": actor, "number": ticket.number})})
    _publish(change, "ticket.assigned", previous_assignee_id=previous)


def write(changes: Sequence[Change], *, actor: User, now: datetime, macro: Macro | None = None) -> None:
    """Save the prepared changes inside the caller's transaction, each table once."""
    changes = [change for change in changes if change.fields or change.messages or change.events]
    if not changes:
        return
    tickets = [change.ticket for change in changes]
    fields = sorted({name for change in changes for name in change.fields} | {"updated_at"})
    for ticket in tickets:
        ticket.updated_at = now
    _update(tickets, fields)
    snapshots = [snapshot for change in changes for snapshot in change.snapshots]
    if snapshots:
        _insert_history(snapshots, now)
    messages = [message for change in changes for message in change.messages]
    if messages:
        TicketMessage.objects.bulk_create(messages)
        search_index.index_messages(messages)
        _outbound([message for message in messages if message.kind == TicketMessage.Kind.REPLY])
    surveys = _surveys([change.ticket for change in changes if change.solved])
    notices = [notice for change in changes for notice in change.notices]
    enqueue_many("tickets.tasks.deliver_notifications", notices)
    _reindex_tags([change for change in changes if change.tags_before is not None])
    if macro is not None:
        Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + len(changes), last_used_at=now)
    _publish_all(changes, surveys)


def _reindex_tags(changes: Sequence[Change]) -> None:
    """The search heads of tickets whose tags changed: tags only added at the end (an automation's or a bulk
    job's usual step) append their words to the head; any other change recomputes the whole head."""
    appended: dict[int, list[str]] = {}
    rebuilt: list[int] = []
    for change in changes:
        before, after = change.tags_before or [], change.ticket.tags
        if after[: len(before)] == before:
            appended[change.ticket.pk] = after[len(before):]
        else:
            rebuilt.append(change.ticket.pk)
    search_index.append_tags(appended)
    search_index.refresh_heads(rebuilt)


def _update(tickets: Sequence[Ticket], names: Sequence[str]) -> None:
    """One UPDATE … FROM the rows as JSON, for the rows' `names` fields (bulk_update's CASE per row and field costs
    more to build than the update takes to run)."""
    fields = [cast(Field, Ticket._meta.get_field(name)) for name in names]  # concrete fields: no relations' reverse
    columns = [str(field.column) for field in fields]
    db = _connection()
    rows = [[ticket.pk, *(field.get_db_prep_save(getattr(ticket, field.attname), db) for field in fields)]
            for ticket in tickets]
    assignments = ", ".join(f'"{column}" = r."{column}"' for column in columns)
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE tickets_ticket SET {assignments} "  # noqa: S608 (names from the model)
            "FROM json_populate_recordset(NULL::tickets_ticket, %s::json) AS r WHERE tickets_ticket.id = r.id",
            [_json_rows(["id", *columns], rows)])


def _insert_history(snapshots: Sequence[Ticket], now: datetime) -> None:
    """The rows `Ticket.history.bulk_history_create(snapshots, update=True)` writes, as one INSERT … SELECT from
    the rows as JSON: a historical model instance per row and bulk_create's per-row compilation cost more than
    the insert itself (0.3 s of the sweep's 0.9 s CPU for 1,000 tickets)."""
    history = Ticket.history.model
    db = _connection()
    tracked = [history._meta.get_field(field.name) for field in history.tracked_fields]
    columns = [field.column for field in tracked] + ["history_date", "history_change_reason", "history_type",
                                                      "history_user_id"]
    rows = []
    for snapshot in snapshots:
        user = getattr(snapshot, "_history_user", None)
        rows.append([*(field.get_db_prep_save(getattr(snapshot, field.attname), db) for field in tracked),
                     getattr(snapshot, "_history_date", now), get_change_reason_from_object(snapshot) or "", "~",
                     user.pk if user is not None else None])
    names = ", ".join(f'"{column}"' for column in columns)
    table = history._meta.db_table
    with db.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608 (names from the model)
                       f"FROM json_populate_recordset(NULL::{table}, %s::json)", [_json_rows(columns, rows)])


def _connection() -> BaseDatabaseWrapper:
    """The connection itself, not django.db.connection: every attribute read through that proxy is a
    context-local lookup, and preparing 1,000 tickets' values read ~18,000 of them."""
    return connections[DEFAULT_DB_ALIAS]


def _json_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The rows as one JSON parameter for json_populate_recordset (which casts each value to its column's type).
    A statement with a placeholder per value cost psycopg more to parse (a regex split over 32,000 placeholders
    for 1,000 tickets' history) than the database took to write the rows."""
    return json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=_json_value,
                      ensure_ascii=False)


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()  # to the microsecond, with its offset
    raise TypeError(f"{type(value).__name__} is not a column value the batch writes as JSON")


def _outbound(replies: list[TicketMessage]) -> None:
    sent = [message for message in replies if outbound.has_sender(message.ticket.channel)]
    rows = OutboundMessage.objects.bulk_create([
        OutboundMessage(message=message, channel=message.ticket.channel) for message in sent])
    enqueue_many("tickets.tasks.send_outbound", [{"outbound_id": row.pk} for row in rows])


def _surveys(solved: list[Ticket]) -> list[tuple[Ticket, SatisfactionSurvey]]:
    """`survey_create` for the tickets solved: a survey on the first solve only."""
    if not solved:
        return []
    existing = set(SatisfactionSurvey.objects.filter(ticket__in=solved).values_list("ticket_id", flat=True))
    new = [ticket for ticket in solved if ticket.pk not in existing]
    surveys = SatisfactionSurvey.objects.bulk_create([
        SatisfactionSurvey(ticket=ticket, customer_id=ticket.customer_id) for ticket in new])
    SatisfactionSurvey.history.bulk_history_create(surveys)
    return list(zip(new, surveys, strict=True))


def _publish_all(changes: Sequence[Change], surveys: list[tuple[Ticket, SatisfactionSurvey]]) -> None:
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        for name, event_payload, message in change.events:
            if message is not None:
                event_payload["message_id"] = message.pk
            by_name[name].append(event_payload)
    for ticket, survey in surveys:
        by_name["ticket.survey_sent"].append(payload(ticket, survey_id=survey.pk, token=survey_token(survey)))
    for name, payloads in by_name.items():
        events.publish_batch(name, payloads)

