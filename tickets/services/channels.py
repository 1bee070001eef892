"""Intake and replies per outside channel: WeChat, signed social webhooks (Weibo, SMS gateways), calls.

The endpoints (tickets/channel_api.py) only check signatures and parse; everything that writes is here.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import webhooks
from core.http import ProviderError, request_json
from core.images import ImageRefused, reencode_image
from core.queueing import enqueue
from core.sms import sms
from profiles.identities import customer_for_contact
from profiles.models import ChannelIdentity, User
from tickets import wechat
from tickets.errors import ChannelRefused
from tickets.models import Channel, InboundMessage, SocialSource, TicketMessage, WeChatAccount, WeChatEvent
from tickets.services import attachments as attachment_service
from tickets.services.intake import inbound_message
from tickets.services.outbound import register_sender

WECHAT_PLACEHOLDERS = {"image": "[图片]", "voice": "[语音]", "video": "[视频]", "shortvideo": "[小视频]",
                       "location": "[位置]", "link": "[链接]", "file": "[文件]"}
# The title-like field each type adds after its placeholder, so the thread, search and previews read well.
_WECHAT_CAPTIONS = {"voice": "Recognition", "location": "Label", "link": "Title", "file": "Title"}
# A download that fails this often is shown to the agent as failed (the outbox allows more runs).
MEDIA_MAX_ATTEMPTS = 3
MEDIA_IMAGE_BOX = (4096, 4096)


def _wechat_body(message: wechat.WeChatMessage) -> str:
    if message.msg_type == "text":
        return message.content
    if message.msg_type not in WECHAT_PLACEHOLDERS:  # stored as it came; the desk shows its fields in a card
        return " ".join(part for part in (f"[暂不支持的消息类型 {message.msg_type}]", message.details.get("Title", ""))
                        if part)
    caption_field = _WECHAT_CAPTIONS.get(message.msg_type, "")
    caption = message.recognition if caption_field == "Recognition" else message.details.get(caption_field, "")
    return " ".join(part for part in (WECHAT_PLACEHOLDERS[message.msg_type], caption) if part)


def wechat_receive(*, account: WeChatAccount, message: wechat.WeChatMessage) -> TicketMessage | WeChatEvent:
    """Every message type → the customer's WeChat ticket; an event (follow, menu, scan …) → a WeChatEvent row
    and no ticket; a type this code does not know yet is stored too, with every field WeChat sent.

    Media stays on WeChat's store until `wechat_fetch_media` (a task) brings it onto the message: WeChat
    waits only five seconds for the endpoint's answer."""
    if message.msg_type == "event":
        event, _created = WeChatEvent.objects.get_or_create(
            account=account.app_id, external_id=message.msg_id,
            defaults={"openid": message.openid, "event": message.event, "event_key": message.event_key,
                      "details": message.details})
        return event
    with transaction.atomic():
        customer, _created = customer_for_contact(kind=ChannelIdentity.Kind.WECHAT, account=account.app_id,
                                                  external_id=message.openid)
        stored, is_new = inbound_message(channel=Channel.WECHAT, account=account.app_id, external_id=message.msg_id,
                                         customer=customer, body=_wechat_body(message), source=account.app_id)
        if is_new:
            media_id = message.media_id if message.msg_type in wechat.MEDIA_TYPES else ""
            InboundMessage.objects.filter(message=stored).update(media_id=media_id, msg_type=message.msg_type,
                                                                 details=message.details)
            if media_id:
                enqueue("tickets.tasks.fetch_wechat_media", message_id=stored.pk)
    return stored


def _media_upload(inbound: InboundMessage, content: bytes) -> SimpleUploadedFile:
    """The file as the desk stores it: a picture in any format is re-encoded so every browser shows it."""
    name = f"wechat-{inbound.media_id[:40]}"
    if inbound.msg_type == "image":
        picture = reencode_image(content, box=MEDIA_IMAGE_BOX, formats=None)
        return SimpleUploadedFile(f"{name}.{picture.extension}", picture.data)
    return SimpleUploadedFile(name, content)


def _media_failed(inbound: InboundMessage, reason: str) -> bool:
    InboundMessage.objects.filter(pk=inbound.pk).update(media_error=reason[:300])
    return False


def wechat_fetch_media(*, message_id: int) -> bool:
    """Bring a message's picture, voice clip or video from WeChat onto it; True once it is there.

    A provider error (WeChat's errcode JSON, a timeout) raises, so the outbox runs it again with backoff;
    the MEDIA_MAX_ATTEMPTS-th failure, or bytes that are not what the message says, mark the media failed
    for the desk to show. Nothing but a checked file is ever attached."""
    inbound = InboundMessage.objects.select_related("message").filter(message_id=message_id).first()
    if inbound is None or not inbound.media_id or inbound.media_fetched or inbound.media_error:
        return inbound is not None and inbound.media_fetched
    account = WeChatAccount.objects.get(app_id=inbound.account)
    try:
        content, _type = wechat.download_media(account, inbound.media_id)
        upload = _media_upload(inbound, content)
    except ProviderError as error:
        attempts = inbound.media_attempts + 1
        InboundMessage.objects.filter(pk=inbound.pk).update(media_attempts=attempts)
        if attempts < MEDIA_MAX_ATTEMPTS:
            raise
        return _media_failed(inbound, str(error))
    except ImageRefused as error:
        return _media_failed(inbound, error.message)
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        if locked.media_fetched:
            return True
        try:
            attachment_service.attach(message=inbound.message, uploads=[upload])
        except ValidationError as error:
            return _media_failed(inbound, "; ".join(error.messages))
        locked.media_fetched = True
        locked.save(update_fields=["media_fetched"])
    return True


def _send_wechat(message: TicketMessage) -> str:
    ticket = message.ticket
    account = WeChatAccount.objects.get(app_id=ticket.source)
    identity = ChannelIdentity.objects.filter(customer_id=ticket.customer_id, kind=ChannelIdentity.Kind.WECHAT,
                                              account=account.app_id).first()
    if identity is None:
        raise LookupError("the customer has no WeChat openid on this account")
    return wechat.send_text(account, openid=identity.external_id, text=message.body)


# --- signed social webhooks (Weibo DMs, SMS gateways' inbound replies, other channels) ---


@dataclass(frozen=True)
class SocialMessage:
    message_id: str
    sender_id: str  # the channel's id for the person ("" for SMS, which names them by phone)
    sender_name: str
    phone: str
    text: str


def social_verify(source: SocialSource, *, timestamp: str, signature: str, body: bytes,
                  now: datetime | None = None) -> None:
    if not webhooks.verify(source.secret, timestamp, body, signature, now=now,
                           tolerance_seconds=source.replay_window_seconds):
        raise ChannelRefused(403, "bad signature or a timestamp outside the replay window")


def social_parse(source: SocialSource, payload: Any) -> SocialMessage:
    if not isinstance(payload, dict):
        raise ChannelRefused(400, "the body must be a JSON object")
    given_sender = payload.get("sender")
    sender: dict[str, Any] = given_sender if isinstance(given_sender, dict) else {}
    message = SocialMessage(
        message_id=str(payload.get("message_id") or "").strip()[:128], sender_id=str(sender.get("id") or "")[:128],
        sender_name=str(sender.get("name") or "")[:60], phone=str(sender.get("phone") or "").strip()[:20],
        text=str(payload.get("text") or "").strip(),
    )
    missing = [name for name, value in (("message_id", message.message_id), ("text", message.text)) if not value]
    if source.channel == Channel.SMS and not message.phone:
        missing.append("sender.phone")
    elif source.channel != Channel.SMS and not message.sender_id:
        missing.append("sender.id")
    if missing:
        raise ChannelRefused(400, "missing: " + ", ".join(missing))
    return message


def _identity_kind(source: SocialSource) -> str:
    return ChannelIdentity.Kind.WEIBO if source.channel == Channel.WEIBO else ChannelIdentity.Kind.SOCIAL


def social_receive(*, source: SocialSource, message: SocialMessage) -> tuple[TicketMessage, bool]:
    with transaction.atomic():
        if source.channel == Channel.SMS:
            customer, _created = customer_for_contact(phone=message.phone, display_name=message.sender_name)
        else:
            customer, _created = customer_for_contact(
                kind=_identity_kind(source), account=source.slug, external_id=message.sender_id,
                display_name=message.sender_name)
        return inbound_message(channel=source.channel, account=source.slug, external_id=message.message_id,
                               customer=customer, body=message.text, source=source.slug)


def _send_social(message: TicketMessage) -> str:
    ticket = message.ticket
    source = SocialSource.objects.get(slug=ticket.source)
    if not source.reply_url:
        raise LookupError(f"the source {source.slug} has no reply URL")
    identity = ChannelIdentity.objects.filter(customer_id=ticket.customer_id, kind=_identity_kind(source),
                                              account=source.slug).first()
    if identity is None:
        raise LookupError("the customer has no id on this source")
    payload = {"recipient_id": identity.external_id, "text": message.body, "reply_to_ticket": ticket.number}
    timestamp = str(int(timezone.now().timestamp()))
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    answer = request_json("POST", source.reply_url, body=body, headers={
        webhooks.TIMESTAMP_HEADER: timestamp, webhooks.SIGNATURE_HEADER: webhooks.sign(source.secret, timestamp, body)})
    return str(answer.get("id", ""))


def _send_sms(message: TicketMessage) -> str:
    customer: User = message.ticket.customer
    if not customer.phone:
        raise LookupError("the customer has no phone number")
    return sms().send(phone=customer.phone, text=_("%(body)s (reply to this message to answer %(number)s)") % {
        "body": message.body, "number": message.ticket.number})


def register_senders() -> None:
    """Called from TicketsConfig.ready(): replies on these channels go back the way they came."""
    register_sender(Channel.WECHAT, _send_wechat)
    register_sender(Channel.WEIBO, _send_social)
    register_sender(Channel.APP, _send_social)
    register_sender(Channel.SMS, _send_sms)
