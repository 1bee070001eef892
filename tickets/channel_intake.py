"""Store-or-quarantine for the outside channels: WeChat, signed social webhooks (Weibo, SMS …), call events.

The endpoints in channel_api.py check who is calling (signature, token) and refuse what is not a message
at all; everything after that is stored here or kept raw in the core quarantine with the reason, before
the provider hears "success". A supervisor's retry runs the same store function on the stored bytes
(registered by name in TicketsConfig.ready); each is idempotent by the provider's message id.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.quarantine import Quarantined, receive_or_quarantine, register_intake
from profiles.models import User
from tickets import wechat
from tickets.models import CallRecord, Channel, SocialSource, TicketMessage, WeChatAccount, WeChatEvent
from tickets.services import calls, channels

WECHAT = "wechat"
CALLS = "call"
_WECHAT_MSG_ID = re.compile(rb"<MsgId>\s*(\d{1,64})\s*</MsgId>")


def _wechat_store(account: WeChatAccount, plaintext: bytes) -> TicketMessage | WeChatEvent:
    return channels.wechat_receive(account=account, message=wechat.read_message(wechat.parse_xml(plaintext)))


def wechat_receive(*, account: WeChatAccount, plaintext: bytes) -> Any:
    """One verified (and decrypted) WeChat message: stored, or quarantined keyed by its MsgId."""
    found = _WECHAT_MSG_ID.search(plaintext[:64 * 1024])
    return receive_or_quarantine(
        channel=WECHAT, raw=plaintext, key=f"{account.app_id}:{found.group(1).decode()}" if found else None,
        context={"app_id": account.app_id}, intake=lambda: _wechat_store(account, plaintext))


def _wechat_retry(raw: bytes, context: Mapping[str, Any]) -> Any:
    return _wechat_store(WeChatAccount.objects.get(app_id=context["app_id"]), raw)


def _social_store(source: SocialSource, message: channels.SocialMessage) -> tuple[TicketMessage, bool]:
    return channels.social_receive(source=source, message=message)


def social_receive(*, source: SocialSource, raw: bytes, message: channels.SocialMessage) -> Any:
    """One verified social message (Weibo DM, inbound SMS …): stored, or quarantined under its channel."""
    return receive_or_quarantine(
        channel=source.channel, raw=raw, key=f"{source.slug}:{message.message_id}", context={"source": source.slug},
        intake=lambda: _social_store(source, message))


def _social_retry(raw: bytes, context: Mapping[str, Any]) -> Any:
    source = SocialSource.objects.get(slug=context["source"])
    return _social_store(source, channels.social_parse(source, json.loads(raw)))


def call_store(*, data: Mapping[str, Any], actor: User) -> tuple[CallRecord, bool]:
    """A call event as the CTI provider reports it: opens or continues the call, then its end or recording."""
    call, created = calls.call_start(
        call_id=data["call_id"], phone=data["phone"], started_at=data["started_at"], actor=actor,
        direction=data.get("direction", CallRecord.Direction.INBOUND), ivr_path=data.get("ivr_path"),
        agent=data.get("agent"))
    if data.get("ended_at") or data.get("recording_url"):
        call = calls.call_update(call=call, actor=actor, ended_at=data.get("ended_at"),
                                 recording_url=data.get("recording_url", ""))
    return call, created


def call_receive(*, data: Mapping[str, Any], raw: bytes, actor: User) -> tuple[CallRecord, bool] | Quarantined:
    """A new call event: stored, or quarantined; a field the provider got wrong is still its 400."""
    return receive_or_quarantine(channel=CALLS, raw=raw, context={"actor_id": actor.pk}, refuse=(ValidationError,),
                                 intake=lambda: call_store(data=data, actor=actor))


def call_update_receive(*, call: CallRecord, data: Mapping[str, Any], raw: bytes,
                        actor: User) -> CallRecord | Quarantined:
    """A later event of a known call (its end, IVR path, agent, recording URL): stored, or quarantined."""
    return receive_or_quarantine(
        channel=CALLS, raw=raw, context={"actor_id": actor.pk, "call_id": call.call_id}, refuse=(ValidationError,),
        intake=lambda: calls.call_update(call=call, actor=actor, **data))


def call_recording_receive(*, call: CallRecord, content: bytes, actor: User) -> CallRecord | Quarantined:
    """An uploaded recording: stored, or its bytes quarantined (keyed by their hash, so a repeated upload is one
    row); a file that is no recording is still the provider's 400."""
    return receive_or_quarantine(
        channel=CALLS, raw=content, context={"actor_id": actor.pk, "call_id": call.call_id, "recording": True},
        refuse=(ValidationError,), intake=lambda: calls.call_recording_store(call=call, content=content))


def _call_fields(raw: bytes) -> dict[str, Any]:
    data = dict(json.loads(raw))
    for name in ("started_at", "ended_at"):
        if isinstance(data.get(name), str):
            data[name] = parse_datetime(data[name])
    if data.get("agent"):
        data["agent"] = User.objects.get(username=data["agent"])
    return data


def _call_retry(raw: bytes, context: Mapping[str, Any]) -> Any:
    if context.get("recording"):  # the raw bytes are the recording itself
        return calls.call_recording_store(call=CallRecord.objects.get(call_id=context["call_id"]), content=raw)
    actor = User.objects.get(pk=context["actor_id"])
    data = _call_fields(raw)
    if "call_id" in context:  # a later event of a known call
        fields = {name: data[name] for name in ("ended_at", "ivr_path", "agent", "recording_url") if name in data}
        return calls.call_update(call=CallRecord.objects.get(call_id=context["call_id"]), actor=actor, **fields)
    return call_store(data=data, actor=actor)


def register() -> None:
    register_intake(WECHAT, _wechat_retry, label=Channel.WECHAT.label)
    for social_channel in (Channel.WEIBO, Channel.SMS, Channel.APP):  # the channels a SocialSource can be
        register_intake(str(social_channel), _social_retry, label=social_channel.label)
    register_intake(CALLS, _call_retry, label=_("Call events"))
