"""The audit log: sign-ins and failures, permission changes made by people, unmasked PII views."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from profiles.models import AuditEntry, User
from tests.factories import PASSWORD, CustomerProfileFactory

pytestmark = pytest.mark.django_db


def test_sign_in_failure_and_sign_out_are_logged(make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    client = Client()
    client.post("/accounts/login/", {"username": agent.username, "password": "wrong"})
    client.post("/accounts/login/", {"username": "nobody-at-all", "password": "wrong"})
    client.post("/accounts/login/", {"username": agent.username, "password": PASSWORD})
    client.post("/accounts/logout/")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "username"))
    assert actions == [
        ("login_failed", agent.username), ("login_failed", "nobody-at-all"),
        ("login", agent.username), ("logout", agent.username),
    ]
    assert AuditEntry.objects.filter(action="login").get().ip_address == "127.0.0.1"


def test_role_change_in_admin_is_logged_with_who_did_it(client_for: Callable[[str], Client],
                                                       make_user: Callable[..., User]) -> None:
    admin_client = client_for("admin")
    target = make_user("customer")
    AuditEntry.objects.all().delete()
    page = admin_client.get(f"/admin/profiles/user/{target.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["groups"] = [Group.objects.get(name="supervisor").pk]
    data.update({"date_joined_0": target.date_joined.strftime("%Y-%m-%d"),
                 "date_joined_1": target.date_joined.strftime("%H:%M:%S")})
    response = admin_client.post(f"/admin/profiles/user/{target.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PERMISSIONS_CHANGED, detail__change="added")
    assert entry.actor is not None and entry.actor != target
    assert entry.actor.groups.filter(name="admin").exists()
    assert entry.detail["items"] == ["supervisor"]
    assert target.username in entry.subject


def test_role_sync_by_code_is_not_logged() -> None:
    from django.apps import apps

    from profiles.roles import sync_roles

    sync_roles(apps)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PERMISSIONS_CHANGED).exists()


def test_unmasked_customer_data_through_the_api_is_logged_for_pii_holders_only(
    client_for: Callable[[str], Client],
) -> None:
    customer = CustomerProfileFactory.create(external_id="C-9")
    assert client_for("agent").get("/api/v1/customers/").status_code == 200
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PII_VIEWED).exists()
    assert client_for("supervisor").get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PII_VIEWED)
    assert entry.detail == {"customers": ["C-9"]}
    assert entry.actor is not None and entry.subject == f"API /api/v1/customers/{customer.pk}/"


def test_unmasked_customer_page_in_admin_is_logged(client_for: Callable[[str], Client]) -> None:
    customer = CustomerProfileFactory.create()
    assert client_for("admin").get(f"/admin/profiles/customerprofile/{customer.pk}/change/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PII_VIEWED, detail__where="admin").count() == 1


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("supervisor", 403), ("agent", 302), ("qa", 403),
                                              ("customer", 302), ("merchant_staff", 302)])
def test_only_admins_read_the_audit_log_and_nobody_edits_it(
    client_for: Callable[[str], Client], role: str, status: int
) -> None:
    client = client_for(role)
    assert client.get("/admin/profiles/auditentry/").status_code == status
    entry = AuditEntry.objects.create(action=AuditEntry.Action.EXPORT, subject="x")
    assert client.post(f"/admin/profiles/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
