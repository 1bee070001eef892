"""Orders and after-sales requests on the customer-360 timeline (core.customer_timeline).

Two queries whatever the customer: the orders, and the requests with their reasons joined.
"""

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from aftersales.models import AfterSalesRequest, Order
from core.customer_timeline import Cursor, TimelineEntry, newest
from core.money import format_fen

SUMMARY_CHARS = 140


def aftersales_entries(customer_id: int, before: Cursor | None, limit: int) -> list[TimelineEntry]:
    orders = newest(Order.objects.filter(customer_id=customer_id), before, kind="order", when_field="created_at",
                    limit=limit)
    requests = newest(AfterSalesRequest.objects.filter(customer_id=customer_id).select_related("reason"), before,
                      kind="aftersales_request", when_field="created_at", limit=limit)
    entries = [
        TimelineEntry(
            when=order.created_at, kind="order", pk=order.pk, kind_label=_("Order placed"),
            title=order.number, summary=f"{format_fen(order.amount_fen)} · {order.get_status_display()}",
        )
        for order in orders
    ]
    entries.extend(
        TimelineEntry(
            when=request.created_at, kind="aftersales_request", pk=request.pk,
            kind_label=request.get_request_type_display(),
            title=f"{request.number} {request.reason}",
            summary=Truncator(f"{request.get_status_display()} · {request.description}").chars(SUMMARY_CHARS),
            url=reverse("aftersales:arbitration_request", args=[request.number]),
        )
        for request in requests
    )
    return entries
