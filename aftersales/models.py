"""After-sales tables: orders synced from the shop, policy as data, requests, evidence, refunds."""

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.history import HistoricalRecords
from core.money import format_fen
from profiles.models import Store, User
from tickets.models import Ticket, TicketMessage


class Courier(models.TextChoices):
    SF = "SF", _("SF Express")
    ZTO = "ZTO", _("ZTO Express")
    YTO = "YTO", _("YTO Express")
    STO = "STO", _("STO Express")
    YD = "YD", _("Yunda Express")
    JD = "JD", _("JD Logistics")
    EMS = "EMS", _("China Post EMS")


class Order(models.Model):
    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        SIGNED = "signed", _("Signed for")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    number = models.CharField(_("order number"), max_length=40, db_index=True)
    customer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders", verbose_name=_("store"))
    amount_fen = models.PositiveBigIntegerField(_("paid amount (fen)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PAID)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    synced_at = models.DateTimeField(_("synced at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["synced_at"])

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="order_customer_recent_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def signed_at(self) -> datetime | None:
        """When the customer signed for the goods: the last parcel's signature (shipments prefetched)."""
        signed = [shipment.signed_at for shipment in self.shipments.all() if shipment.signed_at]
        return max(signed) if signed else None

    @property
    def is_shipped(self) -> bool:
        return any(shipment.shipped_at for shipment in self.shipments.all())


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    sku = models.CharField(_("SKU"), max_length=64)
    product_name = models.CharField(_("product name"), max_length=200)
    category_code = models.SlugField(_("category code"), max_length=40)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price_fen = models.PositiveBigIntegerField(_("unit price (fen)"))
    paid_fen = models.PositiveBigIntegerField(_("paid (fen)"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        constraints = [models.UniqueConstraint(fields=["order", "sku"], name="orderitem_unique_sku_per_order")]

    def __str__(self) -> str:
        return f"{self.product_name} x{self.quantity}"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments", verbose_name=_("order"))
    courier = models.CharField(_("courier"), max_length=8, choices=Courier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(fields=["order", "courier", "tracking_number"], name="shipment_unique_tracking")
        ]

    def __str__(self) -> str:
        return f"{self.courier} {self.tracking_number}"


class RequestType(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only")
    RETURN_REFUND = "return_refund", _("Return and refund")
    EXCHANGE = "exchange", _("Exchange")
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")


class Cause(models.TextChoices):
    SERVICE = "service", _("Service")
    PRODUCT = "product", _("Product")
    LOGISTICS = "logistics", _("Logistics")


class CategoryPolicy(models.Model):
    """The return rules of one product category; the row with code `default` covers the rest."""

    DEFAULT_CODE = "default"

    category_code = models.SlugField(_("category code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    no_reason_return = models.BooleanField(
        _("7-day no-reason return"), default=True,
        help_text=_("Off for customized goods, fresh food and the like."),
    )
    no_reason_requires_unopened = models.BooleanField(
        _("no-reason return only unopened"), default=False, help_text=_("E.g. digital goods once activated.")
    )
    no_reason_days = models.PositiveSmallIntegerField(_("no-reason return days"), default=7)
    quality_days = models.PositiveSmallIntegerField(_("quality problem days"), default=15)
    warranty_months = models.PositiveSmallIntegerField(_("warranty months"), default=12)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category policy")
        verbose_name_plural = _("category policies")

    def __str__(self) -> str:
        return self.name


class Reason(models.Model):
    """Why a customer applies; each request type offers its own reasons."""

    request_type = models.CharField(_("request type"), max_length=20, choices=RequestType.choices)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    is_no_reason = models.BooleanField(_("no-reason return"), default=False)
    is_quality = models.BooleanField(_("quality or damage claim (needs photos)"), default=False)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, default=Cause.PRODUCT)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reason")
        verbose_name_plural = _("reasons")
        ordering = ["request_type", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["request_type", "code"], name="reason_unique_code_per_type")]

    def __str__(self) -> str:
        return self.name

    def label(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name


class ReturnAddress(models.Model):
    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="return_address",
                                 verbose_name=_("store"))
    recipient = models.CharField(_("recipient"), max_length=60)
    phone = EncryptedTextField(_("phone"))
    address = EncryptedTextField(_("address"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("return address")
        verbose_name_plural = _("return addresses")

    def __str__(self) -> str:
        return f"{self.store} · {self.recipient}"


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    MERCHANT_REVIEW = "merchant_review", _("Merchant review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ARBITRATION = "arbitration", _("Platform arbitration")
    AWAITING_RETURN = "awaiting_return", _("Awaiting return")
    IN_TRANSIT = "in_transit", _("Return in transit")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDING = "refunding", _("Refunding")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGE_SHIPPED = "exchange_shipped", _("Replacement shipped")
    REPAIRED = "repaired", _("Repaired")
    VISIT_SCHEDULED = "visit_scheduled", _("On-site visit booked")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)


class AfterSalesRequest(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="requests", verbose_name=_("order"))
    item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="requests", verbose_name=_("order item"))
    # Copied from the order so the merchant queue and the customer list filter one table.
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="aftersales_requests",
                              verbose_name=_("store"))
    customer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="aftersales_requests",
                                 verbose_name=_("customer"))
    request_type = models.CharField(_("type"), max_length=20, choices=RequestType.choices)
    reason = models.ForeignKey(Reason, on_delete=models.PROTECT, related_name="requests", verbose_name=_("reason"))
    quantity = models.PositiveIntegerField(_("quantity"))
    amount_fen = models.PositiveBigIntegerField(_("refund amount (fen)"), default=0)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    package_opened = models.BooleanField(_("package opened"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    appeal_reason = models.CharField(_("appeal reason"), max_length=300, blank=True)
    return_courier = models.CharField(_("return courier"), max_length=8, choices=Courier.choices, blank=True)
    return_tracking_number = models.CharField(_("return tracking number"), max_length=40, blank=True)
    inspection_passed = models.BooleanField(_("inspection passed"), null=True, blank=True)
    inspection_notes = models.CharField(_("inspection notes"), max_length=500, blank=True)
    restock_quantity = models.PositiveIntegerField(_("restocked quantity"), default=0)
    replacement_courier = models.CharField(_("replacement courier"), max_length=8, choices=Courier.choices,
                                           blank=True)
    replacement_tracking_number = models.CharField(_("replacement tracking number"), max_length=40, blank=True)
    # The desk's side of the request: created with it (services.ticketing); null only on rows older than that.
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="aftersales_request", verbose_name=_("ticket"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("after-sales request")
        verbose_name_plural = _("after-sales requests")
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=~Q(status__in=FINAL_STATUSES), name="aftersales_one_active_per_item"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="aftersales_quantity_positive"),
        ]
        indexes = [
            # The merchant queue: a store's requests under review by deadline, paged by keyset (due_at, id).
            models.Index(fields=["store", "due_at", "id"], name="aftersales_store_review_idx",
                         condition=Q(status="merchant_review")),
            # The deadline sweep reads only rows with a due time.
            models.Index(fields=["due_at"], name="aftersales_due_idx", condition=Q(due_at__isnull=False)),
            models.Index(fields=["customer", "-id"], name="aftersales_customer_idx"),
            models.Index(fields=["status", "-id"], name="aftersales_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES


class RequestEvent(models.Model):
    """The customer-visible timeline (operation log) of a request: one row per step."""

    request = models.ForeignKey(AfterSalesRequest, on_delete=models.CASCADE, related_name="events",
                                verbose_name=_("after-sales request"))
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("actor"))
    actor_kind = models.CharField(_("actor kind"), max_length=20)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    # The internal note this step left on the request's ticket: set once, so a redelivered task adds none.
    ticket_note = models.OneToOneField(TicketMessage, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("ticket note"))

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"


class Evidence(models.Model):
    """A photo the customer uploaded, stored re-encoded as JPEG (the original bytes are never kept)."""

    request = models.ForeignKey(AfterSalesRequest, on_delete=models.CASCADE, related_name="evidence",
                                verbose_name=_("after-sales request"))
    image = models.BinaryField(_("image"))
    width = models.PositiveIntegerField(verbose_name=_("width"))
    height = models.PositiveIntegerField(verbose_name=_("height"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("evidence photo")
        verbose_name_plural = _("evidence photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.request_id} #{self.pk}"


class RequestNumberCounter(models.Model):
    """Last number handed out per day; incremented with one atomic upsert (see services.numbers)."""

    day = models.DateField(primary_key=True, verbose_name=_("day"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    class Meta:
        verbose_name = _("request number counter")
        verbose_name_plural = _("request number counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending to the gateway")
        UNKNOWN = "unknown", _("Outcome unknown")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Declined")

    request = models.ForeignKey(AfterSalesRequest, on_delete=models.PROTECT, related_name="refunds",
                                verbose_name=_("after-sales request"))
    item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order item"))
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    gateway_reference = models.CharField(_("gateway reference"), max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gte=1), name="refund_amount_positive")]
        indexes = [
            models.Index(fields=["updated_at"], name="refund_unsettled_idx",
                         condition=Q(status__in=["pending", "sending", "unknown"])),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class Evaluation(models.Model):
    """The customer's rating of a finished request (1 to 5 each), given once."""

    request = models.OneToOneField(AfterSalesRequest, on_delete=models.CASCADE, related_name="evaluation",
                                   verbose_name=_("after-sales request"))
    attitude = models.PositiveSmallIntegerField(_("service attitude"))
    speed = models.PositiveSmallIntegerField(_("handling speed"))
    result = models.PositiveSmallIntegerField(_("satisfaction with the result"))
    suggestion = models.CharField(_("suggestion"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(attitude__range=(1, 5), speed__range=(1, 5), result__range=(1, 5)),
                name="evaluation_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.attitude}/{self.speed}/{self.result}"


class CompensationRule(models.Model):
    """先行赔付: up to how much the platform pays the customer first, per cause (edited in admin)."""

    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, unique=True)
    max_amount_fen = models.PositiveBigIntegerField(_("maximum amount (fen)"))
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("advance compensation rule")
        verbose_name_plural = _("advance compensation rules")

    def __str__(self) -> str:
        return f"{self.get_cause_display()} ≤ {format_fen(self.max_amount_fen)}"


class AdvanceCompensation(models.Model):
    """The platform paid the customer first; the claim it holds against the store or the courier."""

    class Liable(models.TextChoices):
        MERCHANT = "merchant", _("Merchant")
        COURIER = "courier", _("Courier")

    request = models.OneToOneField(AfterSalesRequest, on_delete=models.PROTECT, related_name="compensation",
                                   verbose_name=_("after-sales request"))
    amount_fen = models.PositiveBigIntegerField(_("amount (fen)"))
    liable = models.CharField(_("liable party"), max_length=20, choices=Liable.choices)
    liable_store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("liable store"))
    liable_courier = models.CharField(_("liable courier"), max_length=8, choices=Courier.choices, blank=True)
    recovered = models.BooleanField(_("recovered from the liable party"), default=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("advance compensation")
        verbose_name_plural = _("advance compensations")
        indexes = [models.Index(fields=["liable", "recovered"], name="compensation_open_claims_idx")]

    def __str__(self) -> str:
        return f"{self.request_id}: {format_fen(self.amount_fen)}"


class ContactMailbox(models.Model):
    """Where the desk writes about an order (a ticket's side conversations): a store's after-sales mailbox or a
    courier's service desk. Exactly one of the two per row."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="contact_mailbox", verbose_name=_("store"))
    courier = models.CharField(_("courier"), max_length=8, choices=Courier.choices, blank=True)
    email = models.EmailField(_("e-mail address"), max_length=254)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact mailbox")
        verbose_name_plural = _("contact mailboxes")
        constraints = [
            models.CheckConstraint(condition=Q(store__isnull=False, courier="") | Q(store__isnull=True, courier__gt=""),
                                   name="contactmailbox_store_or_courier",
                                   violation_error_message=_("Pick either a store or a courier.")),
            models.UniqueConstraint(fields=["courier"], condition=~Q(courier=""), name="contactmailbox_unique_courier",
                                    violation_error_message=_("This courier has a contact mailbox already.")),
        ]

    def __str__(self) -> str:
        return f"{self.store or self.get_courier_display()} <{self.email}>"


class RepairSlot(models.Model):
    """A time window in which a store's technicians visit customers (上门维修)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="repair_slots", verbose_name=_("store"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("visits"), default=3)
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("repair slot")
        verbose_name_plural = _("repair slots")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "starts_at"], name="repairslot_unique_start_per_store"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="repairslot_not_overbooked"),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.starts_at:%Y-%m-%d %H:%M}"


class RepairVisit(models.Model):
    request = models.OneToOneField(AfterSalesRequest, on_delete=models.CASCADE, related_name="visit",
                                   verbose_name=_("after-sales request"))
    slot = models.ForeignKey(RepairSlot, on_delete=models.PROTECT, related_name="visits", verbose_name=_("slot"))
    address = EncryptedTextField(_("address"))
    technician = models.CharField(_("technician"), max_length=60, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("on-site repair visit")
        verbose_name_plural = _("on-site repair visits")

    def __str__(self) -> str:
        return f"{self.request_id} @ {self.slot_id}"


class TrackingEvent(models.Model):
    """A parcel scan reported by the logistics provider (signed webhook) for a return or an order shipment."""

    class Kind(models.TextChoices):
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERING = "delivering", _("Out for delivery")
        SIGNED = "signed", _("Signed for")

    courier = models.CharField(_("courier"), max_length=8, choices=Courier.choices)
    tracking_number = models.CharField(_("tracking number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            # Providers redeliver webhooks; the same scan is stored once.
            models.UniqueConstraint(fields=["courier", "tracking_number", "kind", "occurred_at"],
                                    name="tracking_event_unique_scan"),
        ]
        indexes = [models.Index(fields=["courier", "tracking_number", "occurred_at"], name="tracking_parcel_idx")]

    def __str__(self) -> str:
        return f"{self.courier} {self.tracking_number} {self.kind}"


class Notification(models.Model):
    """An in-app message to the customer about a step of their request (also sent by e-mail and SMS)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="aftersales_notifications",
                             verbose_name=_("user"))
    request = models.ForeignKey(AfterSalesRequest, on_delete=models.CASCADE, related_name="notifications",
                                verbose_name=_("after-sales request"))
    # One message per timeline step: a redelivered task sends nothing twice.
    event = models.OneToOneField(RequestEvent, on_delete=models.CASCADE, related_name="notification",
                                 verbose_name=_("event"))
    message = models.CharField(_("message"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "-id"], name="notification_user_recent_idx")]

    def __str__(self) -> str:
        return self.message
