# ruff: noqa: RUF001  (Chinese customer text uses full-width punctuation)
"""Every after-sales request has a ticket: opened with it, fed with the customer's messages and its steps."""

from typing import Any

import pytest
from django.urls import reverse

from aftersales import demo
from aftersales.models import AfterSalesRequest, RequestEvent, Status
from aftersales.services import requests, ticketing
from aftersales.services.requests import NotEligible
from profiles.models import User
from tests.aftersales.factories import apply, make_order, photo
from tests.clients import logged_in
from tests.conftest import ALL_ROLES
from tests.pages.conftest import page_text
from tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db



@pytest.fixture
def scene(customer: User, store_and_staff: Any) -> dict[str, Any]:
    store, staff = store_and_staff
    order = make_order(customer=customer, store=store)
    request = apply(order, reason="quality", images=[photo()], description="屏幕有坏点")
    return {"customer": customer, "staff": staff, "store": store, "order": order, "request": request}


def test_applying_opens_the_requests_ticket(scene: dict[str, Any]) -> None:
    request: AfterSalesRequest = scene["request"]
    ticket = request.ticket
    assert ticket is not None
    assert (ticket.customer, ticket.type, ticket.channel, ticket.source) == (
        scene["customer"], "aftersales", "web", "aftersales")
    assert ticket.order_number == scene["order"].number
    assert request.number in ticket.subject and "退货退款" in ticket.subject
    assert {"aftersales", "return_refund"} <= set(ticket.tags)
    first = ticket.messages.get()
    assert first.from_customer and first.kind == "reply" and first.author == scene["customer"]
    assert "屏幕有坏点" in first.body and scene["order"].number in first.body


def test_api_application_opens_an_api_ticket(customer: User, store_and_staff: Any) -> None:
    order = make_order(customer=customer, store=store_and_staff[0])
    response = logged_in(customer).post("/api/v1/aftersales-requests/", {
        "item": order.items.get().pk, "request_type": "return_refund", "reason": "no-reason",
        "amount_fen": 100}, content_type="application/json")
    assert response.status_code == 201, response.content
    request = AfterSalesRequest.objects.get(number=response.json()["number"])
    assert request.ticket is not None and request.ticket.channel == "api"


def test_a_refused_application_leaves_no_ticket(scene: dict[str, Any]) -> None:
    before = Ticket.objects.count()
    with pytest.raises(NotEligible):
        apply(scene["order"], reason="no-reason")  # the item already has an active request
    with pytest.raises(NotEligible):
        apply(make_order(customer=scene["customer"], category="fresh"), reason="no-reason")
    assert Ticket.objects.count() == before
    assert AfterSalesRequest.objects.count() == 1


def test_each_step_leaves_one_note_on_the_ticket(scene: dict[str, Any],
                                                 django_capture_on_commit_callbacks: Any) -> None:
    request = scene["request"]
    with django_capture_on_commit_callbacks(execute=True):
        request = requests.request_approve(request=request, user=scene["staff"], note="同意退货")
    ticket = request.ticket
    assert ticket is not None
    notes = list(ticket.messages.filter(kind="note").order_by("id"))
    steps = list(RequestEvent.objects.filter(request=request).exclude(to_status="submitted").order_by("id"))
    assert [step.to_status for step in steps] == ["merchant_review", "approved", "awaiting_return"]
    assert [step.ticket_note_id for step in steps] == [note.pk for note in notes]
    assert "同意退货" in notes[1].body and str(scene["staff"]) in notes[1].body
    assert {note.author.username for note in notes} == {ticketing.SYSTEM_USERNAME}
    # A redelivered task adds nothing.
    assert ticketing.ticket_notes_add(request_id=request.pk) == 0
    assert ticket.messages.filter(kind="note").count() == 3
    # Notes stay internal: the customer's conversation shows only the public messages.
    page = page_text(logged_in(scene["customer"]).get(f"/aftersales/requests/{request.number}/"))
    assert "同意退货" in page  # on the timeline, where it belongs
    assert "After-sales system" not in page and "售后系统" not in page


def test_customer_message_lands_in_the_ticket(scene: dict[str, Any]) -> None:
    request = scene["request"]
    client = logged_in(scene["customer"])
    path = f"/aftersales/requests/{request.number}/"
    response = client.post(f"{path}messages/", {"body": "请问多久能审核？"})
    assert response.status_code == 302
    message = TicketMessage.objects.filter(ticket=request.ticket).order_by("-id").first()
    assert message is not None
    assert (message.body, message.kind, message.from_customer) == ("请问多久能审核？", "reply", True)
    assert "请问多久能审核？" in page_text(client.get(path))


@pytest.mark.parametrize("body", ["", "   ", "长" * 2001])
def test_bad_message_is_a_form_error(scene: dict[str, Any], body: str) -> None:
    request = scene["request"]
    before = TicketMessage.objects.count()
    response = logged_in(scene["customer"]).post(f"/aftersales/requests/{request.number}/messages/", {"body": body})
    assert response.status_code == 400
    assert 'id="id_body_errors"' in response.content.decode()
    assert TicketMessage.objects.count() == before


MESSAGE_EXPECTED = {"anonymous": 302, "customer": 404, "agent": 404, "supervisor": 404, "qa": 404,
                    "merchant_staff": 404, "admin": 404}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_the_owner_can_message(client_for: Any, role: str, scene: dict[str, Any]) -> None:
    request = scene["request"]
    path = f"/aftersales/requests/{request.number}/messages/"
    response = client_for(role).post(path, {"body": "试试"})
    assert response.status_code == MESSAGE_EXPECTED[role]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    assert not TicketMessage.objects.filter(body="试试").exists()
    assert logged_in(scene["customer"]).post(path, {"body": "本人"}).status_code == 302
    assert logged_in(scene["customer"]).get(path).status_code == 405


def test_desk_and_request_page_link_to_each_other(scene: dict[str, Any], make_user: Any) -> None:
    request = scene["request"]
    supervisor = logged_in(make_user("supervisor"))
    desk = page_text(supervisor.get(f"/desk/tickets/{request.ticket.pk}/"))
    assert f'href="/aftersales/arbitration/{request.number}/"' in desk
    platform = page_text(supervisor.get(f"/aftersales/arbitration/{request.number}/"))
    assert f'href="/desk/tickets/{request.ticket.pk}/"' in platform and 'id="conversation"' in platform
    # The customer reads the conversation but gets no desk link; the store sees neither.
    customer = page_text(logged_in(scene["customer"]).get(f"/aftersales/requests/{request.number}/"))
    assert 'id="message-form"' in customer and "/desk/tickets/" not in customer
    merchant = page_text(logged_in(scene["staff"]).get(f"/merchant/requests/{request.number}/"))
    assert 'id="conversation"' not in merchant and "/desk/tickets/" not in merchant


def test_ticket_without_request_has_no_link(scene: dict[str, Any], make_user: Any) -> None:
    from tickets import services as ticket_services

    ticket = ticket_services.ticket_create(customer=scene["customer"], subject="问个问题", body="发票怎么开")
    page = page_text(logged_in(make_user("supervisor")).get(f"/desk/tickets/{ticket.pk}/"))
    assert "/aftersales/arbitration/" not in page and 'id="related-links"' not in page


def test_pages_with_a_conversation_keep_a_constant_query_count(scene: dict[str, Any], make_user: Any,
                                                               django_assert_max_num_queries: Any) -> None:
    request = scene["request"]
    customer = logged_in(scene["customer"])
    supervisor = logged_in(make_user("supervisor"))
    paths = [(customer, f"/aftersales/requests/{request.number}/"),
             (supervisor, f"/aftersales/arbitration/{request.number}/"),
             (supervisor, f"/desk/tickets/{request.ticket.pk}/")]
    counts = []
    for client, path in paths:
        client.get(path)  # warm the per-process caches (desk settings, permissions)
        with django_assert_max_num_queries(40) as captured:
            assert client.get(path).status_code == 200
        counts.append(len(captured.captured_queries))
    for n in range(5):
        ticketing.request_message_send(request=request, user=scene["customer"], body=f"追问 {n}")
    for (client, path), before in zip(paths, counts, strict=True):
        with django_assert_max_num_queries(40) as captured:
            text = page_text(client.get(path))
        assert "追问 4" in text
        assert len(captured.captured_queries) == before, path


def test_demo_backfill_opens_tickets_for_open_requests_only(scene: dict[str, Any]) -> None:
    open_request = scene["request"]
    closed = requests.request_cancel(
        request=apply(make_order(customer=scene["customer"], store=scene["store"])), user=scene["customer"])
    AfterSalesRequest.objects.filter(pk__in=[open_request.pk, closed.pk]).update(ticket=None)
    assert demo.backfill_tickets() == 1
    open_request.refresh_from_db()
    closed.refresh_from_db()
    assert open_request.ticket is not None and open_request.ticket.subject.find(open_request.number) >= 0
    assert closed.ticket is None
    assert demo.backfill_tickets() == 0
    assert open_request.history.first().ticket_id == open_request.ticket_id  # the link is in history


def test_a_message_on_an_old_request_opens_its_ticket(scene: dict[str, Any]) -> None:
    request = scene["request"]
    AfterSalesRequest.objects.filter(pk=request.pk).update(ticket=None)
    request.refresh_from_db()
    message = ticketing.request_message_send(request=request, user=scene["customer"], body="还在吗")
    request.refresh_from_db()
    assert request.ticket is not None and message.ticket_id == request.ticket.pk
    assert request.status == Status.MERCHANT_REVIEW
