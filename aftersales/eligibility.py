"""Whether an order item may get an after-sales request: JD / Tmall rules read from policy rows.

`check` returns every problem at once (code, the form field it belongs to, a message), so the
customer sees the whole list instead of fixing one thing at a time.
"""

from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aftersales import refund_cap
from aftersales.models import AfterSalesRequest, CategoryPolicy, Order, OrderItem, Reason, RequestType


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    message: str


@dataclass(frozen=True)
class Application:
    request_type: str
    reason: Reason | None
    quantity: int
    amount_fen: int
    package_opened: bool
    image_count: int


RETURN_TYPES = (RequestType.RETURN_REFUND, RequestType.EXCHANGE)


def policy_for(category_code: str) -> CategoryPolicy:
    policies = {p.category_code: p for p in CategoryPolicy.objects.filter(
        category_code__in=[category_code, CategoryPolicy.DEFAULT_CODE])}
    return policies.get(category_code) or policies.get(CategoryPolicy.DEFAULT_CODE) or CategoryPolicy(
        category_code=CategoryPolicy.DEFAULT_CODE, name="default"
    )


def is_auto_refund(order: Order, request_type: str) -> bool:
    """A refund of an order that has not shipped is approved at once."""
    return request_type == RequestType.REFUND_ONLY and not order.is_shipped


def check(item: OrderItem, application: Application, *, now: datetime) -> list[Problem]:
    order = item.order
    problems: list[Problem] = []

    def add(code: str, field: str, message: object) -> None:
        problems.append(Problem(code, field, str(message)))

    reason = application.reason
    if reason is None or reason.request_type != application.request_type or not reason.active:
        add("reason_mismatch", "reason", _("Choose one of the reasons offered for this type of request."))
    if order.status == Order.Status.CANCELLED:
        add("order_cancelled", "item", _("The order was cancelled; nothing is left to claim."))
    if AfterSalesRequest.objects.filter(item=item).exclude(status__in=["closed", "cancelled"]).exists():
        add("active_request_exists", "item", _("This item already has an after-sales request in progress."))
    if not 1 <= application.quantity <= item.quantity:
        add("quantity_exceeds", "quantity",
            _("Choose between 1 and %(max)d.") % {"max": item.quantity})

    moves_money = application.request_type in (RequestType.REFUND_ONLY, RequestType.RETURN_REFUND)
    if moves_money:
        # An impossible quantity is reported above; the amount is still checked, against the nearest possible one.
        quantity = min(max(application.quantity, 1), item.quantity)
        amount_problem = refund_cap.amount_problem(refund_cap.refund_cap(item, quantity=quantity),
                                                   application.amount_fen)
        if amount_problem is not None:
            add("amount_exceeds_refundable", refund_cap.AMOUNT_FIELD, amount_problem)

    problems.extend(_time_rules(order, item, application, now=now))

    if reason is not None and reason.is_quality and application.image_count < 1:
        add("evidence_required", "images", _("Quality or damage claims need at least one photo."))
    if application.image_count > settings.AFTERSALES_MAX_IMAGES:
        add("too_many_images", "images",
            _("Attach at most %(max)d photos.") % {"max": settings.AFTERSALES_MAX_IMAGES})
    return problems


def _time_rules(order: Order, item: OrderItem, application: Application, *, now: datetime) -> list[Problem]:
    kind, reason = application.request_type, application.reason
    if kind == RequestType.COMPLAINT or is_auto_refund(order, kind):
        return []
    signed_at = order.signed_at
    policy = policy_for(item.category_code)
    if signed_at is None:
        if kind == RequestType.REFUND_ONLY:
            return []  # shipped but never received: the merchant reviews it
        return [Problem("not_received", "request_type", str(
            _("The goods have not been signed for yet; apply for a refund only instead.")))]
    days = (now - signed_at).days
    if kind == RequestType.REPAIR:
        if now > signed_at + relativedelta(months=policy.warranty_months):
            return [Problem("warranty_expired", "request_type", str(
                _("The %(months)d-month warranty has expired.") % {"months": policy.warranty_months}))]
        return []
    if reason is None:
        return []
    if reason.is_no_reason:
        problems = []
        if not policy.no_reason_return:
            problems.append(Problem("category_excluded", "reason", str(
                _("%(category)s cannot be returned without a reason.") % {"category": policy.name})))
        elif policy.no_reason_requires_unopened and application.package_opened:
            problems.append(Problem("opened_goods", "package_opened", str(
                _("Opened %(category)s cannot be returned without a reason.") % {"category": policy.name})))
        if days >= policy.no_reason_days:
            problems.append(Problem("no_reason_window_passed", "reason", str(
                _("No-reason returns end %(days)d days after signing for the goods.") % {
                    "days": policy.no_reason_days})))
        return problems
    if reason.is_quality and days >= policy.quality_days:
        return [Problem("quality_window_passed", "reason", str(
            _("Quality problems must be reported within %(days)d days of signing for the goods.") % {
                "days": policy.quality_days}))]
    return []
