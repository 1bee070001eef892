"""Call records from the phone system: tickets opened or continued, notes, recordings played on the desk."""

import io
import wave
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core import quarantine
from core.models import QuarantinedMessage
from profiles.models import User
from profiles.roles import Role
from tests.api.helpers import assert_error, post_json
from tests.channels.conftest import Provider
from tests.clients import logged_in
from tests.factories import CustomerProfileFactory, UserFactory
from tickets.channels import calls
from tickets.models import CallRecord, Channel, Ticket, TicketMessage

pytestmark = pytest.mark.django_db


def wav_bytes(seconds: float = 0.2) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(8000)
        clip.writeframes(b"\x00\x00" * int(8000 * seconds))
    return out.getvalue()


@pytest.fixture
def phone_system(db: None) -> Client:
    return logged_in(UserFactory.create(roles=(Role.INTEGRATOR,)))


def start(client: Client, call_id: str = "C-1", phone: str = "13900139000", **extra: Any) -> Any:
    body = {"call_id": call_id, "phone": phone, "started_at": "2026-11-23T10:00:00+08:00",
            "ivr_path": ["1 售后", "2 退款"], **extra}
    return post_json(client, "/api/v1/calls/", body)


def test_a_call_opens_a_phone_ticket_for_the_caller_and_its_end_is_noted(phone_system: Client,
                                                                          make_user: Callable[..., User]) -> None:
    known = CustomerProfileFactory.create(user__phone="13900139000").user
    agent = make_user("agent")
    created = start(phone_system, agent=agent.username)
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.channel, created.json()["ticket_number"]) == (known, Channel.PHONE, ticket.number)
    ended = phone_system.patch("/api/v1/calls/C-1/", data={"ended_at": "2026-11-23T10:04:05+08:00"},
                               content_type="application/json")
    assert ended.json()["duration_seconds"] == 245
    notes = list(ticket.messages.filter(kind=TicketMessage.Kind.NOTE).values_list("body", flat=True))
    assert any("C-1" in note and "1 售后 > 2 退款" in note and str(agent) in note for note in notes)
    assert any("4:05" in note for note in notes)


def test_a_second_call_continues_the_ticket_and_a_repeated_report_changes_nothing(phone_system: Client) -> None:
    start(phone_system, "C-1")
    assert start(phone_system, "C-1").status_code == 200  # the phone system retried
    start(phone_system, "C-2")
    assert Ticket.objects.count() == 1 and CallRecord.objects.count() == 2


def test_an_unknown_caller_becomes_a_customer_found_again_by_phone(phone_system: Client) -> None:
    start(phone_system, "C-1", phone="13700137000")
    customer = Ticket.objects.get().customer
    assert customer.phone == "13700137000" and User.objects.get_by_phone("13700137000") == customer


@pytest.mark.parametrize(("body", "field"), [
    ({"call_id": "C", "started_at": "2026-11-23T10:00:00+08:00"}, "phone"),
    ({"call_id": "C", "phone": "139", "started_at": "yesterday"}, "started_at"),
    ({"call_id": "C", "phone": "139", "started_at": "2026-11-23T10:00:00+08:00", "direction": "sideways"},
     "direction"),
    ({"call_id": "C", "phone": "139", "started_at": "2026-11-23T10:00:00+08:00", "agent": "nobody"}, "agent"),
])
def test_bad_call_reports_are_400s_naming_the_field(phone_system: Client, body: dict[str, Any], field: str) -> None:
    error = assert_error(post_json(phone_system, "/api/v1/calls/", body), 400, "invalid")
    assert field in error["fields"]
    assert not Ticket.objects.exists()


def test_only_an_agent_may_be_named_as_the_calls_agent(phone_system: Client,
                                                       make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    error = assert_error(start(phone_system, agent=customer.username), 400, "invalid")
    assert "agent" in error["fields"]
    start(phone_system)
    response = phone_system.patch("/api/v1/calls/C-1/", data={"agent": customer.username},
                                  content_type="application/json")
    assert "agent" in assert_error(response, 400, "invalid")["fields"]


def test_an_unknown_call_is_a_404_and_a_known_one_is_read_back(phone_system: Client) -> None:
    assert_error(phone_system.patch("/api/v1/calls/C-9/", data={"ended_at": "2026-11-23T10:04:05+08:00"},
                                    content_type="application/json"), 404, "not_found")
    missing = phone_system.post("/api/v1/calls/C-9/recording/", {"recording": SimpleUploadedFile("r.wav", wav_bytes())})
    assert_error(missing, 404, "not_found")
    start(phone_system)
    read = phone_system.get("/api/v1/calls/C-1/")
    assert (read.status_code, read.json()["call_id"]) == (200, "C-1")


def test_an_end_before_the_start_is_refused(phone_system: Client) -> None:
    start(phone_system)
    response = phone_system.patch("/api/v1/calls/C-1/", data={"ended_at": "2026-11-23T09:00:00+08:00"},
                                  content_type="application/json")
    assert "ended_at" in assert_error(response, 400, "invalid")["fields"]


def test_a_recording_is_uploaded_checked_and_played_to_the_desk_only(phone_system: Client,
                                                                     make_user: Callable[..., User]) -> None:
    start(phone_system)
    refused = phone_system.post("/api/v1/calls/C-1/recording/",
                                {"recording": SimpleUploadedFile("r.wav", b"<html>not audio</html>")})
    assert "recording" in assert_error(refused, 400, "invalid")["fields"]
    recording = SimpleUploadedFile("r.wav", wav_bytes())
    uploaded = phone_system.post("/api/v1/calls/C-1/recording/", {"recording": recording})
    assert uploaded.json()["has_recording"] is True
    call = CallRecord.objects.get()
    url = f"/desk/tickets/calls/{call.pk}/recording/"
    supervisor = logged_in(make_user("supervisor"))
    played = supervisor.get(url)
    assert (played.status_code, played["Content-Type"]) == (200, "audio/wav")
    assert played.getvalue().startswith(b"RIFF")
    page = supervisor.get(f"/desk/tickets/{call.ticket_id}/").content.decode()
    assert f'<audio controls preload="none" src="{url}">' in page and "1 售后 &gt; 2 退款" in page
    # The caller, other customers and an agent outside the ticket's team may not listen.
    assert logged_in(call.ticket.customer).get(url).status_code == 403
    assert logged_in(make_user("customer")).get(url).status_code == 403
    assert logged_in(make_user("agent")).get(url).status_code == 404


def test_a_recording_left_at_a_url_is_fetched_into_storage(phone_system: Client, provider: Provider,
                                                           celery_eager: None,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    provider.routes["/rec/C-1.wav"] = (200, wav_bytes(), "audio/wav")
    with django_capture_on_commit_callbacks(execute=True):
        start(phone_system, recording_url=f"{provider.url}/rec/C-1.wav", ended_at="2026-11-23T10:01:00+08:00")
    call = CallRecord.objects.get()
    assert call.recording_type == "audio/wav" and call.recording.read().startswith(b"RIFF")


@pytest.mark.parametrize("role", ["customer", "agent", "supervisor", "qa", "merchant_staff"])
def test_only_the_phone_system_and_admins_report_calls(make_user: Callable[..., User], role: str) -> None:
    assert start(logged_in(make_user(role))).status_code == 403


def broken(**kwargs: Any) -> None:
    raise RuntimeError("the database refused the row")


def test_a_call_event_that_fails_to_store_is_quarantined_and_stored_on_retry(
        phone_system: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calls, "call_start", broken)
    response = start(phone_system, call_id="C-77", ended_at="2026-11-23T10:05:00+08:00")
    held = QuarantinedMessage.objects.get()
    assert (response.status_code, response.json()) == (202, {"quarantine_id": held.pk})
    assert held.channel == calls.CALLS

    monkeypatch.undo()
    quarantine.retry(message_id=held.pk)
    call = CallRecord.objects.get(call_id="C-77")
    assert call.ended_at is not None and call.ticket is not None
    assert post_json(phone_system, "/api/v1/calls/", {"call_id": "C-77", "phone": "13900139000",
                                                      "started_at": "2026-11-23T10:00:00+08:00"}).status_code == 200


def test_a_call_end_that_fails_to_store_is_quarantined_and_stored_on_retry(
        phone_system: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    start(phone_system, call_id="C-78")
    monkeypatch.setattr(calls, "call_update", broken)
    response = phone_system.patch("/api/v1/calls/C-78/", {"ended_at": "2026-11-23T10:07:00+08:00"},
                                  content_type="application/json")
    held = QuarantinedMessage.objects.get()
    assert (response.status_code, response.json()) == (202, {"quarantine_id": held.pk})
    assert held.context["call_id"] == "C-78"

    monkeypatch.undo()
    quarantine.retry(message_id=held.pk)
    assert CallRecord.objects.get(call_id="C-78").ended_at is not None


def test_a_recording_that_fails_to_store_is_quarantined_with_its_bytes_and_stored_on_retry(
        phone_system: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    start(phone_system, call_id="C-79")
    monkeypatch.setattr(calls, "call_recording_store", broken)
    audio = wav_bytes()
    response = phone_system.post("/api/v1/calls/C-79/recording/", {"recording": SimpleUploadedFile("r.wav", audio)})
    held = QuarantinedMessage.objects.get()
    assert (response.status_code, response.json()) == (202, {"quarantine_id": held.pk})
    assert (held.channel, bytes(held.raw), held.context["call_id"]) == (calls.CALLS, audio, "C-79")
    assert "the database refused the row" in held.reason

    monkeypatch.undo()
    quarantine.retry(message_id=held.pk)
    call = CallRecord.objects.get(call_id="C-79")
    assert call.recording_type == "audio/wav" and call.recording.read() == audio


def test_a_call_reported_as_multipart_is_stored_not_a_500(phone_system: Client) -> None:
    # The raw body is kept for quarantine; it used to be read after the multipart parse (RawPostDataException).
    response = phone_system.post("/api/v1/calls/", data={"call_id": "C-M", "phone": "13900139000",
                                                          "started_at": "2026-11-23T10:00:00+08:00"})
    assert response.status_code == 201, response.content
    assert CallRecord.objects.filter(call_id="C-M").exists()
