"""The call channel's adapter: phone calls reported by the CTI / IVR provider. Each call record opens or
continues the caller's phone ticket, and its start, end and recording are written on that ticket for the desk;
an event that cannot be stored is quarantined, and a quarantine retry runs the same store again."""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import channel_registry
from core.http import request_bytes
from core.masking import mask_phone
from core.quarantine import Quarantined, receive_or_quarantine
from core.queueing import enqueue
from profiles.identities import customer_for_contact
from profiles.models import User
from tickets.channels.inbound import continuing_ticket
from tickets.models import CallRecord, Channel, Ticket
from tickets.services.attachments import sniff
from tickets.services.notes import ticket_add_system_note
from tickets.services.tickets import ticket_create

CALLS = "call"
RECORDING_MAX_BYTES = 50 * 1024 * 1024


def _ivr_text(path: list[str]) -> str:
    return " > ".join(path) if path else _("none")


def _call_ticket(*, customer: User, phone: str, actor: User, now: datetime) -> Ticket:
    ticket = continuing_ticket(customer=customer, channel=Channel.PHONE, now=now)
    if ticket is not None:
        return ticket
    # The subject is shown to everyone on the desk: the number only masked, like every other PII.
    return ticket_create(customer=customer, subject=_("Phone call from %(phone)s") % {"phone": mask_phone(phone)},
                         body=_("Incoming phone call."), channel=Channel.PHONE, source="cti", created_by=actor,
                         now=now)


@transaction.atomic
def call_start(*, call_id: str, phone: str, started_at: datetime, actor: User, direction: str = "inbound",
               ivr_path: list[str] | None = None, agent: User | None = None) -> tuple[CallRecord, bool]:
    """Record a call (a redelivery of the same call id returns the first record: (record, False))."""
    existing = CallRecord.objects.select_related("ticket").filter(call_id=call_id).first()
    if existing is not None:
        return existing, False
    if direction not in CallRecord.Direction.values:
        raise ValidationError({"direction": _("Unknown direction.")})
    customer, _created = customer_for_contact(phone=phone)
    ticket = _call_ticket(customer=customer, phone=phone, actor=actor, now=started_at)
    try:
        with transaction.atomic():
            call = CallRecord.objects.create(call_id=call_id, ticket=ticket, direction=direction, agent=agent,
                                             started_at=started_at, ivr_path=ivr_path or [])
    except IntegrityError:
        # The same call reported twice at once: the other report wrote it, and this one's ticket rolls back.
        raise ValidationError({"call_id": _("This call is being recorded already; send it again.")}) from None
    ticket_add_system_note(ticket=ticket, author=actor, body=_(
        "%(direction)s call %(call_id)s started at %(time)s. IVR: %(ivr)s. Agent: %(agent)s.") % {
        "direction": call.get_direction_display(), "call_id": call_id,
        "time": timezone.localtime(started_at).strftime("%Y-%m-%d %H:%M:%S"), "ivr": _ivr_text(call.ivr_path),
        "agent": agent or _("none")})
    return call, True


@transaction.atomic
def call_update(*, call: CallRecord, actor: User, ended_at: datetime | None = None,
                ivr_path: list[str] | None = None, agent: User | None = None, recording_url: str = "") -> CallRecord:
    call = CallRecord.objects.select_for_update().select_related("ticket").get(pk=call.pk)
    if ended_at is not None and ended_at < call.started_at:
        raise ValidationError({"ended_at": _("A call cannot end before it started.")})
    was_open = call.ended_at is None
    changed: dict[str, Any] = {"ended_at": ended_at, "ivr_path": ivr_path, "agent": agent,
                               "recording_url": recording_url or None}
    for name, value in changed.items():
        if value is not None:
            setattr(call, name, value)
    call.save()
    if was_open and call.ended_at is not None:
        minutes, seconds = divmod(call.duration_seconds or 0, 60)
        ticket_add_system_note(ticket=call.ticket, author=actor, body=_(
            "Call %(call_id)s ended after %(minutes)d:%(seconds)02d. IVR: %(ivr)s.") % {
            "call_id": call.call_id, "minutes": minutes, "seconds": seconds, "ivr": _ivr_text(call.ivr_path)})
    if recording_url and not call.recording:
        enqueue("tickets.tasks.fetch_call_recording", call_pk=call.pk)
    return call


@transaction.atomic
def call_recording_store(*, call: CallRecord, content: bytes) -> CallRecord:
    if len(content) > RECORDING_MAX_BYTES:
        raise ValidationError({"recording": _("The recording is larger than %(mb)d MB.") % {
            "mb": RECORDING_MAX_BYTES // (1024 * 1024)}})
    content_type = sniff(content)
    if content_type is None or not content_type.startswith("audio/"):
        raise ValidationError({"recording": _("The recording must be an MP3, WAV, M4A, Ogg or AMR file.")})
    call = CallRecord.objects.select_for_update().get(pk=call.pk)
    extension = content_type.split("/")[1].replace("mpeg", "mp3").replace("mp4", "m4a")
    call.recording.save(f"{call.call_id[:40]}.{extension}", ContentFile(content), save=False)
    call.recording_type = content_type
    call.save(update_fields=["recording", "recording_type"])
    return call


def call_recording_fetch(*, call_pk: int) -> bool:
    """Bring a recording the provider left at a URL into our storage, so it plays under our permissions."""
    call = CallRecord.objects.filter(pk=call_pk).first()
    if call is None or call.recording or not call.recording_url:
        return call is not None and bool(call.recording)
    content, _type = request_bytes(call.recording_url, limit=RECORDING_MAX_BYTES)
    call_recording_store(call=call, content=content)
    return True


# --- store or quarantine: what the endpoints call, and the quarantine's retry ---


def call_store(*, data: Mapping[str, Any], actor: User) -> tuple[CallRecord, bool]:
    """A call event as the CTI provider reports it: opens or continues the call, then its end or recording."""
    call, created = call_start(
        call_id=data["call_id"], phone=data["phone"], started_at=data["started_at"], actor=actor,
        direction=data.get("direction", CallRecord.Direction.INBOUND), ivr_path=data.get("ivr_path"),
        agent=data.get("agent"))
    if data.get("ended_at") or data.get("recording_url"):
        call = call_update(call=call, actor=actor, ended_at=data.get("ended_at"),
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
        intake=lambda: call_update(call=call, actor=actor, **data))


def call_recording_receive(*, call: CallRecord, content: bytes, actor: User) -> CallRecord | Quarantined:
    """An uploaded recording: stored, or its bytes quarantined (keyed by their hash, so a repeated upload is one
    row); a file that is no recording is still the provider's 400."""
    return receive_or_quarantine(
        channel=CALLS, raw=content, context={"actor_id": actor.pk, "call_id": call.call_id, "recording": True},
        refuse=(ValidationError,), intake=lambda: call_recording_store(call=call, content=content))


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
        return call_recording_store(call=CallRecord.objects.get(call_id=context["call_id"]), content=raw)
    actor = User.objects.get(pk=context["actor_id"])
    data = _call_fields(raw)
    if "call_id" in context:  # a later event of a known call
        fields = {name: data[name] for name in ("ended_at", "ivr_path", "agent", "recording_url") if name in data}
        return call_update(call=CallRecord.objects.get(call_id=context["call_id"]), actor=actor, **fields)
    return call_store(data=data, actor=actor)


def register() -> None:
    """Called from TicketsConfig.ready(): the call channel's adapter."""
    channel_registry.register(channel_registry.ChannelAdapter(code=CALLS, label=gettext_lazy("Call events"),
                                                              retry=_call_retry))
