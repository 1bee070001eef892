import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import translation

from profiles.models import CustomerProfile, Team, User
from tests.factories import CustomerProfileFactory, SkillFactory, TeamFactory
from tests.tickets.factories import CategoryFactory
from tickets import routing, services
from tickets.models import AgentRegions, RoutingRule, TeamSettings, Ticket
from tickets.services.tickets import ticket_open


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Assertions below read the English messages; pages default to Chinese.
    with translation.override("en"):
        yield



@pytest.fixture
def vip_customer(db: None) -> User:
    return CustomerProfileFactory.create(vip_level=CustomerProfile.VipLevel.GOLD).user


def test_rule_matches_channel_type_category_and_sets_team_priority(make_ticket: Callable[..., Ticket]) -> None:
    refunds = TeamFactory.create(name="退款组")
    category = CategoryFactory.create(name="退款")
    rule = RoutingRule.objects.create(name="电话退款", channels=["phone"], types=["aftersales"], team=refunds,
                                      set_priority="high")
    rule.categories.add(category)
    routed = make_ticket(team=None, channel="phone", type="aftersales", category=category)
    assert (routed.team, routed.priority) == (refunds, "high")
    assert make_ticket(team=None, channel="web", type="aftersales", category=category).team is None


def test_rule_matches_segment_region_and_vip(make_ticket: Callable[..., Ticket], vip_customer: User,
                                             customer: User) -> None:
    vip_team, south = TeamFactory.create(name="VIP专席"), TeamFactory.create(name="华南组")
    RoutingRule.objects.create(name="VIP", position=1, min_vip_level=2, team=vip_team)
    RoutingRule.objects.create(name="华南", position=2, regions=["广东"], team=south)
    RoutingRule.objects.create(name="企业客户", position=3, customer_tags=["企业"], team=south)
    assert make_ticket(team=None, customer=vip_customer, region="广东").team == vip_team
    assert make_ticket(team=None, region="广东").team == south
    CustomerProfile.objects.filter(user=customer).update(tags=["企业"])
    assert make_ticket(team=None, region="北京").team == south


def test_vip_and_high_value_customers_get_a_priority_boost(make_ticket: Callable[..., Ticket], vip_customer: User,
                                                           customer: User) -> None:
    assert make_ticket(customer=vip_customer).priority == "high"
    assert make_ticket().priority == "normal"
    CustomerProfile.objects.filter(user=customer).update(tags=["高价值"])
    assert make_ticket().priority == "high"
    assert make_ticket(customer=vip_customer, priority="low").priority == "low"  # an explicit choice stands


def test_skill_match_then_least_load(team: Team, make_agent: Callable[..., User],
                                     make_ticket: Callable[..., Ticket]) -> None:
    refund_skill = SkillFactory.create(code="refund")
    RoutingRule.objects.create(name="售后", types=["aftersales"], team=team).required_skills.add(refund_skill)
    busy = make_agent(capacity=5)
    idle = make_agent(capacity=5)
    generalist = make_agent(capacity=5)
    for agent in (busy, idle):
        agent.agent_profile.skills.add(refund_skill)
    make_agent(online=False).agent_profile.skills.add(refund_skill)
    first = make_ticket(type="aftersales", team=None)
    second = make_ticket(type="aftersales", team=None)
    assert {first.assignee, second.assignee} == {busy, idle}
    assert make_ticket(type="aftersales", team=None).assignee in {busy, idle}
    assert not Ticket.objects.filter(assignee=generalist).exists()


def test_agents_at_capacity_or_offline_get_nothing(team: Team, make_agent: Callable[..., User],
                                                   make_ticket: Callable[..., Ticket]) -> None:
    only = make_agent(capacity=1)
    make_agent(online=False)
    assert make_ticket().assignee == only
    assert make_ticket().assignee is None  # stays in the team queue


def test_candidates_carry_loads_below_capacity_from_one_query(
    team: Team, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], customer: User,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    """The load is counted only up to the capacity: a busy agent is left out, the others keep their exact loads,
    and closed tickets or other teams' agents count for nothing."""
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.MANUAL)
    busy, light, idle = make_agent(capacity=2), make_agent(capacity=5), make_agent(capacity=5)
    make_agent(capacity=5, teams=[TeamFactory.create()])
    for agent, open_count in ((busy, 3), (light, 2)):
        for _ in range(open_count):
            Ticket.objects.filter(pk=make_ticket().pk).update(assignee=agent)
    Ticket.objects.filter(pk=make_ticket().pk).update(assignee=idle, status="closed")
    with django_assert_num_queries(1):
        candidates = routing.available_agents(team)
    assert [(pick.user, pick.capacity, pick.load) for pick in candidates] == [(light, 5, 2), (idle, 5, 0)]


def test_round_robin(team: Team, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket]) -> None:
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.ROUND_ROBIN)
    agents = [make_agent(capacity=10) for _ in range(3)]
    assigned = [make_ticket().assignee for _ in range(6)]
    assert assigned == agents + agents


@pytest.mark.parametrize("strategy", [TeamSettings.Strategy.ROUND_ROBIN, TeamSettings.Strategy.SKILL_LOAD])
def test_the_picked_agent_is_the_whole_user_as_the_orm_loads_it(
    team: Team, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], strategy: str,
) -> None:
    """Routing reads candidate rows with a plain cursor: the user it returns has every field, the encrypted ones
    decrypted, and is a saved row (so assigning it needs no second read)."""
    TeamSettings.objects.create(team=team, strategy=strategy)
    agent = make_agent()
    agent.display_name, agent.email, agent.phone = "王芳", "wangfang@example.com", "13800138000"
    agent.save()
    picked = routing.choose_agent(team=team, skill_ids=set(), region="")
    assert picked is not None and not picked._state.adding
    expected = User.objects.get(pk=agent.pk)
    assert [getattr(picked, field.attname) for field in User._meta.concrete_fields] == [
        getattr(expected, field.attname) for field in User._meta.concrete_fields]
    assert (picked.display_name, picked.email, picked.phone) == ("王芳", "wangfang@example.com", "13800138000")


def test_round_robin_skips_full_and_unskilled_agents_and_wraps(
    team: Team, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket],
) -> None:
    """The turn walks the team in id order from the pointer: an agent at capacity, offline or without the rule's
    skills is passed over, the walk wraps to the start, and with nobody available the ticket stays queued (and the
    pointer stays where it was)."""
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.ROUND_ROBIN)
    refund_skill = SkillFactory.create(code="refund")
    RoutingRule.objects.create(name="售后", types=["aftersales"], team=team).required_skills.add(refund_skill)
    first, full = make_agent(capacity=3), make_agent(capacity=1)
    make_agent(capacity=3)  # without the skill
    last = make_agent(capacity=3)
    make_agent(online=False).agent_profile.skills.add(refund_skill)
    for agent in (first, full, last):
        agent.agent_profile.skills.add(refund_skill)
    Ticket.objects.filter(pk=make_ticket(team=None, type="aftersales").pk).update(assignee=full)
    TeamSettings.objects.filter(team=team).update(last_assigned_agent=first)
    picks = [make_ticket(team=None, type="aftersales").assignee for _ in range(6)]
    assert picks == [last, first, last, first, last, first]  # three each: both full now
    assert make_ticket(team=None, type="aftersales").assignee is None
    assert TeamSettings.objects.get(team=team).last_assigned_agent == first


def test_region_affinity(team: Team, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket]) -> None:
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.REGION)
    make_agent()
    cantonese = make_agent()
    AgentRegions.objects.create(agent=cantonese, regions=["广东", "广西"])
    assert make_ticket(region="广东").assignee == cantonese
    assert make_ticket(region="广东").assignee == cantonese
    assert make_ticket(region="四川").assignee != cantonese  # least load wins without a local agent


def test_manual_strategy_leaves_queue(team: Team, make_agent: Callable[..., User],
                                      make_ticket: Callable[..., Ticket]) -> None:
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.MANUAL)
    make_agent()
    assert make_ticket().assignee is None


def test_assign_refuses_offline_or_full_agent_unless_supervisor_forces(
    team: Team, make_agent: Callable[..., User], make_ticket: Callable[..., Ticket], supervisor: User
) -> None:
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.MANUAL)
    agent = make_agent()
    offline = make_agent(online=False)
    full = make_agent(capacity=1)
    services.ticket_assign(ticket=make_ticket(), assignee=full, actor=agent)
    ticket = make_ticket()
    with pytest.raises(services.AgentUnavailable, match="not online"):
        services.ticket_assign(ticket=ticket, assignee=offline, actor=agent)
    with pytest.raises(services.AgentUnavailable, match="capacity"):
        services.ticket_assign(ticket=ticket, assignee=full, actor=agent)
    with pytest.raises(services.NotAllowed):
        services.ticket_assign(ticket=ticket, assignee=offline, actor=agent, force=True)
    assert services.ticket_assign(ticket=ticket, assignee=offline, actor=supervisor, force=True).assignee == offline
    assert ticket.history.latest().history_change_reason == "forced assignment"


def test_transfer_to_team_with_reason(team: Team, make_agent: Callable[..., User],
                                      make_ticket: Callable[..., Ticket]) -> None:
    agent = make_agent()
    logistics = TeamFactory.create(name="物流组")
    ticket = make_ticket()
    with pytest.raises(services.ValidationError):
        services.ticket_transfer(ticket=ticket, actor=agent, reason="  ", to_team=logistics)
    moved = services.ticket_transfer(ticket=ticket, actor=agent, reason="物流问题", to_team=logistics)
    assert (moved.team, moved.assignee) == (logistics, None)
    assert moved.messages.filter(kind="note", body__contains="物流问题").exists()


@pytest.mark.django_db(transaction=True)
def test_two_agents_never_take_the_same_ticket(team: Team, make_agent: Callable[..., User],
                                               make_ticket: Callable[..., Ticket]) -> None:
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.MANUAL)
    tickets = [make_ticket() for _ in range(5)]
    agents = [make_agent() for _ in range(8)]
    taken: list[int] = []
    barrier = threading.Barrier(len(agents))

    def take(agent: User) -> None:
        try:
            barrier.wait()
            ticket = services.ticket_take_next(agent=agent)
            if ticket is not None:
                taken.append(ticket.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ticket.pk for ticket in tickets)
    assert Ticket.objects.filter(assignee__isnull=False).count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_pick_from_list_one_wins(team: Team, make_agent: Callable[..., User],
                                            make_ticket: Callable[..., Ticket]) -> None:
    TeamSettings.objects.create(team=team, strategy=TeamSettings.Strategy.MANUAL)
    ticket = make_ticket()
    agents = [make_agent() for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(agents))

    def pick(agent: User) -> None:
        try:
            barrier.wait()
            services.ticket_pick(ticket=ticket, agent=agent)
            outcomes.append("won")
        except services.TicketTaken:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=pick, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["taken", "taken", "taken", "won"]


@pytest.mark.parametrize("strategy", [TeamSettings.Strategy.ROUND_ROBIN, TeamSettings.Strategy.SKILL_LOAD])
def test_the_team_lock_and_the_pick_go_to_the_server_in_one_round_trip(
    strategy: str, team: Team, make_agent: Callable[..., User], customer: User
) -> None:
    """Two statements (the candidates' snapshot is taken once the lock is held), one round trip (psycopg's
    pipeline mode), and the lock is held until the transaction ends."""
    agent = make_agent()
    TeamSettings.objects.create(team=team, strategy=strategy)
    sent: list[tuple[str, bool]] = []

    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, connection.connection.pgconn.pipeline_status != 0))
        return execute(sql, params, many, context)

    with transaction.atomic():
        with connection.execute_wrapper(watch):
            opened = ticket_open(customer=customer, subject="锁", body="一次往返", team=team)
        with connection.cursor() as cursor:
            cursor.execute("SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                           "AND pid = pg_backend_pid()", [routing.ROUTING_LOCK_NAMESPACE])
            assert cursor.fetchall() == [(team.pk,)]
    assert opened.ticket.assignee_id == agent.pk
    locks = [n for n, (sql, _pipelined) in enumerate(sent) if "pg_advisory_xact_lock" in sql]
    assert len(locks) == 1
    lock, pick = sent[locks[0]], sent[locks[0] + 1]
    assert "candidates" in pick[0].lower() or "agent_load" in pick[0]
    assert lock[1] and pick[1]
