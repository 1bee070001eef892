"""Orders and after-sales requests follow a duplicate customer into the one they are merged into; the
facts rule-based tags count (refund requests and complaints in the last 90 days)."""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.models import AfterSalesRequest, Order, RequestType
from core.customer_merge import MergeHandler
from core.customer_tags import TagKind

RECENT_DAYS = 90
REFUND_TYPES = (RequestType.REFUND_ONLY, RequestType.RETURN_REFUND)


def _move(source_id: int, target_id: int) -> dict[str, int]:
    return {
        "aftersales.Order.customer": Order.objects.filter(customer_id=source_id).update(customer_id=target_id),
        "aftersales.AfterSalesRequest.customer": AfterSalesRequest.objects.filter(customer_id=source_id)
        .update(customer_id=target_id),
    }


HANDLER = MergeHandler(fields=("aftersales.Order.customer", "aftersales.AfterSalesRequest.customer"), move=_move)


def _customers_with_requests(types: tuple[str, ...], at_least: int) -> set[int]:
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    rows = (AfterSalesRequest.objects.filter(request_type__in=types, created_at__gte=since)
            .values("customer_id").annotate(n=Count("id")).filter(n__gte=max(at_least, 1)))
    return {row["customer_id"] for row in rows}


TAG_KINDS = (
    TagKind("refund_requests_90d", _("Refund requests in the last 90 days, at least"),
            lambda threshold, value: _customers_with_requests(REFUND_TYPES, threshold)),
    TagKind("complaints_90d", _("Complaints in the last 90 days, at least"),
            lambda threshold, value: _customers_with_requests((RequestType.COMPLAINT,), threshold)),
)
