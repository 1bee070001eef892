"""IMAP polling against a real Dovecot: unseen mail becomes tickets, marked seen only after it is stored."""

from typing import Any

import pytest

from core.models import QuarantinedMessage
from tests.tickets.mails import MAILBOX, raw
from tests.tickets.mailservers import ImapServer
from tickets.channels.email import imap
from tickets.channels.email.intake import email_receive
from tickets.models import EmailMessage, Mailbox, Ticket
from tickets.tasks import poll_mailboxes

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(imap_server: ImapServer, team: Any) -> Mailbox:
    return Mailbox.objects.create(address=MAILBOX, team=team, imap_host=imap_server.host, imap_port=imap_server.port,
                                  imap_ssl=False, imap_user=imap_server.user, imap_password=imap_server.password)


def test_the_beat_task_turns_unseen_mail_into_tickets_and_marks_it_seen(imap_server: ImapServer,
                                                                        mailbox: Mailbox) -> None:
    imap_server.deliver(raw(subject="第一封", message_id="<one@example.com>"))
    imap_server.deliver(raw(subject="第二封", sender="li@example.com", message_id="<two@example.com>"))

    poll_mailboxes.delay()

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["第一封", "第二封"]
    assert all(ticket.team == mailbox.team for ticket in Ticket.objects.all())
    assert all("\\Seen" in flags for flags in imap_server.flags())
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_poll_error == ""
    # Nothing unseen is left: a second poll fetches nothing.
    assert imap.mailbox_poll(mailbox=mailbox).fetched == 0


def test_a_mail_stored_before_but_still_unseen_is_only_marked_seen(imap_server: ImapServer, mailbox: Mailbox) -> None:
    message = raw(message_id="<stored@example.com>")
    email_receive(raw=message)  # e.g. stored, then the poller died before setting \Seen
    imap_server.deliver(message)

    result = imap.mailbox_poll(mailbox=mailbox)

    assert (result.fetched, result.stored, result.duplicates) == (1, 0, 1)
    assert Ticket.objects.count() == 1 and EmailMessage.objects.count() == 1
    assert "\\Seen" in imap_server.flags()[0]


def test_an_unreadable_mail_is_quarantined_and_flagged_and_the_rest_are_read(imap_server: ImapServer,
                                                                            mailbox: Mailbox) -> None:
    imap_server.deliver(b"Subject: nobody sent this\r\n\r\nno sender\r\n")
    imap_server.deliver(raw())

    result = imap.mailbox_poll(mailbox=mailbox)

    assert (result.quarantined, result.stored) == (1, 1)
    bad, good = imap_server.flags()
    assert "\\Flagged" in bad and "\\Seen" in bad and "\\Seen" in good
    assert EmailMessage.objects.count() == 1 and QuarantinedMessage.objects.get().channel == "email"


def test_a_wrong_password_is_recorded_on_the_mailbox_and_other_mailboxes_still_poll(
        imap_server: ImapServer, mailbox: Mailbox) -> None:
    broken = Mailbox.objects.create(address="sales@shop.example", imap_host=imap_server.host,
                                    imap_port=imap_server.port, imap_ssl=False, imap_user=imap_server.user,
                                    imap_password="wrong")
    imap_server.deliver(raw())

    results = imap.poll_all()

    broken.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in broken.last_poll_error
    assert isinstance(results[MAILBOX], imap.PollResult) and Ticket.objects.count() == 1
