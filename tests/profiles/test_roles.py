import pytest
from django.contrib.auth.models import Group

from profiles.roles import ROLE_PERMISSIONS, Role


@pytest.mark.django_db
def test_every_role_is_a_group_with_its_permissions() -> None:
    for role in Role:
        group = Group.objects.get(name=str(role))
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert set(ROLE_PERMISSIONS[role]) <= held
    assert Group.objects.get(name="admin").permissions.filter(codename="view_pii").exists()
    assert not Group.objects.get(name="agent").permissions.filter(codename="view_pii").exists()
