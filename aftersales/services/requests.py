"""Writes on after-sales requests: apply, review, appeal, arbitrate, return, inspect, close.

Callers fetch the request through a `selectors.*_request_for` access helper first; every state
change here goes through `workflow.WORKFLOW.transition` (row lock, history with the actor, timeline).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status

from aftersales import eligibility
from aftersales.models import (
    AfterSalesRequest,
    Evaluation,
    Evidence,
    OrderItem,
    Reason,
    RequestEvent,
    RequestType,
    Status,
)
from aftersales.services import evidence, refunds, ticketing
from aftersales.services.numbers import next_request_number
from aftersales.workflow import WORKFLOW, Actor
from core import events
from core.api import ApplicationError
from profiles.models import User
from tickets.models import Channel

RETURN_FIRST = (RequestType.RETURN_REFUND, RequestType.EXCHANGE, RequestType.REPAIR)


class NotEligible(ApplicationError):
    def __init__(self, problems: list[eligibility.Problem]) -> None:
        fields: dict[str, list[str]] = {}
        for problem in problems:
            fields.setdefault(problem.field, []).append(problem.message)
        super().__init__("；".join(p.message for p in problems), code=problems[0].code, fields=fields)  # noqa: RUF001
        self.problems = problems


@dataclass(frozen=True)
class ApplicationData:
    item_id: int
    request_type: str
    reason_code: str
    quantity: int
    amount_fen: int = 0
    description: str = ""
    package_opened: bool = False


def publish_changed(request: AfterSalesRequest) -> None:
    """Tell the subscribers (notifications, the ticket's notes, the desk's triggers) that the request moved;
    sent on commit."""
    events.publish("aftersales.request_changed", request_id=request.pk, status=request.status,
                   ticket_id=request.ticket_id)


@transaction.atomic
def request_create(*, customer: User, data: ApplicationData, images: list[Any] | None = None,
                   channel: str = Channel.WEB, now: datetime | None = None) -> AfterSalesRequest:
    """Apply for after-sales on one of `customer`'s order items; raises `NotEligible` with every problem.

    The request's ticket is opened in the same transaction (`channel`: where the application came from).
    """
    now = now or timezone.now()
    images = images or []
    # Locking the item serialises two applications for it, so the second sees the first.
    item = (OrderItem.objects.select_for_update(of=("self",)).select_related("order")
            .filter(pk=data.item_id, order__customer=customer).first())
    if item is None:
        raise ApplicationError(_("No such item among your orders."), code="not_found",
                               fields={"item": [_("No such item among your orders.")]},
                               status_code=status.HTTP_404_NOT_FOUND)
    reason = Reason.objects.filter(request_type=data.request_type, code=data.reason_code, active=True).first()
    application = eligibility.Application(
        request_type=data.request_type, reason=reason, quantity=data.quantity,
        amount_fen=data.amount_fen, package_opened=data.package_opened, image_count=len(images),
    )
    problems = eligibility.check(item, application, now=now)
    if problems:
        raise NotEligible(problems)
    assert reason is not None  # checked above
    photos = evidence.process_all(images)
    moves_money = data.request_type in (RequestType.REFUND_ONLY, RequestType.RETURN_REFUND)
    request = AfterSalesRequest(
        number=next_request_number(now), order=item.order, item=item, store_id=item.order.store_id,
        customer=customer, request_type=data.request_type, reason=reason, quantity=data.quantity,
        amount_fen=data.amount_fen if moves_money else 0, description=data.description[:1000],
        package_opened=data.package_opened,
    )
    # Opened before the row is written; if the write fails the whole transaction, ticket included, rolls back.
    request.ticket = ticketing.ticket_open(request, channel=channel, now=now)
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as exc:
        raise NotEligible([eligibility.Problem("active_request_exists", "item", str(
            _("This item already has an after-sales request in progress.")))]) from exc
    RequestEvent.objects.create(request=request, to_status=Status.SUBMITTED, actor=customer,
                                actor_kind=Actor.CUSTOMER, note=reason.name)
    Evidence.objects.bulk_create(
        Evidence(request=request, image=photo.data, width=photo.width, height=photo.height) for photo in photos
    )
    if eligibility.is_auto_refund(item.order, data.request_type):
        request = WORKFLOW.transition(request, to=Status.APPROVED, by=Actor.SYSTEM, actor=None,
                                      reason=_("Not shipped yet: approved at once."))
        request = _after_approval(request, user=None)
    else:
        request = WORKFLOW.transition(request, to=Status.MERCHANT_REVIEW, by=Actor.SYSTEM, actor=None)
    publish_changed(request)
    return request


def _after_approval(request: AfterSalesRequest, *, user: User | None) -> AfterSalesRequest:
    if request.request_type == RequestType.REFUND_ONLY:
        request = WORKFLOW.transition(request, to=Status.REFUNDING, by=Actor.SYSTEM, actor=user)
        refunds.refund_ensure(request=request)
    elif request.request_type in RETURN_FIRST:
        request = WORKFLOW.transition(request, to=Status.AWAITING_RETURN, by=Actor.SYSTEM, actor=user)
    return request


@transaction.atomic
def request_approve(*, request: AfterSalesRequest, user: User | None, actor: Actor = Actor.MERCHANT,
                    note: str = "") -> AfterSalesRequest:
    request = WORKFLOW.transition(request, to=Status.APPROVED, by=actor, actor=user, reason=note)
    request = _after_approval(request, user=user)
    publish_changed(request)
    return request


@transaction.atomic
def request_reject(*, request: AfterSalesRequest, user: User, reason: str) -> AfterSalesRequest:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the request is rejected."), fields={"reason": [_("This field is required.")]})
    request = WORKFLOW.transition(request, to=Status.REJECTED, by=Actor.MERCHANT, actor=user, reason=reason,
                                  changes={"rejection_reason": reason[:300]})
    publish_changed(request)
    return request


@transaction.atomic
def request_appeal(*, request: AfterSalesRequest, user: User, reason: str) -> AfterSalesRequest:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Tell the platform why you disagree."),
                               fields={"reason": [_("This field is required.")]})
    request = WORKFLOW.transition(request, to=Status.ARBITRATION, by=Actor.CUSTOMER, actor=user, reason=reason,
                                  changes={"appeal_reason": reason[:300]})
    publish_changed(request)
    return request


@transaction.atomic
def request_arbitrate(*, request: AfterSalesRequest, user: User, approve: bool, note: str) -> AfterSalesRequest:
    if approve:
        return request_approve(request=request, user=user, actor=Actor.PLATFORM, note=note)
    request = WORKFLOW.transition(request, to=Status.CLOSED, by=Actor.PLATFORM, actor=user, reason=note)
    publish_changed(request)
    return request


@transaction.atomic
def request_resolve(*, request: AfterSalesRequest, user: User, actor: Actor, note: str) -> AfterSalesRequest:
    """Close an approved complaint with what was done about it."""
    request = WORKFLOW.transition(request, to=Status.CLOSED, by=actor, actor=user, reason=note)
    publish_changed(request)
    return request


@transaction.atomic
def request_ship_return(*, request: AfterSalesRequest, user: User, courier: str,
                        tracking_number: str) -> AfterSalesRequest:
    tracking_number = tracking_number.strip().upper()
    if not tracking_number.isalnum() or not 6 <= len(tracking_number) <= 40:
        raise ApplicationError(_("Enter the tracking number on the waybill."),
                               fields={"tracking_number": [_("6 to 40 letters or digits.")]})
    request = WORKFLOW.transition(request, to=Status.IN_TRANSIT, by=Actor.CUSTOMER, actor=user,
                                  reason=f"{courier} {tracking_number}",
                                  changes={"return_courier": courier, "return_tracking_number": tracking_number})
    publish_changed(request)
    return request


@transaction.atomic
def request_receive(*, request: AfterSalesRequest, user: User) -> AfterSalesRequest:
    request = WORKFLOW.transition(request, to=Status.RECEIVED, by=Actor.MERCHANT, actor=user)
    publish_changed(request)
    return request


@transaction.atomic
def request_inspect(*, request: AfterSalesRequest, user: User, passed: bool, notes: str,
                    restock_quantity: int) -> AfterSalesRequest:
    if not 0 <= restock_quantity <= request.quantity:
        raise ApplicationError(
            _("Restock between 0 and %(max)d.") % {"max": request.quantity},
            fields={"restock_quantity": [_("Restock between 0 and %(max)d.") % {"max": request.quantity}]},
        )
    request = WORKFLOW.transition(
        request, to=Status.INSPECTED, by=Actor.MERCHANT, actor=user,
        reason=(_("Passed") if passed else _("Failed")) + (f" · {notes}" if notes else ""),
        changes={"inspection_passed": passed, "inspection_notes": notes[:500], "restock_quantity": restock_quantity},
    )
    if not passed:
        request = WORKFLOW.transition(request, to=Status.REJECTED, by=Actor.SYSTEM, actor=None, reason=notes,
                                      changes={"rejection_reason": (notes or _("Failed inspection"))[:300]})
    elif request.request_type == RequestType.RETURN_REFUND:
        request = WORKFLOW.transition(request, to=Status.REFUNDING, by=Actor.SYSTEM, actor=None)
        refunds.refund_ensure(request=request)
    publish_changed(request)
    return request


@transaction.atomic
def request_ship_replacement(*, request: AfterSalesRequest, user: User, courier: str,
                             tracking_number: str) -> AfterSalesRequest:
    if request.request_type != RequestType.EXCHANGE:
        raise ApplicationError(_("Only exchanges ship a replacement."), code="wrong_type",
                               status_code=status.HTTP_409_CONFLICT)
    tracking_number = tracking_number.strip().upper()
    request = WORKFLOW.transition(
        request, to=Status.EXCHANGE_SHIPPED, by=Actor.MERCHANT, actor=user, reason=f"{courier} {tracking_number}",
        changes={"replacement_courier": courier, "replacement_tracking_number": tracking_number},
    )
    publish_changed(request)
    return request


@transaction.atomic
def request_mark_repaired(*, request: AfterSalesRequest, user: User, note: str) -> AfterSalesRequest:
    if request.request_type != RequestType.REPAIR:
        raise ApplicationError(_("Only repairs can be marked repaired."), code="wrong_type",
                               status_code=status.HTTP_409_CONFLICT)
    request = WORKFLOW.transition(request, to=Status.REPAIRED, by=Actor.MERCHANT, actor=user, reason=note)
    publish_changed(request)
    return request


@transaction.atomic
def request_confirm(*, request: AfterSalesRequest, user: User) -> AfterSalesRequest:
    """The customer accepts the outcome (a replacement or repair received, or a rejection)."""
    request = WORKFLOW.transition(request, to=Status.CLOSED, by=Actor.CUSTOMER, actor=user)
    publish_changed(request)
    return request


@transaction.atomic
def request_cancel(*, request: AfterSalesRequest, user: User) -> AfterSalesRequest:
    request = WORKFLOW.transition(request, to=Status.CANCELLED, by=Actor.CUSTOMER, actor=user)
    publish_changed(request)
    return request


def requests_sweep_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Beat: act on every request whose deadline passed; returns how many moved.

    Review deadline: a refund without return is approved, anything else goes to the platform.
    Return deadline: the request closes. Each row in its own transaction, skipping locked ones.
    """
    now = now or timezone.now()
    ids = list(AfterSalesRequest.objects.filter(due_at__lte=now).order_by("due_at", "pk")
               .values_list("pk", flat=True)[:batch])
    moved = 0
    for request_id in ids:
        with transaction.atomic():
            request = (AfterSalesRequest.objects.select_for_update(skip_locked=True)
                       .filter(pk=request_id, due_at__lte=now).first())
            if request is None:
                continue
            if request.status == Status.MERCHANT_REVIEW and request.request_type == RequestType.REFUND_ONLY:
                try:
                    request_approve(request=request, user=None, actor=Actor.SYSTEM,
                                    note=_("The store did not answer in time: approved automatically."))
                except ApplicationError as refused:
                    # The line has less left than asked (refunded meanwhile): a person decides, not the sweep.
                    WORKFLOW.transition(request, to=Status.ARBITRATION, by=Actor.SYSTEM, actor=None,
                                        reason=refused.message)
            elif request.status == Status.MERCHANT_REVIEW:
                WORKFLOW.transition(request, to=Status.ARBITRATION, by=Actor.SYSTEM, actor=None,
                                    reason=_("The store did not answer in time: passed to the platform."))
            elif request.status == Status.AWAITING_RETURN:
                WORKFLOW.transition(request, to=Status.CLOSED, by=Actor.SYSTEM, actor=None,
                                    reason=_("No return tracking number in time: closed."))
            else:
                continue
            publish_changed(request)
            moved += 1
    return moved




@transaction.atomic
def request_evaluate(*, request: AfterSalesRequest, user: User, attitude: int, speed: int, result: int,
                     suggestion: str = "") -> Evaluation:
    """The customer rates a closed request once: attitude, speed and result from 1 to 5."""
    if request.customer_id != user.pk:
        raise ApplicationError(_("Only the customer who applied may rate it."), code="permission_denied",
                               status_code=status.HTTP_403_FORBIDDEN)
    if request.status != Status.CLOSED:
        raise ApplicationError(_("A request can be rated once it is closed."), code="invalid_transition",
                               status_code=status.HTTP_409_CONFLICT)
    scores = {"attitude": attitude, "speed": speed, "result": result}
    bad = {name: [_("Give 1 to 5 stars.")] for name, value in scores.items() if not 1 <= value <= 5}
    if bad:
        raise ApplicationError(_("Give 1 to 5 stars."), fields=bad)
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(request=request, suggestion=suggestion.strip()[:500], **scores)
    except IntegrityError as exc:
        raise ApplicationError(_("This request has already been rated."), code="already_rated",
                               status_code=status.HTTP_409_CONFLICT) from exc
    events.publish("aftersales.request_evaluated", request_id=request.pk, evaluation_id=evaluation.pk)
    return evaluation
