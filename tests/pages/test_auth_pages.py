"""Login, logout, password change and the django-axes lockout."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import ALL_ROLES
from tests.factories import PASSWORD
from tests.pages.conftest import assert_outcome, page_text

LOGIN = "/accounts/login/"
PASSWORD_CHANGE = "/accounts/password/"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_login_page_is_for_anonymous_visitors_only(client_for, role: str) -> None:
    response = client_for(role).get(LOGIN)
    if role == "anonymous":
        text = page_text(response)
        assert response.status_code == 200
        assert "<title>登录 · 服务中心</title>" in text
        assert 'name="username"' in text and 'name="password"' in text
        assert "多次登录失败后将暂停登录" in text
    else:
        # Already signed in: straight on to their start page.
        assert response.status_code == 302
        assert response["Location"] == reverse("home")


def test_login_with_the_right_password_signs_in_and_goes_to_the_start_page(make_user) -> None:
    agent = make_user("agent")
    client = Client()
    response = client.post(LOGIN, {"username": agent.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("desk:home")
    assert int(client.session["_auth_user_id"]) == agent.pk


def test_login_with_a_wrong_password_shows_a_non_field_error(make_user) -> None:
    agent = make_user("agent")
    response = Client().post(LOGIN, {"username": agent.username, "password": "wrong-password"})
    text = page_text(response)
    assert response.status_code == 200
    assert 'class="errorlist nonfield"' in text
    assert "区分大小写" in text  # Django's own "username and password are case-sensitive" message, in Chinese
    assert f'value="{agent.username}"' in text


def test_login_without_a_username_shows_the_error_on_that_field(db: None) -> None:
    response = Client().post(LOGIN, {"username": "", "password": "something"})
    text = page_text(response)
    assert response.status_code == 200
    assert 'id="id_username_errors"' in text
    assert 'id="id_password_errors"' not in text


def test_sixth_attempt_is_locked_out_even_with_the_right_password(make_user) -> None:
    agent = make_user("agent")
    client = Client()
    wrong = {"username": agent.username, "password": "wrong-password"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, wrong).status_code == 200
    # The failure that reaches the limit is itself answered with the lockout page.
    assert client.post(LOGIN, wrong).status_code == 429
    response = client.post(LOGIN, {"username": agent.username, "password": PASSWORD})
    text = page_text(response)
    assert response.status_code == 429
    assert "登录已被暂时锁定" in text
    assert f"登录已失败 {settings.AXES_FAILURE_LIMIT} 次" in text
    assert "请 15 分钟后再试" in text  # AXES_COOLOFF_TIME is a quarter of an hour
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_so_other_people_can_still_sign_in(make_user) -> None:
    locked, other = make_user("agent"), make_user("agent")
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": locked.username, "password": "wrong-password"})
    response = client.post(LOGIN, {"username": other.username, "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == other.pk


def test_logout_needs_a_post_and_ends_the_session(client_for) -> None:
    client = client_for("agent")
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ALL_ROLES)
def test_password_change_page_permissions(client_for, role: str) -> None:
    response = client_for(role).get(PASSWORD_CHANGE)
    assert_outcome(response, "login" if role == "anonymous" else "ok", PASSWORD_CHANGE)
    if role != "anonymous":
        text = page_text(response)
        assert "<title>修改密码 · 服务中心</title>" in text
        for field in ("old_password", "new_password1", "new_password2"):
            assert f'name="{field}"' in text


def test_password_change_with_a_wrong_old_password_names_that_field(make_user) -> None:
    user = make_user("customer")
    client = Client()
    client.force_login(user)
    new = "a-much-longer-new-pass-42"
    response = client.post(PASSWORD_CHANGE, {"old_password": "not-it", "new_password1": new, "new_password2": new})
    assert response.status_code == 200
    assert 'id="id_old_password_errors"' in page_text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_changes_the_password_and_shows_the_done_page(make_user) -> None:
    user = make_user("customer")
    client = Client()
    client.force_login(user)
    new = "a-much-longer-new-pass-42"
    response = client.post(
        PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "您的密码已修改" in page_text(response)
    user.refresh_from_db()
    assert user.check_password(new)
