"""The signed logistics webhook: bad signatures refused, scans stored once, signed parcels acted on."""

import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client

from aftersales.models import Shipment, Status, TrackingEvent
from aftersales.services import logistics, requests
from core import quarantine
from core.models import QuarantinedMessage
from tests.aftersales.factories import apply, make_order
from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/logistics/webhook/"
SECRET = "test-logistics-secret"


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.LOGISTICS_WEBHOOK_SECRET = SECRET


def send(body: dict[str, Any], *, secret: str = SECRET, signature: str | None = None) -> Any:
    raw = json.dumps(body).encode()
    signature = signature or "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return Client().post(URL, data=raw, content_type="application/json", HTTP_X_LOGISTICS_SIGNATURE=signature)


def scan(tracking_number: str, kind: str = "signed", courier: str = "SF") -> dict[str, Any]:
    return {"courier": courier, "tracking_number": tracking_number, "kind": kind,
            "occurred_at": "2026-11-23T15:20:00+08:00", "description": "已签收，签收人：前台"}  # noqa: RUF001


def test_bad_or_missing_signatures_are_refused(settings: Any) -> None:
    assert_error(send(scan("SF1234567890"), secret="wrong"), 403, "bad_signature")
    assert_error(send(scan("SF1234567890"), signature="sha256=00"), 403, "bad_signature")
    settings.LOGISTICS_WEBHOOK_SECRET = ""
    assert_error(send(scan("SF1234567890"), secret=""), 403, "bad_signature")
    assert not TrackingEvent.objects.exists()


def test_bad_payload_gets_field_errors() -> None:
    error = assert_error(send({**scan("SF1234567890"), "courier": "UPS", "kind": "lost"}), 400, "invalid")
    assert set(error["fields"]) == {"courier", "kind"}


def test_a_signed_return_parcel_marks_the_request_received(customer: Any, store_and_staff: Any) -> None:
    store, staff = store_and_staff
    request = requests.request_approve(request=apply(make_order(customer=customer, store=store)), user=staff)
    requests.request_ship_return(request=request, user=customer, courier="ZTO", tracking_number="ZT9988776655")
    assert send(scan("ZT9988776655", kind="in_transit", courier="ZTO")).json() == {"stored": True}
    response = send(scan("ZT9988776655", courier="ZTO"))
    assert response.status_code == 202 and response.json() == {"stored": True}
    assert send(scan("ZT9988776655", courier="ZTO")).json() == {"stored": False}  # redelivered
    request.refresh_from_db()
    assert request.status == Status.RECEIVED
    assert request.events.filter(to_status=Status.RECEIVED, actor_kind="system").count() == 1


def test_a_signed_order_shipment_sets_its_signed_for_date(customer: Any) -> None:
    order = make_order(customer=customer, signed_days_ago=None)
    shipment = order.shipments.get()
    send(scan(shipment.tracking_number, courier=shipment.courier))
    shipment = Shipment.objects.get(pk=shipment.pk)
    assert shipment.signed_at is not None and shipment.signed_at.isoformat().startswith("2026-11-23T07:20")
    assert shipment.history.count() == 2


def test_a_verified_scan_that_fails_to_store_is_quarantined_and_stored_on_retry(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the database refused the row")

    monkeypatch.setattr(logistics, "tracking_record", broken)
    response = send(scan("SF7777777777"))
    held = QuarantinedMessage.objects.get()
    assert (response.status_code, response.json()) == (202, {"stored": False, "quarantine_id": held.pk})
    assert held.channel == "logistics" and not TrackingEvent.objects.exists()

    monkeypatch.undo()
    quarantine.retry(message_id=held.pk)
    assert TrackingEvent.objects.get().tracking_number == "SF7777777777"
    assert send(scan("SF7777777777")).json() == {"stored": False}  # stored once, a redelivery is ignored
