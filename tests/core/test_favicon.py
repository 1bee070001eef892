"""The favicon: every page links the vendored SVG, and /favicon.ico (asked for by browsers and
crawlers regardless) leads to it instead of a 404."""

import pytest
from defusedxml import ElementTree
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_svg_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"


def test_the_icon_is_an_svg_the_static_files_serve() -> None:
    path = finders.find("favicon.svg")
    assert path is not None
    root = ElementTree.parse(path).getroot()
    assert root is not None and root.tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize("url", ["/", "/help/", "/accounts/login/"])
def test_pages_link_the_icon(client: Client, url: str) -> None:
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in response.content.decode()
