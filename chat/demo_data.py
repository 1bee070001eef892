# ruff: noqa: RUF001  (Chinese demo chat is written with full-width punctuation, as customers type it)
"""Demo conversations for `manage.py seed_demo`: one finished and rated, one in progress, two waiting.

Built through the services, so sequences, read pointers, history and queue positions are real. A
customer who already has a conversation is left alone, which makes a second run create nothing.
"""

from datetime import datetime
from typing import NamedTuple

from django.utils import timezone

from chat import services
from chat.models import Conversation
from core import business_hours as calendar_math
from profiles.models import User
from tickets import business_hours
from tickets.models import Channel


class DemoChat(NamedTuple):
    customer: str
    agent: str | None  # None: left waiting in the queue
    lines: tuple[tuple[str, str], ...]  # ("customer" | "agent", text) after the handoff
    opening: str = "转人工"
    rating: int | None = None  # set: the agent ends the chat and the customer rates it
    comment: str = ""


CHATS = [
    DemoChat(
        customer="customer1", agent="agent1", rating=5, comment="处理很快，态度很好",
        lines=(
            ("customer", "你好，我上周买的米果蓝牙耳机左耳没有声音"),
            ("agent", "您好，很抱歉给您带来不便。请问订单号是多少？"),
            ("customer", "订单号 202611150023"),
            ("agent", "已查到订单，耳机还在 7 天无理由期内，可以直接申请换货，我这边帮您登记。"),
            ("customer", "好的，谢谢！"),
        ),
    ),
    DemoChat(
        customer="customer2", agent="agent2",
        lines=(
            ("customer", "我的快递到哪了？三天没更新了"),
            ("agent", "您好，我帮您查一下物流。"),
            ("agent", "包裹目前在杭州转运中心，预计明天送达，请您留意电话。"),
            ("customer", "好的，那我明天等着 😊"),
        ),
    ),
    DemoChat(customer="customer3", agent=None, opening="我要投诉，收到的连衣裙和描述不符", lines=()),
    DemoChat(customer="customer4", agent=None, opening="人工客服", lines=(("customer", "想咨询一下发票怎么开"),)),
]


def _an_open_moment() -> datetime:
    """The demo's customers asked for a person while the chat desk was open, whatever the hour seed_demo runs at
    (out of hours the assistant would offer the leave-a-message form instead, and nobody would be waiting)."""
    now = timezone.now()
    calendar = business_hours.desk_calendar(channel=Channel.CHAT)
    if calendar is None or calendar_math.is_open_at(calendar, now):
        return now
    return calendar_math.next_opening(calendar, now) or now  # a calendar that never opens: nobody is queued


def seed() -> int:
    """Create the demo chats that do not exist yet; returns how many were created."""
    created = 0
    open_moment = _an_open_moment()
    for chat in CHATS:
        customer = User.objects.filter(username=chat.customer).first()
        agent = User.objects.filter(username=chat.agent).first() if chat.agent else None
        if customer is None or (chat.agent and agent is None):
            continue
        if Conversation.objects.filter(customer=customer).exists():
            continue
        conversation, _ = services.conversation_start(customer=customer)
        services.message_send(conversation_id=conversation.pk, author=customer, body=chat.opening, now=open_moment)
        if agent is not None:
            services.conversation_assign(agent=agent, conversation_id=conversation.pk)
        for speaker, text in chat.lines:
            author = customer if speaker == "customer" else agent
            assert author is not None
            services.message_send(conversation_id=conversation.pk, author=author, body=text)
        if chat.rating is not None and agent is not None:
            services.conversation_end(conversation_id=conversation.pk, user=agent)
            services.conversation_rate(
                conversation_id=conversation.pk, customer=customer, rating=chat.rating, comment=chat.comment
            )
        created += 1
    return created
