"""profiles.permissions.CachedPermissionBackend: the same answers as Django's ModelBackend, from the
configuration cache, and an administrator's change applies to the next request."""

from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from core import config_cache
from profiles.models import User
from profiles.permissions import CachedPermissionBackend
from profiles.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    """A new object, as the next request loads it (permission sets are kept on the object)."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", [*Role])
def test_every_role_gets_what_django_s_own_backend_gives(role: Role) -> None:
    user = UserFactory.create(roles=(role,))
    user.user_permissions.add(Permission.objects.get(codename="view_pii"))
    assert CachedPermissionBackend().get_all_permissions(_fresh(user)) == ModelBackend().get_all_permissions(
        _fresh(user))
    assert "profiles.view_pii" in CachedPermissionBackend().get_user_permissions(_fresh(user))


def test_a_superuser_holds_every_permission_including_one_added_later() -> None:
    superuser = UserFactory.create(is_superuser=True)
    assert CachedPermissionBackend().get_all_permissions(_fresh(superuser)) == ModelBackend().get_all_permissions(
        _fresh(superuser))
    Permission.objects.create(codename="audit_everything", name="Audit everything",
                              content_type=ContentType.objects.get_for_model(User))
    assert _fresh(superuser).has_perm("profiles.audit_everything")


def test_a_permission_taken_from_a_role_or_given_to_a_person_applies_to_the_next_request() -> None:
    agent = UserFactory.create(roles=(Role.AGENT,))
    use_desk = Permission.objects.get(codename="use_desk")
    assert _fresh(agent).has_perm("profiles.use_desk")
    Group.objects.get(name=str(Role.AGENT)).permissions.remove(use_desk)
    assert not _fresh(agent).has_perm("profiles.use_desk")
    agent.user_permissions.add(use_desk)
    assert _fresh(agent).has_perm("profiles.use_desk")
    agent.user_permissions.remove(use_desk)
    assert not _fresh(agent).has_perm("profiles.use_desk")


def test_a_role_taken_away_applies_to_the_next_request(client: Client) -> None:
    agent = UserFactory.create(roles=(Role.AGENT,))
    client.force_login(agent)
    assert client.get("/desk/tickets/").status_code == 200
    agent.groups.remove(Group.objects.get(name=str(Role.AGENT)))
    assert client.get("/desk/tickets/").status_code == 403


def test_a_request_reads_no_permission_table_once_the_cache_is_warm(django_assert_num_queries: Any) -> None:
    agent = UserFactory.create(roles=(Role.AGENT,))
    with config_cache.run_scope():
        _fresh(agent).has_perm("profiles.use_desk")  # loads the cache
    with config_cache.run_scope():
        user = _fresh(agent)
        with django_assert_num_queries(1):  # the user's groups, which role checks read anyway
            assert user.has_perm("profiles.use_desk")
            assert user.role_names == {str(Role.AGENT)}
            assert not user.has_perm("profiles.view_pii")
