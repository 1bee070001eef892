"""The profiles API: who am I (`/me/`) and customers for agents and integrators (`/customers/`)."""

import re
from typing import Any

from django.core.validators import RegexValidator
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.api import ApplicationError
from core.crypto import blind_index
from core.idempotency import idempotent
from core.masking import can_view_pii
from core.permissions import MethodPermission
from core.serializers import ErrorSerializer, PiiField
from core.throttling import ScopedRateThrottle
from profiles import customers, selectors, services
from profiles.models import AgentProfile, AuditEntry, CustomerProfile, Skill, Team

# Permissions the UI switches on (menus, unmasked fields); all live on the profiles.User model.
UI_PERMISSIONS = ("view_pii", "use_desk", "use_merchant_portal", "view_reports")
MAINLAND_MOBILE = re.compile(r"^(?:\+86[ -]?)?(1[3-9]\d{9})$")
MAX_TAGS = 20


class SkillSerializer(serializers.ModelSerializer[Skill]):
    class Meta:
        model = Skill
        fields = ["code", "name"]


class TeamSerializer(serializers.ModelSerializer[Team]):
    class Meta:
        model = Team
        fields = ["id", "name"]


class AgentSummarySerializer(serializers.ModelSerializer[AgentProfile]):
    skills = SkillSerializer(many=True, read_only=True)
    teams = TeamSerializer(many=True, read_only=True)

    class Meta:
        model = AgentProfile
        fields = ["presence", "capacity", "last_seen_at", "skills", "teams"]


class MeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField(), help_text=_("Role (group) names."))
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=UI_PERMISSIONS), help_text=_("UI permissions the caller holds.")
    )
    phone = serializers.CharField(help_text=_("The caller's own phone, in clear."))
    email = serializers.CharField(help_text=_("The caller's own email, in clear."))
    language = serializers.CharField()
    agent = AgentSummarySerializer(allow_null=True, help_text=_("Present for agents: presence, capacity, skills."))
    marketing_consent = serializers.BooleanField(
        allow_null=True, help_text=_("Customers: whether they agreed to marketing (null: never asked)."))


class MeUpdateSerializer(serializers.Serializer[Any]):
    marketing_consent = serializers.BooleanField(help_text=_("The customer's yes or no to marketing."))


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer, 401: ErrorSerializer}, summary=_("The signed-in caller"))
    def get(self, request: Request) -> Response:
        user: Any = request.user
        data = {
            "id": user.pk,
            "username": user.username,
            "display_name": str(user),
            "roles": sorted(user.role_names),
            "permissions": [name for name in UI_PERMISSIONS if user.has_perm(f"profiles.{name}")],
            "phone": user.phone,
            "email": user.email,
            "language": user.preferred_language or translation.get_language(),
            "agent": selectors.agent_profile_for(user),
            "marketing_consent": getattr(selectors.customer_profile_for(user), "marketing_consent", None),
        }
        return Response(MeSerializer(data).data)

    @extend_schema(request=MeUpdateSerializer,
                   responses={200: MeSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
                   summary=_("Change the caller's own settings (customers: marketing consent)"))
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "marketing_consent" in serializer.validated_data:  # a PATCH changes only what it names
            customers.customer_set_marketing_consent(
                customer=request.user, consent=serializer.validated_data["marketing_consent"],  # type: ignore[arg-type]
                source=customers.ConsentSource.API)
        return self.get(request)


class CustomerSerializer(serializers.ModelSerializer[CustomerProfile]):
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    phone = PiiField(kind="phone", source="user.phone", owner_source="user_id")
    email = PiiField(kind="email", source="user.email", owner_source="user_id")
    address = PiiField(kind="address", owner_source="user_id")

    class Meta:
        model = CustomerProfile
        fields = ["id", "external_id", "display_name", "phone", "email", "address", "vip_level", "tags",
                  "created_at", "updated_at"]
        read_only_fields = fields


class CustomerUpsertSerializer(serializers.Serializer[Any]):
    external_id = serializers.CharField(max_length=64, help_text=_("The customer's id in the integrator's system."))
    display_name = serializers.CharField(max_length=100)
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text=_("Mainland mobile, optionally with +86."),
        # The same rule as validate_phone, stated in the schema (empty allowed: no phone).
        validators=[RegexValidator(r"^(?:(?:\+86[ -]?)?1[3-9]\d{9})?$",
                                   message=_("Enter a mainland China mobile number, e.g. 13812345678."))],
    )
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    vip_level = serializers.IntegerField(required=False, min_value=0, max_value=4, default=0)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, max_length=MAX_TAGS, default=list
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)

    def validate_phone(self, value: str) -> str:
        if not value:
            return value
        match = MAINLAND_MOBILE.match(value.strip())
        if match is None:
            raise serializers.ValidationError(_("Enter a mainland China mobile number, e.g. 13812345678."))
        return match.group(1)

    def validate_tags(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class CustomerFilter(filters.FilterSet):
    vip_level = filters.ChoiceFilter(choices=CustomerProfile.VipLevel.choices)
    tag = filters.CharFilter(method="filter_tag", help_text=_("Customers carrying this tag."))
    phone = filters.CharFilter(method="filter_phone", help_text=_("Exact phone number."))
    email = filters.CharFilter(method="filter_email", help_text=_("Exact email address."))

    class Meta:
        model = CustomerProfile
        fields = ["vip_level"]

    def filter_tag(self, queryset: QuerySet[CustomerProfile], name: str, value: str) -> QuerySet[CustomerProfile]:
        return queryset.filter(tags__contains=[value])

    def filter_phone(self, queryset: QuerySet[CustomerProfile], name: str, value: str) -> QuerySet[CustomerProfile]:
        # Phone and email are encrypted: only the blind index supports lookup, and only exact.
        return queryset.filter(user__phone_index=blind_index(value, kind="phone"))

    def filter_email(self, queryset: QuerySet[CustomerProfile], name: str, value: str) -> QuerySet[CustomerProfile]:
        return queryset.filter(user__email_index=blind_index(value, kind="email"))


class CustomerPermission(MethodPermission):
    required = {
        "GET": ("profiles.view_customerprofile",),
        "POST": ("profiles.add_customerprofile", "profiles.change_customerprofile"),
    }


_ERRORS = {
    401: ErrorSerializer,
    403: ErrorSerializer,
    429: OpenApiResponse(ErrorSerializer, description=_("Throttled; see the Retry-After header.")),
}


@extend_schema_view(
    list=extend_schema(responses={200: CustomerSerializer(many=True), 400: ErrorSerializer, **_ERRORS}),
    retrieve=extend_schema(responses={200: CustomerSerializer, 404: ErrorSerializer, **_ERRORS}),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CustomerProfile]):
    """Customers. PII (phone, email, address) is masked unless the caller holds `profiles.view_pii`."""

    serializer_class = CustomerSerializer
    permission_classes = [CustomerPermission]
    parser_classes = [JSONParser]
    filterset_class = CustomerFilter
    throttle_scope = "integrations"

    def get_queryset(self) -> QuerySet[CustomerProfile]:
        return selectors.customers_list()

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        # Whoever received customers' PII in clear is on the audit log, once per response.
        if request.method == "GET" and response.status_code == 200 and can_view_pii(request.user):
            rows = response.data.get("results", []) if isinstance(response.data, dict) and "results" in response.data \
                else [response.data]
            services.audit_record(
                action=AuditEntry.Action.PII_VIEWED, actor=request.user, ip_address=request.META.get("REMOTE_ADDR"),
                subject=f"API {request.path}"[:200],
                detail={"customers": [row.get("external_id") for row in rows if isinstance(row, dict)][:100]},
            )
        return super().finalize_response(request, response, *args, **kwargs)

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = list(super().get_throttles())
        if self.action == "create":
            throttles.append(ScopedRateThrottle())
        return throttles

    @extend_schema(
        request=CustomerUpsertSerializer,
        responses={
            200: OpenApiResponse(CustomerSerializer, description=_("Updated the customer with this external_id.")),
            201: OpenApiResponse(CustomerSerializer, description=_("Created a new customer.")),
            400: ErrorSerializer,
            409: ErrorSerializer,
            422: OpenApiResponse(ErrorSerializer, description=_("Idempotency-Key reused with a different body.")),
            **_ERRORS,
        },
        summary=_("Create or update a customer by external_id"),
        description=_(
            "Upsert keyed by `external_id`. The body replaces the customer's data: optional fields left out "
            "are reset to empty (tags to none, VIP level to 0)."
        ),
    )
    @idempotent
    def create(self, request: Request) -> Response:
        upsert = CustomerUpsertSerializer(data=request.data)
        upsert.is_valid(raise_exception=True)
        try:
            profile, created = services.customer_upsert(**upsert.validated_data)
        except IntegrityError as exc:
            # Two first-time upserts of one external_id raced; the loser can simply retry.
            raise ApplicationError(
                gettext("A concurrent request changed this customer; retry."), code="conflict",
                status_code=status.HTTP_409_CONFLICT,
            ) from exc
        body = CustomerSerializer(profile, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def register(router: DefaultRouter) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
