"""What we know about a customer's shopping, for apps that may not import the app that knows it.

Chat needs a customer's orders and after-sales requests (the bot answers "where is my parcel", the
console shows them beside the conversation), but chat and aftersales sit on the same layer and may not
import each other. So the facts travel as the plain dataclasses below: an app that owns such data
registers a provider at start-up (`AppConfig.ready`), and readers ask `facts_for(customer_id)`.

A provider returns only the given customer's rows and runs a constant number of queries. Labels are
lazy translations, so they render in the language of whoever reads them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class OrderFact:
    number: str
    status: str  # the order's status code, e.g. "shipped"
    status_label: StrOrPromise
    created_at: datetime
    url: str = ""  # the customer's page for the order ("" when there is none)
    courier: StrOrPromise = ""  # the latest parcel's courier, "" when not shipped
    tracking_number: str = ""
    shipped_at: datetime | None = None
    signed_at: datetime | None = None
    last_scan: str = ""  # the courier's latest scan, e.g. "【杭州】已发出"
    last_scan_at: datetime | None = None


@dataclass(frozen=True)
class RequestFact:
    number: str
    request_type: str  # e.g. "refund_only"
    type_label: StrOrPromise
    status: str
    status_label: StrOrPromise
    is_refund: bool  # money goes back to the customer (refund only, return and refund)
    updated_at: datetime
    url: str = ""


@dataclass(frozen=True)
class CustomerFacts:
    orders: tuple[OrderFact, ...] = ()  # newest first
    requests: tuple[RequestFact, ...] = ()  # open ones, newest first


Provider = Callable[[int, int], CustomerFacts]  # (customer id, at most this many rows of each kind)
_providers: list[Provider] = []

RECENT_LIMIT = 5


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def facts_for(customer_id: int, *, limit: int = RECENT_LIMIT) -> CustomerFacts:
    """Every provider's facts about this customer merged, newest first, at most `limit` of each kind."""
    orders: list[OrderFact] = []
    requests: list[RequestFact] = []
    for provider in _providers:
        found = provider(customer_id, limit)
        orders.extend(found.orders)
        requests.extend(found.requests)
    orders.sort(key=lambda order: order.created_at, reverse=True)
    requests.sort(key=lambda request: request.updated_at, reverse=True)
    return CustomerFacts(orders=tuple(orders[:limit]), requests=tuple(requests[:limit]))
