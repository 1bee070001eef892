from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.http import Http404

from profiles import selectors, services
from profiles.models import Store, StoreMembership, User
from tests.factories import StoreFactory, UserFactory


@pytest.fixture
def two_stores(db: None) -> tuple[Store, Store]:
    return StoreFactory.create(name="米果数码旗舰店"), StoreFactory.create(name="优织服饰旗舰店")


def _fresh(user: User) -> User:
    # Django and guardian cache permissions on the instance; a new request sees a fresh user.
    return User.objects.get(pk=user.pk)


def test_adding_staff_grants_view_on_that_store_only(two_stores: tuple[Store, Store]) -> None:
    store_a, store_b = two_stores
    staff = UserFactory.create()
    membership = services.store_add_staff(store=store_a, user=staff, role=StoreMembership.StoreRole.MANAGER)
    staff = _fresh(staff)
    assert membership.role == "manager"
    assert staff.has_perm("profiles.view_store", store_a)
    assert not staff.has_perm("profiles.view_store", store_b)
    assert not staff.has_perm("profiles.view_store")  # no model-wide grant
    assert staff.groups.filter(name="merchant_staff").exists()
    assert list(selectors.stores_for_user(staff)) == [store_a]


def test_staff_of_one_store_never_sees_another(two_stores: tuple[Store, Store]) -> None:
    store_a, store_b = two_stores
    staff_a, staff_b = UserFactory.create(), UserFactory.create()
    services.store_add_staff(store=store_a, user=staff_a)
    services.store_add_staff(store=store_b, user=staff_b)
    assert list(selectors.stores_for_user(_fresh(staff_a))) == [store_a]
    assert list(selectors.stores_for_user(_fresh(staff_b))) == [store_b]
    assert selectors.store_for_user(_fresh(staff_a), store_a.pk) == store_a
    with pytest.raises(Http404):
        selectors.store_for_user(_fresh(staff_a), store_b.pk)


def test_a_model_wide_view_store_permission_does_not_widen_the_list(two_stores: tuple[Store, Store]) -> None:
    store_a, _ = two_stores
    staff = UserFactory.create()
    services.store_add_staff(store=store_a, user=staff)
    staff.user_permissions.add(Permission.objects.get(codename="view_store", content_type__app_label="profiles"))
    staff = _fresh(staff)
    assert staff.has_perm("profiles.view_store")
    assert list(selectors.stores_for_user(staff)) == [store_a]


def test_superuser_sees_every_store_and_others_none(
    two_stores: tuple[Store, Store], make_user: Callable[..., User]
) -> None:
    assert set(selectors.stores_for_user(make_user("admin"))) == set(two_stores)
    for role in ("agent", "supervisor", "qa", "customer"):
        assert list(selectors.stores_for_user(make_user(role))) == [], role
    assert list(selectors.stores_for_user(AnonymousUser())) == []


def test_removing_staff_revokes_the_store(two_stores: tuple[Store, Store]) -> None:
    store_a, store_b = two_stores
    staff = UserFactory.create()
    services.store_add_staff(store=store_a, user=staff)
    services.store_add_staff(store=store_b, user=staff)
    services.store_remove_staff(store=store_a, user=staff)
    staff = _fresh(staff)
    assert not staff.has_perm("profiles.view_store", store_a)
    assert list(selectors.stores_for_user(staff)) == [store_b]
    assert not StoreMembership.objects.filter(store=store_a, user=staff).exists()


def test_adding_twice_keeps_one_membership_and_updates_the_role(two_stores: tuple[Store, Store]) -> None:
    store_a, _ = two_stores
    staff = UserFactory.create()
    services.store_add_staff(store=store_a, user=staff)
    services.store_add_staff(store=store_a, user=staff, role=StoreMembership.StoreRole.MANAGER)
    assert list(StoreMembership.objects.filter(user=staff).values_list("role", flat=True)) == ["manager"]
    assert list(selectors.stores_for_user(_fresh(staff))) == [store_a]
