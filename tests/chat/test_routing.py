"""Chats waiting for a person go where the tickets routing rules send the chat channel: the rule's
team is set at handoff, and "take next" offers the chat to that team's agents (or anyone, when no
rule names a team)."""

from collections.abc import Callable

import pytest

from chat import services
from chat.errors import ChatError
from profiles.models import CustomerProfile, Team, User
from tests.chat.factories import start_chat
from tests.factories import AgentProfileFactory, TeamFactory
from tickets.models import RoutingRule

pytestmark = pytest.mark.django_db


def agent_of(team: Team) -> User:
    profile = AgentProfileFactory.create()
    profile.teams.add(team)
    return profile.user


def test_the_rule_for_the_chat_channel_picks_the_team_and_only_its_agents_take_next(
    make_user: Callable[..., User],
) -> None:
    chat_team, mail_team = TeamFactory.create(), TeamFactory.create()
    RoutingRule.objects.create(name="邮件", channels=["email"], team=mail_team, position=1)
    RoutingRule.objects.create(name="在线咨询", channels=["chat"], team=chat_team, position=2)
    customer = make_user("customer")
    conversation = services.conversation_handoff(conversation_id=start_chat(customer).pk, customer=customer)
    assert conversation.team == chat_team

    with pytest.raises(ChatError) as refused:
        services.conversation_assign(agent=agent_of(mail_team))
    assert refused.value.code == "not_waiting"
    taken = services.conversation_assign(agent=agent_of(chat_team))
    assert taken.pk == conversation.pk


def test_vip_customers_are_routed_by_their_own_rule(make_user: Callable[..., User]) -> None:
    vip_team, everyone = TeamFactory.create(), TeamFactory.create()
    RoutingRule.objects.create(name="VIP", channels=["chat"], min_vip_level=3, team=vip_team, position=1)
    RoutingRule.objects.create(name="默认", team=everyone, position=2)
    vip, regular = make_user("customer"), make_user("customer")
    CustomerProfile.objects.filter(user=vip).update(vip_level=3)
    assert services.conversation_handoff(conversation_id=start_chat(vip).pk, customer=vip).team == vip_team
    assert services.conversation_handoff(conversation_id=start_chat(regular).pk, customer=regular).team == everyone


def test_without_a_rule_any_agent_takes_the_chat(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    conversation = services.conversation_handoff(conversation_id=start_chat(customer).pk, customer=customer)
    assert conversation.team is None
    assert services.conversation_assign(agent=agent_of(TeamFactory.create())).pk == conversation.pk


def test_vip_and_high_value_customers_are_offered_first_then_the_longest_waiting(
    make_user: Callable[..., User],
) -> None:
    from chat import selectors

    regular, gold, high_value, silver = (make_user("customer") for _n in range(4))
    CustomerProfile.objects.filter(user=gold).update(vip_level=CustomerProfile.VipLevel.GOLD)
    CustomerProfile.objects.filter(user=high_value).update(segment=CustomerProfile.Segment.HIGH_VALUE)
    CustomerProfile.objects.filter(user=silver).update(vip_level=CustomerProfile.VipLevel.SILVER)
    waiting = {customer: services.conversation_handoff(conversation_id=start_chat(customer).pk, customer=customer)
               for customer in (regular, silver, gold, high_value)}  # in this order of arrival

    expected = [waiting[gold].pk, waiting[high_value].pk, waiting[regular].pk, waiting[silver].pk]
    assert [chat.pk for chat in selectors.waiting_queue()] == expected
    assert selectors.queue_positions() == {pk: position for position, pk in enumerate(expected, start=1)}
    assert [selectors.queue_position(waiting[c]) for c in (gold, high_value, regular, silver)] == [1, 2, 3, 4]
    agent = AgentProfileFactory.create().user
    assert services.conversation_assign(agent=agent).pk == waiting[gold].pk
    assert services.conversation_assign(agent=agent).pk == waiting[high_value].pk
    assert services.conversation_assign(agent=agent).pk == waiting[regular].pk
