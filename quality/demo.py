# ruff: noqa: RUF001  (Chinese demo text uses full-width punctuation)
"""QA demo data (`manage.py seed_demo`): a scorecard, a sample of the demo's finished tickets and chats,
most of them scored and one appealed, so /reports/quality/ and the KPI's QA column show figures.

Runs after the apps whose conversations it samples (quality comes after them in INSTALLED_APPS). Idempotent:
the scorecard is found by name, and once it has reviews nothing is sampled again. The sample and the
points are drawn from a fixed seed, so every demo shows the same figures.
"""

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from profiles.models import User
from quality import services
from quality.models import Criterion, Review, Scorecard

SCORECARD = "通用服务质检"
CRITERIA = [  # (label, weight, max points, critical)
    ("开场问候与身份确认", 1, 5, False),
    ("准确理解并解决问题", 3, 10, False),
    ("态度礼貌、用语规范", 2, 5, False),
    ("未泄露客户隐私", 1, 5, True),
]
SAMPLE_PERCENT = 60
# Left in the queue, unscored, so QA has work waiting in the demo.
LEFT_TO_SCORE = 3
COMMENTS = ["处理及时，解释清楚。", "可以更早确认订单号。", "语气亲切，问题一次解决。",
            "结束前应再次确认客户是否满意。"]


def seed(stdout: Any) -> None:
    reviewer = User.objects.filter(username="qa").first()
    if reviewer is None:
        return
    with transaction.atomic():
        scorecard, _created = Scorecard.objects.get_or_create(name=SCORECARD)
        for position, (label, weight, max_points, critical) in enumerate(CRITERIA):
            Criterion.objects.get_or_create(scorecard=scorecard, label=label, defaults={
                "weight": weight, "max_points": max_points, "critical": critical, "position": position})
    if Review.objects.filter(scorecard=scorecard).exists():
        stdout.write("QA demo data already there.")
        return
    chooser = random.Random(2026)  # noqa: S311 (demo figures, the same on every machine; not a secret)
    today = timezone.localdate()
    services.review_sample(scorecard=scorecard, start=today - timedelta(days=365), end=today,
                           share_percent=SAMPLE_PERCENT, actor=reviewer, rng=chooser)
    reviews = list(Review.objects.filter(scorecard=scorecard).order_by("pk"))
    criteria = list(scorecard.criteria.order_by("position"))
    scored = 0
    for review in reviews[: max(len(reviews) - LEFT_TO_SCORE, 0)]:
        # Mostly good work with a few slips; a critical criterion is always kept here.
        points = {c.pk: c.max_points if c.critical else chooser.randint(c.max_points // 2, c.max_points)
                  for c in criteria}
        services.review_score(review_id=review.pk, reviewer=reviewer, points=points,
                              comment=chooser.choice(COMMENTS))
        scored += 1
    if scored:
        first = reviews[0]
        services.review_appeal(review_id=first.pk, agent=User.objects.get(pk=first.agent_id),
                               reason="客户在通话中已确认订单号，评分未体现。")
    stdout.write(f"QA demo data ready: {len(reviews)} review(s) sampled, {scored} scored, 1 appealed.")
