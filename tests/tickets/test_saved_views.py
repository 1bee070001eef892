"""Saved views: a queue view with filters or a search, personal or shared with a team, ordered by their
owner, shown with capped counts on the queue and search pages; only the owner changes them."""

from collections.abc import Callable
from typing import Any

import pytest

from profiles.models import Team, User
from tests.clients import logged_in as login
from tests.factories import TeamFactory
from tickets import selectors, services
from tickets.models import SavedView, Ticket

pytestmark = pytest.mark.django_db
QUEUE = "/desk/tickets/"


@pytest.fixture
def agent(make_agent: Callable[..., User]) -> User:
    return make_agent()


def test_save_a_filtered_queue_and_a_search_and_see_their_counts(make_ticket: Callable[..., Ticket],
                                                                  agent: User) -> None:
    make_ticket(tags=["物流"], subject="包裹破损")
    make_ticket(tags=["物流"], subject="快递没到")
    make_ticket(subject="发票问题")
    client = login(agent)
    response = client.post(f"{QUEUE}views/", {"name": "物流件", "queue_view": "team",
                                              "filters": "tag=%E7%89%A9%E6%B5%81&channel=&bogus=1"})
    saved = SavedView.objects.get(name="物流件")
    assert saved.filters == {"tag": "物流"} and saved.queue_view == "team"
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?view=team&tag=%E7%89%A9%E6%B5%81"
    client.post(f"{QUEUE}views/", {"name": "发票", "terms": "发票", "filters": ""})
    rows = selectors.saved_views_for(agent)
    assert [(row.view.name, row.count) for row in rows] == [("物流件", "2"), ("发票", "1")]
    assert rows[1].url == f"{QUEUE}search/?q=%E5%8F%91%E7%A5%A8"
    page = client.get(QUEUE).content.decode()
    assert 'id="saved-views"' in page and f'data-saved-count="{saved.pk}">2<' in page
    assert 'id="saved-views"' in client.get(f"{QUEUE}search/?q=发票").content.decode()


def test_order_share_and_delete(agent: User, make_agent: Callable[..., User], team: Team) -> None:
    first = services.saved_view_create(owner=agent, name="一", queue_view="mine", filters={})
    second = services.saved_view_create(owner=agent, name="二", queue_view="team", filters={}, team=team)
    client = login(agent)
    client.post(f"{QUEUE}views/{second.pk}/up/")
    assert [row.view.pk for row in selectors.saved_views_for(agent)] == [second.pk, first.pk]
    colleague, outsider = make_agent(), make_agent(teams=[TeamFactory.create()])
    shared = selectors.saved_views_for(colleague)
    assert [(row.view.pk, row.own) for row in shared] == [(second.pk, False)]
    assert selectors.saved_views_for(outsider) == []
    # Only the owner changes a view; a colleague's attempt is refused and changes nothing.
    login(colleague).post(f"{QUEUE}views/{second.pk}/delete/")
    assert SavedView.objects.filter(pk=second.pk).exists()
    client.post(f"{QUEUE}views/{second.pk}/delete/")
    assert not SavedView.objects.filter(pk=second.pk).exists()
    assert client.post(f"{QUEUE}views/{first.pk}/sideways/").status_code == 404


def test_bad_input_is_refused_with_the_field_named(agent: User) -> None:
    client = login(agent)
    other_team = TeamFactory.create()
    services.saved_view_create(owner=agent, name="重复", queue_view="mine", filters={})
    for data in ({"name": "", "queue_view": "mine"}, {"name": "x" * 61, "queue_view": "mine"},
                 {"name": "重复", "queue_view": "mine"}, {"name": "别组", "team": other_team.pk}):
        response = client.post(f"{QUEUE}views/", data, follow=True)
        assert [m.level_tag for m in response.context["messages"]] == ["error"], data
    assert SavedView.objects.count() == 1
    with pytest.raises(services.ValidationError):
        services.saved_view_create(owner=agent, name="别组", queue_view="mine", filters={}, team=other_team)


def test_queue_query_count_is_bounded_by_the_saved_views(make_ticket: Callable[..., Ticket], agent: User,
                                                          django_assert_max_num_queries: Any) -> None:
    make_ticket()
    client = login(agent)
    services.saved_view_create(owner=agent, name="a", queue_view="team", filters={})
    client.get(QUEUE)
    with django_assert_max_num_queries(40) as few:
        client.get(QUEUE)
    for n in range(5):
        make_ticket(subject=f"更多{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(QUEUE)
