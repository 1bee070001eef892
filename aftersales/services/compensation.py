"""先行赔付 advance compensation: for quality or logistics claims the platform refunds the customer at
once (up to the admin-set threshold per cause) and records a claim against the store or the courier.

The money moves through the request's own refund (same idempotency key), so a store approving later
cannot pay a second time: the request has already left merchant review.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status

from aftersales import refund_cap
from aftersales.models import AdvanceCompensation, AfterSalesRequest, Cause, CompensationRule, RequestType, Status
from aftersales.services import refunds
from aftersales.workflow import WORKFLOW, Actor, lock
from core import events
from core.api import ApplicationError
from core.money import format_fen
from profiles.models import User

MONEY_TYPES = (RequestType.REFUND_ONLY, RequestType.RETURN_REFUND)


def _refuse(message: str, *, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"action": [message]})


@transaction.atomic
def compensate_in_advance(*, request: AfterSalesRequest, user: User, note: str) -> AdvanceCompensation:
    request = lock(request.pk)
    reason = request.reason
    if request.request_type not in MONEY_TYPES or not request.amount_fen:
        raise _refuse(_("Only refund requests can be compensated in advance."), code="not_compensable")
    if not (reason.is_quality or reason.cause == Cause.LOGISTICS):
        raise _refuse(_("Advance compensation covers quality and logistics claims only."), code="not_compensable")
    rule = CompensationRule.objects.filter(cause=reason.cause, active=True).first()
    if rule is None or request.amount_fen > rule.max_amount_fen:
        raise _refuse(_("Above the advance compensation limit of %(limit)s.") % {
            "limit": format_fen(rule.max_amount_fen if rule else 0)},
                      code="over_compensation_limit")
    refund_cap.assert_within_cap(request)
    shipment = request.order.shipments.order_by("-signed_at", "-pk").first()
    by_courier = reason.cause == Cause.LOGISTICS and shipment is not None
    try:
        with transaction.atomic():
            compensation = AdvanceCompensation.objects.create(
                request=request, amount_fen=request.amount_fen, created_by=user,
                liable=AdvanceCompensation.Liable.COURIER if by_courier else AdvanceCompensation.Liable.MERCHANT,
                liable_courier=shipment.courier if by_courier and shipment else "",
                liable_store=None if by_courier else request.store,
            )
    except IntegrityError as exc:
        raise ApplicationError(_("This request was already compensated."), code="already_compensated",
                               status_code=status.HTTP_409_CONFLICT) from exc
    request = WORKFLOW.transition(request, to=Status.REFUNDING, by=Actor.PLATFORM, actor=user,
                                  reason=_("Advance compensation by the platform: %(note)s") % {"note": note})
    refunds.refund_ensure(request=request)
    events.publish("aftersales.compensated_in_advance", request_id=request.pk, compensation_id=compensation.pk)
    return compensation
