"""`POST /api/v1/email/inbound/`: a mail service hands over one raw MIME message.

Authenticated with an integrator's API token (`Authorization: Token …`), like every other system
that pushes data in: the mail service is configured once with that header, tokens are revoked in
admin, and no second kind of secret needs storing. The mailbox is the first active mailbox among
the mail's recipients (Delivered-To, X-Original-To, To, Cc).
"""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ApplicationError
from core.quarantine import Quarantined
from core.serializers import ErrorSerializer
from profiles.roles import Role
from profiles.selectors import user_has_role
from tickets.channels.email import quarantine
from tickets.channels.email.errors import NotAMail
from tickets.models import EmailMessage


class RawMimeParser(BaseParser):
    """Declares the accepted media type; the view reads the body itself, capped, as bytes."""

    media_type = "message/rfc822"


class IntegratorOnly(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_role(request.user, Role.INTEGRATOR, Role.ADMIN)


class InboundResultSerializer(serializers.ModelSerializer[EmailMessage]):
    ticket = serializers.CharField(source="ticket.number", allow_null=True, default=None)
    duplicate = serializers.SerializerMethodField()

    class Meta:
        model = EmailMessage
        fields = ["id", "message_id", "outcome", "ticket", "duplicate"]

    def get_duplicate(self, email: EmailMessage) -> bool:
        return bool(self.context.get("duplicate"))


class QuarantinedResultSerializer(serializers.Serializer[Any]):
    quarantine_id = serializers.IntegerField(source="message.pk")
    reason = serializers.CharField(source="message.reason")
    outcome = serializers.CharField(default="quarantined")


class InboundEmailView(APIView):
    permission_classes = [IntegratorOnly]
    parser_classes = [RawMimeParser]

    @extend_schema(
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={201: InboundResultSerializer, 200: OpenApiResponse(InboundResultSerializer, description=_(
            "The same Message-ID was delivered before: nothing new stored.")),
            202: OpenApiResponse(QuarantinedResultSerializer, description=_(
                "A mail that could not be read or stored: kept in quarantine for a supervisor, with the reason.")),
            400: ErrorSerializer,
            401: ErrorSerializer, 403: ErrorSerializer, 413: ErrorSerializer},
        summary=_("Receive one raw e-mail"),
        description=_("Body: the raw MIME message (Content-Type message/rfc822). `outcome` says what became of "
                      "it: on a ticket, ignored as automatic mail, held (sender over the hourly limit), a bounce "
                      "recorded on the mail it bounces, or refused (attachment too large; the sender is told). "
                      "A mail that cannot be read is kept in quarantine (202 with its id); only a body that is not "
                      "a mail at all (no header fields) is a 400."),
    )
    def post(self, request: Request) -> Response:
        limit = settings.EMAIL_INBOUND_MAX_BYTES
        # Read from the stream, not request.body: the body would be capped at DATA_UPLOAD_MAX_MEMORY_SIZE.
        raw = request.stream.read(limit + 1) if request.stream is not None else b""
        if len(raw) > limit:
            raise ApplicationError(gettext("The message is larger than %(limit)s MB.") % {
                "limit": round(limit / 1024 / 1024, 1)}, code="too_large",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            received = quarantine.receive(raw=raw, refuse=(NotAMail,))
        except NotAMail:
            reason = gettext("The body has no header fields: it is not an e-mail message.")
            raise ApplicationError(gettext("The body is not a readable MIME message (%(reason)s).") % {
                "reason": reason}, code="malformed_mime", fields={"message": [reason]}) from None
        if isinstance(received, Quarantined):
            return Response(QuarantinedResultSerializer(received).data, status=status.HTTP_202_ACCEPTED)
        body = InboundResultSerializer(received.email, context={"duplicate": received.duplicate}).data
        return Response(body, status=status.HTTP_200_OK if received.duplicate else status.HTTP_201_CREATED)
