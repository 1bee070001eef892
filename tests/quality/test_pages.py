"""QA pages: who may open them, the score form and its errors, the agent's appeal, constant query counts."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from profiles.models import User
from quality import services
from quality.models import Review
from tests.clients import logged_in
from tests.quality.factories import finished_ticket, make_scorecard, queued_review

pytestmark = pytest.mark.django_db

ROLES = ["customer", "agent", "supervisor", "qa", "merchant_staff", "admin", "integrator"]
QA_PAGES = {"supervisor", "qa", "admin"}
DESK = {"agent", "supervisor", "qa", "admin"}


@pytest.fixture
def review(make_user: Callable[..., User]) -> Review:
    return queued_review(make_scorecard(), finished_ticket(make_user("customer"), make_user("agent")))


@pytest.mark.parametrize("role", ROLES)
def test_who_opens_the_qa_pages(make_user: Callable[..., User], review: Review, role: str) -> None:
    client = logged_in(make_user(role))
    assert client.get("/reports/quality/").status_code == (200 if role in QA_PAGES else 403)
    assert client.get(f"/reports/quality/reviews/{review.pk}/").status_code == (200 if role in QA_PAGES else 403)
    assert client.get("/reports/quality/mine/").status_code == (200 if role in DESK else 403)


def test_anonymous_is_sent_to_sign_in(review: Review) -> None:
    for url in ("/reports/quality/", f"/reports/quality/reviews/{review.pk}/", "/reports/quality/mine/"):
        assert "/accounts/login/" in Client().get(url)["Location"]


def test_qa_scores_through_the_form_and_bad_points_name_the_field(make_user: Callable[..., User],
                                                                  review: Review) -> None:
    client = logged_in(make_user("qa"))
    first, second, critical = review.scorecard.criteria.order_by("position")
    bad = client.post(f"/reports/quality/reviews/{review.pk}/",
                      {f"criterion_{first.pk}": 4, f"criterion_{second.pk}": 11, f"criterion_{critical.pk}": 5})
    assert bad.status_code == 400
    assert f"criterion_{second.pk}" in bad.context["score_form"].errors
    review.refresh_from_db()
    assert review.status == "pending" and review.scores.count() == 0

    done = client.post(f"/reports/quality/reviews/{review.pk}/", {
        f"criterion_{first.pk}": 4, f"criterion_{second.pk}": 5, f"criterion_{critical.pk}": 5, "comment": "好"})
    assert done.status_code == 302
    review.refresh_from_db()
    assert (review.status, str(review.score)) == ("scored", "77.50")
    page = client.get(f"/reports/quality/reviews/{review.pk}/").content.decode()
    assert "77.50" in page and 'id="score-form"' not in page


def test_agent_appeals_own_score_once_and_qa_answers(make_user: Callable[..., User], review: Review) -> None:
    qa_client = logged_in(make_user("qa"))
    agent_client = logged_in(review.agent)
    points = {criterion.pk: criterion.max_points for criterion in review.scorecard.criteria.all()}
    services.review_score(review_id=review.pk, reviewer=make_user("qa"), points=points, comment="")
    # Someone else's review does not exist for this agent.
    assert logged_in(make_user("agent")).post(f"/reports/quality/mine/{review.pk}/appeal/",
                                              {"reason": "x"}).status_code == 404
    assert "100.00" in agent_client.get("/reports/quality/mine/").content.decode()
    empty = agent_client.post(f"/reports/quality/mine/{review.pk}/appeal/", {"reason": "  "})
    assert empty.status_code == 400 and "reason" in empty.context["form"].errors
    assert agent_client.post(f"/reports/quality/mine/{review.pk}/appeal/", {"reason": "分数不对"}).status_code == 302
    again = agent_client.post(f"/reports/quality/mine/{review.pk}/appeal/", {"reason": "再来"})
    assert again.status_code == 400
    review.refresh_from_db()
    assert (review.status, review.appeal_reason) == ("appealed", "分数不对")

    missing = qa_client.post(f"/reports/quality/reviews/{review.pk}/resolve/", {"decision": "upheld",
                                                                                "response": "同意"})
    assert missing.status_code == 400 and "adjusted_score" in missing.context["resolve_form"].errors
    assert qa_client.post(f"/reports/quality/reviews/{review.pk}/resolve/", {
        "decision": "upheld", "adjusted_score": "88.5", "response": "同意"}).status_code == 302
    review.refresh_from_db()
    assert (review.status, str(review.score), str(review.original_score)) == ("upheld", "88.50", "100.00")


def test_sampling_form_refuses_a_reversed_period(make_user: Callable[..., User], review: Review) -> None:
    response = logged_in(make_user("qa")).post("/reports/quality/sample/", {
        "scorecard": review.scorecard_id, "start": "2026-11-10", "end": "2026-11-01", "share_percent": 10})
    assert response.status_code == 400 and "end" in response.context["form"].errors


def test_queue_and_mine_query_counts_are_constant(make_user: Callable[..., User],
                                                  django_assert_max_num_queries: Any) -> None:
    agent, qa = make_user("agent"), make_user("qa")
    scorecard = make_scorecard((1, 5, False))
    criterion = scorecard.criteria.get()
    customer = make_user("customer")
    for _n in range(12):
        review = queued_review(scorecard, finished_ticket(customer, agent))
        if _n % 2:
            services.review_score(review_id=review.pk, reviewer=qa, points={criterion.pk: 4}, comment="")
    qa_client, agent_client = logged_in(qa), logged_in(agent)
    with django_assert_max_num_queries(9):
        assert qa_client.get("/reports/quality/").status_code == 200
    with django_assert_max_num_queries(6):
        assert agent_client.get("/reports/quality/mine/").status_code == 200
    with django_assert_max_num_queries(12):
        assert qa_client.get(f"/reports/quality/reviews/{review.pk}/").status_code == 200
