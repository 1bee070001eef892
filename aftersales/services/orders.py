"""Orders pushed by the shop: upsert by external id, items by SKU, shipments by tracking number.

Repeating the same payload changes nothing and writes no history: only real changes are saved.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import status

from aftersales.models import Order, OrderItem, Shipment
from core import events
from core.api import ApplicationError
from profiles.models import Store, User


@dataclass(frozen=True)
class ItemData:
    sku: str
    product_name: str
    category_code: str
    quantity: int
    unit_price_fen: int
    paid_fen: int


@dataclass(frozen=True)
class ShipmentData:
    courier: str
    tracking_number: str
    shipped_at: datetime | None = None
    signed_at: datetime | None = None


def _save_changes(instance: Any, values: dict[str, Any]) -> bool:
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)
    return bool(changed)


@transaction.atomic
def order_upsert(
    *, external_id: str, number: str, customer: User, store: Store, amount_fen: int, status: str,
    paid_at: datetime | None, created_at: datetime, items: list[ItemData], shipments: list[ShipmentData],
) -> tuple[Order, bool]:
    """Create or update the order the shop knows by `external_id`; returns (order, created).

    Items are matched by SKU and shipments by (courier, tracking number) and processed in sorted
    order; ones missing from the payload are removed, unless an after-sales request refers to them.
    """
    values = {"number": number, "customer": customer, "store": store, "amount_fen": amount_fen,
              "status": status, "paid_at": paid_at, "created_at": created_at}
    order = Order.objects.select_for_update(of=("self",)).filter(external_id=external_id).first()
    created = order is None
    if order is None:
        order = Order.objects.create(external_id=external_id, **values)
    else:
        _save_changes(order, values)
    _sync_items(order, items)
    _sync_shipments(order, shipments)
    events.publish("aftersales.order_upserted", order_id=order.pk, created=created)
    return order, created


def _sync_items(order: Order, items: list[ItemData]) -> None:
    existing = {item.sku: item for item in order.items.select_for_update()}
    wanted = {item.sku for item in items}
    gone = [item for sku, item in existing.items() if sku not in wanted]
    if any(item.requests.exists() for item in gone):
        raise ApplicationError(
            _("An item with an after-sales request cannot be removed from the order."),
            code="item_in_use", fields={"items": [_("Keep every item that has an after-sales request.")]},
            status_code=status.HTTP_409_CONFLICT,
        )
    for item in gone:
        item.delete()
    for data in sorted(items, key=lambda i: i.sku):
        values = {"product_name": data.product_name, "category_code": data.category_code,
                  "quantity": data.quantity, "unit_price_fen": data.unit_price_fen, "paid_fen": data.paid_fen}
        if data.sku in existing:
            _save_changes(existing[data.sku], values)
        else:
            OrderItem.objects.create(order=order, sku=data.sku, **values)


def _sync_shipments(order: Order, shipments: list[ShipmentData]) -> None:
    existing = {(s.courier, s.tracking_number): s for s in order.shipments.select_for_update()}
    wanted = {(s.courier, s.tracking_number) for s in shipments}
    for key, shipment in existing.items():
        if key not in wanted:
            shipment.delete()
    for data in sorted(shipments, key=lambda s: (s.courier, s.tracking_number)):
        key = (data.courier, data.tracking_number)
        values = {"shipped_at": data.shipped_at, "signed_at": data.signed_at}
        if key in existing:
            _save_changes(existing[key], values)
        else:
            Shipment.objects.create(order=order, courier=data.courier, tracking_number=data.tracking_number,
                                    **values)
