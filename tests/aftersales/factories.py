"""Orders and requests for the after-sales tests, built through the services like the shop would."""

import io
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from aftersales.models import AfterSalesRequest, Order
from aftersales.services import orders, requests
from profiles.models import Store, User
from tests.factories import StoreFactory

_counter = iter(range(1, 10_000_000))


def make_order(
    *, customer: User, store: Store | None = None, signed_days_ago: float | None = 2, shipped: bool = True,
    category: str = "digital", paid_fen: int = 19_900, quantity: int = 1, skus: int = 1,
    now: datetime | None = None,
) -> Order:
    """A paid order; shipped and signed for `signed_days_ago` days ago unless told otherwise."""
    now = now or timezone.now()
    n = next(_counter)
    store = store or StoreFactory.create()
    items = [
        orders.ItemData(sku=f"SKU-{n}-{i}", product_name=f"测试商品{n}-{i}", category_code=category,
                        quantity=quantity, unit_price_fen=paid_fen // quantity, paid_fen=paid_fen)
        for i in range(skus)
    ]
    shipments = []
    if shipped:
        signed_at = None if signed_days_ago is None else now - timedelta(days=signed_days_ago)
        shipments.append(orders.ShipmentData(courier="SF", tracking_number=f"SF{n:010d}",
                                             shipped_at=now - timedelta(days=10), signed_at=signed_at))
    order, _ = orders.order_upsert(
        external_id=f"T-ORDER-{n}", number=f"{n:016d}", customer=customer, store=store,
        amount_fen=paid_fen * skus, status=Order.Status.SIGNED if shipped else Order.Status.PAID,
        paid_at=now - timedelta(days=12), created_at=now - timedelta(days=12), items=items, shipments=shipments,
    )
    return order


def photo(name: str = "broken.png", size: tuple[int, int] = (64, 48), fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def apply(order: Order, *, request_type: str = "return_refund", reason: str = "no-reason", quantity: int = 1,
          amount_fen: int | None = None, images: list[Any] | None = None, **extra: Any) -> AfterSalesRequest:
    item = order.items.order_by("pk").first()
    assert item is not None
    data = requests.ApplicationData(
        item_id=item.pk, request_type=request_type, reason_code=reason, quantity=quantity,
        amount_fen=item.paid_fen if amount_fen is None else amount_fen, **extra,
    )
    return requests.request_create(customer=order.customer, data=data, images=images)
