"""How much money an order line may still give back: the one rule behind every refund amount.

The customer form, the API, merchant review, arbitration, the deadline sweep, advance compensation
and a retried refund all ask `refund_cap` (to show the limit) or `assert_within_cap` (before money
is promised); nothing else compares an amount with what was paid.

The rule, all in integer fen:

- A line's `paid_fen` is what the customer paid for it after the order's discounts: the shop
  allocates order-level discounts to lines when it pushes the order, and the order API refuses lines
  that add up to more than the order (`OrderUpsertSerializer.validate`).
- Shipping is the rest of the order (`Order.amount_fen` - the lines' `paid_fen`). It belongs to the
  order, not to a line, so no after-sales request refunds it; an unshipped order cancelled by the
  shop comes back through the order sync, not through here.
- For `quantity` of the line's `bought` units the share is ⌊paid x quantity / bought⌋ (rounded
  down). Rounding down is why no sequence of partial claims can add up to more than was paid;
  a request that covers every unit not yet claimed gets the whole remainder instead of its share,
  so the fen lost to rounding go to the last claim and none is lost either.
- What is already refunded or in flight on the line (refund rows that did not fail) bounds it:
  cap = min(share, paid - refunded, what the order has left of its paid total). So an earlier
  partial refund leaves the rest of the line claimable, and a re-sync that lowers an order can
  never overpay.
"""

from dataclasses import dataclass

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from aftersales.models import AfterSalesRequest, OrderItem, Refund
from core.api import ApplicationError
from core.money import format_fen

# The amount field in the domain (API body, model); the customer form maps it to its `amount` in yuan.
AMOUNT_FIELD = "amount_fen"


@dataclass(frozen=True)
class LineRefunds:
    """What a line has paid and given back so far: enough to answer the cap for any quantity."""

    paid_fen: int
    bought: int
    refunded_fen: int  # refunded or in flight on the line
    claimed_units: int  # units covered by refunds that did not fail
    order_left_fen: int  # the order's paid total minus every refund on it

    @property
    def remaining_fen(self) -> int:
        return max(self.paid_fen - self.refunded_fen, 0)

    def cap_for(self, quantity: int) -> int:
        """The most a request for `quantity` units may refund (the rule in the module docstring)."""
        quantity = max(quantity, 0)
        if quantity >= self.bought - self.claimed_units:
            share = self.remaining_fen
        else:
            share = self.paid_fen * quantity // self.bought
        return min(share, self.remaining_fen, self.order_left_fen)


def _moving(item: OrderItem, excluding: AfterSalesRequest | None) -> Q:
    """Refunds on `item` that moved money or may still move it; the request's own one is left out."""
    condition = Q(item=item) & ~Q(status=Refund.Status.FAILED)
    if excluding is not None and excluding.pk is not None:
        condition &= ~Q(request_id=excluding.pk)
    return condition


def line_refunds(item: OrderItem, *, excluding: AfterSalesRequest | None = None) -> LineRefunds:
    """The line's refunds so far (`excluding`: the request being paid, whose own row does not count)."""
    line = Refund.objects.filter(_moving(item, excluding)).aggregate(
        fen=Sum("amount_fen", default=0), units=Sum("request__quantity", default=0))
    order_refunds = Refund.objects.filter(item__order_id=item.order_id).exclude(status=Refund.Status.FAILED)
    if excluding is not None and excluding.pk is not None:
        order_refunds = order_refunds.exclude(request_id=excluding.pk)
    order_refunded = int(order_refunds.aggregate(fen=Sum("amount_fen", default=0))["fen"])
    return LineRefunds(paid_fen=item.paid_fen, bought=max(item.quantity, 1), refunded_fen=int(line["fen"]),
                       claimed_units=int(line["units"]),
                       order_left_fen=max(item.order.amount_fen - order_refunded, 0))


def refund_cap(item: OrderItem, *, quantity: int, excluding: AfterSalesRequest | None = None) -> int:
    """The most a request for `quantity` units of `item` may refund, in fen."""
    return line_refunds(item, excluding=excluding).cap_for(quantity)


def amount_problem(cap_fen: int, amount_fen: int) -> str | None:
    """Why `amount_fen` may not be refunded under a cap of `cap_fen`, or None when it may."""
    if 1 <= amount_fen <= cap_fen:
        return None
    if cap_fen < 1:
        return _("Nothing is left to refund on this item.")
    return _("The refund must be between ¥0.01 and the refundable %(max)s for this quantity.") % {
        "max": format_fen(cap_fen)}


def assert_within_cap(request: AfterSalesRequest) -> None:
    """Refuse (400 naming `amount_fen`) to pay `request` more than its line has left; call before a refund row.

    The item row is locked here, so two requests on one line (one active, one being retried) are
    paid one after the other. FOR NO KEY UPDATE: it must not block the foreign-key checks of rows
    that point at the item (refunds being inserted by a concurrent caller), or those deadlock.
    """
    item = (OrderItem.objects.select_for_update(of=("self",), no_key=True).select_related("order")
            .get(pk=request.item_id))
    problem = amount_problem(refund_cap(item, quantity=request.quantity, excluding=request), request.amount_fen)
    if problem is not None:
        raise ApplicationError(problem, code="amount_exceeds_refundable", fields={AMOUNT_FIELD: [problem]})
