"""The one way to send an e-mail or a text message to a person: through the outbox.

`send_email` and `send_sms` write an outbox row in the caller's transaction (core/queueing.py);
a worker sends it after the commit, and a failure is retried with the outbox's backoff until it is dead (admin:
retry or discard). Recipients are named by user id, never by address: the outbox row holds no PII, and the
address is read (decrypted) when the message goes out. Replies on a ticket's own channel (e-mail threads, SMS,
WeChat) are the channels' business and go through their delivery rows (tickets.services.delivery).
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage

from core.queueing import enqueue
from core.sms import sms

SMS_SIGNATURE = "【服务中心】"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str
    mimetype: str


def send_email(*, recipient_ids: Sequence[int], subject: str, body: str,
               attachments: Sequence[Attachment] = ()) -> None:
    """One e-mail to each recipient with an address (never one mail listing them all), after the commit."""
    for recipient_id in dict.fromkeys(recipient_ids):
        enqueue("core.tasks.send_email", recipient_id=recipient_id, subject=str(subject),
                body=str(body), attachments=[asdict(attachment) for attachment in attachments])


def send_sms(*, recipient_id: int, text: str) -> None:
    """One text message to the recipient's phone, signed, after the commit."""
    enqueue("core.tasks.send_sms", recipient_id=recipient_id, text=str(text))


def deliver_email(*, recipient_id: int, subject: str, body: str, attachments: Sequence[Attachment] = ()) -> bool:
    """The worker's half: False when the recipient is gone or has no address (nothing to retry)."""
    address = get_user_model().objects.filter(pk=recipient_id).values_list("email", flat=True).first()
    if not address:
        return False
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()
    return True


def deliver_sms(*, recipient_id: int, text: str) -> bool:
    phone = get_user_model().objects.filter(pk=recipient_id).values_list("phone", flat=True).first()
    if not phone:
        return False
    sms().send(phone=phone, text=f"{SMS_SIGNATURE}{text}")
    return True
