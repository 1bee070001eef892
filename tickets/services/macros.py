"""Macros: preview what a macro would do to a ticket, then apply every step in one transaction.

Each step goes through the ticket service that does the same thing by hand, so permissions, workflow
rules, SLA and history hold; if one step is refused, nothing of the macro stays.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Choices, F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api import ApplicationError
from profiles.models import Team, User
from tickets import held, macro_articles
from tickets.errors import NotAllowed, TicketError
from tickets.models import Macro, MacroAction, Priority, Status, Ticket, TicketType
from tickets.services.collaboration import VARIABLE, ticket_variables, unresolved_variables
from tickets.services.common import lock
from tickets.services.properties import ticket_update_properties
from tickets.services.tickets import (
    ticket_add_note,
    ticket_assign,
    ticket_reply,
    ticket_transfer,
    ticket_transition,
)

Kind = MacroAction.Kind


class MacroRefused(TicketError):
    """A step of the macro was refused (or cannot resolve): the ticket is left as it was."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="macro_refused", field="macro")


@dataclass(frozen=True)
class PlannedStep:
    kind: str
    label: str  # what the step does, in the viewer's language
    text: str = ""  # the reply or note as it will be sent (variables filled)
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class MacroPlan:
    macro: Macro
    ticket: Ticket
    steps: list[PlannedStep] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"{step.label}: {problem}" for step in self.steps for problem in step.problems]


def check_macro_access(macro: Macro, actor: User, team_ids: set[int]) -> None:
    """A macro is usable by its owner, or by everyone (in its team, if it names one) when shared."""
    if not macro.active:
        raise NotAllowed(_("This macro is switched off."))
    if macro.owner_id is not None and macro.owner_id != actor.pk:
        raise NotAllowed(_("This macro belongs to someone else."))
    if macro.team_id is not None and macro.team_id not in team_ids:
        raise NotAllowed(_("This macro belongs to another team."))


def _fill(text: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda match: values.get(match.group(1)) or match.group(0), text)


def _label(choices: type[Choices], value: str) -> str:
    """What get_FOO_display shows, for one gettext: get_FOO_display hashes every label of the field's choices
    (a gettext each) on each call, 12 per ticket in the automation sweep, which plans each ticket."""
    return str(dict(choices.choices).get(value, value))


def _step(action: MacroAction, values: dict[str, str], articles: dict[int, macro_articles.LinkedArticle],
          has_reply: bool) -> PlannedStep:
    label = _label(Kind, action.kind)
    if action.kind in (Kind.REPLY, Kind.NOTE):
        missing = unresolved_variables(action.text, values)
        problems = tuple(_("%(variable)s has no value for this ticket") % {"variable": f"{{{{ {name} }}}}"}
                         for name in missing)
        return PlannedStep(action.kind, label, text=_fill(action.text, values), problems=problems)
    if action.kind == Kind.ARTICLE:
        article = articles.get(action.article_id or 0)
        if article is None:
            return PlannedStep(action.kind, label, problems=(_("the article is not published"),))
        if not has_reply:
            return PlannedStep(action.kind, label, text=article.title,
                               problems=(_("an article link needs a reply step to go with"),))
        return PlannedStep(action.kind, label, text=f"{article.title}: {article.url}")
    if action.kind in (Kind.ADD_TAGS, Kind.REMOVE_TAGS):
        return PlannedStep(action.kind, f"{label}: {', '.join(action.tags)}")
    values_shown: dict[str, object] = {
        Kind.STATUS: _label(Status, action.status), Kind.PRIORITY: _label(Priority, action.priority),
        Kind.TYPE: _label(TicketType, action.ticket_type), Kind.CATEGORY: action.category, Kind.TEAM: action.team,
        Kind.AGENT: action.agent,
    }
    return PlannedStep(action.kind, f"{label}: {values_shown[action.kind]}")


def macro_actions(macro: Macro) -> list[MacroAction]:
    """The macro's steps in order, with what they name."""
    return list(macro.actions.select_related("category", "team", "agent").order_by("position", "pk"))


def macro_reason(macro: Macro) -> str:
    """What a macro's status change or transfer records as its reason, in the active language."""
    return _("Macro: %(macro)s") % {"macro": macro.title}


def macro_plan(*, macro: Macro, ticket: Ticket, actor: User, actions: list[MacroAction] | None = None
               ) -> MacroPlan:
    """What the macro would do to this ticket now, with every variable filled and every problem named."""
    actions = macro_actions(macro) if actions is None else actions
    values = ticket_variables(ticket, actor)
    article_ids = [action.article_id for action in actions if action.kind == Kind.ARTICLE and action.article_id]
    articles = macro_articles.resolve(article_ids, macro.language) if article_ids else {}
    has_reply = any(action.kind == Kind.REPLY for action in actions)
    return MacroPlan(macro, ticket, [_step(action, values, articles, has_reply) for action in actions])


def team_ids(actor: User) -> set[int]:
    return set(Team.objects.filter(agents__user=actor).values_list("pk", flat=True))


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, actor: User, now: datetime | None = None) -> Ticket:
    """Every step, in order, through the ticket services; refused as a whole if any step is refused.

    The ticket is locked once here and held for the steps: each service's lock hands back this row instead of
    reading it again (tickets/held.py)."""
    check_macro_access(macro, actor, team_ids(actor))
    actions = macro_actions(macro)
    ticket = lock(ticket, with_customer=True)
    plan = macro_plan(macro=macro, ticket=ticket, actor=actor, actions=actions)
    if plan.problems:
        raise MacroRefused(_("“%(macro)s” cannot be applied: %(problems)s")
                           % {"macro": macro.title, "problems": "; ".join(plan.problems)})
    links = [step.text for step in plan.steps if step.kind == Kind.ARTICLE]
    reply_done = False
    with held.holding(ticket):
        for action, step in zip(actions, plan.steps, strict=True):
            try:
                ticket = _perform(action, step, ticket=ticket, actor=actor, links=[] if reply_done else links,
                                  now=now)
            except (ValidationError, ApplicationError) as error:
                reason = error.message if isinstance(error, ApplicationError) else "; ".join(error.messages)
                raise MacroRefused(_("“%(macro)s” stopped at “%(step)s”: %(reason)s")
                                   % {"macro": macro.title, "step": step.label, "reason": reason}) from error
            reply_done = reply_done or action.kind == Kind.REPLY
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1, last_used_at=now or timezone.now())
    return ticket


def _perform(action: MacroAction, step: PlannedStep, *, ticket: Ticket, actor: User, links: list[str],
             now: datetime | None) -> Ticket:
    if action.kind == Kind.REPLY:
        ticket_reply(ticket=ticket, author=actor, body="\n\n".join([step.text, *links]))
    elif action.kind == Kind.NOTE:
        ticket_add_note(ticket=ticket, author=actor, body=step.text)
    elif action.kind == Kind.STATUS:
        ticket = ticket_transition(ticket=ticket, target=action.status, actor=actor,
                                   reason=macro_reason(action.macro), now=now)
    elif action.kind == Kind.PRIORITY:
        ticket = ticket_update_properties(ticket=ticket, actor=actor, priority=action.priority, now=now)
    elif action.kind == Kind.TYPE:
        ticket = ticket_update_properties(ticket=ticket, actor=actor, ticket_type=action.ticket_type)
    elif action.kind == Kind.CATEGORY:
        ticket = ticket_update_properties(ticket=ticket, actor=actor, category=action.category)
    elif action.kind == Kind.ADD_TAGS:
        ticket = ticket_update_properties(ticket=ticket, actor=actor, add_tags=action.tags)
    elif action.kind == Kind.REMOVE_TAGS:
        ticket = ticket_update_properties(ticket=ticket, actor=actor, remove_tags=action.tags)
    elif action.kind == Kind.TEAM:
        assert action.team is not None
        ticket = ticket_transfer(ticket=ticket, actor=actor, to_team=action.team,
                                 reason=macro_reason(action.macro))
    elif action.kind == Kind.AGENT:
        ticket = ticket_assign(ticket=ticket, assignee=action.agent, actor=actor)
    # An article step has no write of its own: its link went out with the reply.
    return ticket
