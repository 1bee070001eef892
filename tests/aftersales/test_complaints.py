# ruff: noqa: RUF001  (Chinese customer text uses full-width punctuation)
"""Complaints: intake → a complaint ticket with priority → the desk handles it → solving resolves → one rating."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from aftersales import actions, complaint_priority, ticket_hooks
from aftersales.models import AfterSalesRequest, Evaluation, RequestEvent, Status
from aftersales.services import complaints, requests
from aftersales.workflow import WORKFLOW, Actor
from core import events
from core.workflow import TransitionNotAllowed
from profiles.models import User
from tests.aftersales.factories import apply, make_order
from tests.clients import logged_in
from tests.pages.conftest import page_text
from tickets import services as ticket_services
from tickets.models import SatisfactionSurvey, Ticket

pytestmark = pytest.mark.django_db



def complain(customer: User, store: Any, *, reason: str = "delivery", description: str = "") -> AfterSalesRequest:
    return apply(make_order(customer=customer, store=store), request_type="complaint", reason=reason,
                 description=description)


def ticket_of(request: AfterSalesRequest) -> Ticket:
    assert request.ticket is not None
    return Ticket.objects.get(pk=request.ticket.pk)


# --- Priority rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(("reason", "text", "priority", "matched"), [
    ("delivery", "快递三天没动", "normal", ()),
    ("attitude", "客服态度差", "normal", ()),
    ("fake", "怀疑是假货", "high", ("counterfeit",)),
    ("delivery", "充电器插上就起火了", "urgent", ("safety",)),
    ("attitude", "The charger EXPLODED on my desk", "urgent", ("safety",)),
    ("attitude", "客服让我加微信转账，是骗子", "urgent", ("fraud",)),
    ("fake", "假货，而且用了皮肤过敏", "urgent", ("safety", "counterfeit")),
])
def test_priority_table(customer: User, store_and_staff: Any, reason: str, text: str, priority: str,
                        matched: tuple[str, ...]) -> None:
    found = complaint_priority.triage(customer_id=customer.pk, store_id=store_and_staff[0].pk, reason_code=reason,
                                      text=text, before=timezone.now())
    assert (found.priority, found.matched) == (priority, matched)


def test_repeat_complaint_within_30_days_is_high(customer: User, store_and_staff: Any, other_store: Any) -> None:
    store = store_and_staff[0]
    first = complain(customer, store)
    assert ticket_of(first).priority == "normal"
    second = complain(customer, store)
    assert (ticket_of(second).priority, "repeat" in ticket_of(second).tags) == ("high", True)
    # Another store, or a complaint older than 30 days, is no repeat.
    assert ticket_of(complain(customer, other_store)).priority == "normal"
    AfterSalesRequest.objects.filter(customer=customer).update(created_at=timezone.now() - timedelta(days=31))
    assert ticket_of(complain(customer, store)).priority == "normal"


def test_complaint_ticket_carries_the_priority_and_why(customer: User, store_and_staff: Any) -> None:
    request = complain(customer, store_and_staff[0], reason="fake", description="手机电池鼓包冒烟")
    ticket = ticket_of(request)
    assert (ticket.type, ticket.priority) == ("complaint", "urgent")
    assert {"aftersales", "complaint", "safety", "counterfeit"} <= set(ticket.tags)


# --- The whole flow --------------------------------------------------------------------------------


def test_complaint_end_to_end(customer: User, store_and_staff: Any, make_user: Any,
                              django_capture_on_commit_callbacks: Any) -> None:
    store = store_and_staff[0]
    item = make_order(customer=customer, store=store).items.get()
    shopper = logged_in(customer)
    # Intake: the wizard offers 投诉.
    form = page_text(shopper.get(f"/aftersales/items/{item.pk}/apply/"))
    assert 'value="complaint"' in form and "complaint:fake" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = shopper.post(f"/aftersales/items/{item.pk}/apply/", {
            "request_type": "complaint", "reason": "complaint:fake", "quantity": 1,
            "description": "收到的耳机没有防伪码", "confirm": "on"})
    request = AfterSalesRequest.objects.get()
    assert response.status_code == 302 and request.status == Status.MERCHANT_REVIEW
    ticket = ticket_of(request)
    assert (ticket.type, ticket.priority, ticket.status) == ("complaint", "high", "new")
    page = f"/aftersales/requests/{request.number}/"
    with django_capture_on_commit_callbacks(execute=True):
        shopper.post(f"{page}messages/", {"body": "请尽快给个说法"})
    # Handling in the workbench: the desk sees the request link, replies, solves with a resolution note.
    boss = make_user("supervisor")
    desk = logged_in(boss)
    desk_page = f"/desk/tickets/{ticket.pk}/"
    text = page_text(desk.get(desk_page))
    assert "请尽快给个说法" in text and f"/aftersales/arbitration/{request.number}/" in text
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"{desk_page}reply/", {"kind": "reply", "body": "已联系商家核实，正品可提供授权书。"})
    assert "已联系商家核实" in page_text(shopper.get(page))
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(f"{desk_page}status/", {"status": "solved", "reason": "商家补发授权书并赠送 20 元券"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    closing = request.events.order_by("id").last()
    assert closing is not None
    assert (closing.actor_kind, closing.note, closing.actor) == (Actor.PLATFORM, "商家补发授权书并赠送 20 元券", boss)
    # The customer sees the resolution and rates once; the ticket's survey holds the same answer.
    text = page_text(shopper.get(page))
    assert "商家补发授权书并赠送 20 元券" in text and 'id="evaluation-form"' in text
    with django_capture_on_commit_callbacks(execute=True):
        shopper.post(f"{page}evaluation/", {"attitude": 4, "speed": 5, "result": 3, "suggestion": "希望早点处理"})
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.attitude, survey.speed, survey.result, survey.suggestion) == (4, 5, 3, "希望早点处理")
    assert survey.submitted_at is not None
    assert "Rate our service" not in page_text(shopper.get(f"/help/tickets/{ticket.pk}/"))


def test_answering_the_survey_rates_the_complaint(customer: User, store_and_staff: Any, make_user: Any,
                                                  django_capture_on_commit_callbacks: Any) -> None:
    request = complain(customer, store_and_staff[0])
    ticket = ticket_of(request)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(ticket=ticket, target="solved", actor=make_user("supervisor"),
                                          reason="已催促快递")
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(f"/help/tickets/survey/{ticket_services.survey_token(survey)}/",
                                 {"attitude": 2, "speed": 1, "result": 2, "suggestion": "太慢"})
    assert response.status_code == 200
    evaluation = Evaluation.objects.get(request=request)
    assert (evaluation.attitude, evaluation.speed, evaluation.result, evaluation.suggestion) == (2, 1, 2, "太慢")
    text = page_text(logged_in(customer).get(f"/aftersales/requests/{request.number}/"))
    assert 'id="rating"' in text and 'id="evaluation-form"' not in text


def test_a_rating_given_before_the_ticket_is_solved_answers_its_survey(
        customer: User, store_and_staff: Any, make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    store, staff = store_and_staff
    request = complain(customer, store)
    with django_capture_on_commit_callbacks(execute=True):
        request = requests.request_approve(request=request, user=staff)
        request = requests.request_resolve(request=request, user=staff, actor=Actor.MERCHANT, note="已致歉")
        requests.request_evaluate(request=request, user=customer, attitude=5, speed=5, result=4)
    ticket = ticket_of(request)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(ticket=ticket, target="solved", actor=make_user("supervisor"))
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.attitude, survey.speed, survey.result) == (5, 5, 4) and survey.submitted_at is not None
    # Closed by the store already: solving the ticket closed nothing a second time.
    assert request.events.filter(to_status=Status.CLOSED).count() == 1


# --- Idempotency and edges ---------------------------------------------------------------------------


def test_redelivered_events_do_nothing_twice(customer: User, store_and_staff: Any, make_user: Any,
                                             django_capture_on_commit_callbacks: Any) -> None:
    request = complain(customer, store_and_staff[0])
    ticket = ticket_of(request)
    agent = make_user("supervisor")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ticket_services.ticket_transition(ticket=ticket, target="solved", actor=agent, reason="已处理")
    assert callbacks
    closed = RequestEvent.objects.filter(request=request, to_status=Status.CLOSED)
    notes = ticket.messages.filter(kind="note")
    assert closed.count() == 1
    noted = notes.count()
    solved = events.DomainEvent("ticket.status_changed", {"ticket_id": ticket.pk, "status": "solved",
                                                          "actor_id": agent.pk, "reason": "已处理"})
    with django_capture_on_commit_callbacks(execute=True):
        ticket_hooks._on_ticket_status([solved])
        ticket_hooks._on_request_changed(events.DomainEvent("aftersales.request_changed",
                                                            {"request_id": request.pk, "status": "closed"}))
    assert complaints.complaint_resolve_from_ticket(ticket_id=ticket.pk, actor_id=agent.pk, reason="又一次") == []
    assert closed.count() == 1 and notes.count() == noted
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    ticket_services.survey_submit(token=ticket_services.survey_token(survey), attitude=3, speed=3, result=3)
    for _ in range(2):
        complaints.complaint_rating_sync(request_id=request.pk)
    assert Evaluation.objects.filter(request=request).count() == 1


def test_a_ticket_reopened_before_the_event_ran_leaves_the_complaint_open(
        customer: User, store_and_staff: Any, make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    request = complain(customer, store_and_staff[0])
    ticket = ticket_of(request)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        ticket_services.ticket_transition(ticket=ticket, target="solved", actor=make_user("supervisor"))
    ticket_services.ticket_reply(ticket=ticket, author=customer, body="还没解决")  # reopens it
    for callback in pending:
        callback()
    request.refresh_from_db()
    assert request.status == Status.MERCHANT_REVIEW


def test_resolution_note_falls_back_to_the_last_desk_reply(customer: User, store_and_staff: Any, make_user: Any,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    agent = make_user("supervisor")
    with_reply, without = complain(customer, store_and_staff[0]), complain(customer, store_and_staff[0])
    ticket_services.ticket_reply(ticket=ticket_of(with_reply), author=agent, body="已为您补偿运费险")
    with django_capture_on_commit_callbacks(execute=True):
        for request in (with_reply, without):
            ticket_services.ticket_transition(ticket=ticket_of(request), target="closed", actor=agent)
    notes = [RequestEvent.objects.filter(request=r, to_status=Status.CLOSED).get().note for r in (with_reply, without)]
    assert notes[0] == "已为您补偿运费险"
    assert ticket_of(without).number in notes[1]


def test_solving_another_requests_ticket_changes_nothing(customer: User, store_and_staff: Any, make_user: Any,
                                                         django_capture_on_commit_callbacks: Any) -> None:
    request = apply(make_order(customer=customer, store=store_and_staff[0]), reason="no-reason")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(ticket=ticket_of(request), target="solved", actor=make_user("supervisor"))
    request.refresh_from_db()
    assert request.status == Status.MERCHANT_REVIEW and not Evaluation.objects.exists()


def test_only_complaints_close_from_review_by_the_platform(customer: User, store_and_staff: Any,
                                                           make_user: Any) -> None:
    store = store_and_staff[0]
    refund = apply(make_order(customer=customer, store=store), reason="no-reason")
    with pytest.raises(TransitionNotAllowed):
        WORKFLOW.transition(refund, to=Status.CLOSED, by=Actor.PLATFORM, actor=None)
    complaint = complain(customer, store)
    # The desk resolves complaints on their ticket, so the arbitration buttons are not offered for them.
    assert not [a.name for a in actions.available(complaint, {Actor.PLATFORM})]
    assert WORKFLOW.transition(complaint, to=Status.CLOSED, by=Actor.PLATFORM, actor=None).status == Status.CLOSED
    agent = logged_in(make_user("agent"))
    other = complain(customer, store)
    text = page_text(agent.get(f"/aftersales/arbitration/{other.number}/"))
    assert 'id="complaint-hint"' in text and 'data-action="arbitrate_close"' not in text


def test_request_link_is_for_the_desk_only(customer: User, store_and_staff: Any, make_user: Any) -> None:
    request = complain(customer, store_and_staff[0])
    ticket = ticket_of(request)
    assert ticket_hooks.request_link(ticket, customer) == []
    assert ticket_hooks.request_link(ticket, store_and_staff[1]) == []
    [link] = ticket_hooks.request_link(ticket, make_user("agent"))
    assert (link.label, link.url) == (request.number, f"/aftersales/arbitration/{request.number}/")


def test_a_merged_complaint_ticket_resolves_with_the_ticket_it_went_into(
        customer: User, store_and_staff: Any, make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    request = complain(customer, store_and_staff[0])
    target = ticket_services.ticket_create(customer=customer, subject="物流投诉", body="同一件事")
    agent = make_user("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_merge(source=ticket_of(request), target=target, actor=agent)
    request.refresh_from_db()
    assert request.status == Status.MERCHANT_REVIEW  # merging closed its ticket but resolved nothing
    with django_capture_on_commit_callbacks(execute=True):
        ticket_services.ticket_transition(ticket=target, target="solved", actor=agent, reason="已合并处理")
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.events.order_by("id").last().note == "已合并处理"  # type: ignore[union-attr]
