"""The report pages: who may open them, what they show, bad filters as form errors, constant query counts."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chat.models import Conversation
from profiles.models import AgentProfile
from reports import rollups, selectors
from reports.figures import Grain, period_start
from tests.conftest import ALL_ROLES
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tests.pages.conftest import Outcome, assert_outcome, page_text
from tests.reports.factories import make_ticket, service_day

PAGES = ["/reports/live/", "/reports/agents/", "/reports/trends/", "/reports/after-sales/"]
EXPECTED: dict[str, Outcome] = {
    "anonymous": "login", "customer": "forbidden", "agent": "forbidden", "supervisor": "ok", "qa": "ok",
    "merchant_staff": "forbidden", "admin": "ok",
}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_report_pages_permissions(client_for: Any, role: str, path: str) -> None:
    assert_outcome(client_for(role).get(path), EXPECTED[role], path)


def test_live_board_counts_presence_queues_and_sla_risk(client_for: Any) -> None:
    team = TeamFactory.create(name="售后组")
    AgentProfileFactory.create_batch(2, presence=AgentProfile.Presence.ONLINE)
    AgentProfileFactory.create(presence=AgentProfile.Presence.AWAY)
    customer = CustomerProfileFactory.create().user
    now = timezone.now()
    for due in (now + timedelta(minutes=30), now - timedelta(minutes=5), now + timedelta(hours=5)):
        ticket = make_ticket(customer=customer, team=team, assignee=None, channel="web", created=now)
        type(ticket).objects.filter(pk=ticket.pk).update(due_at=due)
    Conversation.objects.create(customer=customer, team=team, status="waiting", waiting_since=now)

    text = page_text(client_for("supervisor").get("/reports/live/"))
    assert 'data-live="online">2 在线' in text
    assert 'data-live="away">1 离开' in text
    assert '<span class="stat__value" data-live="waiting">1</span>' in text
    assert '<span class="stat__value" data-live="at-risk">1</span>' in text
    assert '<span class="stat__value" data-live="breached">1</span>' in text
    assert ('<tr data-team="售后组"><th scope="row">售后组</th><td>3</td>\n        <td>1</td><td>1</td><td>1</td>'
            in text)
    assert 'hx-trigger="every 15s"' in text


def test_live_board_polling_gets_the_panel_alone(client_for: Any) -> None:
    response = client_for("qa").get("/reports/live/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in page_text(response)
    assert 'data-live="waiting"' in page_text(response)


def test_agent_kpi_page_shows_the_formulas_results(client_for: Any) -> None:
    day = service_day()
    rollups.rollup_day(day=day.day)
    response = client_for("supervisor").get("/reports/agents/", {"date_from": day.day, "date_to": day.day})
    text = page_text(response)
    row = text[text.index(f'<tr data-agent="{day.agent_a.pk}">'):]
    row = row[:row.index("</tr>")]
    assert "甲 Agent A" in row
    assert '<td class="num" data-column="first_response">20分钟</td>' in row
    assert '<td class="num" data-column="ticket_handle">4小时</td>' in row
    assert '<td class="num" data-column="resolution_rate">50.0 %</td>' in row
    assert '<td class="num" data-column="satisfaction">4.00</td>' in row
    assert '<td class="num" data-column="messages_per_hour">1.7</td>' in row


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to", "结束日期不能早于开始日期"),
    ({"date_from": "2024-01-01", "date_to": "2025-06-01"}, "date_to", "最多选择 366 天"),
    ({"date_from": "1999-12-31", "date_to": "2000-01-05"}, "date_from", "请选择 2000-01-01 及以后的日期"),
    ({"date_from": "2026-01-01", "date_to": "2999-01-01"}, "date_to", "请选择今天及以前的日期"),
    ({"date_from": "2026-02-30", "date_to": "2026-03-01"}, "date_from", "输入一个有效的日期"),
    ({"date_from": "2026-01-01"}, "date_to", "该字段是必填项"),
])
@pytest.mark.parametrize("path", ["/reports/agents/", "/reports/trends/", "/reports/after-sales/"])
def test_bad_filters_are_form_errors(client_for: Any, path: str, query: dict[str, str], field: str,
                                     message: str) -> None:
    response = client_for("supervisor").get(path, query)
    assert response.status_code == 200
    text = page_text(response)
    error = text[text.index(f'data-field-error="{field}"'):]
    assert message in error[:error.index("</div>")]


def test_unknown_grain_is_a_form_error(client_for: Any) -> None:
    response = client_for("qa").get("/reports/trends/", {"date_from": "2026-01-01", "date_to": "2026-01-05",
                                                         "grain": "year", "group": "team"})
    assert response.status_code == 200
    assert 'data-field-error="grain">选择一个有效的选项' in page_text(response)


def test_trends_group_by_week_and_month(db: None) -> None:
    day = service_day()
    team_key = str(day.team.pk)
    weekly = selectors.trends(first=day.day - timedelta(days=13), last=day.day, grain=Grain.WEEK, by="team")
    assert all(period.weekday() == 0 for period in weekly.periods)
    series = next(s for s in weekly.series if s.key == team_key)
    # D's ticket count (t1, t2, 00:30 phone) and the day before's (t3, 23:30 phone) land in their weeks.
    created_by_week = dict(zip(weekly.periods, series.created, strict=True))
    expected: dict[Any, int] = {}
    for created_day, n in ((day.day, 3), (day.day - timedelta(days=1), 2)):
        week = period_start(created_day, Grain.WEEK)
        expected[week] = expected.get(week, 0) + n
    assert {period: n for period, n in created_by_week.items() if n} == expected

    monthly = selectors.trends(first=day.day - timedelta(days=40), last=day.day, grain=Grain.MONTH, by="channel")
    assert all(period.day == 1 for period in monthly.periods)
    channels = {s.key: sum(s.created) for s in monthly.series}
    assert channels == {"web": 2, "email": 1, "phone": 2}


def test_trends_page_renders_charts_data(client_for: Any) -> None:
    day = service_day()
    text = page_text(client_for("supervisor").get(
        "/reports/trends/", {"date_from": day.day, "date_to": day.day, "grain": "day", "group": "channel"}))
    assert '<script id="created-chart" type="application/json">' in text
    assert 'data-chart="created-chart"' in text
    assert "vendor/chartjs/chart.umd.min.js" in text
    assert f'<tr data-period="{day.day.isoformat()}">' in text


def test_aftersales_page_shows_refunds_by_merchant(client_for: Any) -> None:
    day = service_day()
    text = page_text(client_for("supervisor").get("/reports/after-sales/", {"date_from": day.day,
                                                                           "date_to": day.day}))
    section = text[text.index('data-dimension="merchant"'):]
    section = section[:section.index("</section>")]
    assert day.store.merchant.name in section
    assert "¥199.00" in section
    assert "100.0 %" in section
    assert "5小时" in section


@pytest.mark.parametrize("path", ["/reports/live/", "/reports/agents/", "/reports/trends/", "/reports/after-sales/"])
def test_report_pages_have_a_constant_query_count(client_for: Any, django_assert_max_num_queries: Any,
                                                  path: str) -> None:
    client = client_for("supervisor")
    service_day()
    with django_assert_max_num_queries(20) as small:
        assert client.get(path).status_code == 200
    for _ in range(3):
        service_day()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(path).status_code == 200
