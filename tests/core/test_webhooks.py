"""Outgoing webhooks against a real local HTTP server: signed POSTs, retries with backoff, then failure."""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from core import events, webhooks
from core.backoff import lease
from core.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
SECRET = "whsec-test-0123456789abcdef"


@dataclass
class Receiver:
    """A local endpoint that records each request, checks its signature, and answers `status`."""

    url: str = ""
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append({
                "body": json.loads(body),
                "headers": {name.lower(): value for name, value in self.headers.items()},
                "valid": webhooks.verify(SECRET, self.headers[webhooks.TIMESTAMP_HEADER], body,
                                         self.headers[webhooks.SIGNATURE_HEADER]),
            })
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/service-center"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver: Receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(name="ERP", url=receiver.url, secret=SECRET, events=["ticket.created"])


@pytest.fixture
def publish(django_capture_on_commit_callbacks: Any, celery_eager: None) -> Callable[..., None]:
    """Publish a domain event and run its on-commit subscribers (and the queued task, eagerly, as a worker
    would run it)."""
    webhooks.register_events(["ticket.created", "ticket.replied"])

    def publish_(name: str, **payload: Any) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish(name, **payload)

    return publish_


def test_event_is_posted_signed_to_subscribed_endpoints(
    endpoint: WebhookEndpoint, receiver: Receiver, publish: Callable[..., None]
) -> None:
    WebhookEndpoint.objects.create(name="Off", url=receiver.url, secret=SECRET, events=["*"], is_active=False)
    WebhookEndpoint.objects.create(name="Other", url=receiver.url, secret=SECRET, events=["ticket.replied"])
    publish("ticket.created", ticket_id=7, number="T2026112300007", status="new")

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["valid"]
    assert request["body"]["event"] == "ticket.created"
    assert request["body"]["data"] == {"ticket_id": 7, "number": "T2026112300007", "status": "new"}
    assert request["headers"][webhooks.EVENT_HEADER.lower()] == "ticket.created"
    delivery = WebhookDelivery.objects.get()
    assert request["headers"][webhooks.DELIVERY_HEADER.lower()] == str(delivery.event_id) == request["body"]["id"]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None


def test_signature_covers_timestamp_and_body() -> None:
    body = b'{"event":"ticket.created"}'
    now = timezone.now()
    stamp = str(int(now.timestamp()))
    signature = webhooks.sign(SECRET, stamp, body)
    assert webhooks.verify(SECRET, stamp, body, signature, now=now)
    assert not webhooks.verify(SECRET, stamp, body + b" ", signature, now=now)
    assert not webhooks.verify("another-secret-value", stamp, body, signature, now=now)
    assert not webhooks.verify(SECRET, str(int(now.timestamp()) - 3600), body,
                               webhooks.sign(SECRET, str(int(now.timestamp()) - 3600), body), now=now)


def test_failing_endpoint_is_retried_with_backoff_then_marked_failed(
    endpoint: WebhookEndpoint, receiver: Receiver, publish: Callable[..., None], settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver.status = 503
    publish("ticket.created", ticket_id=8)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    first_retry = delivery.next_attempt_at
    assert first_retry is not None

    # Not due yet: the sweep leaves it alone.
    assert webhooks.sweep(now=first_retry - timedelta(seconds=1)) == {"attempted": 0}
    assert webhooks.sweep(now=first_retry) == {"attempted": 1, "pending": 1}
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == first_retry + timedelta(seconds=120)  # doubled

    assert webhooks.sweep(now=delivery.next_attempt_at) == {"attempted": 1, "failed": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert delivery.last_error == "HTTP 503"
    assert len(receiver.requests) == 3 and all(request["valid"] for request in receiver.requests)
    assert webhooks.sweep(now=first_retry + timedelta(days=1)) == {"attempted": 0}


def test_recovering_endpoint_succeeds_on_retry_and_unreachable_one_records_the_error(
    endpoint: WebhookEndpoint, receiver: Receiver, publish: Callable[..., None]
) -> None:
    receiver.status = 500
    publish("ticket.created", ticket_id=9)
    delivery = WebhookDelivery.objects.get()
    receiver.status = 204
    assert webhooks.deliver(delivery.pk, now=delivery.next_attempt_at) == "succeeded"
    # A delivery already done is never posted again (a redelivered task is a no-op).
    assert webhooks.deliver(delivery.pk, now=timezone.now() + timedelta(days=1)) is None
    assert len(receiver.requests) == 2

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/closed")
    publish("ticket.created", ticket_id=10)
    broken = WebhookDelivery.objects.get(payload__data__ticket_id=10)
    assert broken.status == "pending" and broken.last_status_code is None and broken.last_error


def test_a_leased_delivery_is_not_posted_twice(endpoint: WebhookEndpoint, receiver: Receiver) -> None:
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ticket.created", payload={"id": "x"},
                                              next_attempt_at=now)
    leased = lease(WebhookDelivery.objects.all(), delivery.pk, due=Q(next_attempt_at__lte=now), now=now,
                   hold=timedelta(seconds=60))
    assert leased is not None
    # While the first worker is posting, a second (a redelivered task, the sweep) finds nothing due.
    assert webhooks.deliver(delivery.pk, now=now) is None
    assert receiver.requests == []


def test_non_web_urls_are_never_opened(receiver: Receiver) -> None:
    endpoint = WebhookEndpoint.objects.create(name="File", url="file:///etc/passwd", secret=SECRET, events=["*"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ticket.created", payload={},
                                              next_attempt_at=timezone.now())
    assert webhooks.deliver(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_error == "only http(s) URLs are supported"


def test_admin_lists_deliveries_and_edits_endpoints(client_for: Callable[[str], Any], endpoint: WebhookEndpoint
                                                    ) -> None:
    WebhookDelivery.objects.create(endpoint=endpoint, event="ticket.created", payload={}, status="failed")
    admin = client_for("admin")
    assert admin.get("/admin/core/webhookdelivery/").status_code == 200
    assert admin.get(f"/admin/core/webhookendpoint/{endpoint.pk}/change/").status_code == 200
    response = admin.post("/admin/core/webhookdelivery/", {
        "action": "retry_now", "_selected_action": [str(WebhookDelivery.objects.get().pk)]})
    assert response.status_code == 302
    assert WebhookDelivery.objects.get().status == "pending"
    assert client_for("agent").get("/admin/core/webhookdelivery/").status_code in {302, 403}
