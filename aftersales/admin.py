"""Admin: the eligibility policy and reasons are data edited here; orders and requests are read-mostly."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aftersales.models import (
    AdvanceCompensation,
    AfterSalesRequest,
    CategoryPolicy,
    CompensationRule,
    ContactMailbox,
    Order,
    OrderItem,
    Reason,
    Refund,
    RepairSlot,
    RepairVisit,
    RequestEvent,
    ReturnAddress,
    Shipment,
)


@admin.register(CategoryPolicy)
class CategoryPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["category_code", "name", "no_reason_return", "no_reason_requires_unopened", "no_reason_days",
                    "quality_days", "warranty_months"]
    list_editable = ["no_reason_return", "no_reason_requires_unopened", "no_reason_days", "quality_days",
                     "warranty_months"]
    search_fields = ["category_code", "name"]


@admin.register(Reason)
class ReasonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_en", "request_type", "code", "is_no_reason", "is_quality", "cause", "active"]
    list_filter = ["request_type", "cause", "active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ReturnAddress)
class ReturnAddressAdmin(SimpleHistoryAdmin):
    list_display = ["store", "recipient"]
    list_select_related = ["store"]


@admin.register(ContactMailbox)
class ContactMailboxAdmin(SimpleHistoryAdmin):
    list_display = ["email", "store", "courier"]
    list_filter = ["courier"]
    list_select_related = ["store"]
    search_fields = ["email", "store__name"]
    autocomplete_fields = ["store"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0


class ShipmentInline(admin.TabularInline):
    model = Shipment
    extra = 0


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ["number", "external_id", "customer", "store", "amount_fen", "status", "created_at"]
    list_filter = ["status", "store"]
    list_select_related = ["customer", "store"]
    search_fields = ["=number", "=external_id"]
    raw_id_fields = ["customer"]
    show_full_result_count = False
    inlines = [OrderItemInline, ShipmentInline]


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "actor_kind", "note", "created_at"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AfterSalesRequest)
class AfterSalesRequestAdmin(SimpleHistoryAdmin):
    list_display = ["number", "request_type", "status", "store", "customer", "amount_fen", "due_at", "created_at"]
    list_filter = ["status", "request_type"]
    list_select_related = ["store", "customer"]
    search_fields = ["=number"]
    show_full_result_count = False
    # The status moves only through the workflow, never by editing the row.
    readonly_fields = ["number", "order", "item", "store", "customer", "status", "due_at", "amount_fen"]
    inlines = [RequestEventInline]


@admin.register(Refund)
class RefundAdmin(SimpleHistoryAdmin):
    list_display = ["idempotency_key", "amount_fen", "status", "attempts", "gateway_reference", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=idempotency_key"]
    readonly_fields = ["request", "item", "amount_fen", "idempotency_key", "status", "gateway_reference",
                       "attempts", "last_error"]


@admin.register(CompensationRule)
class CompensationRuleAdmin(SimpleHistoryAdmin):
    list_display = ["cause", "max_amount_fen", "active"]
    list_editable = ["max_amount_fen", "active"]


@admin.register(AdvanceCompensation)
class AdvanceCompensationAdmin(SimpleHistoryAdmin):
    list_display = ["request", "amount_fen", "liable", "liable_store", "liable_courier", "recovered", "created_at"]
    list_filter = ["liable", "recovered", "liable_courier"]
    list_select_related = ["request", "liable_store"]
    list_editable = ["recovered"]
    readonly_fields = ["request", "amount_fen", "liable", "liable_store", "liable_courier", "created_by"]


@admin.register(RepairSlot)
class RepairSlotAdmin(SimpleHistoryAdmin):
    list_display = ["store", "starts_at", "ends_at", "capacity", "booked"]
    list_filter = ["store"]
    list_select_related = ["store"]
    readonly_fields = ["booked"]


@admin.register(RepairVisit)
class RepairVisitAdmin(SimpleHistoryAdmin):
    list_display = ["request", "slot", "technician"]
    list_select_related = ["request", "slot__store"]
    readonly_fields = ["request", "slot"]
