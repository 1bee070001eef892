"""372 real mails from six open-source projects' test data (tests/data/mail/SOURCES), held to golden.jsonl.

Each row says what intake makes of the mail: refused (and why), or stored as a ticket, a bounce or an
automatic mail, with its sender, subject, the first words of its text and its attachment names. The
rows marked `checked` were compared with the raw mail by hand; the rest pin today's reading so a change
shows up as a diff to review (`python -m tests.tickets.corpus` rewrites the file, keeping the marks).
"""

from typing import Any

import pytest

from tests.tickets.corpus import CORPUS, corpus_files, golden_row, read_golden
from tests.tickets.mails import MAILBOX
from tickets.channels.email.intake import email_receive
from tickets.channels.email.parsing import MalformedEmail, parse
from tickets.models import EmailMessage, Mailbox, TicketAttachment
from tickets.services.attachments import sniff

GOLDEN = read_golden()
FILES = corpus_files()
STORED_AS = {"ticket": EmailMessage.Outcome.TICKET, "bounce": EmailMessage.Outcome.BOUNCE,
             "automatic": EmailMessage.Outcome.LOOP}


def test_the_corpus_is_real_mail_from_several_projects_with_a_hand_checked_sample() -> None:
    sources = {path.parent.name for path in FILES}
    assert len(FILES) >= 300 and len(sources) >= 3
    assert all((CORPUS / source / "LICENSE").exists() for source in sources)
    assert set(GOLDEN) == {str(path.relative_to(CORPUS)) for path in FILES}
    assert sum(row["checked"] for row in GOLDEN.values()) >= 40


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(CORPUS)))
def test_each_mail_is_read_as_its_golden_row_says(path: Any) -> None:
    expected = {key: value for key, value in GOLDEN[str(path.relative_to(CORPUS))].items() if key != "checked"}

    assert golden_row(path) == expected


@pytest.mark.django_db
def test_every_mail_is_stored_or_refused_through_intake_never_an_error(settings: Any, tmp_path: Any) -> None:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path)
    settings.EMAIL_INBOUND_PER_SENDER_PER_HOUR = 10_000
    Mailbox.objects.create(address=MAILBOX)
    stored = refused = duplicates = 0
    for path in FILES:
        row = GOLDEN[str(path.relative_to(CORPUS))]
        raw = path.read_bytes()
        if row["outcome"] == "refused":
            with pytest.raises(MalformedEmail):
                email_receive(raw=raw)
            refused += 1
            continue
        received = email_receive(raw=raw)
        if received.duplicate:  # Copies of one mail (anonymised variants), or one Message-ID reused by a test set.
            duplicates += 1
            continue
        stored += 1
        email = received.email
        assert email.outcome == STORED_AS[row["outcome"]], path
        if email.outcome == EmailMessage.Outcome.TICKET and email.ticket_message is not None:
            kept = [attachment for attachment in parse(raw).attachments if sniff(attachment.data)]
            assert TicketAttachment.objects.filter(message=email.ticket_message).count() == len(kept), path
    assert refused == sum(row["outcome"] == "refused" for row in GOLDEN.values())
    assert stored + duplicates + refused == len(FILES) and stored >= 300
