"""No mail is lost: what intake cannot store is quarantined with its reason, the poll goes on, and a
supervisor's retry turns it into a ticket. IMAP tests run against the real Dovecot of mailservers.py."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from core import quarantine
from core.models import QuarantinedMessage
from profiles.models import User
from tests.tickets.mails import MAILBOX, raw
from tests.tickets.mailservers import ImapServer
from tickets.channels.email import imap
from tickets.channels.email import quarantine as email_quarantine
from tickets.channels.email.intake import Received
from tickets.models import EmailMessage, Mailbox, Ticket

pytestmark = pytest.mark.django_db


def poison(message_id: str = "<poison@example.com>", depth: int = 500) -> bytes:
    """A From of `depth` nested comments in a body of MIME parts nested `depth` deep: today's parser recurses
    until RecursionError; a bounded one refuses it by its depth limit. Either way: quarantine."""
    head = (f"From: {'(' * depth}x{')' * depth} <attacker@example.com>\r\nTo: {MAILBOX}\r\nSubject: deep\r\n"
            f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n")
    levels = range(depth)
    body = "".join(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n' for level in levels)
    body += "Content-Type: text/plain\r\n\r\nhello\r\n" + "".join(f"--b{level}--\r\n" for level in reversed(levels))
    return (head + body).encode()


@pytest.fixture
def mailbox(imap_server: ImapServer, team: Any) -> Mailbox:
    return Mailbox.objects.create(address=MAILBOX, team=team, imap_host=imap_server.host, imap_port=imap_server.port,
                                  imap_ssl=False, imap_user=imap_server.user, imap_password=imap_server.password)


def test_a_poison_mail_between_good_ones_is_quarantined_once_across_two_polls(imap_server: ImapServer,
                                                                               mailbox: Mailbox) -> None:
    imap_server.deliver(raw(subject="第一封", message_id="<good1@example.com>"))
    imap_server.deliver(poison())
    imap_server.deliver(raw(subject="第二封", sender="li@example.com", message_id="<good2@example.com>"))

    first = imap.poll_all()[MAILBOX]

    assert isinstance(first, imap.PollResult)
    assert (first.fetched, first.stored, first.quarantined) == (3, 2, 1)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["第一封", "第二封"]
    held = QuarantinedMessage.objects.get()
    assert (held.channel, held.key, held.state) == ("email", "message-id:poison@example.com", "held")
    assert bytes(held.raw) == poison() and held.reason and held.context == {"mailbox_id": mailbox.pk}
    good1, bad, good2 = imap_server.flags()
    assert "\\Seen" in good1 and "\\Seen" in good2 and "\\Seen" in bad and "\\Flagged" in bad
    mailbox.refresh_from_db()
    assert mailbox.quarantined_count == 1 and mailbox.last_error_at is not None
    assert mailbox.last_poll_error == held.reason[:300]

    # The provider delivers the same poison again beside a new good mail: still one quarantine row.
    imap_server.deliver(poison())
    imap_server.deliver(raw(subject="第三封", message_id="<good3@example.com>"))
    second = imap.poll_all()[MAILBOX]

    assert isinstance(second, imap.PollResult) and (second.stored, second.quarantined) == (1, 1)
    assert Ticket.objects.count() == 3
    held.refresh_from_db()
    assert QuarantinedMessage.objects.count() == 1 and held.attempts == 2
    mailbox.refresh_from_db()
    assert mailbox.quarantined_count == 1


def test_any_failure_of_one_mail_is_quarantined_and_the_next_mailbox_still_polls(
        imap_server: ImapServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    imap_server.deliver(raw(message_id="<unlucky@example.com>"))

    def database_refuses(**kwargs: Any) -> None:
        raise ValueError("A string literal cannot contain NUL (0x00) characters.")

    monkeypatch.setattr(email_quarantine, "email_receive", database_refuses)
    result = imap.mailbox_poll(mailbox=mailbox)

    assert result.quarantined == 1 and "\\Seen" in imap_server.flags()[0]
    reason = QuarantinedMessage.objects.get().reason
    assert reason == "ValueError: A string literal cannot contain NUL (0x00) characters."


def test_a_mail_stays_unseen_when_even_the_quarantine_cannot_be_written(
        imap_server: ImapServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    imap_server.deliver(raw())

    def down(**kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(email_quarantine, "email_receive", down)
    monkeypatch.setattr(quarantine, "quarantine", down)
    with pytest.raises(RuntimeError):
        imap.mailbox_poll(mailbox=mailbox)
    assert "\\Seen" not in imap_server.flags()[0]

    monkeypatch.undo()
    assert imap.mailbox_poll(mailbox=mailbox).stored == 1 and Ticket.objects.count() == 1


def test_quarantine_then_retry_makes_the_ticket_once(team: Any, monkeypatch: pytest.MonkeyPatch,
                                                     make_user: Callable[..., User]) -> None:
    Mailbox.objects.create(address=MAILBOX, team=team)
    message = raw(subject="退款还没到账", message_id="<later@example.com>")

    def bug(**kwargs: Any) -> None:
        raise KeyError("a bug in intake, fixed later")

    monkeypatch.setattr(email_quarantine, "email_receive", bug)
    held = email_quarantine.receive(raw=message)
    assert isinstance(held, quarantine.Quarantined) and held.created
    assert not Ticket.objects.exists() and not EmailMessage.objects.exists()

    monkeypatch.undo()  # the fix is deployed
    supervisor = make_user("supervisor")
    client = Client()
    client.force_login(supervisor)
    response = client.post("/admin/core/quarantinedmessage/", {"action": "retry_intake",
                                                               "_selected_action": [held.message.pk]})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.subject == "退款还没到账" and ticket.team == team
    held.message.refresh_from_db()
    assert held.message.state == "retried" and held.message.resolved_by == supervisor
    # A second retry finds nothing held; the same mail arriving again is a duplicate by Message-ID.
    with pytest.raises(quarantine.NotHeld):
        quarantine.retry(message_id=held.message.pk)
    again = email_quarantine.receive(raw=message)
    assert not isinstance(again, quarantine.Quarantined) and again.duplicate and Ticket.objects.count() == 1


def test_a_supervisor_reads_the_raw_mail_and_discards_it_with_a_reason(make_user: Callable[..., User]) -> None:
    held = email_quarantine.receive(raw=poison())
    assert isinstance(held, quarantine.Quarantined)
    client = Client()
    client.force_login(make_user("supervisor"))
    page = client.get(f"/admin/core/quarantinedmessage/{held.message.pk}/change/").content.decode()
    assert "attacker@example.com" in page and "Message-ID: &lt;poison@example.com&gt;" in page

    client.post("/admin/core/quarantinedmessage/", {"action": "discard_held", "_selected_action": [held.message.pk]})
    held.message.refresh_from_db()
    assert held.message.state == "held"  # no reason, no discard
    client.post("/admin/core/quarantinedmessage/", {"action": "discard_held", "discard_reason": "攻击邮件",
                                                    "_selected_action": [held.message.pk]})
    held.message.refresh_from_db()
    assert (held.message.state, held.message.discard_reason) == ("discarded", "攻击邮件")


# --- the inbound endpoint --------------------------------------------------------------------------------

@pytest.fixture
def integrator_client(make_user: Callable[..., User]) -> Client:
    token = Token.objects.create(user=make_user("integrator"))
    return Client(headers={"Authorization": f"Token {token.key}"})


def test_an_unreadable_mail_over_the_api_is_a_202_with_the_quarantine_id(integrator_client: Client) -> None:
    response = integrator_client.post("/api/v1/email/inbound/", poison(), content_type="message/rfc822")

    assert response.status_code == 202, response.content
    held = QuarantinedMessage.objects.get()
    assert response.json() == {"quarantine_id": held.pk, "reason": held.reason, "outcome": "quarantined"}
    assert held.context == {"mailbox_id": None}
    # Delivered again: the same row, the same answer.
    again = integrator_client.post("/api/v1/email/inbound/", poison(), content_type="message/rfc822")
    assert again.status_code == 202 and again.json()["quarantine_id"] == held.pk


@pytest.mark.parametrize("body", [b"", b"   \r\n", b"not a mail", b"\x00\x01\x02 binary"])
def test_only_a_body_that_is_not_a_mail_at_all_is_a_400(integrator_client: Client, body: bytes) -> None:
    response = integrator_client.post("/api/v1/email/inbound/", body, content_type="message/rfc822")

    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_mime"
    assert not QuarantinedMessage.objects.exists()


# --- any bytes ----------------------------------------------------------------------------------------------

_header_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)
_mailish = st.builds(
    lambda sender, subject, message_id, body: (
        f"From: {sender}\r\nTo: {MAILBOX}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\r\n{body}"
    ).encode("utf-8", "surrogatepass"),
    _header_text, _header_text, _header_text, st.text(max_size=400))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=1500), _mailish))
def test_any_bytes_end_stored_or_quarantined_never_raised(raw: bytes, team: Any) -> None:
    outcome = email_quarantine.receive(raw=raw)
    if isinstance(outcome, quarantine.Quarantined):
        # This mail's own row (a mail with the same Message-ID before it shares the row, by design).
        assert outcome.message.reason
        assert outcome.message.key == quarantine.dedupe_key(raw, email_quarantine.message_id_key(raw))
    else:
        assert outcome.email.pk is not None


def test_message_ids_that_differ_only_in_undecodable_bytes_are_two_rows() -> None:
    first = email_quarantine.receive(raw=poison(message_id="<id\x80@example.com>"))
    second = email_quarantine.receive(raw=poison(message_id="<id\x81@example.com>"))
    assert isinstance(first, quarantine.Quarantined) and isinstance(second, quarantine.Quarantined)
    assert first.message.pk != second.message.pk


def test_a_parse_stuck_in_one_long_call_is_interrupted_and_quarantined_naming_the_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from tickets.channels.email import parsing

    backtracking = re.compile(r"(a+)+$")

    def stuck(*args: Any, **kwargs: Any) -> None:
        # One C-level regex call that would run for minutes: only an interrupt can stop it.
        backtracking.match("a" * 64 + "b")

    monkeypatch.setattr(parsing, "find_bounce", stuck)
    monkeypatch.setattr(parsing, "DEFAULT_LIMITS", parsing.ParseLimits(seconds=0.3))
    monkeypatch.setattr(parsing.parse, "__kwdefaults__", {"limits": parsing.DEFAULT_LIMITS})

    outcome = email_quarantine.receive(raw=raw(subject="卡住", message_id="<stuck@example.com>"))

    assert isinstance(outcome, quarantine.Quarantined)
    assert outcome.message.reason == "MailLimitExceeded: over the parse time limit"
    assert outcome.message.key == "message-id:stuck@example.com" and not EmailMessage.objects.exists()


def test_the_quarantine_page_shows_each_imap_mailbox_with_its_held_count_and_last_poll_error(
        make_user: Callable[..., User], django_assert_max_num_queries: Any) -> None:
    from django.utils import timezone

    failed_at = timezone.now()
    sales = Mailbox.objects.create(address="sales@shop.example", imap_host="imap.example",
                                   last_poll_error="AUTHENTICATIONFAILED", last_error_at=failed_at,
                                   last_polled_at=failed_at)
    Mailbox.objects.create(address="help@shop.example", imap_host="imap.example", last_polled_at=failed_at)
    Mailbox.objects.create(address="api-only@shop.example")  # no IMAP, nothing held: not a source to watch
    inbound = Mailbox.objects.create(address="inbound@shop.example")  # no IMAP, but mail of it is held
    for number in range(2):
        email_quarantine.receive(raw=poison(f"<p{number}@example.com>"), mailbox=sales)
    email_quarantine.receive(raw=poison("<p9@example.com>"), mailbox=inbound)
    email_quarantine.receive(raw=poison("<api@example.com>"))  # the inbound endpoint: no mailbox
    client = Client()
    client.force_login(make_user("supervisor"))

    with django_assert_max_num_queries(12):
        page = client.get("/desk/quarantine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    email = {status.channel: status for status in quarantine.channel_status()}["email"]
    assert [(source.name, source.held, source.last_error) for source in email.sources] == [
        ("help@shop.example", 0, ""), ("inbound@shop.example", 1, ""),
        ("sales@shop.example", 2, "AUTHENTICATIONFAILED")]
    assert email.held == 4
    assert "sales@shop.example" in page and "AUTHENTICATIONFAILED" in page and "help@shop.example" in page
    assert "api-only@shop.example" not in page and "Last poll" in page
    for number in range(5):  # more mailboxes: the same number of queries
        Mailbox.objects.create(address=f"box{number}@shop.example", imap_host="imap.example")
    with django_assert_max_num_queries(12):
        assert "box4@shop.example" in client.get("/desk/quarantine/").content.decode()


def test_mails_stored_together_still_quarantine_only_the_failing_ones(
        imap_server: ImapServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Mails are stored EMAIL_IMAP_MAILS_PER_COMMIT to a transaction: an unreadable mail and a mail whose storage
    fails, each in a batch with a good one, are quarantined alone; every other mail is stored, all are seen."""
    settings.EMAIL_IMAP_MAILS_PER_COMMIT = 2
    good = [raw(subject=f"第{n}封", sender=f"c{n}@example.com", message_id=f"<batch{n}@example.com>")
            for n in range(3)]
    unlucky = raw(message_id="<unlucky@example.com>")
    for mail in (good[0], poison(), unlucky, good[1], good[2]):  # batches: good0 + poison, unlucky + good1, good2
        imap_server.deliver(mail)
    receive = email_quarantine.email_receive

    def database_refuses_one(*, raw: bytes, mailbox: Mailbox | None = None) -> Any:
        received = receive(raw=raw, mailbox=mailbox)
        if b"<unlucky@example.com>" in raw:  # after its rows were written: they must be rolled back
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return received

    monkeypatch.setattr(email_quarantine, "email_receive", database_refuses_one)
    result = imap.mailbox_poll(mailbox=mailbox)

    assert (result.fetched, result.stored, result.quarantined) == (5, 3, 2)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["第0封", "第1封", "第2封"]
    assert EmailMessage.objects.count() == 3 and not EmailMessage.objects.filter(message_id="unlucky@example.com")
    assert set(QuarantinedMessage.objects.values_list("key", flat=True)) == {
        "message-id:poison@example.com", "message-id:unlucky@example.com"}
    flags = imap_server.flags()
    assert all("\\Seen" in mail for mail in flags)
    assert ["\\Flagged" in mail for mail in flags] == [False, True, True, False, False]


def test_mails_received_together_share_one_transaction() -> None:
    Mailbox.objects.create(address=MAILBOX)
    mails = [raw(sender=f"c{n}@example.com", message_id=f"<together{n}@example.com>") for n in range(3)]

    with CaptureQueriesContext(connection) as queries:
        received = email_quarantine.receive_many(raws=mails)

    assert [type(result) for result in received] == [Received] * 3 and Ticket.objects.count() == 3
    # Inside the test's transaction a transaction of its own is a savepoint: one for the three mails.
    assert sum(query["sql"].startswith("SAVEPOINT") for query in queries.captured_queries) == 1
