"""After-sales's answer to "what has this customer bought, and what is open?" (core.customer_context).

Registered at start-up so chat can show and talk about orders without importing aftersales. Four
queries whatever the customer: orders, their parcels, the parcels' latest scans, open requests.
"""

from django.urls import reverse

from aftersales import selectors
from aftersales.models import AfterSalesRequest, Courier, Order, RequestType, Shipment, TrackingEvent
from core.customer_context import CustomerFacts, OrderFact, RequestFact

REFUND_TYPES = frozenset({RequestType.REFUND_ONLY, RequestType.RETURN_REFUND})


def _latest_shipment(order: Order) -> Shipment | None:
    shipments = sorted(order.shipments.all(), key=lambda shipment: (shipment.shipped_at is not None,
                                                                     shipment.shipped_at, shipment.pk))
    return shipments[-1] if shipments else None


def _order_fact(order: Order, shipment: Shipment | None, scans: dict[tuple[str, str], TrackingEvent]) -> OrderFact:
    url = reverse("aftersales:order", args=[order.pk])
    if shipment is None:
        return OrderFact(number=order.number, status=order.status, status_label=order.get_status_display(),
                         created_at=order.created_at, url=url)
    scan = scans.get((shipment.courier, shipment.tracking_number))
    return OrderFact(
        number=order.number, status=order.status, status_label=order.get_status_display(),
        created_at=order.created_at, url=url, courier=Courier(shipment.courier).label,
        tracking_number=shipment.tracking_number, shipped_at=shipment.shipped_at, signed_at=shipment.signed_at,
        last_scan=(scan.description or scan.get_kind_display()) if scan is not None else "",
        last_scan_at=scan.occurred_at if scan is not None else None,
    )


def _request_fact(request: AfterSalesRequest) -> RequestFact:
    return RequestFact(
        number=request.number, request_type=request.request_type, type_label=request.get_request_type_display(),
        status=request.status, status_label=request.get_status_display(),
        is_refund=request.request_type in REFUND_TYPES, updated_at=request.updated_at,
        url=reverse("aftersales:request", args=[request.number]),
    )


def customer_facts(customer_id: int, limit: int) -> CustomerFacts:
    orders = selectors.recent_orders(customer_id, limit=limit)
    shipments = {order.pk: _latest_shipment(order) for order in orders}
    scans = selectors.latest_scans({(s.courier, s.tracking_number) for s in shipments.values() if s is not None})
    return CustomerFacts(
        orders=tuple(_order_fact(order, shipments[order.pk], scans) for order in orders),
        requests=tuple(_request_fact(request) for request in selectors.open_requests(customer_id, limit=limit)),
    )
