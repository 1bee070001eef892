"""The MIME tree of a parsed mail → its readable text, its forwarded mails and every file in it.

The whole tree is read, not only the top level: attachments nested in `multipart/alternative`,
`multipart/related` (inline cid images), signed mails and forwarded mails are all kept. A forwarded
mail (`message/rfc822`) becomes a quoted block after the text and an `.eml` attachment. Parts are
bounded before anything here recurses (`check_structure`), so recursion depth is the tree's depth.
"""

import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO

from tickets.channels.email.charsets import decode_8bit, decode_bytes, decode_header_text, has_8bit
from tickets.channels.email.errors import MailLimitExceeded
from tickets.channels.email.html import html_to_text


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True)
class ParseLimits:
    """What one mail may cost to read; over any of them the mail is refused with the limit named."""

    depth: int = 30
    parts: int = 500
    header_chars: int = 256 * 1024
    headers: int = 2000
    decoded_bytes: int = 100 * 1024 * 1024
    # Wall-clock time of one parse, enforced by an interrupt (parsing.parse), so one long call is stopped too.
    seconds: float = 1.0


@dataclass
class Budget:
    limits: ParseLimits
    decoded: int = 0

    def payload(self, part: Message) -> bytes:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = b""
        self.decoded += len(data)
        if self.decoded > self.limits.decoded_bytes:
            raise MailLimitExceeded("decoded size")
        return data


def children(part: Message) -> list[Message]:
    # is_multipart() first: get_payload() of a text part decodes it by its charset label and can raise.
    if not part.is_multipart():
        return []
    return [child for child in part.get_payload() if isinstance(child, Message)]


def check_structure(message: Message, limits: ParseLimits) -> None:
    """Nesting depth and part count, counted without recursion (the tree may be thousands deep)."""
    stack = [(message, 1)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if depth > limits.depth:
            raise MailLimitExceeded("nesting depth")
        if count > limits.parts:
            raise MailLimitExceeded("part count")
        stack.extend((child, depth + 1) for child in children(part))


def body_charset(message: Message) -> str | None:
    """The charset the first text part declares: what an old client also wrote its raw 8-bit headers in."""
    stack = [message]
    while stack:
        part = stack.pop(0)
        charset = part.get_content_charset() if part.get_content_maintype() == "text" else None
        if charset:
            return charset
        stack.extend(children(part))
    return None


_CONTROL_CHARS = dict.fromkeys(code for code in range(32) if chr(code) not in "\t\n\r\f")
_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|]+")
_FILENAME_MAX = 200
_DEFAULT_NAMES = {"text/calendar": "invite.ics", "application/ms-tnef": "winmail.dat",
                  "message/delivery-status": "delivery-status.txt", "text/rfc822-headers": "headers.txt",
                  "message/disposition-notification": "disposition-notification.txt",
                  "message/feedback-report": "feedback-report.txt"}


def clean_text(text: str) -> str:
    """Without NUL and other control characters (the database refuses NUL; the rest are noise)."""
    return text.translate(_CONTROL_CHARS)


def safe_filename(name: str) -> str:
    """A name to show and store: no folders, control or bidi characters, at most 200 characters."""
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = _UNSAFE_NAME.sub("_", " ".join(name.split())).strip(" .")
    if len(name) > _FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        name = stem[:_FILENAME_MAX - len(extension) - 1] + dot + extension if dot and len(extension) < 10 \
            else name[:_FILENAME_MAX]
    return name


def _param_text(value: str | tuple[str | None, str | None, str] | None) -> str:
    """A MIME parameter as text: RFC 2231 (charset'lang'percent-bytes) or RFC 2047 encoded words."""
    if isinstance(value, tuple):
        charset, _language, text = value
        return decode_bytes(text.encode("latin-1", "replace"), charset or None)
    return decode_header_text(value or "")


def _filename(part: Message) -> str:
    for header in ("Content-Disposition", "Content-Type"):
        raw = next((str(value) for key, value in part.raw_items() if key.lower() == header.lower()), "")
        if has_8bit(raw):
            # Undeclared 8-bit bytes in a parameter (a raw UTF-8 or GBK name): decoded before it is split.
            part.replace_header(header, decode_header_text(raw))
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = part.get_param(param, header=header)
        if value:
            return safe_filename(_param_text(value))
    return ""


def _default_name(content_type: str, number: int) -> str:
    if content_type in _DEFAULT_NAMES:
        return _DEFAULT_NAMES[content_type]
    extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return f"attachment-{number}{extension}"


def raw_header(message: Message, name: str) -> str:
    """The first `name` header, unfolded, its 8-bit bytes decoded (encoded words are left for the caller)."""
    name = name.lower()
    value = next((value for key, value in message.raw_items() if key.lower() == name), "")
    return clean_text(decode_8bit(" ".join(str(value).split())))


def message_bytes(message: Message) -> bytes:
    """A parsed (forwarded) mail written back as bytes, for its .eml attachment."""
    buffer = BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False).flatten(message)
    except (LookupError, ValueError, TypeError, UnicodeError):
        # A header the generator cannot write back: the text as parsed is what is left of it.
        return str(message).encode("utf-8", "surrogateescape")
    return buffer.getvalue()


@dataclass
class Content:
    texts: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


class TreeReader:
    """Reads one mail's parts into `content`; `budget` bounds its decoded bytes."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.content = Content()

    def read(self, part: Message) -> None:
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global") and children(part):
            self._forwarded(children(part)[0])
        elif part.get_content_maintype() == "multipart" and part.is_multipart():
            if content_type == "multipart/alternative":
                self._alternative(children(part))
            else:
                for child in children(part):
                    self.read(child)
        elif self._is_text(part, content_type):
            text = decode_bytes(self.budget.payload(part), part.get_content_charset())
            text = html_to_text(text) if content_type == "text/html" else text.replace("\r\n", "\n").strip()
            if text:
                self.content.texts.append(text)
        else:
            self._attach(part, content_type)

    @staticmethod
    def _is_text(part: Message, content_type: str) -> bool:
        if part.get_content_disposition() == "attachment" or _filename(part):
            return False
        # A multipart whose boundary is missing is read as the text it is.
        return content_type in ("text/plain", "text/html") or part.get_content_maintype() == "multipart"

    def _attach(self, part: Message, content_type: str) -> None:
        if part.is_multipart():
            data = message_bytes(part)
            self.budget.decoded += len(data)
        else:
            data = self.budget.payload(part)
        name = _filename(part) or _default_name(content_type, len(self.content.attachments) + 1)
        self.content.attachments.append(Attachment(filename=name, data=data))

    def _alternative(self, options: list[Message]) -> None:
        """The first of plain, a nested multipart, HTML that has text; the files of every option kept."""
        rank = {"text/plain": 0, "text/html": 2}
        ordered = sorted(options, key=lambda option: rank.get(option.get_content_type(),
                                                              1 if option.is_multipart() else 3))
        chosen = False
        for option in ordered:
            reader = TreeReader(self.budget)
            reader.read(option)
            if not chosen and reader.content.texts:
                chosen = True
                self.content.texts += reader.content.texts
                self.content.forwarded += reader.content.forwarded
            self.content.attachments += reader.content.attachments

    def _forwarded(self, inner: Message) -> None:
        reader = TreeReader(self.budget)
        reader.read(inner)
        headers = [f"{name}: {clean_text(decode_header_text(raw_header(inner, name)))}"
                   for name in ("From", "Date", "Subject", "To") if raw_header(inner, name)]
        body = "\n\n".join(reader.content.texts + reader.content.forwarded)
        quoted = "\n".join(f"> {line}" if line else ">" for line in [*headers, "", *body.split("\n")])
        self.content.forwarded.append("---------- Forwarded message ----------\n" + quoted.rstrip("> \n"))
        subject = safe_filename(decode_header_text(raw_header(inner, "Subject")))[:80] or "forwarded"
        self.content.attachments.append(Attachment(filename=f"{subject}.eml", data=message_bytes(inner)))
        self.content.attachments += reader.content.attachments
