"""Endpoints of the outside channels: the WeChat server endpoint, signed social webhooks, call records.

They check who is calling (signature, or an integrator's token), parse, and hand over to
each channel's adapter (tickets/channels/wechat/, social.py, calls.py). Refusals are logged: a bad signature is either
a misconfiguration or someone probing.
"""

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import webhooks
from core.api import ApplicationError, error_body
from core.permissions import MethodPermission
from core.quarantine import Quarantined
from core.serializers import DateTimeField, ErrorSerializer
from profiles import selectors as profile_selectors
from profiles.models import User
from tickets import selectors
from tickets.channels import calls, social
from tickets.channels.wechat import intake as wechat_intake
from tickets.channels.wechat import protocol as wechat
from tickets.errors import ChannelRefused
from tickets.models import CallRecord

logger = logging.getLogger(__name__)


def _refuse(reason: str, status_code: int, request: HttpRequest) -> HttpResponse:
    """A refusal in the API's error shape: WeChat's protocol only defines the answers to verified calls."""
    logger.warning("channel request refused (%s): %s %s from %s", status_code, request.method, request.path,
                   request.META.get("REMOTE_ADDR"))
    code = {403: "bad_signature", 405: "method_not_allowed"}.get(status_code, "invalid")
    return JsonResponse(error_body(code=code, message=reason), status=status_code)


@csrf_exempt
def wechat_endpoint(request: HttpRequest, app_id: str) -> HttpResponse:
    """The URL set as the Official Account's server address. GET answers WeChat's check with `echostr`;
    POST takes a message (plain or encrypted mode) and answers "success" (WeChat then shows nothing)."""
    if request.method not in ("GET", "POST"):
        response = _refuse(gettext("Only GET and POST are offered here."), 405, request)
        response["Allow"] = "GET, POST"
        return response
    account = selectors.wechat_account_active(app_id)
    if account is None:
        return _refuse("unknown account", 403, request)
    params = request.GET
    try:
        if request.method == "GET":
            wechat.check_signature(account, timestamp=params.get("timestamp", ""), nonce=params.get("nonce", ""),
                                   given=params.get("signature", ""))
            return HttpResponse(params.get("echostr", ""), content_type="text/plain")
        root = wechat.parse_xml(request.body)
        if params.get("encrypt_type") == "aes":
            ciphertext = (root.findtext("Encrypt") or "").strip()
            wechat.check_signature(account, timestamp=params.get("timestamp", ""), nonce=params.get("nonce", ""),
                                   given=params.get("msg_signature", ""), ciphertext=ciphertext)
            plaintext = wechat.decrypt(account, ciphertext).encode()
        else:
            wechat.check_signature(account, timestamp=params.get("timestamp", ""), nonce=params.get("nonce", ""),
                                   given=params.get("signature", ""))
            plaintext = request.body
        wechat.refuse_replay(account, timestamp=params.get("timestamp", ""), nonce=params.get("nonce", ""))
    except ChannelRefused as refused:
        return _refuse(refused.reason, refused.status, request)
    except ValidationError as invalid:
        return _refuse("; ".join(invalid.messages), 400, request)
    # Verified: from here the message is stored or quarantined, and WeChat is told "success" either way.
    wechat_intake.wechat_receive(account=account, plaintext=plaintext)
    return HttpResponse("success", content_type="text/plain")


class SocialWebhookView(APIView):
    """Messages from a social channel source (Weibo DMs, an SMS gateway's inbound replies, …)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []  # the signature is the gate; providers send bursts
    parser_classes = [JSONParser]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={202: OpenApiResponse(description=_("`{\"stored\": true}`, or false for a message already "
                                                      "received (with `quarantine_id` when it could not be stored "
                                                      "and is kept for a supervisor).")),
                   400: ErrorSerializer, 403: ErrorSerializer},
        summary=_("Social channel webhook (HMAC-SHA256 signed)"),
        description=_(
            "Headers `X-SC-Timestamp` (Unix seconds, within the source's replay window) and `X-SC-Signature: "
            "sha256=<hex HMAC-SHA256(secret, \"<timestamp>.<raw body>\")>`. Body: `{\"message_id\", \"sender\": "
            "{\"id\", \"name\", \"phone\"}, \"text\"}` (`sender.phone` for SMS sources, `sender.id` otherwise). "
            "Each message id is stored once."),
    )
    def post(self, request: Request, slug: str) -> Response:
        source = selectors.social_source_active(slug)
        try:
            if source is None:
                raise ChannelRefused(403, "unknown source")
            social.social_verify(source, timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER, ""),
                                   signature=request.headers.get(webhooks.SIGNATURE_HEADER, ""), body=request.body)
            message = social.social_parse(source, request.data)
        except ChannelRefused as refused:
            logger.warning("social webhook %s refused: %s", slug, refused.reason)
            raise ApplicationError(refused.reason, code="bad_signature" if refused.status == 403 else "invalid",
                                   status_code=refused.status) from refused
        received = social.social_receive(source=source, raw=request.body, message=message)
        if isinstance(received, Quarantined):
            return Response({"stored": False, "quarantine_id": received.message.pk}, status=status.HTTP_202_ACCEPTED)
        _message, stored = received
        return Response({"stored": stored}, status=status.HTTP_202_ACCEPTED)


def _agent_field() -> serializers.SlugRelatedField[User]:
    return serializers.SlugRelatedField(slug_field="username", queryset=profile_selectors.agent_users(), required=False,
                                        allow_null=True,
                                        help_text=_("The agent's username."))


class CallRecordSerializer(serializers.ModelSerializer[CallRecord]):
    phone = serializers.CharField(write_only=True, max_length=20, help_text=_("The customer's phone number."))
    agent = _agent_field()
    ivr_path = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=30)
    started_at = DateTimeField()
    ended_at = DateTimeField(required=False, allow_null=True)
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    ticket_id = serializers.IntegerField(read_only=True)
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True,
                                                help_text=_("null while the call has not ended."))
    has_recording = serializers.SerializerMethodField()

    class Meta:
        model = CallRecord
        fields = ["call_id", "phone", "direction", "agent", "started_at", "ended_at", "ivr_path", "recording_url",
                  "ticket_id", "ticket_number", "duration_seconds", "has_recording"]
        read_only_fields = ["ticket_id", "ticket_number", "duration_seconds", "has_recording"]
        # A repeated report of a call is answered with the first record, not refused.
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {"call_id": {"validators": []}}

    def get_has_recording(self, call: CallRecord) -> bool:
        return bool(call.recording)


class CallUpdateSerializer(serializers.Serializer[Any]):
    ended_at = DateTimeField(required=False)
    ivr_path = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=30)
    agent = _agent_field()
    recording_url = serializers.URLField(required=False, max_length=500)


class RecordingSerializer(serializers.Serializer[Any]):
    recording = serializers.FileField(help_text=_("MP3, WAV, M4A, Ogg or AMR; at most 50 MB."))


class CallRecordPermission(MethodPermission):
    required: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "GET": ("tickets.view_callrecord",),
        "POST": ("tickets.add_callrecord", "tickets.change_callrecord"),
        "PATCH": ("tickets.change_callrecord",),
    }


def _integrator(request: Request) -> User:
    assert isinstance(request.user, User)  # DjangoModelPermissions let only signed-in users through
    return request.user


class CallRecordViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[CallRecord]):
    """Call records from the CTI / IVR provider (integrators). A new call opens or continues the caller's
    phone ticket; PATCH reports its end, IVR path, agent or recording URL; the recording can be uploaded."""

    queryset = selectors.call_records()
    serializer_class = CallRecordSerializer
    permission_classes = [CallRecordPermission]
    lookup_field = "call_id"
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(responses={201: CallRecordSerializer, 200: CallRecordSerializer, 400: ErrorSerializer,
                              202: OpenApiResponse(description=_("`{\"quarantine_id\": …}`: the event could not be "
                                                                 "stored and is kept for a supervisor."))})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The raw body first: once a multipart body is parsed it can no longer be read (a 500 before).
        raw = request.body
        body = CallRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        received = calls.call_receive(data=body.validated_data, raw=raw,
                                               actor=_integrator(request))
        if isinstance(received, Quarantined):
            return Response({"quarantine_id": received.message.pk}, status=status.HTTP_202_ACCEPTED)
        call, created = received
        return Response(CallRecordSerializer(call).data, status=status.HTTP_201_CREATED if created else 200)

    @extend_schema(request=CallUpdateSerializer, responses={
        200: CallRecordSerializer, 400: ErrorSerializer,
        202: OpenApiResponse(description=_("`{\"quarantine_id\": …}`: the event could not be stored and is kept for "
                                           "a supervisor."))})
    def partial_update(self, request: Request, call_id: str) -> Response:
        call = selectors.call_by_id(call_id)
        body = CallUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        received = calls.call_update_receive(call=call, data=body.validated_data, raw=request.body,
                                                      actor=_integrator(request))
        if isinstance(received, Quarantined):
            return Response({"quarantine_id": received.message.pk}, status=status.HTTP_202_ACCEPTED)
        return Response(CallRecordSerializer(received).data)

    @extend_schema(request={"multipart/form-data": RecordingSerializer}, responses={
        200: CallRecordSerializer, 400: ErrorSerializer,
        202: OpenApiResponse(description=_("`{\"quarantine_id\": …}`: the recording could not be stored and is kept "
                                           "for a supervisor."))})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def recording(self, request: Request, call_id: str) -> Response:
        call = selectors.call_by_id(call_id)
        body = RecordingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["recording"]
        if upload.size > calls.RECORDING_MAX_BYTES:
            raise ValidationError({"recording": _("The recording is larger than 50 MB.")})
        received = calls.call_recording_receive(call=call, content=upload.read(), actor=_integrator(request))
        if isinstance(received, Quarantined):
            return Response({"quarantine_id": received.message.pk}, status=status.HTTP_202_ACCEPTED)
        return Response(CallRecordSerializer(received).data)
