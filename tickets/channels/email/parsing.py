"""Raw MIME → what intake needs: ids for threading, the sender, readable text, attachments, automation marks.

Read like a mail client reads: whatever the standard library's parser can make of the bytes is used
(a missing boundary or a broken header block is everyday mail, not a reason to refuse it), with
`policy.compat32` so that headers stay raw strings: we decode them ourselves (charsets.py), which
is faster than `policy.default`'s header classes and cannot raise from inside them (nested comments,
odd Message-IDs, group addresses). What costs too much is refused with the limit named
(`MailLimitExceeded`); anything else refused is a `MalformedEmail` with its reason. The parse time limit
is a real interrupt (core.deadline): a single slow regex or decoder call is stopped too.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.errors import MissingHeaderBodySeparatorDefect
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses

from core.deadline import DeadlineExceeded, call_with_deadline, preload_in_children
from tickets.channels.email.automatic import Bounce, automatic_reason, find_bounce, message_ids
from tickets.channels.email.charsets import decode_8bit, decode_header_text
from tickets.channels.email.errors import MailLimitExceeded, MalformedEmail, NotAMail
from tickets.channels.email.html import html_to_text
from tickets.channels.email.mime import (
    Attachment,
    Budget,
    ParseLimits,
    TreeReader,
    body_charset,
    check_structure,
    clean_text,
)
from tickets.channels.email.quotes import strip_quotes

__all__ = ["Attachment", "Bounce", "MailLimitExceeded", "MalformedEmail", "NotAMail", "ParseLimits", "ParsedEmail",
           "html_to_text", "message_ids", "parse"]

# Where no From is readable, the next best address of the person who wrote: the one replies go to.
_SENDER_HEADERS = ("From", "Sender", "Reply-To", "Return-Path")
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")
# Enough of a header for what we read from it; the rest stays in the raw mail.
_SUBJECT_READ_CHARS = 4000
_ADDRESSES_READ_CHARS = 32 * 1024
_REFERENCES_KEPT = 100
DEFAULT_LIMITS = ParseLimits()
preload_in_children(__name__)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
# Generous factors from lines to headers (folded headers) and to parts (text lines that start with "--").
_LINES_PER_HEADER = 4
_DELIMITERS_PER_PART = 4
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")
_ADDRESS_IN_TEXT = re.compile(r"[\w.+=-]+@[\w-]+(\.[\w-]+)+")
_SPACE_BEFORE_COLON = re.compile(rb"^([!-9;-~]+)[ \t]+:")


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    in_reply_to: str
    references: list[str]
    recipients: list[str]
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    automatic: str = ""
    bounce: Bounce | None = None
    # Forwarded mails as quoted blocks: shown after the reply, never cut as quoted history.
    forwarded: str = ""

    @property
    def thread_ids(self) -> list[str]:
        """Ids this mail answers, nearest first: In-Reply-To, then References from the newest."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [ref for ref in reversed(self.references) if ref not in ids]

    @property
    def reply_text(self) -> str:
        return "\n\n".join(text for text in (strip_quotes(self.text), self.forwarded) if text)


def _check_headers(message: Message, limits: ParseLimits) -> None:
    for count, (_name, value) in enumerate(message.raw_items(), start=1):
        if count > limits.headers:
            raise MailLimitExceeded("header count")
        if len(value) > limits.header_chars:
            raise MailLimitExceeded("header length")


def _check_raw(raw: bytes, limits: ParseLimits) -> None:
    """Bombs refused before the parser builds them: it spends seconds on 100,000 parts or headers."""
    match = _BLANK_LINE.search(raw)
    header_lines = raw.count(b"\n", 0, match.start() if match else len(raw))
    if header_lines > limits.headers * _LINES_PER_HEADER:
        raise MailLimitExceeded("header count")
    if raw.count(b"\n--") > limits.parts * _DELIMITERS_PER_PART:
        raise MailLimitExceeded("part count")


def _without_nested_comments(value: str) -> str:
    """Comments inside comments dropped (only "addr (Name)" matters), so address parsing cannot recurse deep."""
    kept: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and not depth:
            quoted = not quoted
        elif char == "(" and not quoted:
            depth += 1
            if depth > 1:
                continue
        elif char == ")" and not quoted and depth:
            depth -= 1
            if depth:
                continue
        elif depth > 1:
            continue
        kept.append(char)
    return "".join(kept)


def _addresses(value: str, hint: str | None, *, names: bool = True) -> list[tuple[str, str]]:
    """(display name, address) pairs of one header; groups and garbage give none, never an exception.
    Without `names`, the names are left undecoded (recipients are matched by address only)."""
    value = decode_8bit(value[:_ADDRESSES_READ_CHARS], hint)
    if value.count("(") > 1:
        value = _without_nested_comments(value)
    try:
        pairs = getaddresses([value])
    except (ValueError, IndexError, TypeError, RecursionError):
        pairs = []
    found = [(clean_text(decode_header_text(name, hint)).strip() if names else name, clean_text(address).strip())
             for name, address in pairs if _ADDRESS.fullmatch(address.strip())]
    # Addresses without commas between them, or other syntax the parser gives up on: what looks like one.
    return found or [("", match.group(0)) for match in _ADDRESS_IN_TEXT.finditer(value)]


def _sender(message: Message, hint: str | None) -> tuple[str, str]:
    for header in _SENDER_HEADERS:
        for value in _raw_values(message, header):
            pairs = _addresses(value, hint)
            if pairs:
                return pairs[0]
    return "", ""


def _parse_tree(raw: bytes) -> Message:
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(raw)
        if any(isinstance(defect, MissingHeaderBodySeparatorDefect) for defect in message.defects):
            # A stray line in the header block ends it for the parser; a mail client reads past it.
            message = BytesParser(policy=policy.compat32).parsebytes(_repaired_header_block(raw))
    except RecursionError as exc:
        raise MailLimitExceeded("nesting depth") from exc
    return message


def _repaired_header_block(raw: bytes) -> bytes:
    """The header block without lines that are no header ("Name  :" read as "Name:"), then the body as is."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    match = _BLANK_LINE.search(raw)
    head, body = (raw[:match.start()], raw[match.start():]) if match else (raw, b"")
    lines = [_SPACE_BEFORE_COLON.sub(rb"\1:", line) for line in head.splitlines(keepends=True)]
    kept = [line for line in lines if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t")]
    return b"".join(kept) + body


def _raw_values(message: Message, name: str) -> list[str]:
    name = name.lower()
    return [" ".join(str(value).split()) for key, value in message.raw_items() if key.lower() == name]


def _id_header(message: Message, name: str, *, first_only: bool = False) -> str:
    """Message-ID, In-Reply-To or References as text safe to store (8-bit bytes decoded, controls dropped)."""
    values = _raw_values(message, name)
    return clean_text(decode_8bit(" ".join(values[:1] if first_only else values)))


def parse(raw: bytes, *, limits: ParseLimits = DEFAULT_LIMITS) -> ParsedEmail:
    """The mail in `raw`, read; `MalformedEmail` (or its kinds) when it cannot or may not be read."""
    if not raw.strip():
        raise NotAMail("empty message")
    try:
        return call_with_deadline(_parse_within_limits, raw, limits, seconds=limits.seconds)
    except DeadlineExceeded:
        raise MailLimitExceeded("parse time") from None


def _parse_within_limits(raw: bytes, limits: ParseLimits) -> ParsedEmail:
    budget = Budget(limits)
    _check_raw(raw, limits)
    message = _parse_tree(raw)
    if not message.keys():
        raise NotAMail("no header block")
    _check_headers(message, limits)
    check_structure(message, limits)
    hint = body_charset(message)
    sender_name, sender = _sender(message, hint)
    subject = " ".join(_raw_values(message, "Subject")[:1])[:_SUBJECT_READ_CHARS]
    subject = clean_text(" ".join(decode_header_text(subject, hint).split()))
    bounce = find_bounce(message, sender=sender, subject=subject)
    if not sender and bounce is None:
        raise MalformedEmail("no sender")
    recipients = [address.lower() for name in _RECIPIENT_HEADERS for value in _raw_values(message, name)
                  for _, address in _addresses(value, hint, names=False)]
    ids = message_ids(_id_header(message, "Message-ID", first_only=True))
    # A mail without a Message-ID is named by its content, so a redelivery is still recognised.
    message_id = ids[0] if ids else f"{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid"
    reader = TreeReader(budget)
    reader.read(message)
    content = reader.content
    reply_to = message_ids(_id_header(message, "In-Reply-To"))
    references = message_ids(_id_header(message, "References"))[-_REFERENCES_KEPT:]
    return ParsedEmail(
        message_id=message_id[:500], sender=sender, sender_name=sender_name, subject=subject,
        in_reply_to=reply_to[0][:500] if reply_to else "", references=[ref[:500] for ref in references],
        recipients=recipients, text=clean_text("\n\n".join(content.texts)), attachments=content.attachments,
        automatic=automatic_reason(message, subject), bounce=bounce,
        forwarded=clean_text("\n\n".join(content.forwarded)),
    )
