"""The reports start page: headline counts from real rows."""

import pytest
from django.core.cache import cache

from profiles.models import AgentProfile
from reports import selectors
from tests.conftest import ALL_ROLES
from tests.factories import AgentProfileFactory, CustomerProfileFactory, StoreFactory, TeamFactory
from tests.pages.conftest import Outcome, assert_outcome, page_text

REPORTS = "/reports/"
EXPECTED: dict[str, Outcome] = {
    "anonymous": "login",
    "customer": "forbidden",
    "agent": "forbidden",
    "supervisor": "ok",
    "qa": "ok",
    "merchant_staff": "forbidden",
    "admin": "ok",
}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_reports_permissions(client_for, role: str) -> None:
    response = client_for(role).get(REPORTS)
    assert_outcome(response, EXPECTED[role], REPORTS)
    if EXPECTED[role] == "ok":
        assert "<title>报表 · 服务中心</title>" in page_text(response)


def test_headline_counts_come_from_the_rows(client_for) -> None:
    client = client_for("supervisor")
    CustomerProfileFactory.create_batch(3)
    AgentProfileFactory.create_batch(2, presence=AgentProfile.Presence.ONLINE)
    AgentProfileFactory.create(presence=AgentProfile.Presence.AWAY)
    AgentProfileFactory.create_batch(4)
    TeamFactory.create_batch(2)
    StoreFactory.create_batch(5)
    text = page_text(client.get(REPORTS))
    assert '<span class="stat__value" data-stat="customers">3</span>' in text
    assert '<span class="stat__value" data-stat="agents">7</span>' in text
    assert 'data-stat="agents-online">2 在线</span>' in text
    assert 'data-stat="agents-away">1 离开</span>' in text
    assert 'data-stat="agents-offline">4 离线</span>' in text
    assert '<span class="stat__value" data-stat="teams">2</span>' in text
    assert '<span class="stat__value" data-stat="stores">5</span>' in text


def test_headline_is_cached_for_a_minute(db: None, django_assert_num_queries) -> None:
    CustomerProfileFactory.create()
    first = selectors.headline()
    CustomerProfileFactory.create()
    with django_assert_num_queries(0):
        assert selectors.headline() == first
    cache.delete(selectors.HEADLINE_CACHE_KEY)
    assert selectors.headline().customers == 2


def test_reports_query_count_does_not_grow_with_rows(client_for, django_assert_max_num_queries) -> None:
    client = client_for("supervisor")
    client.get(REPORTS)  # warm the configuration cache first, as on a running site
    cache.delete(selectors.HEADLINE_CACHE_KEY)
    with django_assert_max_num_queries(12) as before:
        client.get(REPORTS)
    CustomerProfileFactory.create_batch(5)
    AgentProfileFactory.create_batch(3, presence=AgentProfile.Presence.ONLINE)
    TeamFactory.create_batch(3)
    StoreFactory.create_batch(3)
    cache.delete(selectors.HEADLINE_CACHE_KEY)
    with django_assert_max_num_queries(12) as after:
        response = client.get(REPORTS)
    assert 'data-stat="agents-online">3 在线</span>' in page_text(response)
    assert len(after.captured_queries) == len(before.captured_queries)
