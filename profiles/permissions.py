"""Django's ModelBackend answering from the configuration cache instead of two joins per request.

Every desk page, API call and form asks `has_perm`; ModelBackend reads the user's own permissions and their
groups' permissions from the database on each request's user. Which permissions a group holds, and the few
people given permissions of their own, change only when an administrator edits them (or `migrate` adds some):
core.config_cache keeps both tables in each process and drops them on those writes. The user's groups are the
ones role checks already read once per request (`User.role_groups`), read with the user in a request.
Permissions for one object are guardian's (ObjectPermissionBackend), unchanged.
"""

from collections import defaultdict
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef

from core.config_cache import cached, in_run_scope, invalidate, invalidate_on_write
from core.prepared import PreparedLookup
from profiles.models import User

GROUP_PERMISSIONS = "profiles:group-permissions"
USER_PERMISSIONS = "profiles:user-permissions"
ALL_PERMISSIONS = "profiles:all-permissions"
KEYS = (GROUP_PERMISSIONS, USER_PERMISSIONS, ALL_PERMISSIONS)


def _by_owner(rows: Any) -> dict[int, frozenset[str]]:
    names: dict[int, set[str]] = defaultdict(set)
    for owner_id, app_label, codename in rows:
        names[owner_id].add(f"{app_label}.{codename}")
    return {owner_id: frozenset(found) for owner_id, found in names.items()}


def _group_permissions() -> dict[int, frozenset[str]]:
    return _by_owner(Group.permissions.through.objects.values_list(
        "group_id", "permission__content_type__app_label", "permission__codename"))


def _user_permissions() -> dict[int, frozenset[str]]:
    return _by_owner(User.user_permissions.through.objects.values_list(
        "user_id", "permission__content_type__app_label", "permission__codename"))


def _all_permissions() -> frozenset[str]:
    return frozenset(f"{app_label}.{codename}" for app_label, codename in
                     Permission.objects.values_list("content_type__app_label", "codename"))


def _with_profile_and_groups() -> Any:
    groups = Group.objects.filter(user=OuterRef("pk")).order_by("pk")
    return User.objects.select_related("customer_profile").annotate(
        role_group_ids=ArraySubquery(groups.values("pk")), role_group_names=ArraySubquery(groups.values("name")))


# With the customer profile in the same query (the help center, chat and ticket create read it on every customer
# request; staff get an empty join) and the user's groups (every role and permission check reads them). Compiled
# once (core.prepared): every signed-in request runs it.
_USER_WITH_PROFILE = PreparedLookup(User, _with_profile_and_groups, "pk")


class CachedPermissionBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user: Any = _USER_WITH_PROFILE.get(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        # Only within a request: a socket's user lives as long as its connection and reads its groups on each
        # check (User.role_groups), so a role taken away applies at once.
        if in_run_scope():
            user.keep_role_groups(user.role_group_ids, user.role_group_names)
        return user

    def _get_permissions(self, user_obj: Any, obj: Any, from_name: str) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        # Kept on the user object as ModelBackend keeps it (the same attribute names, which Django's tests and
        # ours delete to ask again).
        cache_name = f"_{from_name}_perm_cache"
        if not hasattr(user_obj, cache_name):
            setattr(user_obj, cache_name, set(_permission_names(user_obj, from_name)))
        found: set[str] = getattr(user_obj, cache_name)
        return found


def _permission_names(user: User, from_name: str) -> frozenset[str]:
    if user.is_superuser:
        return cached(ALL_PERMISSIONS, _all_permissions)
    if from_name == "user":
        return cached(USER_PERMISSIONS, _user_permissions).get(user.pk, frozenset())
    by_group = cached(GROUP_PERMISSIONS, _group_permissions)
    return frozenset().union(*(by_group.get(group.pk, frozenset()) for group in user.role_groups()))


def register() -> None:
    invalidate_on_write(GROUP_PERMISSIONS, Group, Permission, ContentType, m2m=(Group.permissions.through,))
    invalidate_on_write(USER_PERMISSIONS, Permission, ContentType, m2m=(User.user_permissions.through,))
    invalidate_on_write(ALL_PERMISSIONS, Permission, ContentType)


def forget_all() -> None:
    """After `migrate`: it creates permissions with bulk_create, which sends no signal."""
    invalidate(*KEYS)
