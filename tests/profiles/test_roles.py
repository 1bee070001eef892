import pytest
from django.contrib.auth.models import Group, Permission

from profiles.roles import ROLE_PERMISSIONS, Role, app_role_permissions


def _held(role: Role) -> set[str]:
    group = Group.objects.get(name=str(role))
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.django_db
def test_every_role_is_a_group_with_its_own_and_its_apps_permissions() -> None:
    from_apps = app_role_permissions()
    for role in Role:
        if role is not Role.ADMIN:
            assert _held(role) == {*ROLE_PERMISSIONS[role], *from_apps[role]}
    assert Group.objects.get(name="admin").permissions.count() == Permission.objects.count()
    assert not Group.objects.get(name="agent").permissions.filter(codename="view_pii").exists()


@pytest.mark.django_db
def test_every_permission_an_app_grants_exists() -> None:
    # sync_roles skips names it cannot find (a migration may run before later apps' permissions
    # exist), so a misspelt codename would silently grant nothing.
    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    for role, names in app_role_permissions().items():
        assert set(names) <= existing, (role, set(names) - existing)


@pytest.mark.django_db
def test_apps_grant_their_rules_to_supervisors_and_only_reading_to_agents() -> None:
    supervisor, agent = _held(Role.SUPERVISOR), _held(Role.AGENT)
    for name in ("knowledge.review_article", "knowledge.change_article", "tickets.change_slapolicy",
                 "chat.change_chatsettings", "aftersales.change_categorypolicy"):
        assert name in supervisor
        assert name not in agent
    assert "knowledge.view_article" in agent
