import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation

from core import events
from profiles.models import Team, User
from tests.tickets.factories import CategoryFactory
from tickets import services
from tickets.models import (
    KeywordRule,
    Status,
    Ticket,
    TicketAttachment,
    TicketCounter,
    TicketMessage,
    TicketSearch,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Assertions below read the English messages; pages default to Chinese.
    with translation.override("en"):
        yield



def test_number_is_shanghai_date_and_daily_sequence(make_ticket: Callable[..., Ticket]) -> None:
    # 2026-11-22 17:00 UTC is already 23 November in Shanghai.
    first = make_ticket(now=datetime(2026, 11, 22, 17, 0, tzinfo=UTC))
    second = make_ticket(now=datetime(2026, 11, 22, 18, 0, tzinfo=UTC))
    other_day = make_ticket(now=datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    assert (first.number, second.number) == ("T2026112300001", "T2026112300002")
    assert other_day.number == "T2026112200001"


def test_the_sequence_grows_past_five_digits(make_ticket: Callable[..., Ticket]) -> None:
    TicketCounter.objects.create(day=date(2026, 11, 23), last=99999)
    ticket = make_ticket(now=datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    assert ticket.number == "T20261123100000"


def test_the_rows_written_in_one_statement_are_what_saving_them_writes(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]
) -> None:
    """services.opening writes the ticket, its first history row, its message and its search document at once:
    the objects handed back equal the rows, and the history row is simple-history's for a save."""
    agent = make_agent()
    ticket = make_ticket(created_by=agent, channel="phone", source="agent", tags=["物流", "加急"],
                         order_number="DD2026")
    stored = Ticket.objects.get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        assert getattr(ticket, field.attname) == getattr(stored, field.attname), field.name
    assert not ticket._state.adding
    record = ticket.history.get()
    assert (record.history_type, record.history_change_reason, record.history_user) == ("+", "created", agent)
    for field in type(record).tracked_fields:
        assert getattr(record, field.attname) == getattr(stored, field.attname), field.name
    message = TicketMessage.objects.get(ticket=ticket)
    assert (message.author_id, message.from_customer, message.kind) == (ticket.customer_id, True, "reply")
    assert ticket.messages.get() == message
    document = TicketSearch.objects.get(ticket=ticket)
    assert "物流" in str(document.head) and "发货" in str(document.replies) and str(document.notes) == ""


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_gets_distinct_numbers(customer: User, team: Team) -> None:
    numbers: list[str] = []

    def create() -> None:
        try:
            numbers.append(services.ticket_create(customer=customer, subject="并发", body="并发创建", team=team).number)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(numbers) == 6 and len(set(numbers)) == 6
    assert all(re.fullmatch(r"T\d{8}\d{5}", number) for number in numbers)


def test_create_writes_first_message_and_event_after_commit(
    make_ticket: Callable[..., Ticket], django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[events.DomainEvent] = []
    events.subscribe("ticket.created", heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            ticket = make_ticket(order_number="DD20261122001")
        assert heard == []
        for callback in callbacks:
            callback()
    finally:
        events.unsubscribe("ticket.created", heard.append)
    assert heard[0].payload["ticket_id"] == ticket.pk
    assert heard[0].payload["number"] == ticket.number
    assert set(heard[0].payload) >= {"team_id", "assignee_id", "customer_id"}
    message = ticket.messages.get()
    assert message.from_customer and message.author_id == ticket.customer_id
    assert ticket.status == Status.NEW and ticket.order_number == "DD20261122001"


def test_keyword_rules_fill_type_category_priority(make_ticket: Callable[..., Ticket]) -> None:
    refund = CategoryFactory.create(name="退款")
    KeywordRule.objects.create(name="退款投诉", keywords=["投诉", "退款"], set_type="complaint", set_category=refund,
                               set_priority="high")
    ticket = make_ticket(subject="我要投诉", body="退款一直不到账")
    assert (ticket.type, ticket.category, ticket.priority) == ("complaint", refund, "high")
    chosen = make_ticket(subject="我要投诉", body="退款一直不到账", type="suggestion", priority="low")
    assert (chosen.type, chosen.category, chosen.priority) == ("suggestion", refund, "low")
    plain = make_ticket(subject="发票", body="怎么开发票")
    assert (plain.type, plain.category, plain.priority) == ("inquiry", None, "normal")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"body": ""}, "body"),
        ({"subject": "x" * 201}, "subject"),
        ({"channel": "fax"}, "channel"),
        ({"priority": "asap"}, "priority"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(make_ticket: Callable[..., Ticket], kwargs: dict[str, Any],
                                                       field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_ticket(**kwargs)
    assert field in caught.value.message_dict
    assert not Ticket.objects.exists() and not TicketMessage.objects.exists()


def test_attachments_checked_by_content_and_size(make_ticket: Callable[..., Ticket], settings: Any) -> None:
    png = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, content_type="image/png")
    ticket = make_ticket(uploads=[png])
    attachment = TicketAttachment.objects.get(message__ticket=ticket)
    assert attachment.content_type == "image/png" and attachment.size == 28
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00\x03binary", content_type="image/png")
    with pytest.raises(ValidationError, match="not an image"):
        make_ticket(uploads=[fake])
    settings.TICKETS_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("notes.txt", b"x" * 11, content_type="text/plain")
    with pytest.raises(ValidationError, match="larger"):
        make_ticket(uploads=[big])
    assert Ticket.objects.count() == 1 and TicketAttachment.objects.count() == 1


def test_agent_creates_on_behalf_customer_cannot_for_others(make_ticket: Callable[..., Ticket],
                                                            make_agent: Callable[..., User],
                                                            make_user: Callable[..., User]) -> None:
    agent = make_agent()
    ticket = make_ticket(created_by=agent, channel="phone", source="agent")
    assert ticket.history.earliest().history_user == agent
    with pytest.raises(services.NotAllowed):
        make_ticket(created_by=make_user("customer"))
