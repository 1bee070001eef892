"""Where a new ticket goes: the first matching routing rule picks team, skills and priority; the team's
strategy then picks an online agent under capacity (or leaves it in the team queue).
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Count

from core.prepared import one_round_trip, planned_once_cursor
from profiles.models import AgentProfile, CustomerProfile, Team, User
from tickets import cached_config
from tickets.models import (
    OPEN_STATUSES,
    PRIORITY_ORDER,
    AgentRegions,
    Priority,
    TeamSettings,
    Ticket,
)

# Gold members and above, the high-value segment and customers tagged high-value jump one priority step.
VIP_BOOST_LEVEL = CustomerProfile.VipLevel.GOLD
HIGH_VALUE_TAGS = frozenset({"高价值", "high-value"})
# First key of the per-team advisory lock taken while an agent is picked ("RT" in ASCII).
ROUTING_LOCK_NAMESPACE = 0x5254


@dataclass
class Decision:
    team: Team | None = None
    skill_ids: set[int] = field(default_factory=set)
    priority: str = Priority.NORMAL
    rule: cached_config.Rule | None = None


def boost_priority(priority: str, customer: CustomerProfile | None) -> str:
    if customer is None:
        return priority
    if (customer.vip_level >= VIP_BOOST_LEVEL or customer.segment == CustomerProfile.Segment.HIGH_VALUE
            or HIGH_VALUE_TAGS & set(customer.tags)):
        index = PRIORITY_ORDER.index(Priority(priority))
        return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]
    return priority


def _matches(rule: cached_config.Rule, ticket: Ticket, customer: CustomerProfile | None) -> bool:
    tags = set(customer.tags) if customer else set()
    vip = customer.vip_level if customer else 0
    return (
        (not rule.channels or ticket.channel in rule.channels)
        and (not rule.types or ticket.type in rule.types)
        and (not rule.category_ids or ticket.category_id in rule.category_ids)
        and (not rule.customer_tags or bool(tags & rule.customer_tags))
        and (not rule.regions or ticket.region in rule.regions)
        and (rule.min_vip_level is None or vip >= rule.min_vip_level)
    )


def decide(ticket: Ticket, customer: CustomerProfile | None) -> Decision:
    """Team, skills and priority for an unsaved ticket (its channel, type, category, region are set)."""
    decision = Decision(team=ticket.team, priority=ticket.priority)
    for rule in cached_config.routing_rules():
        if _matches(rule, ticket, customer):
            decision.rule = rule
            decision.team = decision.team or rule.team
            decision.skill_ids = set(rule.skill_ids)
            if rule.set_priority:
                decision.priority = rule.set_priority
            break
    decision.priority = boost_priority(decision.priority, customer)
    return decision


def _open_statuses() -> list[str]:
    return [str(status) for status in OPEN_STATUSES]


def agent_loads(user_ids: list[int]) -> dict[int, int]:
    """Open tickets per agent, in one query."""
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, status__in=_open_statuses())
        .values("assignee_id").annotate(n=Count("id"))
    )
    loads = dict.fromkeys(user_ids, 0)
    loads.update({row["assignee_id"]: row["n"] for row in rows})
    return loads


@dataclass(frozen=True)
class Candidate:
    """An online agent of the team under capacity: the user, their capacity and their open tickets."""

    user: User
    capacity: int
    load: int


# A candidate row is the user's columns in the model's order, then capacity and load: `_user` builds the user through
# `Model.from_db`'s positional path. `User.objects.raw()` mapped the columns to fields by name and looked up their
# converters on every create, a fifth of the pick's CPU.
_USER_FIELDS = [user_field for user_field in User._meta.concrete_fields if user_field.column]
_USER_ATTNAMES = [user_field.attname for user_field in _USER_FIELDS]
_USER_COLUMNS = ", ".join(f"u.{connection.ops.quote_name(str(user_field.column))}" for user_field in _USER_FIELDS)
_USER_CONVERTERS = [(index, user_field.get_col(User._meta.db_table), converters)
                    for index, user_field in enumerate(_USER_FIELDS)
                    if (converters := user_field.get_db_converters(connection))]


def _user(row: tuple[Any, ...]) -> User:
    """The user of a candidate row, each field converted as a queryset converts it (the encrypted phone, e-mail)."""
    values = list(row[: len(_USER_FIELDS)])
    for index, column, converters in _USER_CONVERTERS:
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return User.from_db(connection.alias, _USER_ATTNAMES, values)


# The team's routing lock: one ticket at a time per team picks its agent, until the transaction ends, so the loads
# each pick counts include the previous pick. A transaction-level advisory lock: it needs no row (a team may have no
# settings) and writes nothing (a row lock plus a save used to write a history row per ticket).
_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s, %s)"


def _candidate_rows(sql: str, params: list[Any], *, lock_team: int | None = None) -> list[tuple[Any, ...]]:
    """The rows of `sql`; with `lock_team`, after taking that team's routing lock in the same round trip (two
    statements, not one: the candidates' snapshot must be taken once the lock is held, or a concurrent pick that
    committed while this one waited would not count in the loads)."""
    db = connections[DEFAULT_DB_ALIAS]
    if lock_team is None:
        with planned_once_cursor(db) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with db.cursor() as lock, planned_once_cursor(db) as cursor:
        with one_round_trip(db):
            lock.execute(_LOCK_SQL, [ROUTING_LOCK_NAMESPACE, lock_team])
            cursor.execute(sql, params)
        return cursor.fetchall()


def _candidates_sql(with_skills: bool) -> str:
    """One statement: the team's online, active agents (holding every required skill) under capacity, with their
    open tickets counted through the open-assignee index and only up to the capacity (an agent at capacity is
    left out whatever the count beyond it, and the pick compares loads below it), so a busy desk costs no more."""
    open_in = ", ".join(["%s"] * len(OPEN_STATUSES))
    skills = (
        f"AND (SELECT count(DISTINCT s.skill_id) FROM {AgentProfile.skills.through._meta.db_table} s "  # noqa: S608 (identifiers from model meta, values as parameters)
        "WHERE s.agentprofile_id = p.id AND s.skill_id = ANY(%s)) = %s "
        if with_skills else ""
    )
    return (
        f"SELECT {_USER_COLUMNS}, p.capacity AS agent_capacity, l.n AS agent_load FROM {AgentProfile._meta.db_table} p "  # noqa: S608 (identifiers from model meta, values as parameters)
        f"JOIN {AgentProfile.teams.through._meta.db_table} pt ON pt.agentprofile_id = p.id AND pt.team_id = %s "
        f"JOIN {User._meta.db_table} u ON u.id = p.user_id "
        "CROSS JOIN LATERAL (SELECT count(*) AS n FROM ("
        f"SELECT 1 FROM {Ticket._meta.db_table} t WHERE t.assignee_id = p.user_id AND t.status IN ({open_in}) "
        "LIMIT p.capacity) AS o) AS l "
        f"WHERE p.presence = %s AND u.is_active {skills}AND l.n < p.capacity ORDER BY u.id"
    )


_CANDIDATES_SQL = {with_skills: _candidates_sql(with_skills) for with_skills in (False, True)}


def _candidate_params(team: Team, skill_ids: set[int] | None) -> list[object]:
    params: list[object] = [team.pk, *_open_statuses(), AgentProfile.Presence.ONLINE]
    if skill_ids:
        params += [sorted(skill_ids), len(skill_ids)]
    return params


def available_agents(team: Team, skill_ids: set[int] | None = None, *, lock: bool = False) -> list[Candidate]:
    """Online agents of `team` holding every required skill and under capacity, with their load (one query; with
    `lock`, after the team's routing lock, in the same round trip). Raw SQL: the ORM built this query anew on every
    create, a sixth of the create's CPU."""
    rows = _candidate_rows(_CANDIDATES_SQL[bool(skill_ids)], _candidate_params(team, skill_ids),
                           lock_team=team.pk if lock else None)
    return [Candidate(user=_user(row), capacity=row[-2], load=row[-1]) for row in rows]


def _least_loaded(candidates: list[Candidate]) -> User:
    return min(candidates, key=lambda pick: (pick.load / max(pick.capacity, 1), pick.load, pick.user.pk)).user


# The candidates, and the team's round-robin pointer moved to the first of them after it (wrapping), in one
# statement. The UPDATE ... RETURNING reads and moves the pointer under the row lock, so concurrent creates never
# hand out the same turn; it runs only when someone is available. The pointer is not audited (excluded from
# history), so no history row is written.
_ROUND_ROBIN_SQL = {
    with_skills: (
        f"WITH candidates AS ({sql}), turn AS ("  # noqa: S608 (the candidates query above, values as parameters)
        "UPDATE tickets_teamsettings SET last_assigned_agent_id = COALESCE("
        "(SELECT min(id) FROM candidates WHERE id > COALESCE(last_assigned_agent_id, 0)), "
        "(SELECT min(id) FROM candidates)) "
        "WHERE team_id = %s AND EXISTS (SELECT 1 FROM candidates) RETURNING last_assigned_agent_id) "
        # Only the chosen agent's row: with no settings row (the strategy read from a stale cache), the first
        # agent, as a new pointer would give.
        "SELECT candidates.* FROM candidates WHERE id = COALESCE("
        "(SELECT last_assigned_agent_id FROM turn), (SELECT min(id) FROM candidates))"
    )
    for with_skills, sql in _CANDIDATES_SQL.items()
}


def _round_robin_pick(team: Team, skill_ids: set[int]) -> User | None:
    """The available agent whose turn it is (lowest id after the last one given a ticket); None if nobody is.
    Takes the team's routing lock first, in the same round trip."""
    rows = _candidate_rows(_ROUND_ROBIN_SQL[bool(skill_ids)], [*_candidate_params(team, skill_ids), team.pk],
                           lock_team=team.pk)
    return _user(rows[0]) if rows else None


def choose_agent(*, team: Team, skill_ids: set[int], region: str) -> User | None:
    """The team strategy's pick, or None to leave the ticket in the team queue."""
    strategy = cached_config.team_strategy(team.pk)
    if strategy == TeamSettings.Strategy.MANUAL:
        return None
    # The team's routing lock goes with the pick's statement, in its round trip.
    if strategy == TeamSettings.Strategy.ROUND_ROBIN:
        return _round_robin_pick(team, skill_ids)
    candidates = available_agents(team, skill_ids, lock=True)
    if not candidates:
        return None
    if strategy == TeamSettings.Strategy.REGION and region:
        local = set(
            AgentRegions.objects.filter(agent_id__in=[pick.user.pk for pick in candidates], regions__contains=[region])
            .values_list("agent_id", flat=True)
        )
        return _least_loaded([pick for pick in candidates if pick.user.pk in local] or candidates)
    return _least_loaded(candidates)


def decision_for(*, channel: str, customer: User) -> Decision:
    """Team and skills the routing rules give this customer's contact on `channel` (live chats use this
    to reach the same people a ticket would)."""
    profile = CustomerProfile.objects.filter(user=customer).first()
    return decide(Ticket(customer=customer, channel=channel), profile)

