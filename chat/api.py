"""Chat's API: signed customer tokens for the widget embedded on another site (chat/embed.py)."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import embed, selectors
from core.api import ApplicationError
from core.permissions import MethodPermission
from core.serializers import ErrorSerializer


class EmbedTokenRequest(serializers.Serializer[Any]):
    external_id = serializers.CharField(max_length=64, help_text=_("The customer's id in the integrator's system."))


class EmbedTokenResponse(serializers.Serializer[Any]):
    token = serializers.CharField()
    expires_in = serializers.IntegerField(help_text=_("Seconds the token stays valid."))
    script_url = serializers.CharField(help_text=_("Put this in a script tag with data-token set to the token."))


class EmbedTokenPermission(MethodPermission):
    # Whoever may create customers (integrators, admins) may let them chat on their site; supervisors edit
    # customers but may not sign in as one.
    required = {"POST": ("profiles.add_customerprofile", "profiles.change_customerprofile")}


class EmbedTokenView(APIView):
    permission_classes = [EmbedTokenPermission]
    parser_classes = [JSONParser]
    throttle_scope = "integrations"

    @extend_schema(
        request=EmbedTokenRequest,
        responses={201: EmbedTokenResponse, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
                   404: OpenApiResponse(ErrorSerializer, description=_("No active customer has this external_id."))},
        summary=_("A signed token that opens the chat widget on another site as this customer"),
    )
    def post(self, request: Request) -> Response:
        parsed = EmbedTokenRequest(data=request.data)
        parsed.is_valid(raise_exception=True)
        external_id = parsed.validated_data["external_id"]
        if selectors.embed_customer(external_id) is None:
            message = gettext("No active customer has this external_id.")
            raise ApplicationError(message, code="not_found", fields={"external_id": [message]},
                                   status_code=status.HTTP_404_NOT_FOUND)
        body = {
            "token": embed.token_for(external_id=external_id),
            "expires_in": settings.CHAT_EMBED_TOKEN_MAX_AGE,
            "script_url": request.build_absolute_uri(reverse("chat:embed_script")),
        }
        return Response(EmbedTokenResponse(body).data, status=status.HTTP_201_CREATED)
