"""In Chromium: the trends and after-sales dashboards draw their Chart.js charts under the strict CSP,
and the live board polls itself; screenshots land in test-artifacts/."""

from datetime import timedelta
from typing import Any

import pytest

from profiles.roles import Role
from reports import rollups
from reports.models import ExportJob
from tests.aftersales.test_browser import log_in
from tests.browser import ARTIFACTS
from tests.factories import UserFactory
from tests.reports.factories import ServiceDay, service_day

pytestmark = pytest.mark.browser

# Pixels of a canvas that something was painted on (Chart.js leaves the background transparent).
PAINTED = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return painted;
}"""


@pytest.fixture
def world(transactional_db: None) -> tuple[ServiceDay, Any]:
    day = service_day()
    rollups.rollup_range(first=day.day - timedelta(days=6), last=day.day)
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,), is_staff=True, display_name="主管 王芳")
    for status, done in (("running", 4_000), ("done", 10_000)):
        ExportJob.objects.create(owner=supervisor, dataset="tickets", file_format="xlsx", date_from=day.day,
                                 date_to=day.day, status=status, rows_total=10_000, rows_done=done)
    return day, supervisor


def _drawn_canvases(page: Any) -> list[int]:
    page.wait_for_selector("canvas[data-chart-drawn]")
    return [canvas.evaluate(PAINTED) for canvas in page.query_selector_all("canvas[data-chart]")]


def test_dashboards_draw_their_charts(world: tuple[ServiceDay, Any], asgi_live_server: str,
                                      chromium_page: Any) -> None:
    day, supervisor = world
    base, page = asgi_live_server, chromium_page
    first = (day.day - timedelta(days=6)).isoformat()
    trends = f"/reports/trends/?date_from={first}&date_to={rollups.local_today().isoformat()}&grain=day&group=channel"
    log_in(page, base, supervisor.username, "/reports/")
    page.goto(base + trends)
    assert page.title() == "趋势 · 服务中心"
    painted = _drawn_canvases(page)
    assert len(painted) == 2 and all(count > 2_000 for count in painted), painted
    # One dataset per channel of the fixture: web, email, phone.
    assert page.locator("canvas[data-chart='created-chart']").get_attribute("data-chart-drawn") == "3"
    page.screenshot(path=str(ARTIFACTS / "reports-trends.png"), full_page=True)

    page.goto(f"{base}/reports/after-sales/?date_from={first}&date_to={day.day.isoformat()}")
    painted = _drawn_canvases(page)
    assert len(painted) == 4 and all(count > 2_000 for count in painted), painted
    assert "¥199.00" in page.locator("[data-dimension=merchant]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "reports-aftersales.png"), full_page=True)

    page.goto(f"{base}/reports/agents/?date_from={first}&date_to={day.day.isoformat()}")
    assert "20分钟" in page.locator(f"tr[data-agent='{day.agent_a.pk}']").inner_text()
    page.screenshot(path=str(ARTIFACTS / "reports-agents.png"), full_page=True)

    page.goto(f"{base}/reports/builder/?source=aftersales&dimension=type&measures=requests&measures=refund_fen"
              f"&grain=day&date_from={first}&date_to={day.day.isoformat()}")
    painted = _drawn_canvases(page)
    assert len(painted) == 1 and painted[0] > 2_000, painted
    page.fill("#id_name", "售后类型周报")
    page.select_option("#id_frequency", "weekly")
    page.click("#save-form button[type=submit]")
    page.wait_for_url(f"{base}/reports/builder/*/")
    assert page.locator("h1").inner_text() == "售后类型周报"
    _drawn_canvases(page)
    page.screenshot(path=str(ARTIFACTS / "reports-builder.png"), full_page=True)

    page.goto(f"{base}/reports/exports/")
    assert page.locator("#exports progress").count() == 2
    page.screenshot(path=str(ARTIFACTS / "reports-exports.png"), full_page=True)


def test_live_board_refreshes_itself(world: tuple[ServiceDay, Any], asgi_live_server: str,
                                     chromium_page: Any) -> None:
    _, supervisor = world
    base, page = asgi_live_server, chromium_page
    log_in(page, base, supervisor.username, "/reports/")
    page.goto(f"{base}/reports/live/")
    with page.expect_response(lambda response: "/reports/live/" in response.url
                              and response.request.headers.get("hx-request") == "true", timeout=20_000):
        pass
    assert page.locator("#live-panel [data-live=waiting]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "reports-live.png"), full_page=True)
