"""The desk configuration every ticket create reads, from the shared cache (core.config_cache).

Keyword and routing rules, each team's strategy, SLA policies, business calendars and the desk settings
change a few times a day and are read on every create; `register()` (TicketsConfig.ready) drops each
key when one of its rows is written, so the next create after an admin's save sees the change.
"""

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from django.db.models.signals import m2m_changed, post_delete

from core.business_hours import Calendar
from core.config_cache import cached, forget_per_scope, invalidate_on_write
from profiles.models import AgentProfile, Team
from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    CalendarOverride,
    CannedResponse,
    Category,
    DeskSettings,
    KeywordRule,
    Mailbox,
    RoutingRule,
    SlaPolicy,
    TeamSettings,
    Trigger,
)

KEYWORD_RULES = "tickets:keyword_rules"
ROUTING_RULES = "tickets:routing_rules"
TEAM_STRATEGIES = "tickets:team_strategies"
SLA_POLICIES = "tickets:sla_policies"
CALENDARS = "tickets:calendars"
DESK_SETTINGS = "tickets:desk_settings"
CANNED_RESPONSES = "tickets:canned_responses"
MAILBOXES = "tickets:mailboxes"
ACTIVE_TRIGGERS = "tickets:active-triggers"
REFERENCE_ROWS = "tickets:reference-rows"


@dataclass(frozen=True)
class Rule:
    """What routing needs of one active routing rule, its categories and skills as ids."""

    team: Team
    channels: tuple[str, ...]
    types: tuple[str, ...]
    category_ids: frozenset[int]
    customer_tags: frozenset[str]
    regions: tuple[str, ...]
    min_vip_level: int | None
    skill_ids: frozenset[int]
    set_priority: str


def keyword_rules() -> list[KeywordRule]:
    return cached(KEYWORD_RULES, lambda: list(
        KeywordRule.objects.filter(is_active=True).select_related("set_category")))


def _load_routing_rules() -> list[Rule]:
    rules = RoutingRule.objects.filter(is_active=True).select_related("team").prefetch_related(
        "categories", "required_skills")
    return [
        Rule(team=rule.team, channels=tuple(rule.channels), types=tuple(rule.types),
             category_ids=frozenset(category.pk for category in rule.categories.all()),
             customer_tags=frozenset(rule.customer_tags), regions=tuple(rule.regions),
             min_vip_level=rule.min_vip_level, skill_ids=frozenset(skill.pk for skill in rule.required_skills.all()),
             set_priority=rule.set_priority)
        for rule in rules
    ]


def routing_rules() -> list[Rule]:
    """Active routing rules in their order (the model's Meta ordering)."""
    return cached(ROUTING_RULES, _load_routing_rules)


def team_strategy(team_id: int) -> str:
    """The team's hand-out strategy; a team without settings uses skill match then least load."""
    strategies: dict[int, str] = cached(TEAM_STRATEGIES, lambda: dict(
        TeamSettings.objects.values_list("team_id", "strategy")))
    return strategies.get(team_id, TeamSettings.Strategy.SKILL_LOAD)


@dataclass(frozen=True)
class ReferenceRows:
    """Every team, category and SLA policy by id, inactive ones too: the rows a ticket points at."""

    teams: dict[int, Team]
    categories: dict[int, Category]
    sla_policies: dict[int, SlaPolicy]


def reference_rows() -> ReferenceRows:
    """A desk has tens of these rows, and ticket pages name them on every row; see selectors.attach_reference_rows."""
    return cached(REFERENCE_ROWS, lambda: ReferenceRows(
        teams={team.pk: team for team in Team.objects.all()},
        categories={category.pk: category for category in Category.objects.all()},
        sla_policies={policy.pk: policy for policy in SlaPolicy.objects.all()},
    ))


def sla_policies() -> list[SlaPolicy]:
    return cached(SLA_POLICIES, lambda: list(SlaPolicy.objects.filter(is_active=True)))


def calendar_of(row: BusinessCalendar) -> Calendar:
    """The calendar arithmetic's view of a row whose `hours` and `overrides` are prefetched."""
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in sorted(row.hours.all(), key=lambda hours: (hours.weekday, hours.opens_at)):
        weekly.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
    overrides: dict[date, list[tuple[time, time]]] = {}
    for override in row.overrides.all():
        opens, closes = override.opens_at, override.closes_at
        # The check constraint guarantees both times on an open day.
        overrides[override.date] = [(opens, closes)] if override.is_open and opens and closes else []
    return Calendar(weekly=weekly, overrides=overrides, use_statutory_holidays=row.use_statutory_holidays)


def calendar(calendar_id: int) -> Calendar:
    """One calendar; every calendar is loaded on a miss (there are a handful), in three queries."""
    calendars: dict[int, Calendar] = cached(CALENDARS, lambda: {
        row.pk: calendar_of(row) for row in BusinessCalendar.objects.prefetch_related("hours", "overrides")})
    found = calendars.get(calendar_id)
    if found is None:
        raise BusinessCalendar.DoesNotExist(calendar_id)
    return found


def desk_settings() -> DeskSettings:
    # `load()` creates the singleton on a fresh desk, so no later `load()` elsewhere creates it and drops this key.
    return cached(DESK_SETTINGS, DeskSettings.load)


def sla_warning_percent() -> int:
    return desk_settings().sla_warning_percent


def canned_responses() -> list[CannedResponse]:
    """Every canned response, by title (a few hundred at most); callers keep the ones a user may use."""
    return cached(CANNED_RESPONSES, lambda: list(CannedResponse.objects.order_by("title")))


def mailboxes() -> dict[str, Mailbox]:
    """Every mailbox by its lower-cased address (inactive ones too), with its team: what inbound mail is routed
    by. Loaded without the IMAP credentials, which never go to the shared cache."""
    return cached(MAILBOXES, lambda: {box.address.lower(): box for box in Mailbox.objects.select_related("team").only(
        "address", "is_active", "team")})


def active_trigger_events() -> dict[str, list[int]]:
    """Event → ids of the active triggers listening for it: asked after every ticket event's commit."""
    def load() -> dict[str, list[int]]:
        by_event: dict[str, list[int]] = {}
        for pk, event in Trigger.objects.filter(active=True).values_list("pk", "event"):
            by_event.setdefault(event, []).append(pk)
        return by_event

    return cached(ACTIVE_TRIGGERS, load)


def register() -> None:
    invalidate_on_write(KEYWORD_RULES, KeywordRule, Category)
    invalidate_on_write(ROUTING_RULES, RoutingRule, Team,
                        m2m=(RoutingRule.categories.through, RoutingRule.required_skills.through))
    invalidate_on_write(TEAM_STRATEGIES, TeamSettings)
    invalidate_on_write(SLA_POLICIES, SlaPolicy)
    invalidate_on_write(CALENDARS, BusinessCalendar, BusinessHours, CalendarOverride)
    invalidate_on_write(DESK_SETTINGS, DeskSettings)
    invalidate_on_write(CANNED_RESPONSES, CannedResponse)
    invalidate_on_write(MAILBOXES, Mailbox, Team)
    invalidate_on_write(ACTIVE_TRIGGERS, Trigger)
    invalidate_on_write(REFERENCE_ROWS, Team, Category, SlaPolicy)
    # selectors.team_ids_for keeps a user's teams for the request; a membership written in it drops them.
    m2m_changed.connect(_forget_team_ids, sender=AgentProfile.teams.through, dispatch_uid="tickets.team_ids")
    post_delete.connect(_forget_team_ids, sender=AgentProfile, dispatch_uid="tickets.team_ids.delete")


def _forget_team_ids(**_kwargs: Any) -> None:
    forget_per_scope()
