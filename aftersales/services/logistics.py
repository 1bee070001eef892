"""Parcel scans from the logistics provider's webhook: stored once, and acted on when a parcel is signed.

A signed order shipment sets its signed-for date (the 7-day clock starts); a signed return parcel
moves its request from in transit to received. A verified scan that cannot be stored is kept in the
core quarantine (`tracking_receive`), and a supervisor's retry stores it from the kept body.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.models import AfterSalesRequest, Shipment, Status, TrackingEvent
from aftersales.workflow import WORKFLOW, Actor
from core import channel_registry, events
from core.quarantine import Quarantined, receive_or_quarantine

CHANNEL = "logistics"
SCAN_FIELDS = ("courier", "tracking_number", "kind", "occurred_at", "description")


@transaction.atomic
def tracking_record(*, courier: str, tracking_number: str, kind: str, occurred_at: datetime,
                    description: str = "") -> TrackingEvent | None:
    """Store one scan; returns None when the provider redelivered a scan already stored."""
    try:
        with transaction.atomic():
            scan = TrackingEvent.objects.create(courier=courier, tracking_number=tracking_number, kind=kind,
                                                occurred_at=occurred_at, description=description[:200])
    except IntegrityError:
        return None
    if kind == TrackingEvent.Kind.SIGNED:
        for shipment in Shipment.objects.select_for_update().filter(
            courier=courier, tracking_number=tracking_number, signed_at__isnull=True
        ):
            shipment.signed_at = occurred_at
            shipment.save(update_fields=["signed_at"])
        returns = AfterSalesRequest.objects.filter(return_courier=courier, return_tracking_number=tracking_number,
                                                   status=Status.IN_TRANSIT)
        for request in returns:
            WORKFLOW.transition(request, to=Status.RECEIVED, by=Actor.SYSTEM, actor=None,
                                reason=_("The courier reports the return parcel signed for."))
    events.publish("aftersales.parcel_scanned", courier=courier, tracking_number=tracking_number, kind=kind)
    return scan


def tracking_receive(*, raw: bytes, scan: Mapping[str, Any]) -> TrackingEvent | Quarantined | None:
    """Store one verified scan (`scan`: its validated fields), or quarantine the raw body with the reason."""
    return receive_or_quarantine(channel=CHANNEL, raw=raw, intake=lambda: tracking_record(**scan))


def _retry(raw: bytes, context: Mapping[str, Any]) -> TrackingEvent | None:
    payload = json.loads(raw)
    scan = {name: payload[name] for name in SCAN_FIELDS if name in payload}
    occurred_at = parse_datetime(str(scan.get("occurred_at", "")))
    if occurred_at is None:
        raise ValueError("occurred_at is not a date and time")
    scan["occurred_at"] = occurred_at
    return tracking_record(**scan)


def register() -> None:
    channel_registry.register(channel_registry.ChannelAdapter(code=CHANNEL, label=gettext_lazy("Logistics"),
                                                              retry=_retry))
