"""The QA models moved from reports to quality (issue 19 item 5) without losing a row.

The move is state-only (the tables keep their `reports_*` names), so this test puts the database back as
it was before it (the content types labelled reports), writes QA rows with the models as they were then
(reports at 0009), applies the two migrations of the move and reads the rows with today's models: rows,
history, content type ids and the permissions granted on them all survive. Inside the test's transaction.
Applying the two migrations directly, rather than `migrate` back and forth, keeps it to seconds: a full
backwards plan renders the state of every migration of every app.
"""

from collections.abc import Callable
from decimal import Decimal
from importlib import import_module

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from profiles.models import User
from quality.models import Criterion, CriterionScore, Review, Scorecard
from tests.quality.factories import finished_ticket, make_scorecard

pytestmark = pytest.mark.django_db

MOVE = import_module("quality.migrations.0001_initial")
MOVED: list[str] = MOVE.MOVED  # the 4 models and their history models


def test_qa_rows_history_content_types_and_permissions_survive_the_move(make_user: Callable[..., User]) -> None:
    agent, qa = make_user("agent"), make_user("qa")
    kept = make_scorecard((1, 5, False), name="搬家前")  # written by today's models, with history
    ticket = finished_ticket(make_user("customer"), agent)
    review_ct = ContentType.objects.get_by_natural_key("quality", "review")
    scorer = Group.objects.create(name="qa-move")
    scorer.permissions.add(Permission.objects.get(content_type=review_ct, codename="score_review"))

    loader = MigrationLoader(connection)
    state = loader.project_state([("reports", "0009_quality_verbose_names")])
    MOVE.content_types_to_reports(state.apps, None)  # what the content types were before the move
    ContentType.objects.clear_cache()
    assert ContentType.objects.get(pk=review_ct.pk).app_label == "reports"
    old_scorecard = state.apps.get_model("reports", "Scorecard")
    assert old_scorecard.objects.filter(pk=kept.pk).exists()
    card = old_scorecard.objects.create(name="搬家时")
    criterion = state.apps.get_model("reports", "Criterion").objects.create(scorecard=card, label="礼貌", max_points=5)
    review = state.apps.get_model("reports", "Review").objects.create(
        scorecard=card, ticket_id=ticket.pk, agent_id=agent.pk, sample_reason="random", status="scored",
        score=Decimal("80.00"), reviewer_id=qa.pk, scored_at=timezone.now())
    state.apps.get_model("reports", "CriterionScore").objects.create(review=review, criterion=criterion, points=4)

    with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=True) as editor:
        for app, name in [("quality", "0001_initial"), ("reports", "0010_quality_moved_out")]:
            state = loader.get_migration(app, name).apply(state, editor)
    # Not one statement on the QA tables: the only write is the content types' relabelling.
    written = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith(("SAVEPOINT",
                                                                                                  "RELEASE"))]
    assert written and all('"django_content_type"' in sql for sql in written), written
    ContentType.objects.clear_cache()
    assert not {"scorecard", "review"} & {model for app, model in state.models if app == "reports"}
    assert state.apps.get_model("quality", "Review")._meta.db_table == Review._meta.db_table == "reports_review"

    assert {card.name for card in Scorecard.objects.all()} >= {"搬家前", "搬家时"}
    moved = Review.objects.select_related("scorecard").get(pk=review.pk)
    assert (moved.scorecard.name, moved.score, moved.ticket_id, moved.agent_id) == ("搬家时", Decimal("80.00"),
                                                                                   ticket.pk, agent.pk)
    assert CriterionScore.objects.get(review=moved).criterion == Criterion.objects.get(pk=criterion.pk)
    assert Scorecard.history.filter(id=kept.pk, history_type="+").exists()  # history rows written before the move
    assert Scorecard.history.model._meta.db_table == "reports_historicalscorecard"
    # The same content type row, relabelled: the group's permission and every admin log entry still point at it.
    assert ContentType.objects.get_for_model(Review).pk == review_ct.pk
    assert not ContentType.objects.filter(app_label="reports", model__in=MOVED).exists()
    assert ContentType.objects.filter(app_label="quality", model__in=MOVED).count() == len(MOVED)
    assert scorer.permissions.filter(content_type__app_label="quality", codename="score_review").exists()
