"""The VIP / high-value badge in the agent console (/desk/chats/): on the open chats, the waiting
queue and the selected chat's header, without a query per chat."""

from collections.abc import Callable
from typing import Any

import pytest

from profiles.models import AgentProfile, CustomerProfile, User
from tests.chat.factories import chat_with_agent, say, start_chat
from tests.clients import logged_in
from tests.pages.conftest import page_text

pytestmark = pytest.mark.django_db

CONSOLE = "/desk/chats/"
GOLD_BADGE = '<span class="badge badge--vip vip-badge" data-vip="2" title="会员等级">黄金会员</span>'


def with_level(user: User, level: int, segment: str = "") -> User:
    CustomerProfile.objects.filter(user=user).update(vip_level=level, segment=segment)
    return user


def test_console_badges_vip_chats_the_queue_and_the_selected_header(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    mine = chat_with_agent(with_level(make_user("customer"), CustomerProfile.VipLevel.GOLD), agent)
    waiting = start_chat(with_level(make_user("customer"), CustomerProfile.VipLevel.REGULAR, "high_value"))
    say(waiting, waiting.customer, "人工")
    regular = start_chat(with_level(make_user("customer"), CustomerProfile.VipLevel.REGULAR))
    say(regular, regular.customer, "人工")

    html = page_text(logged_in(agent).get(f"{CONSOLE}?c={mine.pk}"))

    my_chats = html.split('id="my-chats"', 1)[1].split("</ul>", 1)[0]
    queue = html.split('id="queue"', 1)[1].split("</ul>", 1)[0]
    assert GOLD_BADGE in my_chats
    assert '<span class="badge badge--vip vip-badge" data-vip="high_value">高价值客户</span>' in queue
    assert queue.count("vip-badge") == 1  # the regular customer waiting has none
    assert f"<h2><bdi>{mine.customer}</bdi>{GOLD_BADGE}</h2>" in html


def test_console_query_count_does_not_grow_with_vip_chats(
    make_user: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    agent = make_user("agent")
    AgentProfile.objects.filter(user=agent).update(capacity=20)
    chat_with_agent(with_level(make_user("customer"), 1), agent)
    client = logged_in(agent)
    client.get(CONSOLE)
    with django_assert_max_num_queries(30) as before:
        client.get(CONSOLE)
    for level in range(1, 5):
        chat_with_agent(with_level(make_user("customer"), level), agent)
        waiting = start_chat(with_level(make_user("customer"), level))
        say(waiting, waiting.customer, "人工")
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(CONSOLE)
    assert page_text(response).count("vip-badge") == 1 + 4 + 4 + 1  # chats, queue, the selected header
