"""The after-sales lifecycle as data: who may move a request from which state to which.

`apply_transition` is the only code that changes `AfterSalesRequest.status`. It locks the row,
checks the move against `TRANSITIONS`, sets the deadline of the new state, saves (a history row
with the actor) and appends the customer-visible timeline event.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aftersales.models import AfterSalesRequest, RequestEvent, RequestType, Status


class Actor(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    PLATFORM = "platform"  # an agent arbitrating
    SYSTEM = "system"  # deadlines, gateway results


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    actors: frozenset[Actor]
    types: frozenset[str] = frozenset()  # the request types it is for; empty: every type

    def permits(self, actor: Actor, request_type: str) -> bool:
        return actor in self.actors and (not self.types or request_type in self.types)


def _t(source: Status, target: Status, *actors: Actor, types: tuple[str, ...] = ()) -> Transition:
    return Transition(source, target, frozenset(actors), frozenset(types))


S, A = Status, Actor
CANCELLABLE = (S.SUBMITTED, S.MERCHANT_REVIEW, S.APPROVED, S.REJECTED, S.ARBITRATION, S.AWAITING_RETURN,
               S.VISIT_SCHEDULED)

TRANSITIONS: tuple[Transition, ...] = (
    _t(S.SUBMITTED, S.MERCHANT_REVIEW, A.SYSTEM),
    _t(S.SUBMITTED, S.APPROVED, A.SYSTEM),  # refund of an order not shipped yet
    _t(S.MERCHANT_REVIEW, S.APPROVED, A.MERCHANT, A.SYSTEM),
    _t(S.MERCHANT_REVIEW, S.REJECTED, A.MERCHANT),
    _t(S.MERCHANT_REVIEW, S.ARBITRATION, A.SYSTEM),  # review deadline passed
    _t(S.REJECTED, S.ARBITRATION, A.CUSTOMER),  # appeal
    _t(S.REJECTED, S.CLOSED, A.CUSTOMER),
    _t(S.ARBITRATION, S.APPROVED, A.PLATFORM),
    _t(S.ARBITRATION, S.CLOSED, A.PLATFORM),
    # 先行赔付: the platform refunds first and claims the money from the store or the courier.
    _t(S.MERCHANT_REVIEW, S.REFUNDING, A.PLATFORM),
    _t(S.ARBITRATION, S.REFUNDING, A.PLATFORM),
    _t(S.APPROVED, S.REFUNDING, A.SYSTEM),
    _t(S.APPROVED, S.AWAITING_RETURN, A.SYSTEM),
    _t(S.APPROVED, S.CLOSED, A.MERCHANT, A.PLATFORM),  # a complaint resolved
    # The desk resolves a complaint on its ticket wherever the store's side stands.
    _t(S.MERCHANT_REVIEW, S.CLOSED, A.PLATFORM, types=(RequestType.COMPLAINT,)),
    _t(S.REJECTED, S.CLOSED, A.PLATFORM, types=(RequestType.COMPLAINT,)),
    _t(S.AWAITING_RETURN, S.IN_TRANSIT, A.CUSTOMER),
    _t(S.AWAITING_RETURN, S.CLOSED, A.SYSTEM),  # no tracking number in time
    # Repairs: instead of sending the product in, book a technician's visit (上门).
    _t(S.AWAITING_RETURN, S.VISIT_SCHEDULED, A.CUSTOMER),
    _t(S.VISIT_SCHEDULED, S.VISIT_SCHEDULED, A.MERCHANT),  # technician assigned
    _t(S.VISIT_SCHEDULED, S.REPAIRED, A.MERCHANT),
    _t(S.IN_TRANSIT, S.RECEIVED, A.MERCHANT, A.SYSTEM),  # the store confirms, or the courier reports it signed
    _t(S.RECEIVED, S.INSPECTED, A.MERCHANT),
    _t(S.INSPECTED, S.REFUNDING, A.SYSTEM),
    _t(S.INSPECTED, S.EXCHANGE_SHIPPED, A.MERCHANT),
    _t(S.INSPECTED, S.REPAIRED, A.MERCHANT),
    _t(S.INSPECTED, S.REJECTED, A.SYSTEM),  # failed inspection; the customer may appeal
    _t(S.REFUNDING, S.REFUNDED, A.SYSTEM),
    _t(S.REFUNDED, S.CLOSED, A.SYSTEM),
    _t(S.EXCHANGE_SHIPPED, S.CLOSED, A.CUSTOMER, A.SYSTEM),
    _t(S.REPAIRED, S.CLOSED, A.CUSTOMER, A.SYSTEM),
    *(_t(source, S.CANCELLED, A.CUSTOMER) for source in CANCELLABLE),
)


class InvalidTransition(Exception):
    def __init__(self, request: AfterSalesRequest, target: str, actor: Actor) -> None:
        self.current = request.status
        self.target = target
        self.allowed = allowed_targets(request.status, actor, request.request_type)
        super().__init__(f"{request.number}: {request.status} → {target} is not allowed for {actor}")


def allowed_targets(status: str, actor: Actor, request_type: str) -> list[str]:
    return list(dict.fromkeys(str(t.target) for t in TRANSITIONS
                              if t.source == status and t.permits(actor, request_type)))


def _permitted(status: str, target: str, actor: Actor, request_type: str) -> bool:
    return any(t.source == status and t.target == target and t.permits(actor, request_type) for t in TRANSITIONS)


def due_at_for(status: str, now: datetime) -> datetime | None:
    """The deadline a state carries; swept by `tasks.sweep_deadlines`."""
    if status == Status.MERCHANT_REVIEW:
        return now + timedelta(hours=settings.AFTERSALES_REVIEW_HOURS)
    if status == Status.AWAITING_RETURN:
        return now + timedelta(days=settings.AFTERSALES_RETURN_DAYS)
    return None


def lock(request_id: int) -> AfterSalesRequest:
    return AfterSalesRequest.objects.select_for_update(of=("self",)).get(pk=request_id)


@transaction.atomic
def apply_transition(
    request: AfterSalesRequest, target: Status, *, actor: Actor, user: Any = None, note: str = "",
    changes: dict[str, Any] | None = None,
) -> AfterSalesRequest:
    """Move `request` (re-read under a row lock) to `target`; raises `InvalidTransition`.

    `changes` are other fields set in the same save, so the history row holds the whole step.
    """
    locked = lock(request.pk)
    if not _permitted(locked.status, target, actor, locked.request_type):
        raise InvalidTransition(locked, target, actor)
    source = locked.status
    for name, value in (changes or {}).items():
        setattr(locked, name, value)
    locked.status = target
    locked.due_at = due_at_for(target, timezone.now())
    locked._history_user = user  # type: ignore[attr-defined]  # simple-history's per-save actor
    locked.save()
    RequestEvent.objects.create(
        request=locked, from_status=source, to_status=target, actor=user, actor_kind=actor, note=note[:500]
    )
    return locked
