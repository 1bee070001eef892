"""Inbound mail → tickets: duplicate check, bounces, loop protection, sender rate, threading, store.

`email_receive` is the one entry point for the inbound endpoint and the IMAP poller. It parses
first (a malformed mail raises `MalformedEmail` before anything is written), then records the mail
and its effect in one transaction: a mail is either on a ticket, or recorded with why it is not.
Deliveries of one Message-ID are serialised by an advisory lock, so a mail is stored once.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.crypto import blind_index
from core.locks import lock_for_transaction
from profiles.identities import contact_lock_key, customer_for_contact
from profiles.models import User
from tickets import cached_config
from tickets.channels.email import outbound
from tickets.channels.email.parsing import ParsedEmail, parse
from tickets.models import Channel, EmailMessage, Mailbox, Notification, Ticket, TicketMessage
from tickets.services import attachments as attachment_service
from tickets.services.common import BODY_MAX
from tickets.services.notes import ticket_add_system_note
from tickets.services.notifications import notify
from tickets.services.side_conversations import side_conversation_for_mail, side_mail_receive
from tickets.services.tickets import SUBJECT_MAX, ticket_open, ticket_reply_within

logger = logging.getLogger(__name__)
Outcome = EmailMessage.Outcome
# "[T2026112200001]" or a bare number in the subject; not inside a longer run of letters or digits.
_TICKET_NUMBER = re.compile(r"(?<![A-Za-z0-9])(T\d{13})(?!\d)")
# Enough of a bounced reply in the desk's note to tell which one it was.
BOUNCE_EXCERPT_CHARS = 80
# A bounce that names only the failed address is matched to what we sent that address this recently.
BOUNCE_MATCH_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Received:
    email: EmailMessage
    duplicate: bool


def _our_addresses(mailboxes: dict[str, Mailbox]) -> set[str]:
    return {*mailboxes, parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}


def _mailbox_for(parsed: ParsedEmail, mailboxes: dict[str, Mailbox]) -> Mailbox | None:
    return next((mailboxes[address] for address in parsed.recipients
                 if address in mailboxes and mailboxes[address].is_active), None)


# Outcomes that count against the sender's hourly limit.
_RATED = [Outcome.TICKET.value, Outcome.HELD.value, Outcome.REFUSED.value, Outcome.REJECTED.value]
# Written out rather than built by the ORM: asked of every mail, and compiling the two querysets cost more CPU than
# running them. `direction = 'in'` as a literal, so the partial index email_inbound_sender_recent is used.
_STORED = "SELECT id FROM tickets_emailmessage WHERE message_id = %(message_id)s ORDER BY id LIMIT 1"
_STORED_AND_RECENT = (
    "SELECT (SELECT id FROM tickets_emailmessage WHERE message_id = %(message_id)s ORDER BY id LIMIT 1), "
    "(SELECT count(*) FROM (SELECT 1 FROM tickets_emailmessage WHERE direction = 'in' "
    "AND counterpart_index = %(sender)s AND created_at >= %(since)s AND outcome = ANY(%(rated)s) LIMIT %(limit)s) "
    "AS recent)"
)


def _stored_and_over_rate(message_id: str, sender_index: str | None, now: datetime) -> tuple[int | None, bool]:
    """The row already stored under this Message-ID (a duplicate), and whether the sender is over the hourly limit
    (asked only with a `sender_index`): one round trip, as both are asked of every mail that may open a ticket."""
    limit = settings.EMAIL_INBOUND_PER_SENDER_PER_HOUR
    with connection.cursor() as cursor:
        if sender_index is None:
            cursor.execute(_STORED, {"message_id": message_id})
            row = cursor.fetchone()
            return (row[0] if row else None), False
        # Counted up to the limit only: a flood is not counted whole for every mail of it.
        cursor.execute(_STORED_AND_RECENT, {"message_id": message_id, "sender": sender_index, "limit": limit,
                                            "since": now - timedelta(hours=1), "rated": _RATED})
        stored, recent = cursor.fetchone()
    return stored, recent >= limit


def _thread(parsed: ParsedEmail) -> Ticket | None:
    """The ticket this mail continues: by the ids it answers, else by a ticket number in its subject."""
    if parsed.thread_ids:
        known = {email.message_id: email.ticket for email in EmailMessage.objects.filter(
            message_id__in=parsed.thread_ids, ticket__isnull=False).select_related("ticket").only(
            "message_id", "ticket")}
        for message_id in parsed.thread_ids:
            if message_id in known:
                return known[message_id]
    match = _TICKET_NUMBER.search(parsed.subject)
    return Ticket.objects.filter(number=match.group(1)).first() if match else None


def _uploads(parsed: ParsedEmail) -> tuple[list[SimpleUploadedFile], list[str]]:
    """Attachments the desk keeps (types it accepts, within the size limit) and the names of those it cannot.
    (A ticket's mail with an oversized file was refused before this, in `_accept`.)"""
    kept, skipped = [], []
    for attachment in parsed.attachments:
        if attachment_service.sniff(attachment.data) is None \
                or len(attachment.data) > settings.TICKETS_ATTACHMENT_MAX_BYTES:
            skipped.append(attachment.filename)
        else:
            kept.append(SimpleUploadedFile(attachment.filename, attachment.data))
    return kept, skipped


def _body(parsed: ParsedEmail, skipped: list[str]) -> str:
    # A ticket message has a length cap; a longer mail is cut there (the raw mail keeps all of it).
    body = parsed.reply_text[:BODY_MAX - 1000] or _("(no text)")
    if skipped:
        # The raw mail keeps them; the agent learns they exist and can ask for another format.
        body += "\n\n" + _("Attachments not kept (type not accepted): %(names)s") % {"names": ", ".join(skipped)}
    return body[:BODY_MAX]


def _record(parsed: ParsedEmail, raw: bytes, *, mailbox: Mailbox | None, outcome: str, detail: str = "",
            ticket: Ticket | None = None, ticket_message: TicketMessage | None = None,
            bounce_of: EmailMessage | None = None, held: EmailMessage | None = None) -> EmailMessage:
    """A new inbound row; or, for a held mail being released, that same row with its new outcome."""
    if held is not None:
        held.outcome, held.detail, held.ticket, held.ticket_message = outcome, detail[:300], ticket, ticket_message
        held.save(update_fields=["outcome", "detail", "ticket", "ticket_message"])
        return held
    return EmailMessage.objects.create(
        direction=EmailMessage.Direction.INBOUND, outcome=outcome, message_id=parsed.message_id, mailbox=mailbox,
        ticket=ticket, ticket_message=ticket_message, counterpart=parsed.sender, subject=parsed.subject[:300],
        in_reply_to=parsed.in_reply_to[:500], references=" ".join(parsed.references), detail=detail[:300],
        raw=raw, bounce_of=bounce_of,
    )


def _to_ticket(parsed: ParsedEmail, raw: bytes, *, mailbox: Mailbox | None, now: datetime,
               held: EmailMessage | None, contact_locked: bool) -> EmailMessage:
    customer, _created = customer_for_contact(email=parsed.sender, display_name=parsed.sender_name,
                                              locked=contact_locked)
    uploads, skipped = _uploads(parsed)
    body = _body(parsed, skipped)
    ticket = _thread(parsed)
    message: TicketMessage
    if ticket is not None and ticket.customer_id == customer.pk:
        message = ticket_reply_within(ticket=ticket, author=customer, body=body, uploads=uploads, now=now)
    elif ticket is not None:
        # Someone else on the thread (a colleague in Cc, a forward): the desk reads it as a note, and it
        # never speaks for the ticket's customer.
        message = ticket_add_system_note(ticket=ticket, author=customer, body=_(
            "E-mail from %(sender)s:\n\n%(body)s") % {"sender": customer, "body": body})
        attachment_service.attach(message=message, uploads=uploads)
    else:
        subject = parsed.subject[:SUBJECT_MAX] or _("(no subject)")
        message = ticket_open(customer=customer, subject=subject, body=body, channel=Channel.EMAIL, source="email",
                              team=mailbox.team if mailbox else None, uploads=uploads, now=now,
                              profile_loaded=True).message
    return _record(parsed, raw, mailbox=mailbox, outcome=Outcome.TICKET, ticket=message.ticket,
                   ticket_message=message, held=held)


def _accept(parsed: ParsedEmail, raw: bytes, *, mailbox: Mailbox | None, now: datetime,
            held: EmailMessage | None = None, contact_locked: bool = False) -> EmailMessage:
    """A mail past loop protection and the sender rate: refused for its attachments, or onto a ticket.
    `contact_locked`: the sender's customer lock is held already (`email_receive` takes it with the Message-ID's)."""
    limit = settings.TICKETS_ATTACHMENT_MAX_BYTES
    oversized = [attachment.filename for attachment in parsed.attachments if len(attachment.data) > limit]
    if oversized:
        email = _record(parsed, raw, mailbox=mailbox, outcome=Outcome.REFUSED, detail=", ".join(oversized), held=held)
        outbound.queue_refusal(refused=email, mailbox=mailbox, limit_bytes=limit)
        return email
    return _to_ticket(parsed, raw, mailbox=mailbox, now=now, held=held, contact_locked=contact_locked)


def _bounced(original: EmailMessage, detail: str, now: datetime) -> None:
    """Mark our mail bounced; on a ticket, the desk is told in a note and a notification."""
    original.bounced_at = now
    original.detail = detail or _("Bounced")
    original.save(update_fields=["bounced_at", "detail"])
    reply = original.ticket_message
    if original.ticket is None or reply is None:
        return
    ticket = original.ticket
    ticket_add_system_note(ticket=ticket, author=reply.author, body=_(
        "The e-mail reply of %(sent)s bounced: %(detail)s\n\n> %(excerpt)s") % {
        "sent": timezone.localtime(reply.created_at).strftime("%Y-%m-%d %H:%M"), "detail": original.detail,
        "excerpt": Truncator(reply.body).chars(BOUNCE_EXCERPT_CHARS)})
    notify(recipients=_desk_for(ticket), kind=Notification.Kind.BOUNCE, ticket=ticket, actor=None,
           text=_("%(number)s: an e-mail reply to the customer bounced") % {"number": ticket.number})


def _desk_for(ticket: Ticket) -> list[User]:
    """Who hears about the ticket: its assignee, else the active agents of its team."""
    if ticket.assignee is not None:
        return [ticket.assignee]
    if ticket.team_id is None:
        return []
    return list(User.objects.filter(agent_profile__teams=ticket.team_id, is_active=True).order_by("pk"))


# Our mail a bounce names, written out as SQL for the reason _STORED_AND_RECENT is (its Case/When ordering compiled
# in 0.5 ms): by its Message-ID first, else the latest sent lately to an address that failed. A missing id is NULL
# and matches nothing; no failed address is an empty array.
_BOUNCED = (
    "SELECT id FROM tickets_emailmessage WHERE direction = 'out' AND (message_id = %(message_id)s "
    "OR (counterpart_index = ANY(%(failed)s) AND created_at >= %(since)s)) "
    "ORDER BY CASE WHEN message_id = %(message_id)s THEN 0 ELSE 1 END, created_at DESC LIMIT 1"
)


def _bounced_mail(parsed: ParsedEmail, now: datetime) -> EmailMessage | None:
    """Our mail a bounce reports: by its Message-ID, else the latest we sent lately to an address that failed.

    Looked for by id in one light query (many bounces name nothing we sent), then locked and read whole."""
    bounce = parsed.bounce
    assert bounce is not None
    if not (bounce.original_message_id or bounce.recipients):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_BOUNCED, {"message_id": bounce.original_message_id or None, "since": now - BOUNCE_MATCH_WINDOW,
                                  "failed": [blind_index(address, kind="email") for address in bounce.recipients]})
        found = cursor.fetchone()
    if found is None:
        return None
    ours = EmailMessage.objects.filter(direction=EmailMessage.Direction.OUTBOUND)
    return ours.select_for_update(of=("self",)).select_related("ticket__assignee", "ticket_message__author").defer(
        "raw").get(pk=found[0])


def _automatic_reply(parsed: ParsedEmail, raw: bytes, *, mailbox: Mailbox | None) -> EmailMessage:
    """Never a new ticket (answering could start a loop): a note on the ticket the customer's auto-reply
    answers, so the desk learns they are away; anything else only recorded."""
    ticket = _thread(parsed)
    if ticket is None or ticket.customer.email.lower() != parsed.sender.lower():
        return _record(parsed, raw, mailbox=mailbox, outcome=Outcome.LOOP, detail=parsed.automatic, ticket=ticket)
    note = ticket_add_system_note(ticket=ticket, author=ticket.customer, body=_(
        "Automatic reply from %(sender)s:\n\n%(body)s") % {"sender": parsed.sender, "body": _body(parsed, [])})
    return _record(parsed, raw, mailbox=mailbox, outcome=Outcome.LOOP, detail=parsed.automatic, ticket=ticket,
                   ticket_message=note)


def _may_open_ticket(parsed: ParsedEmail, our_addresses: set[str]) -> bool:
    """Not a bounce, not from our own address, not an automatic reply: what `_receive` may put on a ticket."""
    return parsed.bounce is None and parsed.sender.lower() not in our_addresses and not parsed.automatic


def _receive(parsed: ParsedEmail, raw: bytes, *, mailbox: Mailbox | None, our_addresses: set[str],
             now: datetime, over_rate: bool, contact_locked: bool) -> EmailMessage:
    if parsed.bounce is not None:
        original = _bounced_mail(parsed, now)
        # A "delayed, still trying" notice is kept with our mail but does not mark it bounced.
        if original is not None and parsed.bounce.permanent:
            _bounced(original, parsed.bounce.detail, now)
        return _record(parsed, raw, mailbox=mailbox, outcome=Outcome.BOUNCE, detail=parsed.bounce.detail,
                       ticket=original.ticket if original else None, bounce_of=original)
    if parsed.sender.lower() in our_addresses:
        return _record(parsed, raw, mailbox=mailbox, outcome=Outcome.LOOP, detail=_("Sent from our own address"))
    if parsed.automatic:
        return _automatic_reply(parsed, raw, mailbox=mailbox)
    conversation = side_conversation_for_mail(parsed)  # an answer on a side conversation stays beside its ticket
    if conversation is not None:
        uploads, skipped = _uploads(parsed)
        side_mail_receive(conversation=conversation, parsed=parsed, uploads=uploads, skipped=skipped)
        return _record(parsed, raw, mailbox=mailbox, outcome=Outcome.SIDE, detail=str(conversation))
    if over_rate:
        return _record(parsed, raw, mailbox=mailbox, outcome=Outcome.HELD,
                       detail=_("More than %(limit)s mails in an hour") % {
                           "limit": settings.EMAIL_INBOUND_PER_SENDER_PER_HOUR})
    return _accept(parsed, raw, mailbox=mailbox, now=now, contact_locked=contact_locked)


def email_release_held(*, email_id: int, actor: User, now: datetime | None = None) -> EmailMessage | None:
    """A supervisor lets a held mail through: it goes on as if it had arrived under the limit.

    None when the mail is not held (already released or rejected), so a repeated release does nothing.
    """
    with transaction.atomic():
        held = EmailMessage.objects.select_for_update(of=("self",)).select_related("mailbox__team").filter(
            pk=email_id, direction=EmailMessage.Direction.INBOUND, outcome=Outcome.HELD).first()
        if held is None:
            return None
        email = _accept(parse(bytes(held.raw)), bytes(held.raw), mailbox=held.mailbox, now=now or timezone.now(),
                        held=held)
        logger.info("held e-mail %s released by %s: %s", email.pk, actor.pk, email.outcome)
        return email


def email_reject_held(*, email_id: int, actor: User) -> bool:
    """A supervisor drops a held mail: marked handled, no ticket. False when it was not held."""
    rejected = EmailMessage.objects.filter(
        pk=email_id, direction=EmailMessage.Direction.INBOUND, outcome=Outcome.HELD,
    ).update(outcome=Outcome.REJECTED, detail=_("Rejected by %(user)s") % {"user": actor.get_username()})
    return rejected == 1


def email_receive(*, raw: bytes, mailbox: Mailbox | None = None, now: datetime | None = None) -> Received:
    """Store one inbound mail once. Raises `MalformedEmail` (nothing stored) when it cannot be read.

    In the caller's transaction when there is one (the quarantine's, which rolls back all of a failed mail), so
    no savepoint of its own; otherwise in one of its own."""
    parsed = parse(raw)
    mailboxes = cached_config.mailboxes()  # inactive ones too: their mail is still our own
    mailbox = mailbox or _mailbox_for(parsed, mailboxes)
    our_addresses = _our_addresses(mailboxes)
    # The sender's customer is looked up under a lock too: taken here, with the Message-ID's, in one round trip.
    sender_index = blind_index(parsed.sender, kind="email") if _may_open_ticket(parsed, our_addresses) else None
    with transaction.atomic(savepoint=False):
        # Deliveries of one Message-ID are serialised until the transaction ends: a second delivery of a mail being
        # stored (an IMAP re-poll, a retried POST) waits here, then finds it stored.
        lock_for_transaction(f"email:{parsed.message_id}",
                             *([contact_lock_key(email=parsed.sender)] if sender_index else []))
        now = now or timezone.now()
        # Most mail is new: asked by id only, and the stored row read (without its raw bytes) for a duplicate.
        stored, over_rate = _stored_and_over_rate(parsed.message_id, sender_index, now)
        if stored is not None:
            return Received(email=EmailMessage.objects.defer("raw").get(pk=stored), duplicate=True)
        email = _receive(parsed, raw, mailbox=mailbox, our_addresses=our_addresses, now=now, over_rate=over_rate,
                         contact_locked=sender_index is not None)
    logger.debug("e-mail %s: %s", parsed.message_id, email.outcome)
    return Received(email=email, duplicate=False)
