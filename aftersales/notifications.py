"""Tell the customer about each step of their request: in-app, by e-mail and by SMS.

The in-app row is written by a Celery task queued (through the outbox) after the commit of the step, one
per timeline event; the e-mail and the SMS leave through core's messaging (core.messaging),
queued in the same transaction as the row, so each is sent once and retried by the outbox when it fails.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from aftersales.models import AfterSalesRequest, Notification, RequestEvent, Status
from core import events, messaging
from core.queueing import enqueue

MESSAGES = {
    Status.MERCHANT_REVIEW: _("Your after-sales request %(number)s was submitted; the store will reply within "
                              "48 hours."),
    Status.APPROVED: _("Your after-sales request %(number)s was approved."),
    Status.REJECTED: _("Your after-sales request %(number)s was rejected: %(note)s. You may appeal to the "
                       "platform."),
    Status.ARBITRATION: _("The platform is now handling your after-sales request %(number)s."),
    Status.AWAITING_RETURN: _("Please send the goods of request %(number)s back and enter the tracking number."),
    Status.RECEIVED: _("The store received the goods you sent back for request %(number)s."),
    Status.REFUNDED: _("Your refund for request %(number)s was paid: %(note)s."),
    Status.EXCHANGE_SHIPPED: _("The replacement for request %(number)s is on its way: %(note)s."),
    Status.REPAIRED: _("Your product for request %(number)s has been repaired."),
    Status.VISIT_SCHEDULED: _("Your on-site repair for request %(number)s is booked: %(note)s."),
    Status.CLOSED: _("Your after-sales request %(number)s is closed."),
}
# Steps worth a text message; the rest are in-app and e-mail only.
SMS_STATUSES = {Status.APPROVED, Status.REJECTED, Status.AWAITING_RETURN, Status.REFUNDED,
                Status.EXCHANGE_SHIPPED, Status.VISIT_SCHEDULED}


def notify_step(*, event_id: int) -> Notification | None:
    """Send the message for one timeline event, once; None when there is nothing (more) to send."""
    step = RequestEvent.objects.select_related("request__customer").filter(pk=event_id).first()
    if step is None or step.to_status not in MESSAGES or Notification.objects.filter(event=step).exists():
        return None
    request: AfterSalesRequest = step.request
    customer = request.customer
    with translation.override(customer.preferred_language or settings.LANGUAGE_CODE):
        text = str(MESSAGES[Status(step.to_status)]) % {"number": request.number, "note": step.note or "—"}
    try:
        with transaction.atomic():
            notification = Notification.objects.create(user=customer, request=request, event=step, message=text)
            if customer.email:
                messaging.send_email(recipient_ids=[customer.pk], subject=text[:60], body=text)
            if customer.phone and step.to_status in SMS_STATUSES:
                messaging.send_sms(recipient_id=customer.pk, text=text)
    except IntegrityError:
        return None  # a concurrent delivery of the same task got there first
    return notification


def _queue(event: events.DomainEvent) -> None:
    # Every step not yet told (one service call can take several steps, e.g. approved → awaiting return).
    pending = RequestEvent.objects.filter(
        request_id=event.payload["request_id"], to_status__in=list(MESSAGES), notification__isnull=True
    ).order_by("id").values_list("pk", flat=True)
    for event_id in pending:
        enqueue("aftersales.tasks.notify_customer", event_id=event_id)


def subscribe() -> None:
    events.subscribe("aftersales.request_changed", _queue)
