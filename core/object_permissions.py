"""The one place that talks to django-guardian: grant, revoke and filter by object permission."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

M = TypeVar("M", bound=Model)


def grant_object_permission(user: Any, permission: str, obj: Model) -> None:
    assign_perm(permission, user, obj)


def revoke_object_permission(user: Any, permission: str, obj: Model) -> None:
    remove_perm(permission, user, obj)


def objects_for_user(user: Any, permission: str, queryset: QuerySet[M]) -> QuerySet[M]:
    """Rows of `queryset` the user holds `permission` on, per object (superusers: all rows).

    A model-wide grant of the permission does not widen the result: seeing one store must never
    imply seeing every store.
    """
    if not user.is_authenticated:
        return queryset.none()
    return get_objects_for_user(user, permission, klass=queryset, accept_global_perms=False, with_superuser=True)
