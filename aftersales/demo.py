# ruff: noqa: RUF001  (Chinese demo text uses full-width punctuation and the multiplication sign, as Chinese shops write it)
"""Demo after-sales data for `manage.py seed_demo`: orders of the demo customers and requests in every state.

Runs after profiles' seed (INSTALLED_APPS order), so the demo stores, staff and customers exist.
Idempotent: an order whose external id exists is left alone, and requests are made only for
orders created in this run. Dates are relative to the first run, so the 7-day rules apply to them.
"""

import io
from datetime import timedelta
from typing import Any, NamedTuple

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from aftersales.models import FINAL_STATUSES, AfterSalesRequest, Order
from aftersales.services import orders, repairs, requests, setup, ticketing
from profiles.models import CustomerProfile, Store, User


class Product(NamedTuple):
    sku: str
    name: str
    category: str
    price_fen: int


PRODUCTS = {
    "migo-digital": [
        Product("MG-P13PRO-256", "米果 13 Pro 手机 12+256G 曜石黑", "digital", 399_900),
        Product("MG-AIR3", "米果无线降噪耳机 Air 3", "digital", 69_900),
        Product("MG-WATCH-S2", "米果智能手表 S2 运动版", "digital", 129_900),
        Product("MG-GAN65", "米果 65W 氮化镓充电器", "digital", 14_900),
        Product("MG-X10", "米果扫地机器人 X10", "appliance", 249_900),
    ],
    "youzhi-apparel": [
        Product("YZ-TEE-W-L", "优织纯棉圆领T恤 白色 L", "apparel", 7_900),
        Product("YZ-DOWN-F-M", "优织轻薄羽绒服 女款 M", "apparel", 89_900),
        Product("YZ-JEANS-32", "优织修身牛仔裤 32码", "apparel", 25_900),
        Product("YZ-SCARF-EMB", "优织羊毛围巾 定制刺绣", "customized", 19_900),
        Product("YZ-UNDER-3", "优织纯棉内裤三条装", "underwear", 8_900),
    ],
    "liangwei-snacks": [
        Product("LW-NUTS-750", "良味每日坚果 750g", "snacks", 12_900),
        Product("LW-BEEF-500", "良味手撕牛肉干 500g", "snacks", 8_900),
        Product("LW-CRAB-8", "阳澄湖大闸蟹礼盒 8只装", "fresh", 59_900),
        Product("LW-CRAYFISH", "良味麻辣小龙虾 1.5kg", "fresh", 16_800),
        Product("LW-MANGO", "良味芒果干 120g×3", "snacks", 3_900),
    ],
}
STORE_CODES = list(PRODUCTS)
RETURN_ADDRESSES = {
    "migo-digital": ("米果售后中心 周师傅", "4008001234", "广东省东莞市松山湖高新区工业东路 18 号米果售后仓"),
    "youzhi-apparel": ("优织退换货组 何小姐", "057188886666", "浙江省杭州市余杭区良渚街道好运路 66 号优织仓 3 号门"),
    "liangwei-snacks": ("良味售后 蒋先生", "055166668888", "安徽省合肥市蜀山区经开区繁华大道 99 号良味物流园"),
}
COURIERS = ["SF", "ZTO", "YTO", "STO", "YD", "JD", "EMS"]
ORDERS = 60


class DemoRequest(NamedTuple):
    customer: int  # demo customer number
    store: str
    product: int
    signed_days_ago: float | None  # None: not shipped
    request_type: str
    reason: str
    state: str  # what happens after applying, see `_drive`
    photo: bool = False


REQUESTS = [
    DemoRequest(1, "migo-digital", 1, 2, "return_refund", "no-reason", "review"),
    DemoRequest(1, "youzhi-apparel", 0, 3, "exchange", "size", "awaiting_return"),
    DemoRequest(1, "migo-digital", 2, 5, "return_refund", "quality", "in_transit", photo=True),
    DemoRequest(2, "liangwei-snacks", 2, 1, "refund_only", "missing-parts", "review", photo=True),
    DemoRequest(2, "migo-digital", 3, None, "refund_only", "not-wanted", "review"),
    DemoRequest(3, "youzhi-apparel", 1, 4, "return_refund", "no-reason", "received"),
    DemoRequest(3, "migo-digital", 4, 120, "repair", "fault", "awaiting_return"),
    DemoRequest(4, "youzhi-apparel", 2, 6, "return_refund", "no-reason", "rejected"),
    DemoRequest(5, "migo-digital", 0, 3, "return_refund", "quality", "arbitration", photo=True),
    DemoRequest(6, "liangwei-snacks", 1, 2, "complaint", "delivery", "review"),
    DemoRequest(7, "youzhi-apparel", 3, 5, "exchange", "quality", "exchange_shipped", photo=True),
    DemoRequest(8, "migo-digital", 1, 2, "return_refund", "no-reason", "cancelled"),
]


def _photo() -> SimpleUploadedFile:
    image = Image.new("RGB", (480, 360), (236, 240, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 420, 300), outline=(120, 130, 150), width=6)
    draw.line((140, 90, 260, 300), fill=(200, 40, 40), width=8)  # the "crack"
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return SimpleUploadedFile("demo.jpg", out.getvalue(), content_type="image/jpeg")


def _customer(number: int) -> User:
    return CustomerProfile.objects.select_related("user").get(external_id=f"SHOP-C{number:05d}").user


def _order(*, n: int, customer: User, store: Store, product: Product, quantity: int,
           signed_days_ago: float | None, now: Any) -> tuple[Order, bool]:
    external_id = f"DEMO-ORD-{n:04d}"
    existing = Order.objects.filter(external_id=external_id).first()
    if existing is not None:
        return existing, False
    placed = now - timedelta(days=(signed_days_ago or 0) + 3, hours=n % 11)
    shipments = []
    if signed_days_ago is not None:
        signed = now - timedelta(days=signed_days_ago, hours=n % 5)
        shipments = [orders.ShipmentData(courier=COURIERS[n % len(COURIERS)], tracking_number=f"{COURIERS[n % 7]}"
                                         f"{7300000000 + n * 7919}", shipped_at=placed + timedelta(days=1),
                                         signed_at=signed)]
    paid = product.price_fen * quantity
    return orders.order_upsert(
        external_id=external_id, number=f"{placed:%Y%m%d}{880000 + n:08d}", customer=customer, store=store,
        amount_fen=paid, status=Order.Status.SIGNED if shipments else Order.Status.PAID, paid_at=placed,
        created_at=placed, shipments=shipments,
        items=[orders.ItemData(sku=product.sku, product_name=product.name, category_code=product.category,
                               quantity=quantity, unit_price_fen=product.price_fen, paid_fen=paid)],
    )


def _drive(request: Any, state: str, *, staff: User, customer: User) -> None:
    """Take the request from merchant review to `state` through the services, as people would."""
    if state == "review":
        return
    if state == "cancelled":
        requests.request_cancel(request=request, user=customer)
        return
    if state in {"rejected", "arbitration"}:
        request = requests.request_reject(request=request, user=staff, reason="吊牌已剪，影响二次销售")
        if state == "arbitration":
            requests.request_appeal(request=request, user=customer, reason="收货当天就发现屏幕有亮点，有开箱视频")
        return
    request = requests.request_approve(request=request, user=staff, note="同意，请按地址寄回")
    if state == "awaiting_return":
        return
    request = requests.request_ship_return(request=request, user=customer, courier="SF",
                                           tracking_number=f"SF{1400000000 + request.pk}")
    if state == "in_transit":
        return
    request = requests.request_receive(request=request, user=staff)
    if state == "received":
        return
    request = requests.request_inspect(request=request, user=staff, passed=True, notes="包装完好，可二次销售",
                                       restock_quantity=request.quantity)
    if state == "exchange_shipped":
        requests.request_ship_replacement(request=request, user=staff, courier="ZTO",
                                          tracking_number=f"ZT{7700000000 + request.pk}")


def seed(stdout: Any) -> None:
    created_rows = setup.reference_data_ensure()
    stores = {store.code: store for store in Store.objects.filter(code__in=STORE_CODES)}
    if len(stores) != len(STORE_CODES):
        stdout.write("After-sales demo data skipped: the demo stores are missing.")
        return
    for code, (recipient, phone, address) in RETURN_ADDRESSES.items():
        setup.return_address_ensure(store=stores[code], recipient=recipient, phone=phone, address=address)
        setup.contact_mailbox_ensure(store=stores[code], email=f"aftersales@{code}.example.cn")
    for courier in COURIERS:
        setup.contact_mailbox_ensure(courier=courier, email=f"service@{courier.lower()}-express.example.cn")
    now = timezone.now()
    # 上门维修 slots for the digital store: the next 7 days, mornings and afternoons.
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [today + timedelta(days=day, hours=hour) for day in range(1, 8) for hour in (9, 14)]
    repairs.slots_ensure(store=stores["migo-digital"], starts=starts, hours=3, capacity=3)
    new_orders = 0
    for n, spec in enumerate(REQUESTS, start=1):
        customer = _customer(spec.customer)
        product = PRODUCTS[spec.store][spec.product]
        order, created = _order(n=n, customer=customer, store=stores[spec.store], product=product, quantity=1,
                                signed_days_ago=spec.signed_days_ago, now=now)
        if not created:
            continue
        new_orders += 1
        data = requests.ApplicationData(
            item_id=order.items.get().pk, request_type=spec.request_type, reason_code=spec.reason, quantity=1,
            amount_fen=order.amount_fen if spec.request_type in {"refund_only", "return_refund"} else 0,
            description="到货后发现问题，麻烦尽快处理。",
        )
        request = requests.request_create(customer=customer, data=data, images=[_photo()] if spec.photo else [])
        staff = stores[spec.store].staff.order_by("pk").first()
        if staff is not None and request.status == "merchant_review":
            _drive(request, spec.state, staff=staff, customer=customer)
    for n in range(len(REQUESTS) + 1, ORDERS + 1):
        code = STORE_CODES[n % 3]
        product = PRODUCTS[code][(n // 3) % 5]
        age = None if n % 10 == 0 else float((n * 37) % 40 + 1)
        _, created = _order(n=n, customer=_customer((n - 1) % 20 + 1), store=stores[code], product=product,
                            quantity=1 + n % 2, signed_days_ago=age, now=now)
        new_orders += created
    backfilled = backfill_tickets()
    stdout.write(f"After-sales demo data ready ({new_orders} new order(s), {created_rows} new policy row(s), "
                 f"{backfilled} ticket(s) opened for older requests).")


def backfill_tickets() -> int:
    """Open the ticket of every open request made before requests had tickets (closed ones need no desk work)."""
    older = (AfterSalesRequest.objects.filter(ticket__isnull=True).exclude(status__in=FINAL_STATUSES)
             .order_by("pk"))
    count = 0
    for request in older.iterator():
        ticketing.request_ticket_ensure(request=request)
        count += 1
    return count


