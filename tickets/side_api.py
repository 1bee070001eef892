"""Side conversations in the API, for the desk only (customers, merchants and integrators get 403):

    GET  /api/v1/tickets/<id>/side-conversations/            the ticket's threads with their messages
    POST /api/v1/tickets/<id>/side-conversations/            start one {counterpart, subject, body}
    POST /api/v1/tickets/<id>/side-conversations/<cid>/reply/ {body}
    POST /api/v1/tickets/<id>/side-conversations/<cid>/close/ and …/reopen/ (repeating one changes nothing)
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from core.serializers import DateTimeField, ErrorSerializer
from tickets import selectors
from tickets.models import SideAttachment, SideConversation, SideMessage, Ticket
from tickets.services import side_conversations as side

TICKET = OpenApiParameter("ticket_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The ticket's id."))
CONVERSATION = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                description=_("The side conversation's id."))
_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class DeskOnly(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.is_desk(request.user)


class SideAttachmentSerializer(serializers.ModelSerializer[SideAttachment]):
    url = serializers.SerializerMethodField(help_text=_("Download address (desk session)."))

    class Meta:
        model = SideAttachment
        fields = ["id", "filename", "content_type", "size", "url"]

    def get_url(self, attachment: SideAttachment) -> str:
        return reverse("desk_tickets:side_attachment", args=[attachment.pk])


class SideMessageSerializer(serializers.ModelSerializer[SideMessage]):
    author = serializers.CharField(source="author.get_username", default=None, read_only=True)
    created_at = DateTimeField(read_only=True)
    sent_at = DateTimeField(read_only=True)
    attachments = SideAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = SideMessage
        fields = ["id", "direction", "author", "sender", "body", "message_id", "created_at", "sent_at",
                  "attachments"]


class SideConversationSerializer(serializers.ModelSerializer[SideConversation]):
    messages = SideMessageSerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True)
    created_at = DateTimeField(read_only=True)

    class Meta:
        model = SideConversation
        fields = ["id", "subject", "counterpart", "status", "created_by", "created_at", "messages"]


class SideConversationCreateSerializer(serializers.Serializer[Any]):
    counterpart = serializers.EmailField(max_length=254)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000)


class SideReplySerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=20000)


class SideConversationViewSet(viewsets.ViewSet):
    """A ticket's side conversations (e-mail with a merchant, a courier or another team); never the customer's."""

    permission_classes = [DeskOnly]

    @extend_schema(parameters=[TICKET], responses={200: SideConversationSerializer(many=True), **_ERRORS},
                   summary=_("A ticket's side conversations (desk only)"))
    def list(self, request: Request, ticket_pk: str) -> Response:
        ticket = selectors.ticket_for_user(request.user, int(ticket_pk))
        return Response(SideConversationSerializer(selectors.side_panel_threads(ticket), many=True).data)

    @extend_schema(parameters=[TICKET], request=SideConversationCreateSerializer,
                   responses={201: SideConversationSerializer, **_ERRORS},
                   summary=_("Start a side conversation by e-mail (desk only)"))
    def create(self, request: Request, ticket_pk: str) -> Response:
        ticket = selectors.ticket_for_user(request.user, int(ticket_pk))
        body = SideConversationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conversation = side.side_conversation_start(ticket=ticket, actor=request.user,  # type: ignore[arg-type]
                                                    **body.validated_data)
        return Response(_one(ticket, conversation.pk), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[TICKET, CONVERSATION], request=SideReplySerializer,
                   responses={201: SideConversationSerializer, **_ERRORS},
                   summary=_("Reply on a side conversation by e-mail (desk only)"))
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, ticket_pk: str, pk: str) -> Response:
        conversation = selectors.side_conversation_for(request.user, int(ticket_pk), int(pk))
        body = SideReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        side.side_conversation_reply(conversation=conversation, actor=request.user,  # type: ignore[arg-type]
                                     body=body.validated_data["body"])
        return Response(_one(conversation.ticket, conversation.pk), status=status.HTTP_201_CREATED)


    @extend_schema(parameters=[TICKET, CONVERSATION], request=None,
                   responses={200: SideConversationSerializer, **_ERRORS},
                   summary=_("Close a side conversation (desk only)"))
    @action(detail=True, methods=["post"])
    def close(self, request: Request, ticket_pk: str, pk: str) -> Response:
        conversation = selectors.side_conversation_for(request.user, int(ticket_pk), int(pk))
        side.side_conversation_close(conversation=conversation, actor=request.user)  # type: ignore[arg-type]
        return Response(_one(conversation.ticket, conversation.pk))

    @extend_schema(parameters=[TICKET, CONVERSATION], request=None,
                   responses={200: SideConversationSerializer, **_ERRORS},
                   summary=_("Reopen a side conversation (desk only)"))
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, ticket_pk: str, pk: str) -> Response:
        conversation = selectors.side_conversation_for(request.user, int(ticket_pk), int(pk))
        side.side_conversation_reopen(conversation=conversation, actor=request.user)  # type: ignore[arg-type]
        return Response(_one(conversation.ticket, conversation.pk))


def _one(ticket: Ticket, conversation_id: int) -> Any:
    fresh = next(each for each in selectors.side_panel_threads(ticket) if each.pk == conversation_id)
    return SideConversationSerializer(fresh).data
