"""The signed social webhooks' adapter (Weibo DMs, SMS gateways' inbound replies, app messages): each message
verified, stored on the customer's ticket or quarantined under its channel, and replies sent back the way they
came (the source's reply URL, or a text message).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import channel_registry, webhooks
from core.http import request_json
from core.quarantine import receive_or_quarantine
from core.sms import sms
from profiles.identities import customer_for_contact
from profiles.models import ChannelIdentity, User
from tickets.channels.inbound import inbound_message
from tickets.errors import ChannelRefused
from tickets.models import Channel, SocialSource, TicketMessage
from tickets.services.outbound import register_sender


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


def social_store(*, source: SocialSource, message: SocialMessage) -> tuple[TicketMessage, bool]:
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


def social_receive(*, source: SocialSource, raw: bytes, message: SocialMessage) -> Any:
    """One verified social message (Weibo DM, inbound SMS …): stored, or quarantined under its channel."""
    return receive_or_quarantine(
        channel=source.channel, raw=raw, key=f"{source.slug}:{message.message_id}", context={"source": source.slug},
        intake=lambda: social_store(source=source, message=message))


def _social_retry(raw: bytes, context: Mapping[str, Any]) -> Any:
    source = SocialSource.objects.get(slug=context["source"])
    return social_store(source=source, message=social_parse(source, json.loads(raw)))


def register() -> None:
    """Called from TicketsConfig.ready(): an adapter per channel a SocialSource can be, and their senders."""
    for social_channel in (Channel.WEIBO, Channel.SMS, Channel.APP):
        channel_registry.register(channel_registry.ChannelAdapter(
            code=str(social_channel), label=social_channel.label, retry=_social_retry))
    register_sender(Channel.WEIBO, _send_social)
    register_sender(Channel.APP, _send_social)
    register_sender(Channel.SMS, _send_sms)
