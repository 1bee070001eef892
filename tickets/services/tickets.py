"""Creating tickets and working them: reply, note, assign, transition, transfer, queue pick."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locks import require_transaction
from profiles.models import AgentProfile, CustomerProfile, Team, User
from tickets import cached_config, routing, sla
from tickets.errors import AgentUnavailable, NewerMessage, NotAllowed, TicketTaken
from tickets.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Notification,
    Priority,
    Status,
    Ticket,
    TicketMessage,
    TicketType,
)
from tickets.selectors import is_desk
from tickets.services import attachments as attachment_service
from tickets.services import notifications, opening, outbound
from tickets.services.common import (
    BODY_MAX,
    add_message,
    clean_text,
    is_supervisor,
    lock,
    publish,
    save,
)
from tickets.services.escalation import check_nudges
from tickets.workflow import WORKFLOW

SUBJECT_MAX = 200


def apply_keyword_rules(ticket: Ticket, text: str, *, set_type: bool, set_category: bool, set_priority: bool
                        ) -> None:
    """The first matching keyword rule fills the type, category and priority the creator did not choose."""
    lowered = text.lower()
    for rule in cached_config.keyword_rules():
        if any(keyword.lower() in lowered for keyword in rule.keywords if keyword):
            if rule.set_type and set_type:
                ticket.type = rule.set_type
            if rule.set_category and set_category:
                ticket.category = rule.set_category
            if rule.set_priority and set_priority:
                ticket.priority = rule.set_priority
            return


def _profile_of(customer: User, *, profile_loaded: bool) -> CustomerProfile | None:
    if not profile_loaded:
        # Read now: a profile cached on the caller's user object may predate a change to it.
        return CustomerProfile.objects.filter(user=customer).first()
    try:
        return customer.customer_profile
    except CustomerProfile.DoesNotExist:
        return None


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    message: TicketMessage  # the customer's first message, which the ticket opens with


def ticket_open(
    *,
    customer: User,
    subject: str,
    body: str,
    channel: str = Channel.WEB,
    source: str = "",
    type: str | None = None,
    category: Category | None = None,
    priority: str | None = None,
    tags: Sequence[str] = (),
    region: str = "",
    order_number: str = "",
    team: Team | None = None,
    parent: Ticket | None = None,
    created_by: User | None = None,
    uploads: Sequence[UploadedFile] = (),
    now: datetime | None = None,
    profile_loaded: bool = False,
) -> Opened:
    """The one way a ticket comes into being: help center, API, agent on behalf, chat, after-sales, intake.

    Keyword rules fill type / category / priority left unset, routing picks team and agent, SLA
    sets due times. `created_by` is the agent or integrator acting for the customer. Runs in the caller's
    transaction (intake opens one per message already: a savepoint of its own would be two more round trips);
    `ticket_create` is the same in a transaction of its own. `profile_loaded`: the customer's profile was read
    with the customer in this transaction (intake's customer lookup does), so routing need not read it again.
    """
    require_transaction("a ticket opens inside the caller's transaction")
    now = now or timezone.now()
    actor = created_by or customer
    if created_by is not None and created_by != customer and not (is_desk(created_by) or created_by.has_perm(
        "tickets.add_ticket"
    )):
        raise NotAllowed(_("You may not create tickets for other people."))
    errors: dict[str, Any] = {}
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if type is not None and type not in TicketType.values:
        errors["type"] = _("Unknown type.")
    if priority is not None and priority not in Priority.values:
        errors["priority"] = _("Unknown priority.")
    if errors:
        raise ValidationError(errors)
    ticket = Ticket(
        customer=customer, channel=channel, source=source[:30], type=type or TicketType.INQUIRY, category=category,
        priority=priority or Priority.NORMAL, tags=sorted({tag.strip()[:30] for tag in tags if tag.strip()}),
        region=region[:20], order_number=order_number.strip()[:40], team=team, parent=parent,
        subject=clean_text(subject, "subject", SUBJECT_MAX),
    )
    body = clean_text(body, "body", BODY_MAX)
    apply_keyword_rules(ticket, f"{ticket.subject}\n{body}", set_type=type is None, set_category=category is None,
                        set_priority=priority is None)
    decision = routing.decide(ticket, _profile_of(customer, profile_loaded=profile_loaded))
    ticket.team = decision.team
    # An explicitly chosen priority is the caller's decision; the rules and the VIP boost apply otherwise.
    ticket.priority = priority or decision.priority
    if ticket.team is not None:
        ticket.assignee = routing.choose_agent(team=ticket.team, skill_ids=decision.skill_ids, region=ticket.region)
    sla.start(ticket, now=now)
    message = TicketMessage(kind=TicketMessage.Kind.REPLY, author=customer, from_customer=True, body=body)
    opening.insert_opened(ticket=ticket, message=message, day_key=timezone.localdate(now).isoformat(), actor=actor,
                          reason="created")
    attachment_service.attach(message=message, uploads=uploads)
    publish("ticket.created", ticket, channel=ticket.channel, message_id=message.pk)
    if ticket.assignee_id:
        # `at_creation`: the live push of ticket.created already told the same desk groups (realtime.py).
        publish("ticket.assigned", ticket, previous_assignee_id=None, at_creation=True)
    return Opened(ticket=ticket, message=message)


_Create = ParamSpec("_Create")


def _in_own_transaction(open_ticket: Callable[_Create, Opened]) -> Callable[_Create, Ticket]:
    def create(*args: _Create.args, **kwargs: _Create.kwargs) -> Ticket:
        with transaction.atomic():
            return open_ticket(*args, **kwargs).ticket

    create.__doc__ = "`ticket_open` in a transaction of its own; the new ticket."
    return create


ticket_create = _in_own_transaction(ticket_open)


def _check_can_write(ticket: Ticket, author: User) -> bool:
    """True when the author writes as the customer; desk users write as the desk; anyone else is refused."""
    if author.pk == ticket.customer_id:
        return True
    if is_desk(author):
        return False
    raise NotAllowed(_("You may not write on this ticket."))


def ticket_reply_within(*, ticket: Ticket, author: User, body: str, uploads: Sequence[UploadedFile] = (),
                        now: datetime | None = None, seen_message_id: int | None = None) -> TicketMessage:
    """A public reply. The customer's reply reopens a waiting or solved ticket; the desk's meets the SLA.
    With `seen_message_id` (the newest public message the writer's page showed), a desk reply is refused
    with NewerMessage while someone else's public message newer than that one is on the ticket.

    Runs within the caller's transaction (intake opens one per message: a savepoint of its own would be two
    more round trips); `ticket_reply` is the same in a transaction of its own."""
    require_transaction("a reply is written inside the caller's transaction")
    now = now or timezone.now()
    body = clean_text(body, "body", BODY_MAX)
    ticket = lock(ticket)
    if ticket.merged_into_id is not None:
        # A reply to a merged ticket belongs on the ticket it was merged into.
        ticket = lock(ticket.merged_into_id)
    from_customer = _check_can_write(ticket, author)
    if seen_message_id is not None and not from_customer:
        _check_seen(ticket, author, seen_message_id)
    if from_customer and ticket.status in (Status.PENDING, Status.SOLVED, Status.CLOSED):
        ticket = WORKFLOW.transition(ticket, to=Status.OPEN, actor=author, reason="customer replied", now=now)
    elif not from_customer and ticket.status == Status.NEW:
        ticket = WORKFLOW.transition(ticket, to=Status.OPEN, actor=author, reason="agent replied", now=now)
    message = add_message(ticket=ticket, kind=TicketMessage.Kind.REPLY, author=author, from_customer=from_customer,
                          body=body)
    attachment_service.attach(message=message, uploads=uploads)
    if not from_customer and outbound.has_sender(ticket.channel):
        outbound.outbound_create(message=message)
    if from_customer:
        sla.on_customer_reply(ticket, now=now)
    else:
        sla.on_agent_reply(ticket, now=now)
    save(ticket, actor=author, reason="reply")
    publish("ticket.replied", ticket, message_id=message.pk, from_customer=from_customer, author_id=author.pk)
    if from_customer:
        # Repeated customer messages in a short window count as nudges.
        check_nudges(ticket, now=now)
    return message


ticket_reply = transaction.atomic(ticket_reply_within)


def _check_seen(ticket: Ticket, author: User, seen_message_id: int) -> None:
    # Under the ticket's lock, so two agents replying at once cannot both pass on the same page.
    newer = list(ticket.messages.filter(kind=TicketMessage.Kind.REPLY, pk__gt=seen_message_id)
                 .exclude(author=author).select_related("author").order_by("pk"))
    if newer:
        raise NewerMessage(_("A newer message arrived on this ticket while you were writing. Read it, "
                             "then send again to confirm."), messages=newer)


@transaction.atomic
def ticket_add_note(*, ticket: Ticket, author: User, body: str, uploads: Sequence[UploadedFile] = ()
                    ) -> TicketMessage:
    """An internal note; `@username` mentions notify those desk users (in-app and e-mail)."""
    if not is_desk(author):
        raise NotAllowed(_("Only the service desk can add internal notes."))
    body = clean_text(body, "body", BODY_MAX)
    ticket = lock(ticket)
    message = add_message(ticket=ticket, kind=TicketMessage.Kind.NOTE, author=author, body=body)
    attachment_service.attach(message=message, uploads=uploads)
    mentioned = notifications.mentioned_users(body, exclude=author)
    notifications.notify(
        recipients=mentioned, kind=Notification.Kind.MENTION, ticket=ticket, actor=author,
        text=_("%(author)s mentioned you on %(number)s") % {"author": author, "number": ticket.number},
    )
    publish("ticket.note_added", ticket, message_id=message.pk, author_id=author.pk)
    if mentioned:
        publish("ticket.mentioned", ticket, message_id=message.pk, user_ids=[user.pk for user in mentioned])
    return message


@transaction.atomic
def _check_available(agent: User, *, actor: User, force: bool) -> AgentProfile:
    profile = AgentProfile.objects.filter(user=agent).prefetch_related("teams").first()
    if profile is None or not agent.is_active:
        raise ValidationError({"assignee": _("%(name)s is not an agent.") % {"name": agent}})
    if force:
        if not is_supervisor(actor):
            raise NotAllowed(_("Only a supervisor can force an assignment."))
        return profile
    if profile.presence != AgentProfile.Presence.ONLINE:
        raise AgentUnavailable(_("%(name)s is not online.") % {"name": agent})
    load = routing.agent_loads([agent.pk])[agent.pk]
    if load >= profile.capacity:
        raise AgentUnavailable(_("%(name)s is at capacity (%(load)s of %(capacity)s).") % {
            "name": agent, "load": load, "capacity": profile.capacity})
    return profile


def _set_assignee(ticket: Ticket, agent: User | None, *, actor: User, force: bool) -> None:
    if agent is None:
        ticket.assignee = None
        return
    profile = _check_available(agent, actor=actor, force=force)
    teams = list(profile.teams.all())
    if teams and ticket.team_id not in {team.pk for team in teams}:
        ticket.team = teams[0]
    ticket.assignee = agent


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User, force: bool = False) -> Ticket:
    """Give the ticket to an agent who is online and under capacity; a supervisor may `force` it."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can assign tickets."))
    ticket = lock(ticket)
    previous = ticket.assignee_id
    _set_assignee(ticket, assignee, actor=actor, force=force)
    if ticket.assignee_id == previous:
        return ticket
    save(ticket, actor=actor, reason="forced assignment" if force else "assigned")
    if assignee is not None and assignee.pk != actor.pk:
        notifications.notify(recipients=[assignee], kind=Notification.Kind.ASSIGNMENT, ticket=ticket, actor=actor,
                             text=_("%(actor)s assigned %(number)s to you") % {"actor": actor,
                                                                               "number": ticket.number})
    publish("ticket.assigned", ticket, previous_assignee_id=previous)
    return ticket


@transaction.atomic
def ticket_transition(*, ticket: Ticket, target: str, actor: User, reason: str = "", override: bool = False,
                      now: datetime | None = None) -> Ticket:
    """Move the ticket through the workflow; solving sends the satisfaction survey."""
    from tickets.services.surveys import survey_create

    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can change a ticket's status."))
    if override and not is_supervisor(actor):
        raise NotAllowed(_("Only a supervisor can override open sub-tickets."))
    ticket = lock(ticket)
    source = ticket.status
    ticket = WORKFLOW.transition(ticket, to=target, actor=actor, reason=reason, override=override, now=now)
    publish("ticket.status_changed", ticket, previous_status=source, actor_id=actor.pk, reason=reason)
    if ticket.status == Status.SOLVED:
        survey_create(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_transfer(*, ticket: Ticket, actor: User, reason: str, to_team: Team | None = None,
                    to_agent: User | None = None) -> Ticket:
    """Hand the ticket to another team (back to its queue) or to an agent, with a reason in history."""
    if not is_desk(actor):
        raise NotAllowed(_("Only the service desk can transfer tickets."))
    reason = clean_text(reason, "reason", 300)
    if (to_team is None) == (to_agent is None):
        raise ValidationError({"to_team": _("Choose either a team or an agent.")})
    ticket = lock(ticket)
    previous_team, previous_assignee = ticket.team_id, ticket.assignee_id
    if to_agent is not None:
        _set_assignee(ticket, to_agent, actor=actor, force=False)
    else:
        ticket.team, ticket.assignee = to_team, None
    save(ticket, actor=actor, reason=f"transfer: {reason}")
    add_message(ticket=ticket, kind=TicketMessage.Kind.NOTE, author=actor,
                body=_("Transferred: %(reason)s") % {"reason": reason})
    publish("ticket.transferred", ticket, previous_team_id=previous_team, previous_assignee_id=previous_assignee,
            reason=reason, actor_id=actor.pk)
    if ticket.assignee_id != previous_assignee:
        publish("ticket.assigned", ticket, previous_assignee_id=previous_assignee)
    return ticket


def _agent_teams(agent: User) -> list[int]:
    return list(Team.objects.filter(agents__user=agent).values_list("pk", flat=True))


@transaction.atomic
def ticket_take_next(*, agent: User) -> Ticket | None:
    """The most urgent unassigned open ticket of the agent's teams; concurrent takers skip locked rows."""
    if not is_desk(agent):
        raise NotAllowed(_("Only the service desk can take tickets."))
    ticket = (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(team_id__in=_agent_teams(agent), assignee__isnull=True, status__in=[str(s) for s in OPEN_STATUSES])
        .order_by("due_at", "id")
        .first()
    )
    if ticket is None:
        return None
    ticket.assignee = agent
    save(ticket, actor=agent, reason="taken from queue", update_fields=["assignee"])
    publish("ticket.assigned", ticket, previous_assignee_id=None)
    return ticket


@transaction.atomic
def ticket_pick(*, ticket: Ticket, agent: User) -> Ticket:
    """Pick one ticket from the list; if another agent holds or took it, say so instead of waiting."""
    if not is_desk(agent):
        raise NotAllowed(_("Only the service desk can take tickets."))
    picked = (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=ticket.pk, assignee__isnull=True, status__in=[str(s) for s in OPEN_STATUSES])
        .first()
    )
    if picked is None:
        raise TicketTaken(_("Another agent has already taken this ticket."))
    picked.assignee = agent
    save(picked, actor=agent, reason="picked from list", update_fields=["assignee"])
    publish("ticket.assigned", picked, previous_assignee_id=None)
    return picked
