"""The WeChat channel's adapter: every message type stored (or quarantined, keyed by its MsgId), media fetched
after the answer, replies sent back through the customer-service message API.

The endpoint (tickets/channels/api.py) checks the signature and decrypts; everything that writes is here. The
protocol itself (signatures, AES, XML, API calls) is protocol.py.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core import channel_registry
from core.http import ProviderError
from core.images import ImageRefused, reencode_image
from core.quarantine import receive_or_quarantine
from core.queueing import enqueue
from profiles.identities import customer_for_contact
from profiles.models import ChannelIdentity
from tickets.channels.inbound import inbound_message
from tickets.channels.wechat import protocol as wechat
from tickets.models import Channel, InboundMessage, TicketMessage, WeChatAccount, WeChatEvent
from tickets.services import attachments as attachment_service
from tickets.services.outbound import register_sender

WECHAT = "wechat"
_WECHAT_MSG_ID = re.compile(rb"<MsgId>\s*(\d{1,64})\s*</MsgId>")
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


def wechat_store(*, account: WeChatAccount, message: wechat.WeChatMessage) -> TicketMessage | WeChatEvent:
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


def _wechat_store(account: WeChatAccount, plaintext: bytes) -> TicketMessage | WeChatEvent:
    return wechat_store(account=account, message=wechat.read_message(wechat.parse_xml(plaintext)))


def wechat_receive(*, account: WeChatAccount, plaintext: bytes) -> Any:
    """One verified (and decrypted) WeChat message: stored, or quarantined keyed by its MsgId."""
    found = _WECHAT_MSG_ID.search(plaintext[:64 * 1024])
    return receive_or_quarantine(
        channel=WECHAT, raw=plaintext, key=f"{account.app_id}:{found.group(1).decode()}" if found else None,
        context={"app_id": account.app_id}, intake=lambda: _wechat_store(account, plaintext))


def _wechat_retry(raw: bytes, context: Mapping[str, Any]) -> Any:
    return _wechat_store(WeChatAccount.objects.get(app_id=context["app_id"]), raw)


def register() -> None:
    """Called from TicketsConfig.ready(): the channel's adapter, and its replies' sender."""
    channel_registry.register(channel_registry.ChannelAdapter(code=WECHAT, label=Channel.WECHAT.label,
                                                              retry=_wechat_retry))
    register_sender(Channel.WECHAT, _send_wechat)
