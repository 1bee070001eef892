"""Where a new ticket goes: the first matching routing rule picks team, skills and priority; the team's
strategy then picks an online agent under capacity (or leaves it in the team queue).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from profiles.models import AgentProfile, CustomerProfile, Team, User
from tickets.models import (
    OPEN_STATUSES,
    PRIORITY_ORDER,
    AgentRegions,
    Priority,
    RoutingRule,
    TeamSettings,
    Ticket,
)

# Gold members and above, the high-value segment and customers tagged high-value jump one priority step.
VIP_BOOST_LEVEL = CustomerProfile.VipLevel.GOLD
HIGH_VALUE_TAGS = frozenset({"高价值", "high-value"})


@dataclass
class Decision:
    team: Team | None = None
    skill_ids: set[int] = field(default_factory=set)
    priority: str = Priority.NORMAL
    rule: RoutingRule | None = None


def boost_priority(priority: str, customer: CustomerProfile | None) -> str:
    if customer is None:
        return priority
    if (customer.vip_level >= VIP_BOOST_LEVEL or customer.segment == CustomerProfile.Segment.HIGH_VALUE
            or HIGH_VALUE_TAGS & set(customer.tags)):
        index = PRIORITY_ORDER.index(Priority(priority))
        return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]
    return priority


def _matches(rule: RoutingRule, ticket: Ticket, customer: CustomerProfile | None) -> bool:
    tags = set(customer.tags) if customer else set()
    vip = customer.vip_level if customer else 0
    category_ids = {category.pk for category in rule.categories.all()}
    return (
        (not rule.channels or ticket.channel in rule.channels)
        and (not rule.types or ticket.type in rule.types)
        and (not category_ids or ticket.category_id in category_ids)
        and (not rule.customer_tags or bool(tags & set(rule.customer_tags)))
        and (not rule.regions or ticket.region in rule.regions)
        and (rule.min_vip_level is None or vip >= rule.min_vip_level)
    )


def decide(ticket: Ticket, customer: CustomerProfile | None) -> Decision:
    """Team, skills and priority for an unsaved ticket (its channel, type, category, region are set)."""
    rules = RoutingRule.objects.filter(is_active=True).select_related("team").prefetch_related(
        "categories", "required_skills"
    )
    decision = Decision(team=ticket.team, priority=ticket.priority)
    for rule in rules:
        if _matches(rule, ticket, customer):
            decision.rule = rule
            decision.team = decision.team or rule.team
            decision.skill_ids = {skill.pk for skill in rule.required_skills.all()}
            if rule.set_priority:
                decision.priority = rule.set_priority
            break
    decision.priority = boost_priority(decision.priority, customer)
    return decision


def agent_loads(user_ids: list[int]) -> dict[int, int]:
    """Open tickets per agent, in one query."""
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, status__in=[str(s) for s in OPEN_STATUSES])
        .values("assignee_id").annotate(n=Count("id"))
    )
    loads = dict.fromkeys(user_ids, 0)
    loads.update({row["assignee_id"]: row["n"] for row in rows})
    return loads


def available_agents(team: Team, skill_ids: set[int] | None = None) -> list[tuple[AgentProfile, int]]:
    """Online agents of `team` holding every required skill and under capacity, with their load."""
    agents = AgentProfile.objects.filter(teams=team, presence=AgentProfile.Presence.ONLINE, user__is_active=True)
    if skill_ids:
        agents = agents.annotate(
            matched=Count("skills", filter=Q(skills__in=skill_ids), distinct=True)
        ).filter(matched=len(skill_ids))
    profiles = list(agents.select_related("user").order_by("user_id"))
    loads = agent_loads([profile.user_id for profile in profiles])
    return [(profile, loads[profile.user_id]) for profile in profiles if loads[profile.user_id] < profile.capacity]


def _least_loaded(candidates: list[tuple[AgentProfile, int]]) -> AgentProfile:
    return min(candidates, key=lambda pair: (pair[1] / max(pair[0].capacity, 1), pair[1], pair[0].user_id))[0]


def choose_agent(*, team: Team, skill_ids: set[int], region: str) -> User | None:
    """The team strategy's pick, or None to leave the ticket in the team queue."""
    settings = TeamSettings.objects.select_for_update().filter(team=team).first()
    strategy = settings.strategy if settings else TeamSettings.Strategy.SKILL_LOAD
    if strategy == TeamSettings.Strategy.MANUAL:
        return None
    candidates = available_agents(team, skill_ids)
    if not candidates:
        return None
    if strategy == TeamSettings.Strategy.ROUND_ROBIN:
        last = settings.last_assigned_agent_id if settings else None
        chosen = next((p for p, _ in candidates if last is None or p.user_id > last), candidates[0][0])
        if settings is not None:
            settings.last_assigned_agent_id = chosen.user_id
            settings.save(update_fields=["last_assigned_agent"])
        return chosen.user
    if strategy == TeamSettings.Strategy.REGION and region:
        local = set(
            AgentRegions.objects.filter(agent_id__in=[p.user_id for p, _ in candidates], regions__contains=[region])
            .values_list("agent_id", flat=True)
        )
        nearby = [pair for pair in candidates if pair[0].user_id in local]
        return _least_loaded(nearby or candidates).user
    return _least_loaded(candidates).user


def decision_for(*, channel: str, customer: User) -> Decision:
    """Team and skills the routing rules give this customer's contact on `channel` (live chats use this
    to reach the same people a ticket would)."""
    profile = CustomerProfile.objects.filter(user=customer).first()
    return decide(Ticket(customer=customer, channel=channel), profile)

