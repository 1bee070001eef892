"""The tickets API (`/api/v1/tickets/`): list, create, detail, messages, assign, transition, escalate, nudge.

Access comes from `tickets.selectors.visible_tickets` (someone else's ticket is a 404); every write goes
through `tickets.services`, whose refusals map to the shared error shape (409 for a disallowed
transition, with `fields.allowed`).
"""

from typing import Any, cast

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from core.api import KeysetPagination
from core.idempotency import idempotent
from core.prepared import PreparedLookup
from core.serializers import DateTimeField, ErrorSerializer, FieldsBuiltOnce
from profiles.models import CustomerProfile, User
from profiles.roles import Role
from profiles.selectors import agent_users, user_has_role
from tickets import cached_config, selectors, services, side_api, sla
from tickets import search as ticket_search
from tickets.channels import api as channel_api
from tickets.models import (
    Category,
    Channel,
    Priority,
    SlaEvent,
    Status,
    Ticket,
    TicketMessage,
    TicketType,
)

_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer}
_NOT_FOUND = {404: ErrorSerializer}
MAX_TAGS = 20
MAX_UPLOADS = 10

ID_OR_NUMBER = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH,
    description=_("The ticket's id (42) or its number (T2026112200001)."),
)


def _is_customer_view(request: Request) -> bool:
    return not selectors.is_desk(request.user) and not user_has_role(request.user, Role.INTEGRATOR,
                                                                              Role.ADMIN)


class TicketAccess(BasePermission):
    """Customers (their own), the desk (their teams'), integrators and administrators; nobody else."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return selectors.is_desk(user) or user_has_role(user, Role.CUSTOMER, Role.INTEGRATOR, Role.ADMIN)


class TicketAttachmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class SlaClockSerializer(serializers.Serializer[Any]):
    target = serializers.ChoiceField(choices=SlaEvent.Target.choices)
    state = serializers.ChoiceField(choices=sla.ClockState.choices)
    due_at = DateTimeField()
    remaining_seconds = serializers.IntegerField(help_text=_("Business time left (running or paused)."))
    overdue_seconds = serializers.IntegerField(help_text=_("Business time past the due time (breached)."))
    warning = serializers.BooleanField()


# The clocks are rendered like every other API date-time (local time with its offset), whether the due time
# was just computed (a new ticket's) or read from the row (UTC).
_CLOCK_DUE = DateTimeField()


class TicketSerializer(FieldsBuiltOnce, serializers.ModelSerializer[Ticket]):
    customer_id = serializers.IntegerField(read_only=True)
    # A user as a string is their full name (User.get_full_name is str(user)); a source ending in a method made DRF
    # inspect its signature on every response.
    customer_name = serializers.CharField(source="customer", read_only=True)
    category = serializers.CharField(source="category.code", read_only=True, allow_null=True, default=None)
    team_id = serializers.IntegerField(read_only=True, allow_null=True)
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)
    assignee_id = serializers.IntegerField(read_only=True, allow_null=True)
    assignee_name = serializers.CharField(source="assignee", read_only=True, allow_null=True, default=None)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    merged_into_id = serializers.IntegerField(read_only=True, allow_null=True)
    sla = serializers.SerializerMethodField(help_text=_("The SLA clocks now, in business time: the same figures as "
                                                        "the desk pages and the sweep."))

    # Routing and escalation details are the desk's business; a customer gets the rest.
    DESK_ONLY = ("tags", "team_id", "team_name", "escalation_level", "nudge_count", "source", "region", "sla")

    class Meta:
        model = Ticket
        fields = ["id", "number", "subject", "customer_id", "customer_name", "channel", "source", "type", "category",
                  "priority", "status", "tags", "region", "team_id", "team_name", "assignee_id", "assignee_name",
                  "parent_id", "merged_into_id", "order_number", "first_response_due_at", "next_response_due_at",
                  "resolution_due_at", "first_responded_at", "solved_at", "closed_at", "nudge_count",
                  "escalation_level", "created_at", "updated_at", "sla"]
        read_only_fields = fields

    @extend_schema_field(SlaClockSerializer(many=True))
    def get_sla(self, obj: Ticket) -> list[dict[str, Any]]:
        # One calendar cache and one "now" per response, shared by every ticket of a list.
        shared = cast(dict[str, Any], self.context)  # the list serializer's children share their parent's dict
        now = shared.setdefault("sla_now", timezone.now())
        if "sla_warning_percent" not in shared:
            shared["sla_warning_percent"] = cached_config.sla_warning_percent()
        # Calendars and desk settings from the cache their writes invalidate: no query per response.
        calendar = cached_config.calendar(obj.sla_policy.calendar_id) if obj.sla_policy else None
        return [
            {"target": clock.target, "state": clock.state, "due_at": _CLOCK_DUE.to_representation(clock.due_at),
             "remaining_seconds": int(clock.remaining.total_seconds()),
             "overdue_seconds": int(clock.overdue.total_seconds()), "warning": clock.warning}
            for clock in sla.clocks(obj, now=now, calendar=calendar, warning_percent=shared["sla_warning_percent"])
        ]

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and _is_customer_view(request):
            for name in self.DESK_ONLY:
                data.pop(name, None)
        return data


def desk_only_fields_optional(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the desk-only ticket fields are left out for customers, so the
    schema must not call them required (a schema-checking client would reject the customer's answer)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name in ("Ticket", "TicketDetail") and "required" in component:
            component["required"] = [field for field in component["required"]
                                     if field not in TicketSerializer.DESK_ONLY]
    return result


class TicketDetailSerializer(TicketSerializer):
    allowed_statuses = serializers.SerializerMethodField(help_text=_("Statuses the ticket may move to now."))

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "allowed_statuses"]
        read_only_fields = fields

    def get_allowed_statuses(self, obj: Ticket) -> list[str]:
        from tickets.workflow import WORKFLOW

        return WORKFLOW.allowed_targets(obj)


# The integrator's usual create names the customer by id: compiled once (core.prepared), like the session's user.
_CUSTOMER_BY_USER = PreparedLookup(CustomerProfile, lambda: CustomerProfile.objects.select_related("user"), "user_id")


class TicketCreateSerializer(FieldsBuiltOnce, serializers.Serializer[Any]):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000)
    customer_id = serializers.IntegerField(
        required=False, help_text=_("For the desk and integrators: the customer's user id."))
    customer_external_id = serializers.CharField(
        required=False, max_length=64, help_text=_("For integrators: the customer's id in the shop."))
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    category = serializers.SlugField(max_length=40, required=False, help_text=_("Category code."))
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=30), required=False, default=list,
                                 max_length=MAX_TAGS)
    region = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    order_number = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)

    def validate_category(self, value: str) -> Category:
        category = Category.objects.filter(code=value, is_active=True).first()
        if category is None:
            raise serializers.ValidationError(_("No active category with this code."))
        return category

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        if _is_customer_view(self.context["request"]):
            attrs["customer"] = user
            return attrs
        if "customer_id" in attrs:
            profile = _CUSTOMER_BY_USER.get(attrs["customer_id"])
        elif "customer_external_id" in attrs:
            profile = CustomerProfile.objects.select_related("user").filter(
                external_id=attrs["customer_external_id"]).first()
        else:
            raise serializers.ValidationError({"customer_id": [_("Name the customer (customer_id or "
                                                                 "customer_external_id).")]})
        if profile is None:
            raise serializers.ValidationError({"customer_id": [_("No such customer.")]})
        attrs["customer"] = profile.user
        return attrs


class TicketMessageSerializer(serializers.ModelSerializer[TicketMessage]):
    author_id = serializers.IntegerField(read_only=True)
    author_name = serializers.CharField(source="author.get_full_name", read_only=True)
    attachments = TicketAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "kind", "body", "author_id", "author_name", "from_customer", "created_at", "attachments"]
        read_only_fields = fields


class TicketMessageCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=TicketMessage.Kind.choices, default=TicketMessage.Kind.REPLY)
    body = serializers.CharField(max_length=20000)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                        max_length=MAX_UPLOADS)
    seen_message_id = serializers.IntegerField(
        required=False, min_value=1, help_text=_(
            "Desk replies: the newest public message the writer has read. If someone else's public message is newer, "
            "the reply is refused with 409 newer_message; read the conversation, then send again with its id."))


class TicketAssignSerializer(serializers.Serializer[Any]):
    assignee = serializers.IntegerField(allow_null=True, help_text=_("Agent's user id; null unassigns."))
    force = serializers.BooleanField(default=False, help_text=_("Supervisors: assign even if offline or full."))

    def validate_assignee(self, value: int | None) -> User | None:
        if value is None:
            return None
        user = agent_users().filter(pk=value).first()
        if user is None:
            raise serializers.ValidationError(_("No agent with this id."))
        return user


class TicketTransitionSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    override = serializers.BooleanField(default=False, help_text=_("Supervisors: solve despite open sub-tickets."))


class TicketEscalateSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class TicketFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Status.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    priority = filters.ChoiceFilter(choices=Priority.choices)
    team = filters.NumberFilter(field_name="team_id")
    assignee = filters.NumberFilter(field_name="assignee_id")
    tag = filters.CharFilter(method="filter_tag", max_length=30)
    # No max_length: any text is a query (the first 200 characters count), never a 400.
    q = filters.CharFilter(method="filter_search", help_text=_(
        "Search: ticket number (or its beginning), subject, messages (internal notes for the desk only), customer "
        "name, order number, tag; an exact phone number or e-mail address finds the customer's tickets. Every "
        "word must match; combines with the other filters; newest first."))

    class Meta:
        model = Ticket
        fields = ["status", "channel", "priority", "team", "assignee", "tag", "q"]

    def filter_tag(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        return queryset.filter(tags__contains=[value])

    def filter_search(self, queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        request = self.request
        paginator = KeysetPagination()
        # Search returns only the rows one page needs, so it has to know where the cursor stands (the key is
        # the id, newest first): below its id going forward; going back, every match above it (at most the
        # pages already seen).
        cursor = paginator.position(request, queryset.model)
        position = int(cursor.key[0]) if cursor else None
        reverse = bool(cursor and cursor.backward)
        page = paginator.get_page_size(request) + 1
        return ticket_search.search(
            queryset, ticket_search.parse(value), user=request.user, include_notes=not _is_customer_view(request),
            before=None if reverse else position, after=position if reverse else None,
            limit=ticket_search.MAX_LIMIT if reverse else page)


class MessagePagination(KeysetPagination):
    ordering = "id"
    page_size = 50


_TICKET_OUT = {200: TicketDetailSerializer, **_NOT_FOUND, **_ERRORS}


@extend_schema_view(
    list=extend_schema(responses={200: TicketSerializer(many=True), **_ERRORS}),
    retrieve=extend_schema(parameters=[ID_OR_NUMBER], responses=_TICKET_OUT),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Ticket]):
    """Tickets: customers see their own, agents their teams' queues, supervisors / QA / admins all."""

    serializer_class = TicketSerializer
    permission_classes = [TicketAccess]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = TicketFilter
    lookup_value_regex = r"[0-9]+|[Tt][0-9]+"

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.ticket_list_for(self.request.user)

    def get_object(self) -> Ticket:
        return selectors.ticket_by_key(self.request.user, self.kwargs["pk"])

    def _detail(self, ticket: Ticket, *, code: int = status.HTTP_200_OK) -> Response:
        # After a write the caller may no longer see it in their queue (routed, escalated, transferred);
        # they still get the result of what they did.
        fresh = selectors.ticket_just_written(ticket.pk)
        return Response(TicketDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(TicketDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer, 400: ErrorSerializer, 422: ErrorSerializer, **_ERRORS},
        summary=_("Create a ticket (routed, SLA started)"),
        description=_("Customers create their own; the desk and integrators name the customer."),
    )
    @idempotent
    def create(self, request: Request) -> Response:
        body = TicketCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        customer = data.pop("customer")
        data.pop("customer_id", None)
        data.pop("customer_external_id", None)
        ticket = services.ticket_create(
            customer=customer, source="api", **data,
            created_by=None if customer.pk == request.user.pk else request.user,  # type: ignore[arg-type]
            # The customer's profile came with them, read a moment ago in this request (the serializer's lookup).
            profile_loaded=customer.pk != request.user.pk,
        )
        # The ticket as just written, with its customer, team, agent, category and policy in hand: no refetch.
        return Response(TicketDetailSerializer(ticket, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"], parameters=[ID_OR_NUMBER], responses={200: TicketMessageSerializer(many=True), **_NOT_FOUND,
                                                                **_ERRORS},
        summary=_("The conversation (customers never see internal notes)"),
    )
    @extend_schema(
        methods=["POST"], parameters=[ID_OR_NUMBER], request=TicketMessageCreateSerializer,
        responses={201: TicketMessageSerializer, 400: ErrorSerializer, **_NOT_FOUND, **_ERRORS,
                   409: OpenApiResponse(ErrorSerializer, description=_(
                       "newer_message: a public message newer than seen_message_id arrived; nothing was written."))},
        summary=_("Reply publicly or add an internal note (desk only)"),
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        desk = not _is_customer_view(request)
        if request.method == "GET":
            paginator = MessagePagination()
            page = paginator.paginate_queryset(selectors.messages_for(ticket, include_notes=desk), request, self)
            return paginator.get_paginated_response(TicketMessageSerializer(page, many=True).data)
        body = TicketMessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["kind"] == TicketMessage.Kind.NOTE:
            message = services.ticket_add_note(ticket=ticket, author=request.user, body=data["body"],  # type: ignore[arg-type]
                                               uploads=data["attachments"])
        else:
            message = services.ticket_reply(ticket=ticket, author=request.user, body=data["body"],  # type: ignore[arg-type]
                                            uploads=data["attachments"], seen_message_id=data.get("seen_message_id"))
        message = selectors.message_for(ticket, message.pk, include_notes=desk)
        return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[ID_OR_NUMBER], request=TicketAssignSerializer,
                   responses={**_TICKET_OUT, 400: ErrorSerializer, 409: OpenApiResponse(
                       ErrorSerializer, description=_("The agent is offline or at capacity."))},
                   summary=_("Assign to an agent (or unassign)"))
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        body = TicketAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = services.ticket_assign(ticket=ticket, assignee=body.validated_data["assignee"],
                                        actor=request.user, force=body.validated_data["force"])  # type: ignore[arg-type]
        return self._detail(ticket)

    @extend_schema(parameters=[ID_OR_NUMBER], request=TicketTransitionSerializer,
                   responses={**_TICKET_OUT, 400: ErrorSerializer, 409: OpenApiResponse(
                       ErrorSerializer, description=_("Not allowed now; `fields.allowed` lists the statuses "
                                                      "possible."))},
                   summary=_("Change the status"))
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        body = TicketTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ticket = services.ticket_transition(ticket=ticket, target=data["status"], actor=request.user,  # type: ignore[arg-type]
                                            reason=data["reason"], override=data["override"])
        return self._detail(ticket)

    @extend_schema(parameters=[ID_OR_NUMBER], request=TicketEscalateSerializer,
                   responses={**_TICKET_OUT, 400: ErrorSerializer}, summary=_("Escalate one level"))
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        body = TicketEscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.ticket_escalate(ticket=ticket, actor=request.user, from_level=ticket.escalation_level,
                                 note=body.validated_data["note"])
        return self._detail(ticket)

    @extend_schema(parameters=[ID_OR_NUMBER], request=None, responses={**_TICKET_OUT, 400: ErrorSerializer},
                   summary=_("The customer's 催单 (hurry up) button"))
    @action(detail=True, methods=["post"])
    def nudge(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        services.ticket_nudge(ticket=ticket, customer=request.user)  # type: ignore[arg-type]
        return self._detail(ticket)


def register(router: DefaultRouter) -> None:
    router.register("tickets", TicketViewSet, basename="ticket")
    router.register(r"tickets/(?P<ticket_pk>[0-9]+)/side-conversations", side_api.SideConversationViewSet,
                    basename="ticket-side-conversation")
    router.register("calls", channel_api.CallRecordViewSet, basename="call")
