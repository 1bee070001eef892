"""The e-mail channel's adapter: a mail is stored by `email_receive`, or kept in the core quarantine.

Both the IMAP poller and the inbound endpoint go through `receive`; a supervisor's retry runs
`email_receive` again on the stored bytes (the adapter registered in TicketsConfig.ready), idempotent by
Message-ID. The adapter also reports each mailbox's intake health for the quarantine page.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from core import channel_registry, quarantine
from core.models import QuarantinedMessage
from tickets.channels.email.errors import MalformedEmail
from tickets.channels.email.intake import Received, email_receive
from tickets.models import Channel, Mailbox

logger = logging.getLogger(__name__)
CHANNEL = "email"
# Only the header block is looked at for the key, and only this much of it: the mail may be hostile.
_HEADER_SCAN_BYTES = 64 * 1024
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*<([^<>\r\n]{1,250})>", re.IGNORECASE | re.MULTILINE)


def message_id_key(raw: bytes) -> str | None:
    """The Message-ID, read without parsing the mail (the parser may be what fails)."""
    head = raw[:_HEADER_SCAN_BYTES].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    found = _MESSAGE_ID.search(head)
    # backslashreplace, not replace: ids that differ only in undecodable bytes must stay different keys.
    return "message-id:" + found.group(1).decode("utf-8", "backslashreplace") if found else None


def receive(*, raw: bytes, mailbox: Mailbox | None = None,
            refuse: tuple[type[Exception], ...] = ()) -> Received | quarantine.Quarantined:
    """Store one mail, or quarantine it with the reason. Raises only the `refuse` errors: the inbound API
    refuses NotAMail (bytes that are no mail at all) so its caller gets a 400; IMAP keeps even those."""
    return quarantine.receive_or_quarantine(
        channel=CHANNEL, raw=raw, key=message_id_key(raw), context={"mailbox_id": mailbox.pk if mailbox else None},
        intake=lambda: email_receive(raw=raw, mailbox=mailbox), refuse=refuse)


def receive_many(*, raws: Sequence[bytes], mailbox: Mailbox | None = None) -> list[Received | quarantine.Quarantined]:
    """`receive` for several mails in one transaction: one commit for all of them instead of one each.

    A mail that cannot be read is refused by the parser before anything of it is written: the others go on, and it
    is quarantined by `receive` after the commit. Any other failure rolls the whole transaction back, and each mail
    is then received alone, as `receive` does: the failing one is quarantined by itself, the others are stored."""
    readable: list[Received | None] = []
    try:
        with transaction.atomic():
            for raw in raws:
                try:
                    readable.append(email_receive(raw=raw, mailbox=mailbox))
                except MalformedEmail:
                    readable.append(None)
    except Exception as error:  # whatever it was, each mail gets its own transaction and, if need be, quarantine
        logger.info("%s mails stored together failed (%s): received one by one", len(raws),
                    quarantine.describe(error))
        return [receive(raw=raw, mailbox=mailbox) for raw in raws]
    return [received or receive(raw=raw, mailbox=mailbox) for raw, received in zip(raws, readable, strict=True)]


def _retry(raw: bytes, context: Mapping[str, Any]) -> Received:
    mailbox_id = context.get("mailbox_id")
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first() if mailbox_id is not None else None
    return email_receive(raw=raw, mailbox=mailbox)


def mailbox_status() -> list[channel_registry.SourceStatus]:
    """Each mailbox polled over IMAP, or holding quarantined mail: its held count, last poll error and when.
    Two queries whatever the number of mailboxes: held mail per mailbox (by the id its rows keep), the mailboxes."""
    held = dict(QuarantinedMessage.objects.filter(channel=CHANNEL, state=QuarantinedMessage.State.HELD).order_by()
                .values_list("context__mailbox_id").annotate(total=Count("id")).values_list("context__mailbox_id",
                                                                                              "total"))
    boxes = Mailbox.objects.filter(~Q(imap_host="") | Q(pk__in=[key for key in held if isinstance(key, int)]))
    return [channel_registry.SourceStatus(name=box.address, held=held.get(box.pk, 0),
                                          last_error=box.last_poll_error, last_error_at=box.last_error_at,
                                          last_polled_at=box.last_polled_at)
            for box in boxes.order_by("address").only("address", "last_poll_error", "last_error_at", "last_polled_at")]


def register() -> None:
    channel_registry.register(channel_registry.ChannelAdapter(code=CHANNEL, label=Channel.EMAIL.label,
                                                              retry=_retry, sources=mailbox_status))
