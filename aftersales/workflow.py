"""The after-sales lifecycle as a table for the core workflow engine (core/workflow.py).

Who may move a request from which state to which: each transition names the roles that may take it (`by=`)
and, for a few, the request types it is for. `WORKFLOW.transition` is the only code that changes
`AfterSalesRequest.status`: it locks the row, checks the move, sets the deadline of the new state, saves
(a history row with the user) and appends the customer-visible timeline event (the effects below).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext

from aftersales.models import AfterSalesRequest, RequestEvent, RequestType, Status
from core.workflow import Guard, Refusal, Step, Transition, Workflow, move


class Actor(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    PLATFORM = "platform"  # an agent arbitrating
    SYSTEM = "system"  # deadlines, gateway results


def _taken_by(actors: Iterable[Actor], types: Iterable[str]) -> Guard:
    roles, request_types = frozenset(actors), frozenset(types)

    def guard(request: AfterSalesRequest, step: Step) -> Refusal | None:
        if step.options.get("by") in roles and (not request_types or request.request_type in request_types):
            return None
        return _refused(request, step.target)
    return guard


def _deadline(request: AfterSalesRequest, step: Step) -> None:
    request.due_at = due_at_for(step.target, step.now)


def _timeline(request: AfterSalesRequest, step: Step) -> None:
    RequestEvent.objects.create(request=request, from_status=step.source, to_status=step.target, actor=step.actor,
                                actor_kind=step.options["by"], note=step.reason[:500])


def _t(source: Status, target: Status, *actors: Actor, types: tuple[str, ...] = ()) -> Transition:
    return move(source, target, guards=(_taken_by(actors, types),), effects=(_deadline,), after_save=(_timeline,))


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


def _refused(request: AfterSalesRequest, target: str) -> Refusal:
    return Refusal(gettext("This step is not possible while the request is “%(status)s”.") % {
        "status": request.get_status_display()})


def due_at_for(status: str, now: datetime) -> datetime | None:
    """The deadline a state carries; swept by `tasks.sweep_deadlines`."""
    if status == Status.MERCHANT_REVIEW:
        return now + timedelta(hours=settings.AFTERSALES_REVIEW_HOURS)
    if status == Status.AWAITING_RETURN:
        return now + timedelta(days=settings.AFTERSALES_RETURN_DAYS)
    return None


def lock(request_id: int) -> AfterSalesRequest:
    return AfterSalesRequest.objects.select_for_update(of=("self",)).get(pk=request_id)


WORKFLOW: Workflow[AfterSalesRequest] = Workflow(
    transitions=TRANSITIONS, refused=_refused, lock=lambda request: lock(request.pk), atomic=True)
