"""The QA demo data (quality.demo, run by `seed_demo` after the apps it samples): a scorecard and reviews,
most scored and one appealed, so the quality pages and the KPI QA column show figures; a second run adds
nothing. Small data of its own rather than the whole demo, which takes minutes."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.utils import timezone

from profiles.models import User
from profiles.roles import Role
from quality import demo
from quality.models import Review, Scorecard
from tests.clients import logged_in
from tests.factories import AgentProfileFactory, CustomerProfileFactory, UserFactory
from tests.quality.factories import finished_ticket


@pytest.mark.django_db
def test_demo_has_a_scorecard_and_scored_reviews_shown_on_the_quality_pages() -> None:
    qa = UserFactory.create(username="qa", roles=(Role.QA,), is_staff=True)
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,)).user
    agents = [AgentProfileFactory.create(user__roles=(Role.AGENT,)).user for _ in range(2)]
    for number in range(10):
        finished_ticket(customer, agents[number % 2], when=timezone.now() - timedelta(days=number + 1))
    # seed_demo calls every app's hook; this is the quality app's.
    assert getattr(apps.get_app_config("quality"), "seed_demo", None) is not None

    demo.seed(StringIO())
    scorecard = Scorecard.objects.get(name=demo.SCORECARD)
    assert scorecard.criteria.count() == len(demo.CRITERIA) and scorecard.criteria.filter(critical=True).exists()
    reviews = Review.objects.filter(scorecard=scorecard)
    assert {Review.Status.PENDING, Review.Status.SCORED, Review.Status.APPEALED} <= set(
        reviews.values_list("status", flat=True))
    scored = reviews.filter(score__isnull=False).select_related("agent").first()
    assert scored is not None
    page = logged_in(qa).get("/reports/quality/").content.decode()
    assert demo.SCORECARD in page
    mine = logged_in(scored.agent).get("/reports/quality/mine/").content.decode()
    assert f'<p class="qa-score">{scored.score}<' in mine

    before = reviews.count()
    demo.seed(StringIO())
    assert Review.objects.filter(scorecard=scorecard).count() == before
    assert User.objects.filter(username="qa").count() == 1
