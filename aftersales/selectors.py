"""Reads for after-sales: access helpers that fetch and check in one step, lists paged by keyset."""

import functools
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from aftersales.models import (
    FINAL_STATUSES,
    AfterSalesRequest,
    Courier,
    Evidence,
    Notification,
    Order,
    OrderItem,
    Reason,
    Refund,
    RequestEvent,
    RequestType,
    ReturnAddress,
    Shipment,
    Status,
    TrackingEvent,
)
from aftersales.workflow import Actor
from core.facts import Branch, FactQuery, grouped_facts, seconds_between
from core.keyset import Keyset, KeysetPage
from core.prepared import PreparedQuery
from profiles.models import Store
from profiles.roles import DESK_ROLES
from profiles.selectors import stores_for_user, user_has_role
from tickets import selectors as ticket_selectors
from tickets.models import TicketMessage

REQUEST_RELATED = ("order", "item", "store", "customer", "reason")
CONVERSATION_LIMIT = 50



def orders_for_customer(user: Any) -> QuerySet[Order]:
    return (Order.objects.filter(customer_id=user.pk).select_related("store")
            .prefetch_related("items", "shipments").order_by("-created_at", "-id"))


def order_for_customer(user: Any, order_id: int) -> Order:
    order = orders_for_customer(user).filter(pk=order_id).first()
    if order is None:
        raise Http404("order not found")
    return order


def orders_for_integrator() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "store").prefetch_related("items", "shipments").order_by("-id")


def item_for_customer(user: Any, item_id: int) -> OrderItem:
    item = (OrderItem.objects.select_related("order__store").prefetch_related("order__shipments")
            .filter(pk=item_id, order__customer_id=user.pk).first())
    if item is None:
        raise Http404("item not found")
    return item


def reasons_by_type() -> dict[str, list[Reason]]:
    grouped: dict[str, list[Reason]] = {}
    for reason in Reason.objects.filter(active=True):
        grouped.setdefault(reason.request_type, []).append(reason)
    return grouped


def _requests() -> QuerySet[AfterSalesRequest]:
    return AfterSalesRequest.objects.select_related(*REQUEST_RELATED)


def requests_for_customer(user: Any) -> QuerySet[AfterSalesRequest]:
    return _requests().filter(customer_id=user.pk).order_by("-id")


def requests_for_merchant(user: Any) -> QuerySet[AfterSalesRequest]:
    """Requests of the stores the user is staff of (django-guardian object permission).

    The store ids are read first: a literal list lets PostgreSQL use the per-store partial indexes,
    which it does not do through guardian's nested subquery.
    """
    return _requests().filter(store_id__in=merchant_store_ids(user))


def is_platform(user: Any) -> bool:
    return user_has_role(user, *DESK_ROLES)


def requests_for_platform(user: Any) -> QuerySet[AfterSalesRequest]:
    return _requests() if is_platform(user) else AfterSalesRequest.objects.none()


def requests_visible_to(user: Any) -> QuerySet[AfterSalesRequest]:
    """The API's list: platform staff see all; others their own requests and their stores' requests."""
    if is_platform(user):
        return _requests()
    store_ids = merchant_store_ids(user)
    if not store_ids:
        return _requests().filter(customer_id=user.pk)
    return _requests().filter(Q(customer_id=user.pk) | Q(store_id__in=store_ids))


def request_detail(queryset: QuerySet[AfterSalesRequest], number: str) -> AfterSalesRequest:
    events = RequestEvent.objects.select_related("actor").order_by("id")
    request = queryset.select_related("evaluation", "visit__slot", "ticket").prefetch_related(
        Prefetch("events", queryset=events), "refunds", "order__shipments",
        # The photos themselves are served one by one; the page needs only their ids.
        Prefetch("evidence", queryset=Evidence.objects.defer("image")),
    ).filter(number=number).first()
    if request is None:
        raise Http404("request not found")
    return request


def request_for_customer(user: Any, number: str) -> AfterSalesRequest:
    return request_detail(requests_for_customer(user), number)


def request_for_merchant(user: Any, number: str) -> AfterSalesRequest:
    """Someone else's store's request is indistinguishable from no request (404)."""
    return request_detail(requests_for_merchant(user), number)


def request_for_platform(user: Any, number: str) -> AfterSalesRequest:
    return request_detail(requests_for_platform(user), number)


def actors_for(user: Any, request: AfterSalesRequest) -> set[Actor]:
    """The parts `user` may play on `request` (their own request, their store, the platform)."""
    actors: set[Actor] = set()
    if request.customer_id == user.pk:
        actors.add(Actor.CUSTOMER)
    if stores_for_user(user).filter(pk=request.store_id).exists():
        actors.add(Actor.MERCHANT)
    if is_platform(user):
        actors.add(Actor.PLATFORM)
    return actors


def merchant_store_ids(user: Any) -> list[int]:
    return list(stores_for_user(user).values_list("pk", flat=True))


# The merchant queue's order and page key: soonest deadline first, from the (store, due_at, id) index.
MERCHANT_QUEUE_KEYSET = Keyset(("due_at", "id"))


def merchant_queue(store_ids: list[int], *, after: tuple[Any, ...] | None = None,
                   limit: int = 50) -> KeysetPage[AfterSalesRequest]:
    """Requests of these stores awaiting review, soonest deadline first, paged by keyset (due_at, id)."""
    queryset = _requests().filter(store_id__in=store_ids, status=Status.MERCHANT_REVIEW, due_at__isnull=False)
    return MERCHANT_QUEUE_KEYSET.page(queryset, key=after, limit=limit)


def merchant_open_without_deadline(store_ids: list[int], *, limit: int = 50) -> list[AfterSalesRequest]:
    """Open requests waiting on the store with no review clock running (in transit, received, inspected)."""
    waiting = [Status.IN_TRANSIT, Status.RECEIVED, Status.INSPECTED]
    return list(_requests().filter(store_id__in=store_ids, status__in=waiting).order_by("-id")[:limit])


def arbitration_queue(user: Any, *, limit: int = 100) -> list[AfterSalesRequest]:
    return list(requests_for_platform(user).filter(status=Status.ARBITRATION).order_by("updated_at", "pk")[:limit])


def return_address_for(store: Store) -> ReturnAddress | None:
    return ReturnAddress.objects.filter(store=store).first()


def evidence_image(user: Any, evidence_id: int) -> bytes:
    evidence = Evidence.objects.filter(pk=evidence_id).select_related("request").first()
    if evidence is None or not actors_for(user, evidence.request):
        raise Http404("evidence not found")
    return bytes(evidence.image)


def notifications_for(user: Any, *, limit: int = 5) -> list[Notification]:
    return list(Notification.objects.filter(user_id=user.pk).select_related("request").order_by("-id")[:limit])


def conversation(request: AfterSalesRequest, *, limit: int = CONVERSATION_LIMIT) -> list[TicketMessage]:
    """The newest public messages between the customer and the desk on the request's ticket, oldest first."""
    if request.ticket is None:
        return []
    newest = ticket_selectors.messages_for(request.ticket, include_notes=False).order_by("-id")[:limit]
    return list(reversed(newest))


def recent_orders(customer_id: int, *, limit: int) -> list[Order]:
    """The customer's newest orders with their parcels (two queries, on the customer's recent-orders index)."""
    orders = _recent_orders(limit).all(customer_id)
    prefetch_related_objects(orders, "shipments")
    return orders


# The desk's ticket page reads these two for its customer panel: compiled once (core.prepared).
@functools.cache
def _recent_orders(limit: int) -> PreparedQuery[Order]:
    return PreparedQuery(Order, lambda customer_id: Order.objects.filter(customer_id=customer_id)
                         .order_by("-created_at", "-id")[:limit])


@functools.cache
def _open_requests(limit: int) -> PreparedQuery[AfterSalesRequest]:
    return PreparedQuery(AfterSalesRequest, lambda customer_id: AfterSalesRequest.objects
                         .filter(customer_id=customer_id).exclude(status__in=FINAL_STATUSES)
                         .order_by("-updated_at", "-id")[:limit])


def latest_scans(parcels: set[tuple[str, str]]) -> dict[tuple[str, str], TrackingEvent]:
    """The newest courier scan of each (courier, tracking number), in one query."""
    if not parcels:
        return {}
    wanted = Q()
    for courier, tracking_number in parcels:
        wanted |= Q(courier=courier, tracking_number=tracking_number)
    scans = (TrackingEvent.objects.filter(wanted).order_by("courier", "tracking_number", "-occurred_at", "-id")
             .distinct("courier", "tracking_number"))
    return {(scan.courier, scan.tracking_number): scan for scan in scans}


def open_requests(customer_id: int, *, limit: int) -> list[AfterSalesRequest]:
    """The customer's requests not closed or cancelled, most recently moved first."""
    return _open_requests(limit).all(customer_id)


def complaints_for_ticket(ticket_id: int) -> QuerySet[AfterSalesRequest]:
    """The complaints a ticket stands for: its own, and those whose tickets were merged into it."""
    return AfterSalesRequest.objects.filter(Q(ticket_id=ticket_id) | Q(ticket__merged_into_id=ticket_id),
                                            request_type=RequestType.COMPLAINT)


def tickets_with_complaints(ticket_ids: list[int]) -> list[int]:
    """Those of `ticket_ids` that stand for a complaint (`complaints_for_ticket` of each, in one query)."""
    rows = AfterSalesRequest.objects.filter(Q(ticket_id__in=ticket_ids) | Q(ticket__merged_into_id__in=ticket_ids),
                                            request_type=RequestType.COMPLAINT).values_list(
        "ticket_id", "ticket__merged_into_id")
    wanted = set(ticket_ids)
    return sorted({pk for pair in rows for pk in pair if pk in wanted})


def own_complaint_id(ticket_id: int) -> int | None:
    """The complaint whose own ticket this is (merged tickets' complaints keep their own rating)."""
    return (AfterSalesRequest.objects.filter(ticket_id=ticket_id, request_type=RequestType.COMPLAINT)
            .values_list("pk", flat=True).first())


def request_of_ticket(ticket_id: int) -> AfterSalesRequest | None:
    return _REQUEST_OF_TICKET.first(ticket_id)


_REQUEST_OF_TICKET = PreparedQuery(AfterSalesRequest, lambda ticket_id: AfterSalesRequest.objects.filter(
    ticket_id=ticket_id).only("number", "status", "request_type").order_by("pk")[:1])


AFTERSALES_FACT_KEYS = ("request_type", "reason_id", "store_id", "courier", "product_line")
AFTERSALES_FACT_MEASURES = ("requests", "requested_fen", "refunds", "refund_fen", "refund_seconds")


def aftersales_daily_facts() -> FactQuery:
    """After-sales facts of a time window per type x reason x store x courier x product line.

    Requests count on the day they were filed; a refund on the day the gateway confirmed it (its last
    update once succeeded), its time = confirmed - request filed. The courier is the one that
    delivered the order (its first shipment), '' when it was never shipped; the product line is the
    item's category code.
    """
    request, item = AfterSalesRequest._meta.db_table, OrderItem._meta.db_table
    courier = (f"COALESCE((SELECT s.courier FROM {Shipment._meta.db_table} s WHERE s.order_id = r.order_id "  # noqa: S608 (identifiers from model meta, values as parameters)
               "ORDER BY s.id LIMIT 1), '')")
    keys = {"request_type": "r.request_type", "reason_id": "r.reason_id", "store_id": "r.store_id",
            "courier": courier, "product_line": "i.category_code"}
    return grouped_facts(keys=AFTERSALES_FACT_KEYS, measures=AFTERSALES_FACT_MEASURES, branches=[
        Branch(keys, {"requests": "1", "requested_fen": "r.amount_fen"},
               f"{request} r JOIN {item} i ON i.id = r.item_id", when="r.created_at"),
        Branch(keys, {"refunds": "1", "refund_fen": "f.amount_fen",
                      "refund_seconds": seconds_between("r.created_at", "f.updated_at")},
               f"{Refund._meta.db_table} f JOIN {request} r ON r.id = f.request_id JOIN {item} i ON i.id = r.item_id",
               when="f.updated_at", where=f"f.status = '{Refund.Status.SUCCEEDED.value}'"),
    ])


def reason_names() -> dict[int, tuple[str, str]]:
    """(Chinese name, English name) per reason id, for report labels."""
    return {pk: (name, name_en) for pk, name, name_en in Reason.objects.values_list("pk", "name", "name_en")}


def courier_labels() -> dict[str, str]:
    return {str(value): str(label) for value, label in Courier.choices}


def request_type_labels() -> dict[str, str]:
    return {str(value): str(label) for value, label in RequestType.choices}
