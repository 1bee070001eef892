"""`Idempotency-Key` for POST endpoints: a retried request gets the first response back, not a second write.

Decorate a DRF view method with `@idempotent`. Without the header (or without a signed-in caller, since
keys belong to a user) the request runs as usual. With it:
- the same caller, key and request (method, path, body) → the stored response, with `Idempotent-Replayed: true`;
- the same key with a different request → 422 `idempotency_key_reused`;
- the key is remembered for `RECORD_TTL`; an expired record is replaced by the next request.

The record row and the handler's writes share one transaction, so a handler that raises leaves no
record behind (the client may retry with the same key), and a concurrent duplicate waits on the
unique constraint, then replays. Expired rows are replaced on reuse; nothing purges them in bulk yet.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ApplicationError
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RECORD_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255

HEADER_PARAMETER = OpenApiParameter(
    name=HEADER,
    # What _validated_key accepts: printable ASCII, not only spaces, at most MAX_KEY_LENGTH.
    type={"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]*[!-~][ -~]*$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        "A unique key per logical request (e.g. a UUID). Retrying with the same key and body replays the "
        "first response with `Idempotent-Replayed: true`; reusing it with a different body answers 422. "
        "Keys are kept for 24 hours."
    ),
)

V = TypeVar("V")
P = ParamSpec("P")
ViewMethod = Callable[Concatenate[V, Request, P], Response]


def idempotent(handler: ViewMethod[V, P]) -> ViewMethod[V, P]:
    @functools.wraps(handler)
    def wrapper(view: V, request: Request, *args: P.args, **kwargs: P.kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        key = _validated_key(key)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            replay = _claim(user_id=request.user.pk, key=key, fingerprint=fingerprint)
            if replay is not None:
                return replay
            response = handler(view, request, *args, **kwargs)
            if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
                transaction.set_rollback(True)
                return response
            IdempotencyRecord.objects.filter(user_id=request.user.pk, key=key).update(
                status_code=response.status_code, response_body=json.dumps(response.data, cls=DjangoJSONEncoder)
            )
            return response

    return extend_schema(parameters=[HEADER_PARAMETER])(wrapper)


def _validated_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        message = _("Send 1 to %(max)d ASCII characters.") % {"max": MAX_KEY_LENGTH}
        raise ApplicationError(message, code="invalid", fields={HEADER: [message]})
    return key


def _fingerprint(request: Request) -> str:
    data: Any = request.data
    if hasattr(data, "lists"):  # form data: keep repeated keys
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _claim(*, user_id: int, key: str, fingerprint: str) -> Response | None:
    """Insert the record for this key, or return the response owed for an earlier use of it."""
    now = timezone.now()
    existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is not None and existing.expires_at <= now:
        existing.delete()
        existing = None
    if existing is None:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user_id=user_id, key=key, request_fingerprint=fingerprint, expires_at=now + RECORD_TTL
                )
                return None
        except IntegrityError:
            # A concurrent request with this key committed first; answer as it did.
            existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is None:
        raise ApplicationError(
            _("A concurrent request used this Idempotency-Key; retry shortly."),
            code="idempotency_key_in_use", status_code=status.HTTP_409_CONFLICT,
        )
    if existing.request_fingerprint != fingerprint:
        raise ApplicationError(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused", fields={HEADER: [_("Use a new key for a new request.")]},
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    body = json.loads(existing.response_body) if existing.response_body else None
    return Response(body, status=existing.status_code, headers={REPLAYED_HEADER: "true"})
