from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from profiles.models import User
from tests.clients import logged_in as _client
from tests.tickets.factories import CategoryFactory, SlaPolicyFactory, make_calendar
from tickets.models import (
    BusinessCalendar,
    CannedResponse,
    Category,
    DeskSettings,
    Escalation,
    KeywordRule,
    RoutingRule,
    SatisfactionSurvey,
    SlaPolicy,
    TeamSettings,
    Ticket,
)

CONFIG: list[type[Model]] = [Category, BusinessCalendar, SlaPolicy, TeamSettings, RoutingRule, KeywordRule,
                             CannedResponse, DeskSettings]


def _url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)



@pytest.fixture
def populated(make_ticket: Callable[..., Ticket], team: Any) -> Ticket:
    SlaPolicyFactory.create()
    TeamSettings.objects.create(team=team)
    rule = RoutingRule.objects.create(name="默认", team=team)
    rule.categories.add(CategoryFactory.create())
    KeywordRule.objects.create(name="退款", keywords=["退款"], set_type="aftersales")
    CannedResponse.objects.create(title="问候", body="您好")
    DeskSettings.load()
    return make_ticket()


@pytest.mark.parametrize("model", [*CONFIG, Ticket, Escalation, SatisfactionSurvey], ids=lambda m: m.__name__)
def test_supervisor_reaches_every_page(make_user: Callable[..., User], populated: Ticket, model: type[Model],
                                       django_assert_max_num_queries: Any) -> None:
    client = _client(make_user("supervisor"))
    with django_assert_max_num_queries(15):
        assert client.get(_url(model, "changelist")).status_code == 200
    obj = model._default_manager.order_by("pk").last()
    if obj is not None:
        assert client.get(_url(model, "change", obj.pk)).status_code == 200
        assert client.get(_url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize("role", ["anonymous", "customer", "agent", "merchant_staff"])
def test_others_cannot_reach_ticket_admin(client_for: Callable[[str], Client], role: str) -> None:
    for model in (Ticket, SlaPolicy, RoutingRule):
        response = client_for(role).get(_url(model, "changelist"))
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_qa_reads_but_cannot_change_rules(make_user: Callable[..., User], populated: Ticket) -> None:
    client = _client(make_user("qa"))
    assert client.get(_url(SlaPolicy, "changelist")).status_code == 200
    assert client.get(_url(SlaPolicy, "add")).status_code == 403


def test_supervisor_edits_a_calendar_with_override_inline(make_user: Callable[..., User]) -> None:
    calendar = make_calendar()
    client = _client(make_user("supervisor"))
    response = client.post(_url(BusinessCalendar, "change", calendar.pk), {
        "name": "客服工作日", "use_statutory_holidays": "on",
        "hours-TOTAL_FORMS": "0", "hours-INITIAL_FORMS": "0",
        "overrides-TOTAL_FORMS": "1", "overrides-INITIAL_FORMS": "0",
        "overrides-0-date": "2026-12-31", "overrides-0-is_open": "", "overrides-0-note": "年终盘点",
    })
    assert response.status_code == 302, response.content[:2000]
    assert calendar.overrides.get().note == "年终盘点"
    assert calendar.history.exists()


def test_ticket_search_by_number(make_user: Callable[..., User], populated: Ticket) -> None:
    client = _client(make_user("supervisor"))
    found = client.get(_url(Ticket, "changelist"), {"q": populated.number}).context["cl"].result_list
    assert list(found) == [populated]
    assert client.get(_url(Ticket, "add")).status_code == 403
