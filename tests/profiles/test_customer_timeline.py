# ruff: noqa: RUF001  (the Chinese translations use full-width punctuation)
"""The customer-360 timeline: one list across tickets, their messages, phone calls, e-mails, chats, orders
and after-sales requests, newest first, paged by keyset; and the desk page that shows it."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Order
from aftersales.services import setup as aftersales_setup
from chat.models import Conversation
from core.customer_timeline import Cursor, timeline_page
from profiles.models import AuditEntry, User
from tests.aftersales.factories import apply, make_order
from tests.chat.factories import start_chat
from tests.clients import logged_in
from tickets import services as ticket_services
from tickets.models import CallRecord, Channel, EmailMessage, Ticket, TicketMessage

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.get_default_timezone())


def _mail(ticket: Ticket | None, direction: str, subject: str, **extra: Any) -> EmailMessage:
    return EmailMessage.objects.create(direction=direction, outcome="ticket" if direction == "in" else "sent",
                                       message_id=f"{subject}-{direction}@example.com", ticket=ticket,
                                       subject=subject, counterpart="buyer@example.com", raw=b"", **extra)


def _history(customer: User, agent: User) -> dict[str, datetime]:
    """One row of every source, each moved to a known instant; returns kind:pk → when."""
    aftersales_setup.reference_data_ensure()
    ticket = ticket_services.ticket_create(customer=customer, subject="快递没到", body="三天没更新")
    reply = ticket_services.ticket_reply(ticket=ticket, author=agent, body="已催促快递")
    order = make_order(customer=customer)
    request = apply(order)
    conversation = start_chat(customer)
    first_message = ticket.messages.order_by("pk").first()
    assert first_message is not None
    call = CallRecord.objects.create(call_id="CALL-T1", ticket=ticket, started_at=T0 + timedelta(hours=2),
                                     ended_at=T0 + timedelta(hours=2, seconds=245), ivr_path=["1 售后", "2 退款"])
    mail_in = _mail(ticket, "in", "快递单号查询")
    mail_out = _mail(ticket, "out", "回复：快递单号查询", bounced_at=T0 + timedelta(hours=3, minutes=1))
    _mail(None, "in", "自动回复")  # mail on no ticket belongs to no customer
    when = {
        f"order:{order.pk}": T0,
        f"ticket:{ticket.pk}": T0 + timedelta(hours=1),
        f"ticket_message:{first_message.pk}": T0 + timedelta(hours=1),  # the same instant as the ticket
        f"chat:{conversation.pk}": T0 + timedelta(hours=2),
        f"call:{call.pk}": T0 + timedelta(hours=2),  # the same instant as the chat
        f"email:{mail_in.pk}": T0 + timedelta(minutes=30),
        f"email:{mail_out.pk}": T0 + timedelta(hours=3),  # the same instant as the reply
        f"ticket_message:{reply.pk}": T0 + timedelta(hours=3),
    }
    Order.objects.filter(pk=order.pk).update(created_at=T0)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=T0 + timedelta(hours=1))
    TicketMessage.objects.filter(pk=first_message.pk).update(created_at=T0 + timedelta(hours=1))
    Conversation.objects.filter(pk=conversation.pk).update(started_at=T0 + timedelta(hours=2))
    TicketMessage.objects.filter(pk=reply.pk).update(created_at=T0 + timedelta(hours=3))
    EmailMessage.objects.filter(pk=mail_in.pk).update(created_at=T0 + timedelta(minutes=30))
    EmailMessage.objects.filter(pk=mail_out.pk).update(created_at=T0 + timedelta(hours=3))
    # The after-sales ticket the request opened keeps its real (later) time: newer than everything above.
    for ticket_row in Ticket.objects.filter(customer=customer).exclude(pk=ticket.pk):
        when[f"ticket:{ticket_row.pk}"] = ticket_row.created_at
        for message in ticket_row.messages.all():
            when[f"ticket_message:{message.pk}"] = message.created_at
    when[f"aftersales_request:{request.pk}"] = AfterSalesRequest.objects.get(pk=request.pk).created_at
    return when


def test_timeline_merges_every_source_newest_first(make_user: Callable[..., User]) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    when = _history(customer, agent)
    other_ticket = ticket_services.ticket_create(customer=make_user("customer"), subject="别人的", body="x")
    make_order(customer=other_ticket.customer)  # someone else's rows never show
    CallRecord.objects.create(call_id="CALL-OTHER", ticket=other_ticket, started_at=T0)
    _mail(other_ticket, "in", "别人的信")

    entries = timeline_page(customer.pk, limit=100).entries

    keys = [f"{entry.kind}:{entry.pk}" for entry in entries]
    assert set(keys) == set(when)
    expected = sorted(when, key=lambda key: (when[key], key.split(":")[0], int(key.split(":")[1])), reverse=True)
    assert keys == expected
    # Oldest last: the chat and the call at the same instant ("chat" sorts before "call" descending), the
    # ticket and its first message at the same instant, the inbound mail, then the order.
    assert [entry.kind for entry in entries[-6:]] == ["chat", "call", "ticket_message", "ticket", "email", "order"]
    assert {entry.kind for entry in entries} == {"ticket", "ticket_message", "chat", "order", "aftersales_request",
                                                 "call", "email"}
    ticket_entry = next(entry for entry in entries if entry.kind == "ticket" and "快递没到" in entry.title)
    assert str(ticket_entry.channel) == str(Channel.WEB.label)
    by_kind = {(entry.kind, entry.title): entry for entry in entries}
    call = next(entry for entry in entries if entry.kind == "call")
    assert call.summary == "呼入电话，时长 4:05。IVR：1 售后 > 2 退款。"
    assert call.url == f"/desk/tickets/{ticket_entry.pk}/" and str(call.channel) == str(Channel.PHONE.label)
    bounced = by_kind["email", "回复：快递单号查询"]
    assert bounced.summary == "发出，已退信" and by_kind["email", "快递单号查询"].summary == "收到"
    assert bounced.url == call.url


def test_keyset_pages_cover_everything_once_even_across_ties(make_user: Callable[..., User]) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    when = _history(customer, agent)
    seen: list[str] = []
    before: Cursor | None = None
    for _page in range(20):
        page = timeline_page(customer.pk, before=before, limit=2)
        assert len(page.entries) <= 2
        seen.extend(f"{entry.kind}:{entry.pk}" for entry in page.entries)
        if page.older is None:
            break
        before = Cursor.decode(page.older.encode())
    assert len(seen) == len(set(seen)) == len(when)
    assert seen == [f"{entry.kind}:{entry.pk}" for entry in timeline_page(customer.pk, limit=100).entries]


def test_cursor_decode_refuses_what_is_not_a_cursor() -> None:
    cursor = Cursor(when=T0, kind="ticket", pk=7)
    assert Cursor.decode(cursor.encode()) == cursor
    for junk in ("", "x", "2026-11-01T09:00:00~ticket~7", "nope~ticket~7", "2026-11-01T09:00:00+08:00~ticket~x"):
        assert Cursor.decode(junk) is None


def test_desk_page_shows_the_timeline_masks_pii_and_pages_older(make_user: Callable[..., User]) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    _history(customer, agent)
    page = logged_in(agent).get(f"/desk/customers/{customer.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "快递没到" in html and "已催促快递" in html
    assert "呼入电话，时长 4:05。IVR：1 售后 &gt; 2 退款。" in html
    assert "回复：快递单号查询" in html and "发出，已退信" in html
    assert customer.phone not in html and customer.phone[-4:] in html  # masked: 138****0001
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PII_VIEWED).exists()
    assert logged_in(agent).get(f"/desk/customers/{customer.pk}/?before=garbage").status_code == 200


def test_supervisor_sees_pii_in_clear_and_it_is_audited(make_user: Callable[..., User]) -> None:
    customer, supervisor = make_user("customer"), make_user("supervisor")
    html = logged_in(supervisor).get(f"/desk/customers/{customer.pk}/").content.decode()
    assert customer.phone in html
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PII_VIEWED)
    assert entry.actor == supervisor and entry.detail == {"customer": customer.pk}


def test_desk_page_query_count_does_not_grow_with_history(make_user: Callable[..., User],
                                                        django_assert_max_num_queries: Any) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    client = logged_in(agent)
    _history(customer, agent)
    for extra in range(5):
        ticket = ticket_services.ticket_create(customer=customer, subject="再问一次", body="还是没到")
        ticket_services.ticket_reply(ticket=ticket, author=agent, body="稍等")
        CallRecord.objects.create(call_id=f"CALL-X{extra}", ticket=ticket, started_at=timezone.now())
        _mail(ticket, "in", f"再问一次 {extra}")
    # Two queries per provider (tickets + messages, calls + mails), whatever the history's size.
    with django_assert_max_num_queries(13):
        assert client.get(f"/desk/customers/{customer.pk}/").status_code == 200


@pytest.mark.parametrize(("role", "expected"), [
    ("customer", 403), ("merchant_staff", 403), ("integrator", 403),
    ("agent", 200), ("supervisor", 200), ("qa", 200), ("admin", 200),
])
def test_customer_page_permissions(make_user: Callable[..., User], role: str, expected: int) -> None:
    customer = make_user("customer")
    assert logged_in(make_user(role)).get(f"/desk/customers/{customer.pk}/").status_code == expected


def test_customer_page_refuses_anonymous_and_hides_staff(make_user: Callable[..., User]) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    assert Client().get(f"/desk/customers/{customer.pk}/").status_code == 302
    assert logged_in(agent).get(f"/desk/customers/{agent.pk}/").status_code == 404
