"""IMAP polling: fetch the UNSEEN mail of each active mailbox, store it, and only then mark it seen.

A mail is fetched with BODY.PEEK so that reading it does not set \\Seen; the flag is set after
`email_receive` committed. A crash between the two leaves the mail unseen, and the next poll finds it
stored already (same Message-ID) and just marks it. A mail we cannot parse is marked seen and
flagged, so one bad mail does not come back every minute, and an operator can find it in the folder.
"""

import imaplib
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from tickets.email.intake import email_receive
from tickets.email.parsing import MalformedEmail
from tickets.models import Mailbox

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    malformed: int = 0


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    timeout = settings.EMAIL_IMAP_TIMEOUT_SECONDS
    if mailbox.imap_ssl:
        return imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port, ssl_context=ssl.create_default_context(),
                                 timeout=timeout)
    client = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
    # Without SSL on connect, still encrypt before the password is sent whenever the server offers it.
    if "STARTTLS" in client.capabilities:
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def _check(response: tuple[str, list[Any]]) -> list[Any]:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP answered {status}: {data!r}")
    return data


def mailbox_poll(*, mailbox: Mailbox, batch: int | None = None) -> PollResult:
    """Read up to `batch` unseen mails of one mailbox (the rest wait for the next poll)."""
    result = PollResult()
    batch = batch or settings.EMAIL_IMAP_BATCH
    client = _connect(mailbox)
    try:
        _check(client.login(mailbox.imap_user, mailbox.imap_password))
        _check(client.select(_quoted(mailbox.imap_folder)))
        uids = _check(client.uid("SEARCH", "UNSEEN"))[0].split()[:batch]
        for uid in uids:
            data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"))
            raw = next((part[1] for part in data if isinstance(part, tuple)), b"")
            result.fetched += 1
            try:
                received = email_receive(raw=raw, mailbox=mailbox)
            except MalformedEmail as exc:
                logger.warning("mailbox %s: uid %s is not a readable mail (%s); flagged", mailbox, uid, exc)
                result.malformed += 1
                _check(client.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)"))
                continue
            result.duplicates += received.duplicate
            result.stored += not received.duplicate
            _check(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"))
        client.close()
    finally:
        client.logout()
    return result


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_all() -> dict[str, PollResult | str]:
    """Poll every active mailbox with an IMAP host; one mailbox's failure is recorded, the others go on."""
    results: dict[str, PollResult | str] = {}
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk"):
        error = ""
        try:
            results[mailbox.address] = mailbox_poll(mailbox=mailbox)
        except (OSError, imaplib.IMAP4.error) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            logger.warning("mailbox %s: poll failed: %s", mailbox, error)
            results[mailbox.address] = error
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_poll_error=error)
    return results
