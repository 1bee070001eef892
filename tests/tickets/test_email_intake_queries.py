"""Database round trips per inbound mail, pinned: intake's throughput (issue 16, ≥ 100 mails/s in one process)
is mostly these. Counted as the IMAP poller runs intake: in the quarantine's transaction, the desk's
configuration read once per poll (config_cache.run_scope) — its cost is not per mail."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import config_cache
from profiles.models import Team, User
from tests.factories import CustomerProfileFactory
from tests.tickets.mails import MAILBOX, bounce_for, png_bytes, raw
from tickets import cached_config
from tickets.channels.email import quarantine
from tickets.channels.email.intake import Received
from tickets.models import EmailMessage, Mailbox, Ticket

pytestmark = pytest.mark.django_db
Outcome = EmailMessage.Outcome

# Each count includes the poll's transaction for the mail: SAVEPOINT and RELEASE here, inside the test's transaction
# (BEGIN and COMMIT in production).
# The Message-ID's and the sender's customer locks (one statement); the Message-ID checked with the sender's rate (one
# statement); the customer looked up with its profile; a new customer (user and history, role group insert, profile
# and history); the ticket (routing lock and agent, then one statement for its number, the ticket and its history,
# its first message and search document: services.opening); the mail's row.
NEW_SENDER_NEW_TICKET = 14
# A known customer: no customer rows; a picture attached (its row: attachments keep no history).
KNOWN_SENDER_NEW_TICKET_WITH_PICTURE = 10
# Locks and check with the rate, as above; an answer on a side conversation? (one look-up); the customer; threading (one
# look-up); the reply: the ticket locked, message, search document, the ticket and its history, nudges (the last
# nudge escalation, the count since); the mail's row.
KNOWN_SENDER_REPLY = 15
# Locks; check (with the rate); the stored row read.
DUPLICATE = 5
# Claim and check; our mail looked for (one light query); the mail's row.
BOUNCE_OF_NOTHING_WE_SENT = 6


@pytest.fixture
def poll(team: Team, make_agent: Callable[..., User]) -> Iterator[Callable[[bytes], tuple[Received, int]]]:
    """Deliver a mail as one IMAP poll would; (what intake returned, its queries). The first delivery warms
    the configuration, as the first mail of a poll does."""
    Mailbox.objects.create(address=MAILBOX, team=team)
    make_agent(capacity=100)

    def deliver(mail: bytes) -> tuple[Received, int]:
        with CaptureQueriesContext(connection) as queries:
            received = quarantine.receive(raw=mail)
        assert isinstance(received, Received), received
        return received, len(queries)

    with config_cache.run_scope():
        deliver(raw(sender="warm@example.com", message_id="<warm@example.com>"))
        cached_config.desk_settings()  # a desk has its settings row (a reply's nudge count reads it, cached)
        yield deliver


def test_a_first_mail_from_a_new_sender(poll: Any) -> None:
    received, queries = poll(raw(sender="新客户 <new.sender@example.com>", subject="还没发货"))
    assert received.email.outcome == Outcome.TICKET and received.email.ticket is not None
    assert queries == NEW_SENDER_NEW_TICKET


def test_a_known_customer_opening_a_ticket_with_a_picture_and_replying(poll: Any) -> None:
    CustomerProfileFactory.create(user__email="li.na@example.com")
    opened, queries = poll(raw(sender="li.na@example.com", message_id="<first@example.com>",
                               attachments=(("截图.png", png_bytes(), "image/png"),)))
    assert opened.email.ticket is not None and opened.email.ticket_message.attachments.count() == 1
    assert queries == KNOWN_SENDER_NEW_TICKET_WITH_PICTURE

    reply, queries = poll(raw(sender="li.na@example.com", subject="Re: 还没发货", in_reply_to="<first@example.com>"))
    assert reply.email.ticket == opened.email.ticket and Ticket.objects.count() == 2
    assert queries == KNOWN_SENDER_REPLY


def test_a_duplicate_and_a_bounce_of_nothing_we_sent(poll: Any) -> None:
    mail = raw(sender="li.na@example.com", message_id="<twice@example.com>")
    poll(mail)
    again, queries = poll(mail)
    assert again.duplicate and queries == DUPLICATE

    bounce, queries = poll(bounce_for("never-sent@shop.example"))
    assert bounce.email.outcome == Outcome.BOUNCE and bounce.email.bounce_of is None
    assert queries == BOUNCE_OF_NOTHING_WE_SENT
