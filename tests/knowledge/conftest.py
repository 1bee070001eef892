from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission

from profiles.models import User


@pytest.fixture
def editor_with(make_user: Callable[..., User]) -> Callable[..., User]:
    """A user of `role` holding the given knowledge permissions (codenames) on top of the role's own."""

    def make(*codenames: str, role: str = "agent") -> User:
        user = make_user(role)
        permissions = Permission.objects.filter(content_type__app_label="knowledge", codename__in=codenames)
        user.user_permissions.add(*permissions)
        return User.objects.get(pk=user.pk)  # fresh: the permission cache is per instance

    return make
