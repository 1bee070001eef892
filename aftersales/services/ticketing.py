"""The ticket of each after-sales request: opened with it, fed with the customer's messages and its steps.

Every request gets its ticket inside the transaction that creates it, through tickets' own
`ticket_create` (routing, SLA, keyword rules), so agents work it in the desk like any other ticket.
The customer's messages on the request are public replies on that ticket; each step of the
request's timeline leaves one internal note on it, written by the after-sales service account.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import status

from aftersales import complaint_priority
from aftersales.models import AfterSalesRequest, RequestEvent, RequestType, Status
from aftersales.templatetags.aftersales_tags import ACTOR_LABELS
from core.api import ApplicationError
from core.money import format_fen
from profiles import services as profile_services
from profiles.models import User
from tickets import services as ticket_services
from tickets.models import Channel, Ticket, TicketMessage, TicketType

SOURCE = "aftersales"
SYSTEM_USERNAME = "aftersales-system"
MESSAGE_MAX = 2000


def customer_language(customer: User) -> str:
    return customer.preferred_language or settings.LANGUAGE_CODE


def _subject_and_body(request: AfterSalesRequest) -> tuple[str, str]:
    """In the customer's language: the ticket is theirs too (help center, e-mails)."""
    language = customer_language(request.customer)
    with translation.override(language):
        subject = _("After-sales request %(number)s · %(type)s") % {
            "number": request.number, "type": request.get_request_type_display()}
        lines = [
            _("Reason: %(reason)s") % {"reason": request.reason.label(language)},
            _("Item: %(product)s x %(quantity)s") % {"product": request.item.product_name,
                                                     "quantity": request.quantity},
            _("Order: %(order)s · %(store)s") % {"order": request.order.number, "store": request.store.name},
        ]
        if request.amount_fen:
            lines.append(_("Refund amount: %(amount)s") % {"amount": format_fen(request.amount_fen)})
    if request.description:
        lines.append(request.description)
    return subject, "\n".join(lines)


def ticket_open(request: AfterSalesRequest, *, channel: str, now: datetime) -> Ticket:
    """Create the ticket of `request` (saved or about to be): an after-sales or complaint ticket.

    A complaint's priority comes from `complaint_priority` (the rules that matched become tags);
    other requests leave priority to tickets' keyword rules and VIP boost.
    """
    subject, body = _subject_and_body(request)
    tags = [SOURCE, request.request_type]
    priority = None
    if request.request_type == RequestType.COMPLAINT:
        found = complaint_priority.triage(
            customer_id=request.customer_id, store_id=request.store_id, reason_code=request.reason.code,
            text=f"{request.reason.name} {request.reason.name_en} {request.description}",
            before=request.created_at or now, exclude_pk=request.pk,
        )
        priority = found.priority
        tags.extend(found.matched)
    return ticket_services.ticket_create(
        customer=request.customer, subject=subject, body=body, channel=channel, source=SOURCE,
        type=TicketType.COMPLAINT if request.request_type == RequestType.COMPLAINT else TicketType.AFTERSALES,
        priority=priority, tags=tags, order_number=request.order.number, now=now,
    )


@transaction.atomic
def request_ticket_ensure(*, request: AfterSalesRequest, channel: str = Channel.WEB) -> Ticket:
    """The request's ticket, opened now if the request predates tickets for requests (backfill)."""
    locked = (AfterSalesRequest.objects.select_for_update(of=("self",))
              .select_related("customer", "reason", "order", "item", "store", "ticket").get(pk=request.pk))
    if locked.ticket is not None:
        return locked.ticket
    locked.ticket = ticket_open(locked, channel=channel, now=timezone.now())
    locked._change_reason = "ticket opened"  # type: ignore[attr-defined]  # simple-history's reason
    locked.save(update_fields=["ticket", "updated_at"])
    request.ticket = locked.ticket
    return locked.ticket


@transaction.atomic
def request_message_send(*, request: AfterSalesRequest, user: User, body: str) -> TicketMessage:
    """The customer writes to the service desk about their request: a public reply on its ticket."""
    if request.customer_id != user.pk:
        raise ApplicationError(_("Only the customer who applied may write here."), code="permission_denied",
                               status_code=status.HTTP_403_FORBIDDEN)
    body = (body or "").strip()
    if len(body) > MESSAGE_MAX:
        message = _("At most %(limit)s characters.") % {"limit": MESSAGE_MAX}
        raise ApplicationError(message, fields={"body": [message]})
    ticket = request_ticket_ensure(request=request)
    try:
        return ticket_services.ticket_reply(ticket=ticket, author=user, body=body)
    except ValidationError as exc:
        fields = {name: [str(error) for error in errors] for name, errors in exc.message_dict.items()}
        raise ApplicationError(next(iter(fields.values()))[0], fields=fields) from exc


def system_account() -> User:
    """The account after-sales writes ticket notes as; it has no password and no role, so nobody logs in."""
    with translation.override(settings.LANGUAGE_CODE):
        user, _created = profile_services.user_ensure(username=SYSTEM_USERNAME, password=None,
                                                      display_name=_("After-sales system"))
    return user


def _step_note(step: RequestEvent, number: str) -> str:
    # For the desk, in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        who = str(ACTOR_LABELS.get(step.actor_kind, step.actor_kind))
        if step.actor is not None:
            who = f"{who} {step.actor}"
        text = _("%(number)s: %(source)s → %(target)s (%(actor)s)") % {
            "number": number, "source": step.get_from_status_display() or "—",
            "target": step.get_to_status_display(), "actor": who}
    return f"{text}\n{step.note}" if step.note else text


def ticket_notes_add(*, request_id: int) -> int:
    """Leave one internal note on the request's ticket per timeline step not noted yet; returns how many.

    The submission itself is the ticket's first message, so it gets no note. Steps are locked while
    noted and skipped if another worker holds them, so a redelivered task notes nothing twice.
    """
    with transaction.atomic():
        request = (AfterSalesRequest.objects.select_related("ticket").filter(pk=request_id, ticket__isnull=False)
                   .only("pk", "number", "ticket").first())
        if request is None or request.ticket is None:
            return 0
        steps = list(
            RequestEvent.objects.select_for_update(skip_locked=True, of=("self",)).select_related("actor")
            .filter(request_id=request_id, ticket_note__isnull=True).exclude(to_status=Status.SUBMITTED)
            .order_by("id")
        )
        if not steps:
            return 0
        author = system_account()
        for step in steps:
            step.ticket_note = ticket_services.ticket_add_system_note(
                ticket=request.ticket, author=author, body=_step_note(step, request.number))
            step.save(update_fields=["ticket_note"])
    return len(steps)
