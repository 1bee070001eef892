"""Anomaly analysis for reports: closed requests by cause, rates by product / store / courier, alerts.

Read-only selectors (the reports app calls them); each is a few grouped queries, never a query per row.
A closed request's cause: logistics when its reason blames delivery; service when inspection found
nothing wrong with the goods or the reason is about service; product otherwise.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, CharField, Count, F, OuterRef, QuerySet, Subquery, Value, When

from aftersales.models import AfterSalesRequest, Cause, Order, Shipment, Status

DIMENSIONS = {"product": "item__sku", "store": "store_id", "courier": "courier"}


def _cause() -> Case:
    return Case(
        When(reason__cause=Cause.LOGISTICS, then=Value(Cause.LOGISTICS)),
        When(inspection_passed=False, then=Value(Cause.SERVICE)),
        default=F("reason__cause"), output_field=CharField(),
    )


def _closed(since: datetime, until: datetime) -> QuerySet[AfterSalesRequest]:
    courier = Shipment.objects.filter(order_id=OuterRef("order_id")).order_by("pk").values("courier")[:1]
    return (AfterSalesRequest.objects.filter(status=Status.CLOSED, updated_at__gte=since, updated_at__lt=until)
            .annotate(cause=_cause(), courier=Subquery(courier)))


def closed_by_cause(*, since: datetime, until: datetime) -> dict[str, int]:
    rows = _closed(since, until).values("cause").annotate(n=Count("pk")).order_by()  # type: ignore[misc]
    return {row["cause"]: row["n"] for row in rows}


@dataclass(frozen=True)
class Rate:
    key: object
    requests: int
    orders: int

    @property
    def rate(self) -> float:
        return self.requests / self.orders if self.orders else 0.0


def _orders_by(dimension: str, since: datetime, until: datetime) -> dict[object, int]:
    orders = Order.objects.filter(created_at__gte=since - timedelta(days=30), created_at__lt=until)
    if dimension == "product":
        rows = orders.values(key=F("items__sku")).annotate(n=Count("pk")).order_by()
    elif dimension == "store":
        rows = orders.values(key=F("store_id")).annotate(n=Count("pk")).order_by()
    else:
        rows = orders.values(key=F("shipments__courier")).annotate(n=Count("pk")).order_by()
    return {row["key"]: row["n"] for row in rows if row["key"] is not None}


def top_rates(*, dimension: str, since: datetime, until: datetime, limit: int = 10,
              causes: tuple[str, ...] = (Cause.PRODUCT, Cause.LOGISTICS)) -> list[Rate]:
    """Groups (product SKU, store id or courier code) with the highest after-sales rate: closed requests
    of the given causes per order placed in the 30 days before the window and during it."""
    field = DIMENSIONS[dimension]
    # The plugin does not see the "cause" annotation of _closed().
    requests = (_closed(since, until).filter(cause__in=causes)  # type: ignore[misc]
                .values(key=F(field)).annotate(n=Count("pk")).order_by())
    orders = _orders_by(dimension, since, until)
    rates = [Rate(row["key"], row["n"], orders.get(row["key"], 0)) for row in requests if row["key"] is not None]
    return sorted(rates, key=lambda r: (-r.rate, -r.requests))[:limit]


@dataclass(frozen=True)
class Alert:
    dimension: str
    key: object
    rate: float
    baseline: float


def rate_alerts(*, dimension: str, now: datetime, window_days: int = 7, baseline_days: int = 28,
                factor: float = 1.5, min_requests: int = 5) -> list[Alert]:
    """Groups whose rate over the last `window_days` exceeds `factor` times their rate over the
    `baseline_days` before (with at least `min_requests` requests, so one bad day is not an alert)."""
    window_start = now - timedelta(days=window_days)
    current = {r.key: r for r in top_rates(dimension=dimension, since=window_start, until=now, limit=10_000)}
    baseline = {r.key: r for r in top_rates(dimension=dimension, since=window_start - timedelta(days=baseline_days),
                                            until=window_start, limit=10_000)}
    alerts = []
    for key, rate in current.items():
        before = baseline[key].rate if key in baseline else 0.0
        if rate.requests >= min_requests and rate.rate > before * factor:
            alerts.append(Alert(dimension, key, round(rate.rate, 4), round(before, 4)))
    return sorted(alerts, key=lambda a: -a.rate)
