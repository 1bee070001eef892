"""Property tests: whatever bytes arrive, the parser reads them or refuses them with MalformedEmail, quickly.

Random bytes alone rarely look like mail, so most examples are assembled from the pieces hostile and
broken mail is made of: header lines with encoded words, nested comments and groups, boundaries that
open and never close, deep nesting, odd charsets and transfer encodings, NUL and 8-bit bytes.
"""

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from tests.tickets.mails import MAILBOX
from tickets.channels.email.intake import email_receive
from tickets.channels.email.parsing import MalformedEmail, ParsedEmail, parse
from tickets.models import EmailMessage, Mailbox

HEADER_NAMES = ["From", "To", "Cc", "Sender", "Reply-To", "Return-Path", "Subject", "Message-ID", "In-Reply-To",
                "References", "Content-Type", "Content-Disposition", "Content-Transfer-Encoding", "Auto-Submitted",
                "Precedence", "MIME-Version", "From ", "X-Anything"]
VALUE_PIECES = [
    "a@example.com", "张伟 <zw@example.com>", "undisclosed-recipients:;", "<>", "(((((", ")))", '"', "\\", ",", ";",
    "=?gb2312?B?1cXGtA==?=", "=?utf-8?q?caf=C3=A9?=", "=?x-unknown?b?!!?=", "=?", "?=", "<a@[", "<@>",
    "multipart/mixed; boundary=B", "multipart/alternative; boundary=B", "message/rfc822", "text/plain; charset=",
    "gb2312", "unicodebig", "x-gbk", "utf-7", "iso-2022-jp", "base64", "quoted-printable", "x-uuencode",
    "attachment; filename*=gb2312''%D5%C5", 'filename="../x"', "report-type=delivery-status", "auto-replied",
]
BODY_PIECES = [b"--B\r\n", b"--B--\r\n", b"\r\n", b"Content-Type: multipart/mixed; boundary=B\r\n\r\n",
               b"Content-Type: message/rfc822\r\n\r\n", b"From: x@y\r\n\r\n", b"=E4=B8=AD=", b"\x00", b"\xd5\xc5",
               b"begin 644 x\r\n", b"SGVsbG8=", b"<html><p>hi", b"\xff\xfe", b"Final-Recipient: rfc822; a@b\r\n"]


@st.composite
def mails(draw: Any) -> bytes:
    headers = draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES),
                                      st.lists(st.sampled_from(VALUE_PIECES) | st.text(max_size=12), max_size=6)),
                            max_size=12))
    head = "".join(f"{name}: {' '.join(values)}\r\n" for name, values in headers).encode("utf-8", "surrogatepass")
    # Undeclared 8-bit bytes (and NULs, lone CRs) somewhere in the header block.
    position = draw(st.integers(min_value=0, max_value=len(head)))
    head = head[:position] + draw(st.binary(max_size=24)) + head[position:]
    body = b"".join(draw(st.lists(st.sampled_from(BODY_PIECES) | st.binary(max_size=16), max_size=30)))
    separator = draw(st.sampled_from([b"\r\n", b"\n", b""]))
    return head + separator + body


def read_or_refuse(message: bytes) -> ParsedEmail | None:
    try:
        parsed = parse(message)
    except MalformedEmail as refused:
        assert refused.reason
        return None
    bounce = [parsed.bounce.detail, parsed.bounce.original_message_id] if parsed.bounce else []
    names = [attachment.filename for attachment in parsed.attachments]
    stored = [parsed.message_id, parsed.sender, parsed.sender_name, parsed.subject, parsed.in_reply_to, parsed.text,
              parsed.forwarded, parsed.automatic, *parsed.references, *parsed.recipients, *bounce, *names]
    for text in stored:
        # What PostgreSQL refuses: NUL, and lone surrogates (undecoded 8-bit bytes) that are not UTF-8.
        assert "\x00" not in text
        text.encode("utf-8")
    assert all("/" not in name and "\\" not in name for name in names)
    return parsed


@examples(max_examples=300, deadline=1000)
@given(st.binary(max_size=4000))
def test_any_bytes_are_read_or_refused_never_another_error(message: bytes) -> None:
    read_or_refuse(message)


@examples(max_examples=500, deadline=1000)
@given(mails())
def test_broken_and_hostile_mail_is_read_or_refused_never_another_error(message: bytes) -> None:
    read_or_refuse(message)


@pytest.mark.django_db
@examples(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=mails())
def test_intake_stores_or_refuses_every_mail(message: bytes, settings: Any) -> None:
    settings.EMAIL_INBOUND_PER_SENDER_PER_HOUR = 100_000
    Mailbox.objects.get_or_create(address=MAILBOX)
    try:
        received = email_receive(raw=message)
    except MalformedEmail:
        return
    assert EmailMessage.objects.filter(pk=received.email.pk).exists()
