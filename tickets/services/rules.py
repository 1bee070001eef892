"""What automations and triggers share, so each thing is done one way: the conditions that narrow a ticket set
(as the queue's filters narrow it) and the actions (the rule's shared macro through the ticket services, then
the team's notice), taken as the automation account."""

from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from core.queueing import enqueue_many
from profiles import services as profile_services
from profiles.models import User
from profiles.roles import Role
from tickets import selectors
from tickets.models import Notification, Ticket
from tickets.models.automations import RuleConditions
from tickets.services.macros import macro_apply

SYSTEM_USERNAME = "tickets-automation"


def automation_account() -> User:
    """The account automations and triggers act as: a desk role so the ticket services accept it, no password."""
    with translation.override(settings.LANGUAGE_CODE):
        user, _created = profile_services.user_ensure(username=SYSTEM_USERNAME, password=None, roles=[Role.AGENT],
                                                      display_name=_("Automation"))
    return user


def matching(tickets: QuerySet[Ticket], rule: RuleConditions) -> QuerySet[Ticket]:
    """`tickets` narrowed by the rule's conditions: priority, channel and tag as a queue narrows them, then team,
    VIP and untouched."""
    tickets = selectors.apply_queue_filters(tickets, selectors.QueueFilters(
        channel=rule.channel, priority=rule.priority, tag=rule.tag))
    if rule.team_id:
        tickets = tickets.filter(team_id=rule.team_id)
    if rule.vip_only:
        tickets = tickets.filter(customer__customer_profile__vip_level__gt=0)
    if rule.untouched:
        tickets = tickets.filter(first_responded_at__isnull=True)
    return tickets


def apply_actions(rule: RuleConditions, *, name: str, ticket: Ticket, actor: User) -> Ticket:
    """The rule's macro on `ticket`, in the site's language, then the team's notice; raises the refusal
    (ApplicationError) of any step, in which case the caller's savepoint keeps the ticket as it was."""
    with translation.override(settings.LANGUAGE_CODE):
        ticket = macro_apply(macro=rule.macro, ticket=ticket, actor=actor)
        if rule.notify_team:
            notify_teams(rule, [ticket], actor, name=name)
    return ticket


def notify_teams(rule: RuleConditions, tickets: Sequence[Ticket], actor: User, *, name: str | None = None) -> None:
    """The rule's notice to each ticket's team (its agents), for any number of tickets in two statements; in the
    caller's language override."""
    team_ids = {ticket.team_id for ticket in tickets if ticket.team_id}
    if not team_ids:
        return
    agents: dict[int, list[int]] = defaultdict(list)
    for team_id, user_id in (User.objects.filter(agent_profile__teams__in=team_ids).order_by("pk")
                             .values_list("agent_profile__teams", "pk")):
        agents[team_id].append(user_id)
    enqueue_many("tickets.tasks.deliver_notifications", [
        {"recipient_ids": agents[ticket.team_id], "kind": str(Notification.Kind.AUTOMATION), "ticket_id": ticket.pk,
         "actor_id": actor.pk, "text": str(_("%(rule)s: %(number)s") % {"rule": name or str(rule),
                                                                          "number": ticket.number})}
        for ticket in tickets if ticket.team_id and agents[ticket.team_id]])
