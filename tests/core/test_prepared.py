"""core.prepared: a lookup compiled once gives the objects its queryset gives, with select_related filled."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.prepared import PreparedLookup, planned_once_cursor
from profiles.models import AgentProfile, CustomerProfile, User
from profiles.roles import Role
from tests.factories import CustomerProfileFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = PreparedLookup(User, lambda: User.objects.select_related("customer_profile"), "pk")
PROFILES = PreparedLookup(CustomerProfile, lambda: CustomerProfile.objects.select_related("user"), "user_id")


def _same(found: User, expected: User) -> None:
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found._state.db == "default" and not found._state.adding


def test_the_user_with_the_profile_in_one_query() -> None:
    customer = CustomerProfileFactory.create(user__roles=(Role.CUSTOMER,), address="上海市浦东新区").user
    for _ in range(2):  # compiled on the first call, reused on the second
        with CaptureQueriesContext(connection) as queries:
            found = USERS.get(customer.pk)
            assert found is not None
            assert found.customer_profile.address == "上海市浦东新区"  # decrypted, from the same row
            assert found.customer_profile.user is found
        assert len(queries) == 1
        _same(found, User.objects.get(pk=customer.pk))
        assert found.phone == customer.phone and found.email == customer.email


def test_a_user_without_a_profile_and_a_missing_user() -> None:
    agent = UserFactory.create(roles=(Role.AGENT,))
    found = USERS.get(agent.pk)
    assert found is not None
    with CaptureQueriesContext(connection) as queries, pytest.raises(User.customer_profile.RelatedObjectDoesNotExist):
        found.customer_profile  # noqa: B018
    assert len(queries) == 0
    assert USERS.get(agent.pk + 1000) is None


def test_by_another_field_and_from_another_thread() -> None:
    profile = CustomerProfileFactory.create()
    found = PROFILES.get(profile.user_id)
    assert found is not None and found.pk == profile.pk and found.user.username == profile.user.username
    seen: list[int | None] = []

    def look() -> None:
        try:
            other = PROFILES.get(profile.user_id)
            seen.append(None if other is None else other.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    # The other thread has its own connection, outside this test's transaction: it compiles for itself and runs.
    assert seen == [None]


def test_several_values_many_rows_and_annotations() -> None:
    from django.db.models import Exists, OuterRef

    from core.prepared import PreparedQuery
    from profiles.models import Team

    team = TeamFactory.create()
    members = [UserFactory.create(roles=(Role.AGENT,)) for _ in range(3)]
    for member in members[:2]:
        AgentProfile.objects.create(user=member).teams.add(team)
    in_range = PreparedQuery(User, lambda low, high, team_id: User.objects.filter(pk__gte=low, pk__lte=high)
                             .annotate(in_team=Exists(Team.objects.filter(pk=team_id, agents__user=OuterRef("pk"))))
                             .order_by("pk"), arity=3)
    for _ in range(2):
        found = in_range.all(members[0].pk, members[2].pk, team.pk)
        assert [(user.pk, getattr(user, "in_team", None)) for user in found] == [
            (members[0].pk, True), (members[1].pk, True), (members[2].pk, False)]
    assert [user.pk for user in in_range.all(members[1].pk, members[1].pk, team.pk)] == [members[1].pk]


def test_a_value_the_sql_does_not_take_is_refused() -> None:
    from core.prepared import PreparedQuery

    ignored = PreparedQuery(User, lambda user_id: User.objects.all(), arity=1)
    with pytest.raises(ValueError, match="not parameters"):
        ignored.all(1)
@pytest.mark.django_db
def test_a_planned_once_statement_is_prepared_once_and_logged_like_any_other() -> None:
    """Run again on the same connection, the server keeps one prepared statement for it (planned once, then reused);
    run once, it is not prepared (preparing is a round trip of its own, lost on a connection that serves one
    request); Django's own cursors prepare nothing; the query log and counts still see every run with its SQL."""
    sql = "SELECT %s::int + count(*) FROM profiles_user WHERE username = %s"
    with CaptureQueriesContext(connection) as queries:
        answers = []
        for n in range(3):
            with planned_once_cursor(connection) as cursor:
                cursor.execute(sql, [n, "nobody"])
                answers.append(cursor.fetchone()[0])
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 + %s", [1])
    assert answers == [0, 1, 2]
    assert [query["sql"] for query in queries.captured_queries[:3]] == [
        f"SELECT {n}::int + count(*) FROM profiles_user WHERE username = 'nobody'" for n in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    # The first run went unprepared; the second prepared it, and the third reused it.
    assert [runs for statement, runs in prepared if statement.startswith("SELECT $1::int + count(*)")] == [2]
    assert not [statement for statement, _runs in prepared if "SELECT 1 +" in statement]
    with planned_once_cursor(connection) as cursor:
        cursor.execute("SELECT %s::int - count(*) FROM profiles_user", [1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["SELECT $1::int - %"])
        assert cursor.fetchone()[0] == 0
