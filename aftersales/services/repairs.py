"""Repair by on-site visit (上门维修): the customer books one of the store's slots, the store assigns a
technician, then marks the product repaired. Send-in repair follows the return path instead."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import AfterSalesRequest, RepairSlot, RepairVisit, RequestType, Status
from aftersales.workflow import WORKFLOW, Actor
from core import events
from core.api import ApplicationError
from profiles.models import Store, User


def open_slots(store: Store, *, now: datetime | None = None, limit: int = 30) -> QuerySet[RepairSlot]:
    return RepairSlot.objects.filter(store=store, starts_at__gt=now or timezone.now(),
                                     booked__lt=F("capacity")).order_by("starts_at")[:limit]


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, fields={field: [message]})


@transaction.atomic
def visit_book(*, request: AfterSalesRequest, user: User, slot_id: int, address: str) -> RepairVisit:
    if request.request_type != RequestType.REPAIR:
        raise _invalid("action", _("Only repairs can book a technician's visit."))
    address = address.strip()
    if len(address) < 8:
        raise _invalid("address", _("Enter the full address for the visit."))
    # The slot row lock makes two customers racing for the last place take turns.
    slot = RepairSlot.objects.select_for_update().filter(pk=slot_id, store_id=request.store_id).first()
    if slot is None or slot.starts_at <= timezone.now():
        raise _invalid("slot", _("Choose one of the times offered."))
    if slot.booked >= slot.capacity:
        raise _invalid("slot", _("This time is fully booked; choose another."))
    request = WORKFLOW.transition(request, to=Status.VISIT_SCHEDULED, by=Actor.CUSTOMER, actor=user,
                                  reason=timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M"))
    slot.booked += 1
    slot.save(update_fields=["booked"])
    visit = RepairVisit.objects.create(request=request, slot=slot, address=address[:300])
    events.publish("aftersales.visit_booked", request_id=request.pk, slot_id=slot.pk)
    return visit


@transaction.atomic
def visit_assign_technician(*, request: AfterSalesRequest, user: User, technician: str) -> RepairVisit:
    technician = technician.strip()
    if not technician:
        raise _invalid("technician", _("This field is required."))
    visit = RepairVisit.objects.select_for_update().get(request=request)
    WORKFLOW.transition(request, to=Status.VISIT_SCHEDULED, by=Actor.MERCHANT, actor=user,
                        reason=_("Technician: %(name)s") % {"name": technician})
    visit.technician = technician[:60]
    visit.save(update_fields=["technician"])
    events.publish("aftersales.visit_assigned", request_id=request.pk)
    return visit


@transaction.atomic
def slots_ensure(*, store: Store, starts: list[datetime], hours: int, capacity: int) -> int:
    """Visit slots starting at `starts` (kept if they exist); returns how many were created."""
    created = 0
    for start in starts:
        _, new = RepairSlot.objects.get_or_create(
            store=store, starts_at=start, defaults={"ends_at": start + timedelta(hours=hours), "capacity": capacity}
        )
        created += new
    return created
