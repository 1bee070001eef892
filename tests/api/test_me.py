"""GET /api/v1/me/: every signed-in role reads its own identity, roles, UI permissions and contact data."""

from typing import Any

import pytest
from django.test import Client

from profiles.models import AgentProfile
from tests.api.helpers import API_ROLES, assert_error
from tests.clients import logged_in as login
from tests.factories import SkillFactory, TeamFactory

pytestmark = pytest.mark.django_db

EXPECTED_PERMISSIONS = {
    "customer": [],
    "agent": ["use_desk"],
    "supervisor": ["view_pii", "use_desk", "view_reports"],
    "qa": ["use_desk", "view_reports"],
    "merchant_staff": ["use_merchant_portal"],
    "admin": ["view_pii", "use_desk", "use_merchant_portal", "view_reports"],
    "integrator": [],
}



@pytest.mark.parametrize("role", API_ROLES)
def test_me_for_every_role(make_user: Any, role: str) -> None:
    if role == "anonymous":
        assert_error(Client().get("/api/v1/me/"), 401, "not_authenticated")
        return
    user = make_user(role)
    body = login(user).get("/api/v1/me/").json()
    assert body["id"] == user.pk
    assert body["username"] == user.username
    assert body["display_name"] == user.display_name
    assert body["roles"] == [role]
    assert body["permissions"] == EXPECTED_PERMISSIONS[role]
    # Their own contact data, in clear, whatever their PII permission.
    assert (body["phone"], body["email"]) == (user.phone, user.email)
    assert "*" not in body["phone"] + body["email"]
    assert (body["agent"] is not None) is (role == "agent")


def test_an_agent_sees_their_desk_profile(make_user: Any) -> None:
    user = make_user("agent")
    profile = AgentProfile.objects.get(user=user)
    profile.capacity, profile.presence = 8, AgentProfile.Presence.ONLINE
    profile.save()
    profile.skills.add(SkillFactory.create(code="refund", name="退款"))
    profile.teams.add(team := TeamFactory.create(name="售后一组"))

    agent = login(user).get("/api/v1/me/").json()["agent"]
    assert agent["presence"] == "online"
    assert agent["capacity"] == 8
    assert agent["skills"] == [{"code": "refund", "name": "退款"}]
    assert agent["teams"] == [{"id": team.pk, "name": "售后一组"}]


def test_language_is_the_preference_or_the_request_language(make_user: Any) -> None:
    user = make_user("customer")
    client = login(user)
    assert client.get("/api/v1/me/").json()["language"] == "zh-hans"
    assert client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()["language"] == "en"
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    assert client.get("/api/v1/me/").json()["language"] == "en"


def test_me_only_reads(make_user: Any) -> None:
    client = login(make_user("admin"))
    assert_error(client.post("/api/v1/me/", data="{}", content_type="application/json"), 405, "method_not_allowed")
