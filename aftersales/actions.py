"""The named steps people take on a request (pages and API share them), each mapped to one service.

An action is offered when the user may play its actor on the request and the workflow has the edge
from the current state to the action's target for that actor.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from rest_framework import status

from aftersales.models import AfterSalesRequest, Courier, RequestType, Status
from aftersales.services import compensation, repairs
from aftersales.services import requests as services
from aftersales.workflow import WORKFLOW, Actor
from core.api import ApplicationError
from core.workflow import TransitionNotAllowed


@dataclass(frozen=True)
class Action:
    name: str
    label: StrOrPromise
    actor: Actor
    target: Status
    types: tuple[str, ...] = tuple(RequestType.values)


NOT_COMPLAINT = tuple(t for t in RequestType.values if t != RequestType.COMPLAINT)

ACTIONS = {
    action.name: action
    for action in (
        Action("approve", _("Approve"), Actor.MERCHANT, Status.APPROVED),
        Action("reject", _("Reject"), Actor.MERCHANT, Status.REJECTED),
        Action("receive", _("Confirm receipt"), Actor.MERCHANT, Status.RECEIVED),
        Action("inspect", _("Record inspection"), Actor.MERCHANT, Status.INSPECTED),
        Action("ship_replacement", _("Ship replacement"), Actor.MERCHANT, Status.EXCHANGE_SHIPPED,
               (RequestType.EXCHANGE,)),
        Action("mark_repaired", _("Mark repaired"), Actor.MERCHANT, Status.REPAIRED, (RequestType.REPAIR,)),
        Action("assign_technician", _("Assign technician"), Actor.MERCHANT, Status.VISIT_SCHEDULED,
               (RequestType.REPAIR,)),
        Action("resolve", _("Resolve complaint"), Actor.MERCHANT, Status.CLOSED, (RequestType.COMPLAINT,)),
        # The desk resolves complaints on their ticket (services.complaints), not by arbitration.
        Action("arbitrate_approve", _("Rule for the customer"), Actor.PLATFORM, Status.APPROVED, NOT_COMPLAINT),
        Action("arbitrate_close", _("Uphold and close"), Actor.PLATFORM, Status.CLOSED, NOT_COMPLAINT),
        Action("compensate", _("Compensate in advance"), Actor.PLATFORM, Status.REFUNDING,
               (RequestType.REFUND_ONLY, RequestType.RETURN_REFUND)),
        Action("ship_return", _("Enter return tracking"), Actor.CUSTOMER, Status.IN_TRANSIT),
        Action("book_visit", _("Book an on-site repair"), Actor.CUSTOMER, Status.VISIT_SCHEDULED,
               (RequestType.REPAIR,)),
        Action("appeal", _("Appeal to the platform"), Actor.CUSTOMER, Status.ARBITRATION),
        Action("confirm", _("Confirm and close"), Actor.CUSTOMER, Status.CLOSED),
        Action("cancel", _("Cancel request"), Actor.CUSTOMER, Status.CANCELLED),
    )
}


def available(request: AfterSalesRequest, actors: set[Actor]) -> list[Action]:
    return [
        action for action in ACTIONS.values()
        if action.actor in actors and request.request_type in action.types
        and action.target in WORKFLOW.allowed_targets(request, by=action.actor)
    ]


def _required(data: dict[str, Any], name: str) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise ApplicationError(gettext("This field is required."), fields={name: [gettext("This field is required.")]})
    return value


def _courier(data: dict[str, Any]) -> str:
    courier = _required(data, "courier")
    if courier not in Courier.values:
        message = gettext("Choose one of: %(codes)s.") % {"codes": ", ".join(Courier.values)}
        raise ApplicationError(message, fields={"courier": [message]})
    return courier


def _int(data: dict[str, Any], name: str) -> int:
    try:
        return int(str(data.get(name, "0")))
    except ValueError as exc:
        raise ApplicationError(gettext("Enter a whole number."), fields={name: [gettext("Enter a whole number.")]}
                               ) from exc


def _bool(data: dict[str, Any], name: str) -> bool:
    return str(data.get(name, "")).lower() in {"1", "true", "on", "yes", "pass"}


HANDLERS: dict[str, Callable[[AfterSalesRequest, Any, dict[str, Any]], AfterSalesRequest]] = {
    "approve": lambda r, u, d: services.request_approve(request=r, user=u, note=str(d.get("note", ""))),
    "reject": lambda r, u, d: services.request_reject(request=r, user=u, reason=_required(d, "reason")),
    "receive": lambda r, u, d: services.request_receive(request=r, user=u),
    "inspect": lambda r, u, d: services.request_inspect(
        request=r, user=u, passed=_bool(d, "passed"), notes=str(d.get("notes", "")),
        restock_quantity=_int(d, "restock_quantity")),
    "ship_replacement": lambda r, u, d: services.request_ship_replacement(
        request=r, user=u, courier=_courier(d), tracking_number=_required(d, "tracking_number")),
    "mark_repaired": lambda r, u, d: services.request_mark_repaired(request=r, user=u, note=str(d.get("note", ""))),
    "resolve": lambda r, u, d: services.request_resolve(request=r, user=u, actor=Actor.MERCHANT,
                                                        note=_required(d, "note")),
    "arbitrate_approve": lambda r, u, d: services.request_arbitrate(request=r, user=u, approve=True,
                                                                    note=_required(d, "note")),
    "arbitrate_close": lambda r, u, d: services.request_arbitrate(request=r, user=u, approve=False,
                                                                  note=_required(d, "note")),
    "compensate": lambda r, u, d: compensation.compensate_in_advance(request=r, user=u,
                                                                     note=_required(d, "note")).request,
    "book_visit": lambda r, u, d: repairs.visit_book(request=r, user=u, slot_id=_int(d, "slot"),
                                                     address=_required(d, "address")).request,
    "assign_technician": lambda r, u, d: repairs.visit_assign_technician(
        request=r, user=u, technician=_required(d, "technician")).request,
    "ship_return": lambda r, u, d: services.request_ship_return(
        request=r, user=u, courier=_courier(d), tracking_number=_required(d, "tracking_number")),
    "appeal": lambda r, u, d: services.request_appeal(request=r, user=u, reason=_required(d, "reason")),
    "confirm": lambda r, u, d: services.request_confirm(request=r, user=u),
    "cancel": lambda r, u, d: services.request_cancel(request=r, user=u),
}


def perform(request: AfterSalesRequest, name: str, *, user: Any, actors: set[Actor],
            data: dict[str, Any]) -> AfterSalesRequest:
    """Run action `name`; 403 if the user may not play its actor, 409 with what is allowed if out of order."""
    action = ACTIONS.get(name)
    if action is None:
        message = gettext("Unknown action.")
        raise ApplicationError(message, fields={"action": [message]})
    if action.actor not in actors:
        raise ApplicationError(gettext("You may not take this step on this request."), code="permission_denied",
                               status_code=status.HTTP_403_FORBIDDEN)
    allowed = [a.name for a in available(request, actors)]
    if name not in allowed:
        raise _conflict(request, action, allowed)
    try:
        return HANDLERS[name](request, user, data)
    except TransitionNotAllowed as exc:
        # Someone else moved the request between our read and our lock.
        request.refresh_from_db()
        raise _conflict(request, action, [a.name for a in available(request, actors)]) from exc


def _conflict(request: AfterSalesRequest, action: Action, allowed: list[str]) -> TransitionNotAllowed:
    """The workflow's refusal, with the actions (not the states) the user may take instead."""
    message = gettext("This step is not possible while the request is “%(status)s”.") % {
        "status": request.get_status_display()}
    return TransitionNotAllowed(current=request.status, target=action.target, allowed=allowed, message=message)
