"""Automatic chat assignment (chat/routing.py): team, skills, capacity, the team's strategy, and no races.
The customer's queue position comes with a wait estimate."""

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from chat import selectors, services
from chat.models import ChatTeamSettings, Conversation
from core.models import OutboxMessage
from profiles import presence
from profiles import services as profile_services
from profiles.models import AgentProfile, Skill, Team, User
from tests.chat.factories import start_chat
from tests.clients import logged_in
from tests.factories import AgentProfileFactory, SkillFactory, TeamFactory
from tickets.models import RoutingRule

pytestmark = pytest.mark.django_db

ONLINE = AgentProfile.Presence.ONLINE


def online_agent(team: Team | None = None, *, capacity: int = 3, skills: tuple[Skill, ...] = (),
                 presence_state: str = ONLINE) -> User:
    profile = AgentProfileFactory.create(presence=presence_state, capacity=capacity)
    if team is not None:
        profile.teams.add(team)
    profile.skills.add(*skills)
    return profile.user


def hand_off(customer: User) -> Conversation:
    return services.conversation_handoff(conversation_id=start_chat(customer).pk, customer=customer)


@pytest.fixture
def team() -> Team:
    team = TeamFactory.create(name="在线客服组")
    RoutingRule.objects.create(name="在线咨询", channels=["chat"], team=team, position=1)
    return team


def test_a_hand_off_goes_at_once_to_the_least_busy_online_agent_of_the_team(
    make_user: Callable[..., User], team: Team
) -> None:
    busy_one, free_one = online_agent(team), online_agent(team)
    online_agent(TeamFactory.create())  # another team's agent is never picked
    online_agent(team, presence_state=AgentProfile.Presence.AWAY)
    online_agent(team, presence_state=AgentProfile.Presence.BUSY)
    hand_off(make_user("customer"))  # the lowest id goes first on a tie
    assert Conversation.objects.get(agent=busy_one).status == "active"

    conversation = hand_off(make_user("customer"))

    assert (conversation.status, conversation.agent_id) == ("active", free_one.pk)
    lines = list(conversation.messages.order_by("seq").values_list("body", flat=True))
    assert f"{free_one} 为您服务" in lines[-1]
    assert not any("排队" in line for line in lines)


def test_skills_required_by_the_rule_and_capacity_decide_who_can_take_it(make_user: Callable[..., User]) -> None:
    team, english = TeamFactory.create(), SkillFactory.create(code="english", name="英语")
    rule = RoutingRule.objects.create(name="英文", channels=["chat"], team=team, position=1)
    rule.required_skills.add(english)
    online_agent(team)  # no English
    speaker = online_agent(team, capacity=1, skills=(english,))

    first, second = hand_off(make_user("customer")), hand_off(make_user("customer"))

    assert (first.agent_id, first.skill_ids) == (speaker.pk, [english.pk])
    assert (second.status, second.agent_id) == ("waiting", None)  # the only speaker is full
    services.conversation_end(conversation_id=first.pk, user=speaker)
    assert OutboxMessage.objects.filter(task_name="chat.tasks.assign_waiting").exists()
    assert services.assign_waiting() == 1
    second.refresh_from_db()
    assert (second.status, second.agent_id) == ("active", speaker.pk)


def test_round_robin_takes_turns_and_manual_teams_wait_for_an_agent_to_pick(
    make_user: Callable[..., User], team: Team
) -> None:
    settings_row = ChatTeamSettings.objects.create(team=team, strategy=ChatTeamSettings.Strategy.ROUND_ROBIN)
    first, second = online_agent(team, capacity=5), online_agent(team, capacity=5)
    picked = [hand_off(make_user("customer")).agent_id for _ in range(3)]
    assert picked == [first.pk, second.pk, first.pk]

    settings_row.strategy = ChatTeamSettings.Strategy.MANUAL
    settings_row.save()
    waiting = hand_off(make_user("customer"))
    assert (waiting.status, waiting.agent_id) == ("waiting", None)
    assert services.assign_waiting() == 0
    assert services.conversation_assign(agent=second).pk == waiting.pk


def test_an_agent_coming_online_gets_the_waiting_chats(
    make_user: Callable[..., User], team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    waiting = hand_off(make_user("customer"))
    assert waiting.status == "waiting"
    agent = online_agent(team, presence_state=AgentProfile.Presence.OFFLINE)

    with django_capture_on_commit_callbacks(execute=True):
        presence.presence_tab_open(user=agent, tab="desk")

    assert OutboxMessage.objects.filter(task_name="chat.tasks.assign_waiting").exists()
    assert services.assign_waiting() == 1
    waiting.refresh_from_db()
    assert waiting.agent_id == agent.pk


def test_queue_position_comes_with_a_wait_estimate_learnt_from_recent_waits(make_user: Callable[..., User]) -> None:
    first, second = hand_off(make_user("customer")), hand_off(make_user("customer"))
    assert [selectors.queue_position(first), selectors.queue_position(second)] == [1, 2]
    # Nothing assigned yet: the configured two minutes a place.
    assert selectors.estimated_wait_seconds(2) == 2 * 120

    now = timezone.now()
    for wait in (180, 300):  # two chats taken after three and five minutes
        Conversation.objects.create(customer=make_user("customer"), status="ended",
                                    waiting_since=now - timedelta(seconds=wait + 60),
                                    assigned_at=now - timedelta(seconds=60), ended_at=now)

    assert selectors.seconds_per_place() == pytest.approx(240)
    assert selectors.estimated_wait_seconds(2) == 8 * 60
    assert selectors.estimated_wait_seconds(None) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_hand_offs_never_overfill_an_agent(make_user: Callable[..., User]) -> None:
    team = TeamFactory.create()
    RoutingRule.objects.create(name="在线咨询", channels=["chat"], team=team, position=1)
    agent = online_agent(team, capacity=1)
    customers = [make_user("customer") for _ in range(4)]
    chats = [start_chat(customer) for customer in customers]
    barrier = threading.Barrier(len(chats))
    failures: list[BaseException] = []

    def hand(conversation: Conversation, customer: User) -> None:
        try:
            barrier.wait(timeout=10)
            services.conversation_handoff(conversation_id=conversation.pk, customer=customer)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hand, args=pair) for pair in zip(chats, customers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    statuses = sorted(Conversation.objects.filter(pk__in=[c.pk for c in chats]).values_list("status", flat=True))
    assert statuses == ["active", "waiting", "waiting", "waiting"]
    assert Conversation.objects.filter(agent=agent, status="active").count() == 1


def _busy(team: Team, make_user: Callable[..., User]) -> tuple[User, Conversation]:
    """The team's only agent, full with one chat, and a second chat waiting for them."""
    agent = online_agent(team, capacity=1)
    hand_off(make_user("customer"))
    waiting = hand_off(make_user("customer"))
    assert (waiting.status, waiting.agent_id) == ("waiting", None)
    return agent, waiting


def test_raising_an_agents_capacity_hands_them_waiting_chats_through_the_outbox(
    make_user: Callable[..., User], team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    agent, waiting = _busy(team, make_user)
    OutboxMessage.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        profile_services.agent_profile_set(user=agent, skills=[], teams=[team], capacity=2)

    assert OutboxMessage.objects.filter(task_name="chat.tasks.assign_waiting").count() == 1
    waiting.refresh_from_db()
    assert waiting.status == "waiting"  # not inline: the task assigns it
    assert services.assign_waiting() == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.agent_id) == ("active", agent.pk)

    # Lowering it (or saving it unchanged) asks for nothing.
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        profile_services.agent_profile_set(user=agent, skills=[], teams=[team], capacity=2)
        profile_services.agent_profile_set(user=agent, skills=[], teams=[team], capacity=1)
    assert not OutboxMessage.objects.filter(task_name="chat.tasks.assign_waiting").exists()


def test_a_supervisor_raising_capacity_in_admin_queues_the_assignment(
    make_user: Callable[..., User], team: Team, django_capture_on_commit_callbacks: Any
) -> None:
    agent, waiting = _busy(team, make_user)
    OutboxMessage.objects.all().delete()
    supervisor = make_user("supervisor", is_staff=True)
    profile = AgentProfile.objects.get(user=agent)
    form = {"user": agent.pk, "teams": [team.pk], "capacity": 4, "presence": profile.presence,
            "chosen_presence": profile.chosen_presence}

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(supervisor).post(f"/admin/profiles/agentprofile/{profile.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert AgentProfile.objects.get(user=agent).capacity == 4
    waiting.refresh_from_db()
    assert waiting.status == "waiting"  # the admin request only queued the task
    assert OutboxMessage.objects.filter(task_name="chat.tasks.assign_waiting").count() == 1
    assert services.assign_waiting() == 1
