"""Outgoing webhooks: domain events → signed JSON POSTs to integrators' endpoints, retried with backoff.

- Apps choose which of their events may go out with `register_events(...)` (core imports no app).
- On each such event (after commit) one `WebhookDelivery` row per subscribed endpoint is written and
  an outbox message tries it right after commit. The rows are the source of truth: a failed attempt sets
  `next_attempt_at` by exponential backoff, and one beat task sweeps due rows; after
  `WEBHOOK_MAX_ATTEMPTS` the delivery is marked failed.
- An attempt first leases its row (pushes `next_attempt_at` past the HTTP timeout) in a short
  transaction, so two workers never post the same delivery at once and a worker killed mid-request
  is retried by the sweep. Delivery is at least once: receivers dedupe by `X-SC-Delivery`.
- Signature: `X-SC-Signature: sha256=<hex HMAC-SHA256(secret, "<X-SC-Timestamp>.<body>")>`.
"""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import config_cache, events
from core.backoff import exponential_backoff, lease
from core.models import WebhookDelivery, WebhookEndpoint
from core.queueing import enqueue_many

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-SC-Timestamp"
SIGNATURE_HEADER = "X-SC-Signature"
EVENT_HEADER = "X-SC-Event"
DELIVERY_HEADER = "X-SC-Delivery"
ERROR_LIMIT = 500
# Event names apps have offered for webhooks (shown as a hint in admin).
REGISTERED_EVENTS: set[str] = set()
ENDPOINTS_CACHE_KEY = "core:webhook_endpoints"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: datetime | None = None,
           tolerance_seconds: int = 300) -> bool:
    """What a receiver does: a matching signature over a recent timestamp (replays are refused)."""
    now = now or timezone.now()
    if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(attempts: int) -> timedelta:
    return exponential_backoff(attempts, base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS,
                               max_seconds=settings.WEBHOOK_RETRY_MAX_SECONDS)


def register_events(names: Iterable[str]) -> None:
    """Offer these domain events to webhooks: each one, after commit, becomes deliveries."""
    for name in names:
        REGISTERED_EVENTS.add(name)
        events.subscribe_batch(name, enqueue_events)


def _active_endpoints() -> list[tuple[int, frozenset[str]]]:
    """(id, subscribed event names) of every active endpoint: read on every event, cached until one is written."""
    return config_cache.cached(ENDPOINTS_CACHE_KEY, lambda: [
        (pk, frozenset(names)) for pk, names in
        WebhookEndpoint.objects.filter(is_active=True).order_by("pk").values_list("pk", "events")])


def watch_endpoints() -> None:
    """Called once per process (CoreConfig.ready): an endpoint's save or delete reaches the next event."""
    config_cache.invalidate_on_write(ENDPOINTS_CACHE_KEY, WebhookEndpoint)


def _subscribed(name: str) -> list[int]:
    return [pk for pk, names in _active_endpoints() if name in names or "*" in names]


def enqueue_events(published: list[events.DomainEvent]) -> None:
    """Write one pending delivery per subscribed endpoint and event (one insert for a publish's events) and
    try each right after commit."""
    if not published:
        return
    endpoint_ids = _subscribed(published[0].name)
    if not endpoint_ids:
        return
    now = timezone.now()
    with transaction.atomic():
        deliveries = []
        for event in published:
            data = json.loads(json.dumps(event.payload, cls=DjangoJSONEncoder))
            for endpoint_id in endpoint_ids:
                delivery = WebhookDelivery(endpoint_id=endpoint_id, event=event.name, next_attempt_at=now,
                                           payload={})
                delivery.payload = {"id": str(delivery.event_id), "event": event.name,
                                    "created_at": now.isoformat(), "data": data}
                deliveries.append(delivery)
        WebhookDelivery.objects.bulk_create(deliveries)
        enqueue_many("core.tasks.deliver_webhook", [{"delivery_id": delivery.pk} for delivery in deliveries])


def _post(delivery: WebhookDelivery, now: datetime) -> tuple[int | None, str]:
    url = delivery.endpoint.url
    # Only web URLs: urllib would also open file: and ftp: addresses.
    if not url.lower().startswith(("https://", "http://")):
        return None, "only http(s) URLs are supported"
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 (scheme checked)
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "ServiceCenter-Webhooks/1",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(delivery.endpoint.secret, timestamp, body),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
    })
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status), ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:ERROR_LIMIT]


def deliver(delivery_id: int, *, now: datetime | None = None) -> str | None:
    """One attempt at one delivery; returns its status afterwards (None: nothing to do now)."""
    now = now or timezone.now()
    # The hold outlasts the HTTP timeout, so a slow endpoint is never posted to twice at once.
    delivery = lease(WebhookDelivery.objects.select_related("endpoint").filter(status=WebhookDelivery.Status.PENDING),
                     delivery_id, due=Q(next_attempt_at__lte=now), now=now,
                     hold=timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2))
    if delivery is None:
        return None
    code, error = _post(delivery, now)
    delivery.last_status_code = code
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, now, None
        delivery.last_error = ""
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at, delivery.last_error = WebhookDelivery.Status.FAILED, None, error
    else:
        delivery.next_attempt_at, delivery.last_error = now + backoff(delivery.attempts), error
    delivery.save(update_fields=["status", "delivered_at", "next_attempt_at", "last_status_code", "last_error"])
    return delivery.status


def due_delivery_ids(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def sweep(*, now: datetime | None = None, limit: int = 200) -> dict[str, Any]:
    """Beat: attempt every due delivery (retries, and first tries the broker never got)."""
    now = now or timezone.now()
    results: dict[str, Any] = {"attempted": 0}
    for delivery_id in due_delivery_ids(now=now, limit=limit):
        status = deliver(delivery_id, now=now)
        if status is not None:
            results["attempted"] += 1
            results[status] = results.get(status, 0) + 1
    return results
