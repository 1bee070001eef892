"""In a real browser: QA samples a period, scores a ticket on the scorecard, the agent appeals, QA upholds."""

from typing import Any

import pytest
from django.utils import timezone

from profiles.roles import Role
from quality.models import Review
from tests.browser import ARTIFACTS, in_thread
from tests.chat.test_browser import session_cookie
from tests.factories import AgentProfileFactory, CustomerProfileFactory, UserFactory
from tests.quality.factories import finished_ticket, make_scorecard
from tickets import services as ticket_services

pytestmark = pytest.mark.browser


def _world() -> dict[str, Any]:
    agent = AgentProfileFactory.create(user__display_name="王磊").user
    qa = UserFactory.create(roles=(Role.QA,), is_staff=True, display_name="质检小李")
    customer = CustomerProfileFactory.create(user__display_name="周小芸").user
    make_scorecard((2, 5, False), (1, 10, False), (1, 5, True), name="售后质检")
    ticket = finished_ticket(customer, agent, when=timezone.now(), escalation_level=1)
    ticket_services.ticket_reply(ticket=ticket, author=agent, body="您好 发票已重新开具 请查收邮箱")
    return {"agent": agent, "qa": qa, "ticket": ticket}


def test_sample_score_appeal_and_uphold(asgi_live_server: str, chromium_page: Any) -> None:
    world = in_thread(_world)
    page = chromium_page
    page.context.add_cookies([in_thread(lambda: session_cookie(world["qa"], asgi_live_server))])

    page.goto(f"{asgi_live_server}/reports/quality/")
    page.fill("#id_share_percent", "100")
    page.click("#sample-form button[type=submit]")
    page.wait_for_selector("#qa-queue")
    assert world["ticket"].number in page.locator("#qa-queue").inner_text()
    page.screenshot(path=str(ARTIFACTS / "qa-queue.png"), full_page=True)

    page.click("#qa-queue a.btn")
    page.wait_for_selector("#score-form")
    assert "发票已重新开具" in page.locator("#transcript").inner_text()
    inputs = page.locator("#score-form input[type=number]")
    for index, points in enumerate(["4", "5", "5"]):
        inputs.nth(index).fill(points)
    page.fill("#id_comment", "回复及时 语气可以更亲切")
    page.click("#score-form button[type=submit]")
    page.wait_for_selector("#review-score")
    assert "77.50" in page.locator("#review-score").inner_text()
    page.screenshot(path=str(ARTIFACTS / "qa-review-scored.png"), full_page=True)

    page.context.clear_cookies()
    page.context.add_cookies([in_thread(lambda: session_cookie(world["agent"], asgi_live_server))])
    page.goto(f"{asgi_live_server}/reports/quality/mine/")
    page.fill(".qa-appeal textarea", "客户当天就确认收到了发票。")
    page.click(".qa-appeal button[type=submit]")
    page.wait_for_selector("#my-reviews .card:not(:has(.qa-appeal))")
    page.screenshot(path=str(ARTIFACTS / "qa-mine-appealed.png"), full_page=True)

    page.context.clear_cookies()
    page.context.add_cookies([in_thread(lambda: session_cookie(world["qa"], asgi_live_server))])
    review_id = in_thread(lambda: Review.objects.get().pk)
    page.goto(f"{asgi_live_server}/reports/quality/reviews/{review_id}/")
    page.check("#resolve-form input[value=upheld]")
    page.fill("#id_adjusted_score", "90")
    page.fill("#id_response", "同意 已调整")
    page.click("#resolve-form button[type=submit]")
    page.wait_for_selector("#review-score")
    assert "90.00" in page.locator("#review-score").inner_text()
    page.screenshot(path=str(ARTIFACTS / "qa-review-upheld.png"), full_page=True)
    assert in_thread(lambda: Review.objects.get().status) == "upheld"
