"""The after-sales API: orders pushed by the shop (`/orders/`) and requests (`/aftersales-requests/`)."""

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from aftersales import actions, selectors
from aftersales.models import (
    AfterSalesRequest,
    Courier,
    Order,
    OrderItem,
    RequestEvent,
    RequestType,
    Shipment,
    TrackingEvent,
)
from aftersales.models import Status as RequestStatus
from aftersales.services import logistics
from aftersales.services import orders as order_services
from aftersales.services import requests as request_services
from core.api import ApplicationError
from core.idempotency import idempotent
from core.quarantine import Quarantined
from core.serializers import DateTimeField, ErrorSerializer
from core.throttling import ScopedRateThrottle
from profiles.models import CustomerProfile, Store
from profiles.roles import Role
from profiles.selectors import user_has_role
from tickets.models import Channel

MAX_ITEMS = 200
MAX_SHIPMENTS = 20

_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer}


class IntegratorOnly(BasePermission):
    """Orders come from the shop: integrators (and administrators) only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_role(request.user, Role.INTEGRATOR, Role.ADMIN)


class OrderItemSerializer(serializers.ModelSerializer[OrderItem]):
    class Meta:
        model = OrderItem
        fields = ["id", "sku", "product_name", "category_code", "quantity", "unit_price_fen", "paid_fen"]


class ShipmentSerializer(serializers.ModelSerializer[Shipment]):
    class Meta:
        model = Shipment
        fields = ["courier", "tracking_number", "shipped_at", "signed_at"]


class OrderSerializer(serializers.ModelSerializer[Order]):
    customer_id = serializers.IntegerField(read_only=True)
    store_code = serializers.CharField(source="store.code", read_only=True)
    signed_at = DateTimeField(read_only=True, allow_null=True)
    items = OrderItemSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "external_id", "number", "customer_id", "store_code", "amount_fen", "status", "paid_at",
                  "created_at", "signed_at", "items", "shipments"]
        read_only_fields = fields


class ItemInSerializer(serializers.Serializer[Any]):
    sku = serializers.CharField(max_length=64)
    product_name = serializers.CharField(max_length=200)
    category_code = serializers.SlugField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    unit_price_fen = serializers.IntegerField(min_value=0, max_value=10**12)
    paid_fen = serializers.IntegerField(min_value=0, max_value=10**12)


class ShipmentInSerializer(serializers.Serializer[Any]):
    courier = serializers.ChoiceField(choices=Courier.choices)
    tracking_number = serializers.RegexField(r"^[A-Za-z0-9]{6,40}$", max_length=40)
    shipped_at = DateTimeField(required=False, allow_null=True, default=None)
    signed_at = DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["signed_at"] and (attrs["shipped_at"] is None or attrs["signed_at"] < attrs["shipped_at"]):
            raise serializers.ValidationError({"signed_at": [_("Signed for before it was shipped.")]})
        return attrs


class OrderUpsertSerializer(serializers.Serializer[Any]):
    external_id = serializers.CharField(max_length=64, help_text=_("The order's id in the shop."))
    number = serializers.CharField(max_length=40, help_text=_("The order number the customer sees."))
    customer_external_id = serializers.CharField(max_length=64)
    store_code = serializers.SlugField(max_length=40)
    amount_fen = serializers.IntegerField(min_value=0, max_value=10**12, help_text=_("Paid amount in fen."))
    status = serializers.ChoiceField(choices=Order.Status.choices)
    paid_at = DateTimeField(required=False, allow_null=True, default=None)
    created_at = DateTimeField()
    items = ItemInSerializer(many=True, allow_empty=False)
    shipments = ShipmentInSerializer(many=True, required=False, default=list)

    def validate_customer_external_id(self, value: str) -> Any:
        profile = CustomerProfile.objects.select_related("user").filter(external_id=value).first()
        if profile is None:
            raise serializers.ValidationError(_("No customer with this external id; push the customer first."))
        return profile.user

    def validate_store_code(self, value: str) -> Store:
        store = Store.objects.filter(code=value).first()
        if store is None:
            raise serializers.ValidationError(_("No store with this code."))
        return store

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > MAX_ITEMS:
            raise serializers.ValidationError(_("At most %(max)d items.") % {"max": MAX_ITEMS})
        skus = [item["sku"] for item in value]
        if len(set(skus)) != len(skus):
            raise serializers.ValidationError(_("Each SKU may appear once."))
        return value

    def validate_shipments(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > MAX_SHIPMENTS:
            raise serializers.ValidationError(_("At most %(max)d shipments.") % {"max": MAX_SHIPMENTS})
        keys = [(s["courier"], s["tracking_number"]) for s in value]
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError(_("Each tracking number may appear once."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if sum(item["paid_fen"] for item in attrs["items"]) > attrs["amount_fen"]:
            raise serializers.ValidationError({"items": [_("The items' paid amounts exceed the order's.")]})
        return attrs


@extend_schema_view(
    list=extend_schema(responses={200: OrderSerializer(many=True), **_ERRORS}),
    retrieve=extend_schema(responses={200: OrderSerializer, 404: ErrorSerializer, **_ERRORS}),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Order]):
    """Orders synced from the shop, for integrators."""

    serializer_class = OrderSerializer
    permission_classes = [IntegratorOnly]
    parser_classes = [JSONParser]
    throttle_scope = "integrations"
    filterset_fields = ["status"]

    def get_queryset(self) -> QuerySet[Order]:
        return selectors.orders_for_integrator()

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = list(super().get_throttles())
        if self.action == "create":
            throttles.append(ScopedRateThrottle())
        return throttles

    @extend_schema(
        request=OrderUpsertSerializer,
        responses={200: OrderSerializer, 201: OrderSerializer, 400: ErrorSerializer, 409: ErrorSerializer,
                   422: ErrorSerializer, **_ERRORS},
        summary=_("Create or update an order by external_id"),
        description=_("Items are matched by SKU and shipments by courier + tracking number; ones left out are "
                      "removed. Sending the same body again changes nothing."),
    )
    @idempotent
    def create(self, request: Request) -> Response:
        upsert = OrderUpsertSerializer(data=request.data)
        upsert.is_valid(raise_exception=True)
        data = dict(upsert.validated_data)
        customer = data.pop("customer_external_id")
        store = data.pop("store_code")
        items = [order_services.ItemData(**item) for item in data.pop("items")]
        shipments = [order_services.ShipmentData(**shipment) for shipment in data.pop("shipments")]
        try:
            order, created = order_services.order_upsert(customer=customer, store=store, items=items,
                                                         shipments=shipments, **data)
        except IntegrityError as exc:
            raise ApplicationError(gettext("A concurrent request changed this order; retry."), code="conflict",
                                   status_code=status.HTTP_409_CONFLICT) from exc
        order = selectors.orders_for_integrator().get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class EventSerializer(serializers.ModelSerializer[RequestEvent]):
    class Meta:
        model = RequestEvent
        fields = ["from_status", "to_status", "actor_kind", "note", "created_at"]


class RequestSerializer(serializers.ModelSerializer[AfterSalesRequest]):
    order_number = serializers.CharField(source="order.number", read_only=True)
    store_code = serializers.CharField(source="store.code", read_only=True)
    reason = serializers.CharField(source="reason.code", read_only=True)
    reason_name = serializers.CharField(source="reason.name", read_only=True)
    product_name = serializers.CharField(source="item.product_name", read_only=True)
    # "" until the customer ships the return: the schema's enum must list it.
    return_courier = serializers.ChoiceField(choices=Courier.choices, read_only=True, allow_blank=True)

    class Meta:
        model = AfterSalesRequest
        fields = ["id", "number", "order_number", "store_code", "item_id", "product_name", "request_type", "reason",
                  "reason_name", "quantity", "amount_fen", "description", "status", "due_at", "rejection_reason",
                  "return_courier", "return_tracking_number", "inspection_passed", "inspection_notes",
                  "restock_quantity", "created_at", "updated_at"]
        read_only_fields = fields


class RequestDetailSerializer(RequestSerializer):
    events = EventSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField(help_text=_("Steps the caller may take now."))

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "events", "actions"]
        read_only_fields = fields

    def get_actions(self, obj: AfterSalesRequest) -> list[str]:
        user = self.context["request"].user
        return [a.name for a in actions.available(obj, selectors.actors_for(user, obj))]


class RequestCreateSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField(help_text=_("Id of the order item."))
    request_type = serializers.ChoiceField(choices=RequestType.choices)
    reason = serializers.SlugField(max_length=40, help_text=_("Reason code, one of the request type's."))
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, default=1)
    amount_fen = serializers.IntegerField(min_value=0, max_value=10**12, default=0)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    package_opened = serializers.BooleanField(default=False)
    images = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=20)


class TransitionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=sorted(actions.ACTIONS))
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    courier = serializers.CharField(required=False, allow_blank=True, max_length=8)
    tracking_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    passed = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=500)
    restock_quantity = serializers.IntegerField(required=False, min_value=0)
    slot = serializers.IntegerField(required=False, help_text=_("Repair slot id, to book an on-site visit."))
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)
    technician = serializers.CharField(required=False, allow_blank=True, max_length=60)


class RequestFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=RequestStatus.choices)
    request_type = filters.ChoiceFilter(choices=RequestType.choices)

    class Meta:
        model = AfterSalesRequest
        fields = ["status", "request_type"]


@extend_schema_view(
    list=extend_schema(responses={200: RequestSerializer(many=True), **_ERRORS}),
    retrieve=extend_schema(responses={200: RequestDetailSerializer, 404: ErrorSerializer, **_ERRORS}),
)
class AfterSalesRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               viewsets.GenericViewSet[AfterSalesRequest]):
    """After-sales requests: customers see their own, merchant staff their stores', agents all."""

    serializer_class = RequestSerializer
    # An application may carry images, which a form-urlencoded body cannot; the steps take every form encoding.
    parser_classes = [JSONParser, MultiPartParser]
    filterset_class = RequestFilter
    lookup_field = "number"

    def get_queryset(self) -> QuerySet[AfterSalesRequest]:
        return selectors.requests_visible_to(self.request.user)

    def get_object(self) -> AfterSalesRequest:
        number = str(self.kwargs["number"])
        return selectors.request_detail(selectors.requests_visible_to(self.request.user), number)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(RequestDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(
        request=RequestCreateSerializer,
        responses={201: RequestDetailSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 422: ErrorSerializer,
                   **_ERRORS},
        summary=_("Apply for after-sales on one of the caller's order items"),
        description=_("Not eligible → 400 whose `code` names the first problem and `fields` lists every one."),
    )
    @idempotent
    def create(self, request: Request) -> Response:
        body = RequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        application = request_services.ApplicationData(
            item_id=data["item"], request_type=data["request_type"], reason_code=data["reason"],
            quantity=data["quantity"], amount_fen=data["amount_fen"], description=data["description"],
            package_opened=data["package_opened"],
        )
        created = request_services.request_create(customer=request.user, data=application,  # type: ignore[arg-type]
                                                  images=data["images"], channel=Channel.API)
        detail = selectors.request_for_customer(request.user, created.number)
        return Response(RequestDetailSerializer(detail, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TransitionSerializer,
        responses={200: RequestDetailSerializer, 400: ErrorSerializer, 404: ErrorSerializer,
                   409: OpenApiResponse(ErrorSerializer, description=_("Out of order; `fields.allowed` lists the "
                                                                        "steps possible now.")), **_ERRORS},
        summary=_("Take a step: approve, reject, ship the return, inspect, cancel …"),
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def transition(self, request: Request, number: str) -> Response:
        after_sales = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        actors_held = selectors.actors_for(request.user, after_sales)
        actions.perform(after_sales, data.pop("action"), user=request.user, actors=actors_held, data=data)
        detail = selectors.request_detail(selectors.requests_visible_to(request.user), number)
        return Response(RequestDetailSerializer(detail, context=self.get_serializer_context()).data)


class TrackingEventSerializer(serializers.Serializer[Any]):
    courier = serializers.ChoiceField(choices=Courier.choices)
    tracking_number = serializers.RegexField(r"^[A-Za-z0-9]{6,40}$", max_length=40)
    kind = serializers.ChoiceField(choices=TrackingEvent.Kind.choices)
    occurred_at = DateTimeField()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


SIGNATURE_HEADER = "X-Logistics-Signature"


class LogisticsWebhookView(APIView):
    """Parcel scans pushed by the logistics provider, signed with the shared secret (no user login)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []  # the signature is the gate; providers send bursts
    parser_classes = [JSONParser]

    @extend_schema(
        request=TrackingEventSerializer,
        responses={202: OpenApiResponse(description=_("`{\"stored\": false}` for a scan already received, with "
                                                      "`quarantine_id` for one that could not be stored and is "
                                                      "kept for a supervisor.")),
                   400: ErrorSerializer, 403: ErrorSerializer},
        summary=_("Logistics provider webhook (HMAC-SHA256 signed)"),
        description=_("Header `X-Logistics-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. A signed scan "
                      "of a return parcel marks the request received; of an order shipment, sets its signed-for "
                      "date. Redelivered scans are ignored."),
    )
    def post(self, request: Request) -> Response:
        secret = settings.LOGISTICS_WEBHOOK_SECRET.encode()
        expected = "sha256=" + hmac.new(secret, request.body, hashlib.sha256).hexdigest()
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not secret or not hmac.compare_digest(expected, given):
            raise ApplicationError(gettext("Missing or wrong signature."), code="bad_signature")
        body = TrackingEventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        scan = logistics.tracking_receive(raw=request.body, scan=body.validated_data)
        if isinstance(scan, Quarantined):
            return Response({"stored": False, "quarantine_id": scan.message.pk}, status=status.HTTP_202_ACCEPTED)
        return Response({"stored": scan is not None}, status=status.HTTP_202_ACCEPTED)


def register(router: DefaultRouter) -> None:
    router.register("orders", OrderViewSet, basename="order")
    router.register("aftersales-requests", AfterSalesRequestViewSet, basename="aftersales-request")
