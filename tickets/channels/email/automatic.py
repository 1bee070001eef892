"""Mail written by machines: bounces (recognised with flufl.bounce) and auto-replies.

A bounce is a delivery status notification (RFC 3464) or one of the many older formats mail
servers still send (qmail, Exim, Yahoo, Exchange, Sina …), which flufl.bounce knows. Either is
recorded on the mail of ours it reports, never turned into a ticket. An auto-reply (Auto-Submitted,
X-Autoreply, Precedence, an out-of-office subject, a read receipt) never opens a ticket either;
intake threads it onto the ticket it answers as a note, or ignores it.
"""

import logging
import re
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from tickets.channels.email.mime import children, raw_header

logger = logging.getLogger(__name__)

_DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mailer"})
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (status|fail|notification|problem)|failure notice|non-?deliver"
    r"|could not be delivered|mail delivery|delivery has failed|退信|未能送达|无法投递|投递失败", re.IGNORECASE)
_VACATION_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort|svar)|auto:|out of (the )?office|vacation\b|abwesenheit"
    r"|r[ée]ponse automatique|自动回复|自動回覆|自动答复|休假)", re.IGNORECASE)
_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_QUOTED_MESSAGE_ID = re.compile(rb"^\s*Message-ID:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
_DETAIL_CHARS = 300
_RETURNED_TYPES = frozenset({"message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers"})


@dataclass(frozen=True)
class Bounce:
    original_message_id: str
    detail: str
    # The addresses that failed, as the bounce names them: the fallback to find our mail by.
    recipients: tuple[str, ...] = ()
    # False for "delayed, still trying" notices: our mail is not marked bounced for those.
    permanent: bool = True


def message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def automatic_reason(message: Message, subject: str) -> str:
    """Why this mail was written by a machine (so answering it could start a loop), or ""."""
    auto_submitted = raw_header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"[:_DETAIL_CHARS]
    precedence = raw_header(message, "Precedence").lower()
    if precedence in _AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in _AUTO_REPLY_HEADERS:
        if raw_header(message, header):
            return header
    if raw_header(message, "List-Id"):
        return "List-Id"
    if message.get_content_type() == "multipart/report":
        return f"Report: {message.get_param('report-type') or 'unknown'}"[:_DETAIL_CHARS]
    if _VACATION_SUBJECT.search(subject):
        return f"Subject: {subject}"[:_DETAIL_CHARS]
    return ""


def _is_daemon(sender: str) -> bool:
    return sender.partition("@")[0].lower() in _DAEMON_LOCAL_PARTS


def find_bounce(message: Message, *, sender: str, subject: str) -> Bounce | None:
    """The bounce this mail is, or None: a DSN, a mailer daemon's mail, or a bounce flufl.bounce knows."""
    is_dsn = (message.get_content_type() == "multipart/report"
              and str(message.get_param("report-type") or "").lower() == "delivery-status")
    daemon = _is_daemon(sender)
    if not (is_dsn or daemon or not sender or _BOUNCE_SUBJECT.search(subject)):
        return None
    temporary, permanent = _failures(message)
    # A bounce-like subject from an ordinary address counts when a known format names the failed
    # address, or when the mail returns our original (a returned message or its headers).
    if not (is_dsn or daemon or temporary or permanent or _returns_a_mail(message)):
        return None
    detail = _dsn_detail(message)
    recipients = tuple(sorted(permanent | temporary))
    if not detail and recipients:
        detail = ", ".join(recipients)
    return Bounce(original_message_id=_original_id(message), detail=" ".join(detail.split())[:_DETAIL_CHARS],
                  recipients=recipients, permanent=bool(permanent) or not temporary)


def _failures(message: Message) -> tuple[set[str], set[str]]:
    # A heuristic library on hostile input: its failure (any exception) only means "not recognised".
    try:
        temporary, permanent = all_failures(message)
    except Exception as exc:
        logger.info("flufl.bounce failed on a mail (%s); read as no known bounce format", exc)
        return set(), set()
    return ({address.decode("utf-8", "replace").strip("<> ").lower() for address in temporary},
            {address.decode("utf-8", "replace").strip("<> ").lower() for address in permanent})


def _returns_a_mail(message: Message) -> bool:
    return any(part.get_content_type() in _RETURNED_TYPES for part in _parts(message))


def _dsn_detail(message: Message) -> str:
    for part in _parts(message):
        if part.get_content_type() == "message/delivery-status":
            for block in children(part):
                detail = raw_header(block, "Diagnostic-Code") or raw_header(block, "Status")
                if detail:
                    return detail
    return ""


def _parts(message: Message) -> list[Message]:
    """Every part, without recursion (depth was bounded before, but the order here is breadth-first)."""
    found, queue = [], [message]
    while queue:
        part = queue.pop(0)
        found.append(part)
        queue.extend(children(part))
    return found


def _original_id(message: Message) -> str:
    """The Message-ID of the mail that bounced: from the returned mail or headers, else our thread ids."""
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global") and children(part):
            ids = message_ids(raw_header(children(part)[0], "Message-ID"))
            if ids:
                return ids[0]
        elif content_type.startswith("text/"):
            payload = part.get_payload(decode=True)
            match = _QUOTED_MESSAGE_ID.search(payload) if isinstance(payload, bytes) else None
            if match:
                return match.group(1).decode("ascii", "replace")
    refs = message_ids(raw_header(message, "In-Reply-To")) + message_ids(raw_header(message, "References"))
    return refs[0] if refs else ""
