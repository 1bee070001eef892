"""Customer segments from RFM figures (recency, frequency, monetary) over the orders this app holds.

Rules, first match wins, thresholds from profiles.SegmentPolicy (admin):
  high value — spent at least the threshold, or ordered at least N times, within the look-back window;
  new        — joined within the last days (and not high value);
  active     — ordered within the active window;
  silent     — everyone else.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from aftersales.models import Order
from profiles import services as profile_services
from profiles.models import CustomerProfile, SegmentPolicy


def classify(*, joined_at: datetime, last_order_at: datetime | None, orders_in_window: int,
             spent_in_window_fen: int, policy: SegmentPolicy, now: datetime) -> str:
    if spent_in_window_fen >= policy.high_value_min_spend_fen or orders_in_window >= policy.high_value_min_orders:
        return CustomerProfile.Segment.HIGH_VALUE
    if joined_at >= now - timedelta(days=policy.new_within_days):
        return CustomerProfile.Segment.NEW
    if last_order_at is not None and last_order_at >= now - timedelta(days=policy.active_within_days):
        return CustomerProfile.Segment.ACTIVE
    return CustomerProfile.Segment.SILENT


def segment_customers(*, now: datetime | None = None) -> dict[str, Any]:
    """Recompute every customer's segment; one aggregate query over orders, one UPDATE per segment."""
    now = now or timezone.now()
    policy = SegmentPolicy.current()
    since = now - timedelta(days=policy.window_days)
    figures: dict[int, dict[str, Any]] = {
        row["customer_id"]: dict(row)
        for row in Order.objects.values("customer_id").annotate(
            last_order_at=Max("created_at"),
            orders_in_window=Count("id", filter=Q(created_at__gte=since)),
            spent_in_window_fen=Sum("amount_fen", filter=Q(created_at__gte=since), default=0),
        ).order_by()
    }
    members: dict[str, list[int]] = {segment: [] for segment in CustomerProfile.Segment.values}
    for user_id, joined_at in CustomerProfile.objects.values_list("user_id", "user__date_joined").iterator():
        row = figures.get(user_id, {})
        segment = classify(
            joined_at=joined_at, last_order_at=row.get("last_order_at"),
            orders_in_window=row.get("orders_in_window", 0), spent_in_window_fen=row.get("spent_in_window_fen", 0),
            policy=policy, now=now,
        )
        members[segment].append(user_id)
    changed = profile_services.customer_segments_apply(members=members, now=now)
    return {"changed": changed, **{segment: len(ids) for segment, ids in members.items()}}
