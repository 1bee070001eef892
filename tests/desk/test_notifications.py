"""The notification bell's list (/desk/notifications/) and marking read, one and all."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from profiles.models import User
from tests.conftest import ALL_ROLES
from tests.pages.conftest import Outcome, assert_outcome, page_text
from tickets import selectors as ticket_selectors
from tickets.models import Notification

PAGE = "/desk/notifications/"
HTMX = {"HX-Request": "true"}
EXPECTED: dict[str, Outcome] = {
    "anonymous": "login", "customer": "forbidden", "agent": "ok", "supervisor": "ok", "qa": "ok",
    "merchant_staff": "forbidden", "admin": "ok",
}


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ALL_ROLES)
def test_page_and_dropdown_by_role(client_for: Callable[[str], Client], role: str) -> None:
    client = client_for(role)
    assert_outcome(client.get(PAGE), EXPECTED[role], PAGE)
    menu = client.get(f"{PAGE}?where=menu", headers=HTMX)
    assert_outcome(menu, EXPECTED[role], f"{PAGE}%3Fwhere%3Dmenu")
    if EXPECTED[role] == "ok":
        assert "没有未读通知。" in page_text(menu) and "<html" not in page_text(menu)


def test_each_user_sees_only_their_own(make_user: Callable[..., User], notify: Callable[..., Notification]) -> None:
    agent, colleague = make_user("agent"), make_user("agent")
    mine = notify(agent, text="退款单需要您确认")
    notify(colleague, text="别人的通知")
    text = page_text(logged_in(agent).get(PAGE))
    assert "<title>通知 · 服务中心</title>" in text
    assert "退款单需要您确认" in text and "别人的通知" not in text
    assert f'data-notification-id="{mine.pk}"' in text and "is-unread" in text
    # The bell is in the top bar of every desk page, its count filled by the socket.
    assert 'id="bell"' in text and 'id="bell-count"' in text


def test_english_page(make_user: Callable[..., User], notify: Callable[..., Notification]) -> None:
    agent = make_user("agent")
    notify(agent, text="please look")
    client = logged_in(agent)
    client.cookies["django_language"] = "en"
    text = page_text(client.get(PAGE))
    assert "Mark all read" in text and "Mentioned in a note" in text and "Mark read" in text
    assert "通知" not in text.replace("please look", "")


def test_open_marks_read_and_goes_to_the_ticket(make_user: Callable[..., User],
                                                notify: Callable[..., Notification]) -> None:
    agent = make_user("agent")
    notification = notify(agent)
    response = logged_in(agent).post(f"{PAGE}{notification.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == f"/desk/tickets/{notification.ticket_id}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert ticket_selectors.unread_notification_count(agent.pk) == 0


def test_mark_one_read_from_the_dropdown_redraws_it(make_user: Callable[..., User],
                                                    notify: Callable[..., Notification]) -> None:
    agent = make_user("agent")
    first, second = notify(agent, text="第一条"), notify(agent, text="第二条")
    response = logged_in(agent).post(f"{PAGE}{first.pk}/read/", {"where": "menu"}, headers=HTMX)
    assert response.status_code == 200
    text = page_text(response)
    assert "第一条" not in text and "第二条" in text  # the dropdown lists unread ones only
    assert ticket_selectors.unread_notification_count(agent.pk) == 1
    second.refresh_from_db()
    assert second.read_at is None


def test_mark_all_read(make_user: Callable[..., User], notify: Callable[..., Notification]) -> None:
    agent, colleague = make_user("agent"), make_user("agent")
    notify(agent), notify(agent)
    theirs = notify(colleague)
    response = logged_in(agent).post(f"{PAGE}read-all/")
    assert response.status_code == 302 and response["Location"] == PAGE
    assert ticket_selectors.unread_notification_count(agent.pk) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    page = page_text(logged_in(agent).post(f"{PAGE}read-all/", {"where": "page"}, headers=HTMX))
    assert "is-unread" not in page and "<html" not in page
    assert 'id="notifications-read-all"' not in page  # nothing left to mark


@pytest.mark.parametrize("target", ["someone_elses", "missing", "word"])
def test_marking_what_is_not_yours_is_not_found(make_user: Callable[..., User],
                                                notify: Callable[..., Notification], target: str) -> None:
    agent, colleague = make_user("agent"), make_user("agent")
    theirs = notify(colleague)
    path = {"someone_elses": f"{PAGE}{theirs.pk}/read/", "missing": f"{PAGE}999999/read/",
            "word": f"{PAGE}abc/read/"}[target]
    assert logged_in(agent).post(path).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_get_is_not_allowed_on_the_writes(make_user: Callable[..., User], notify: Callable[..., Notification]) -> None:
    agent = make_user("agent")
    notification = notify(agent)
    client = logged_in(agent)
    assert client.get(f"{PAGE}{notification.pk}/read/").status_code == 405
    assert client.get(f"{PAGE}read-all/").status_code == 405


def test_query_count_does_not_grow_with_rows(make_user: Callable[..., User], notify: Callable[..., Notification],
                                             django_assert_max_num_queries: Any) -> None:
    agent = make_user("agent")
    client = logged_in(agent)
    notify(agent)
    client.get(PAGE)  # warm caches (configuration, permissions) outside the counted requests
    with django_assert_max_num_queries(12) as few:  # six a request
        client.get(PAGE)
        client.get(f"{PAGE}?where=menu", headers=HTMX)
    for index in range(8):
        notify(agent, text=f"第 {index} 条")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(PAGE)
        client.get(f"{PAGE}?where=menu", headers=HTMX)
