"""Raw MIME → what intake needs: ids for threading, the sender, readable text, attachments, automation marks.

Parsed with the standard library's `email` package under `policy.default`, which decodes encoded
words and charsets for us. The parser itself accepts almost anything, so a message counts as
malformed when its structure defects mean we would read it wrongly (no header block, a multipart
without its boundaries) or when it names no sender.
"""

import hashlib
import re
from dataclasses import dataclass, field
from email import errors, policy
from email.message import EmailMessage as MimeMessage
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from tickets.email.quotes import strip_quotes

# Structure defects that make the parse untrustworthy; the rest (a stray space, a bad header
# encoding) are everyday mail and are read as well as they can be.
_FATAL_DEFECTS = (
    errors.MissingHeaderBodySeparatorDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.CloseBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@")
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")


class MalformedEmail(ValueError):
    """The bytes are not a mail we can read safely; nothing is stored for them."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Bounce:
    original_message_id: str
    detail: str


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

    @property
    def thread_ids(self) -> list[str]:
        """Ids this mail answers, nearest first: In-Reply-To, then References from the newest."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [ref for ref in reversed(self.references) if ref not in ids]

    @property
    def reply_text(self) -> str:
        return strip_quotes(self.text)


def message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


class _TextFromHtml(HTMLParser):
    """Visible text of an HTML body, with line breaks where blocks end (script and style dropped)."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})
    HIDDEN = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden_depth += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    converter = _TextFromHtml()
    converter.feed(html)
    converter.close()
    lines = [" ".join(line.split()) for line in "".join(converter.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _defects(message: Message) -> list[errors.MessageDefect]:
    found = list(message.defects)
    for part in message.walk():
        if part is not message:
            found.extend(part.defects)
    return found


def _body_text(message: MimeMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    if body.get_content_subtype() == "html":
        return html_to_text(text)
    return text.replace("\r\n", "\n").strip()


def _attachments(message: MimeMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        if part.get_content_maintype() in ("multipart", "message"):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        name = part.get_filename() or f"attachment.{part.get_content_subtype()}"
        found.append(Attachment(filename=name.replace("/", "_")[-200:], data=payload))
    return found


def _automatic(message: MimeMessage) -> str:
    """Why this mail was written by a machine (so answering it could start a loop), or ""."""
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"[:300]
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in _AUTO_REPLY_HEADERS:
        if message.get(header) is not None:
            return header
    if message.get("List-Id") is not None:
        return "List-Id"
    return ""


def _bounce(message: MimeMessage, sender: str) -> Bounce | None:
    """A delivery status notification: which of our mails it reports on, and the reason given."""
    is_report = message.get_content_type() == "multipart/report"
    if not is_report and not sender.lower().startswith(_BOUNCE_SENDERS):
        return None
    original = ""
    detail = ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            for block in part.get_payload() or []:
                if isinstance(block, Message):
                    detail = detail or str(block.get("Diagnostic-Code") or block.get("Status") or "")
        elif content_type in ("message/rfc822", "text/rfc822-headers") and not original:
            original = _original_id(part)
    if not original:
        refs = message_ids(message.get("In-Reply-To")) + message_ids(message.get("References"))
        original = refs[0] if refs else ""
    return Bounce(original_message_id=original, detail=" ".join(detail.split())[:300])


def _original_id(part: Message) -> str:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        headers = inner[0] if isinstance(inner, list) and inner else None
        ids = message_ids(headers.get("Message-ID")) if isinstance(headers, Message) else []
        return ids[0] if ids else ""
    payload = part.get_payload(decode=True)
    text = payload if isinstance(payload, bytes) else b""
    match = re.search(rb"^Message-ID:\s*<([^<>\s]+)>", text, re.IGNORECASE | re.MULTILINE)
    return match.group(1).decode("ascii", "replace") if match else ""


def parse(raw: bytes) -> ParsedEmail:
    if not raw.strip():
        raise MalformedEmail("empty message")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, MimeMessage)
    fatal = [defect for defect in _defects(message) if isinstance(defect, _FATAL_DEFECTS)]
    if fatal:
        raise MalformedEmail(type(fatal[0]).__name__)
    try:
        senders = getaddresses([str(value) for value in message.get_all("From", [])])
        recipients = getaddresses([str(value) for name in ("Delivered-To", "X-Original-To", "To", "Cc")
                                   for value in message.get_all(name, [])])
        subject = " ".join(str(message.get("Subject", "")).split())
    except (errors.HeaderParseError, ValueError, IndexError) as exc:
        raise MalformedEmail(f"unreadable header: {exc}") from exc
    sender_name, sender = next(((name, address) for name, address in senders if "@" in address), ("", ""))
    if not sender:
        raise MalformedEmail("no sender address")
    ids = message_ids(message.get("Message-ID"))
    # A mail without a Message-ID is named by its content, so a redelivery is still recognised.
    message_id = ids[0] if ids else f"{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid"
    try:
        text = _body_text(message)
        attachments = _attachments(message)
    except (LookupError, ValueError, errors.MessageError) as exc:
        raise MalformedEmail(f"unreadable body: {exc}") from exc
    reply_to = message_ids(message.get("In-Reply-To"))
    return ParsedEmail(
        message_id=message_id[:500], sender=sender.strip(), sender_name=sender_name.strip(), subject=subject,
        in_reply_to=reply_to[0] if reply_to else "", references=message_ids(message.get("References")),
        recipients=[address.lower() for _, address in recipients if "@" in address], text=text,
        attachments=attachments, automatic=_automatic(message), bounce=_bounce(message, sender),
    )
