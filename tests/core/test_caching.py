"""Cache-Control: no-store on every page and response with personal data, area by area; the public help
center stays cacheable. Every GET route of the permission matrix is checked, as the first role it serves."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from core.caching import is_public
from tests.test_permission_matrix import ROLES, ROUTES, World, world  # noqa: F401 (the world fixture)

pytestmark = pytest.mark.django_db

AREAS = ("desk/", "help/tickets/", "help/chat/", "aftersales/", "merchant/", "reports/", "api/", "admin/",
         "accounts/")


def _served_as(name: str) -> str:
    """The first role the route serves (signed-in roles first: they see the personal data)."""
    own = ROUTES[name].own
    return next(role for role in [*ROLES[1:], ROLES[0]] if own[role] == "ok")


def test_every_private_page_is_no_store_and_the_public_help_center_is_not(world: World) -> None:  # noqa: F811
    wrong: list[str] = []
    areas_seen: set[str] = set()
    for name, route in sorted(ROUTES.items()):
        if route.method != "GET" or not any(role == "ok" for role in route.own.values()):
            continue
        role = _served_as(name)
        url = route.url(world)
        response = world.client(role).get(url)
        cache_control = response.get("Cache-Control", "")
        public = is_public(url.split("?")[0])
        if public and role == "anonymous" and "no-store" in cache_control:
            wrong.append(f"{name} as {role}: public page marked {cache_control!r}")
        if not public and "no-store" not in cache_control:
            wrong.append(f"{name} as {role} ({response.status_code}): Cache-Control {cache_control!r}")
        areas_seen.update(area for area in AREAS if name.startswith(area))
    assert not wrong, "\n".join(wrong)
    assert areas_seen == set(AREAS)


@pytest.mark.parametrize("url", ["/help/", "/help/search/?q=退款", "/help/articles/public-guide/"])
def test_public_help_pages_are_cacheable_for_visitors_and_private_for_people(
        world: World, client_for: Callable[[str], Client], url: str) -> None:  # noqa: F811
    anonymous = Client().get(url)
    assert anonymous.status_code == 200
    assert "no-store" not in anonymous.get("Cache-Control", "")
    assert "private" not in anonymous.get("Cache-Control", "")
    signed_in = client_for("customer").get(url)
    assert "private" in signed_in["Cache-Control"]


@pytest.mark.parametrize(("role", "url"), [
    ("admin", "/admin/"), ("anonymous", "/api/v1/tickets/"), ("integrator", "/api/v1/nowhere/"),
    ("agent", "/desk/tickets/?q=%00"), ("customer", "/help/tickets/"),
])
def test_errors_and_admin_are_no_store_too(client_for: Callable[[str], Client], role: str, url: str) -> None:
    assert "no-store" in client_for(role).get(url)["Cache-Control"]


def test_an_export_download_is_no_store(world: World) -> None:  # noqa: F811
    from tests.test_permission_matrix import _export_url

    response = world.client("supervisor").get(_export_url(world, "download/"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_is_public_is_an_allow_list(settings: Any) -> None:
    assert is_public("/help/articles/x/") and is_public("/help/")
    assert not any(is_public(path) for path in ("/help/tickets/", "/help/chat/", "/help/editor/", "/helpdesk/",
                                                "/desk/", "/api/v1/me/", "/help/chat/embed/"))
