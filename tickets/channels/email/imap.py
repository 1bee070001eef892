"""IMAP polling: fetch the UNSEEN mail of each active mailbox, store it, and only then mark it seen.

A mail is fetched with BODY.PEEK so that reading it does not set \\Seen; the flag is set after the mail
is stored or kept in quarantine (tickets/channels/email/quarantine.py) and that has committed. Mails are stored
EMAIL_IMAP_MAILS_PER_COMMIT to a transaction (quarantine.receive_many: one commit for them all). Any failure of one
mail, of whatever kind, quarantines that mail (marked seen and flagged, so an operator also finds it in the folder)
and the poll goes on with the next mail and the next mailbox. Only when even the quarantine cannot be
written (the database is down) does the mail stay unseen for the next poll. A crash between storing
and flagging leaves the mail unseen, and the next poll finds it stored already (same Message-ID).
Each mailbox records its last error, when it happened, and how many of its mails were quarantined.
"""

import imaplib
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from core import config_cache
from core.quarantine import Quarantined, describe
from tickets.channels.email import quarantine
from tickets.models import Mailbox

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    # New quarantine rows (a poison mail seen again only bumps its row) and the last reason.
    newly_quarantined: int = 0
    last_error: str = ""


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
        # The desk's configuration (mailboxes, routing and keyword rules, SLA policies) is read once per poll.
        with config_cache.run_scope():
            step = settings.EMAIL_IMAP_MAILS_PER_COMMIT
            for start in range(0, len(uids), step):
                _receive(client, mailbox, uids[start:start + step], result)
        client.close()
    finally:
        client.logout()
    return result


def _receive(client: imaplib.IMAP4, mailbox: Mailbox, uids: list[Any], result: PollResult) -> None:
    """Store these mails (one transaction: quarantine.receive_many), then flag each: seen, and flagged too when
    it was quarantined. Nothing is flagged before the transaction that stores it has committed."""
    raws = []
    for uid in uids:
        data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"))
        raws.append(next((part[1] for part in data if isinstance(part, tuple)), b""))
    result.fetched += len(uids)
    for uid, received in zip(uids, quarantine.receive_many(raws=raws, mailbox=mailbox), strict=True):
        if isinstance(received, Quarantined):
            logger.warning("mailbox %s: uid %s quarantined (#%s): %s", mailbox, uid, received.message.pk,
                           received.message.reason)
            result.quarantined += 1
            result.newly_quarantined += received.created
            result.last_error = received.message.reason
            _check(client.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)"))
            continue
        result.duplicates += received.duplicate
        result.stored += not received.duplicate
        _check(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"))


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_all() -> dict[str, PollResult | str]:
    """Poll every active mailbox with an IMAP host; one mailbox's failure is recorded, the others go on."""
    results: dict[str, PollResult | str] = {}
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk"):
        now = timezone.now()
        try:
            result = mailbox_poll(mailbox=mailbox)
        except Exception as exc:  # whatever one mailbox does, the others are still polled
            error = describe(exc)[:300]
            logger.warning("mailbox %s: poll failed: %s", mailbox, error)
            results[mailbox.address] = error
            Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_poll_error=error, last_error_at=now)
            continue
        results[mailbox.address] = result
        error_fields = {"last_error_at": now} if result.last_error else {}
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_polled_at=now, last_poll_error=result.last_error[:300], **error_fields,
            quarantined_count=F("quarantined_count") + result.newly_quarantined)
    return results
