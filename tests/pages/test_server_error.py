"""The 500 page: rendered without request context, still translated and styled."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from tests.pages.conftest import page_text


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view broke")


# This module is the ROOT_URLCONF for its tests: the project's urls plus a view that raises.
urlpatterns = [
    path("broken/", broken_view),
    path("", include("service_center.urls")),
]
handler500 = "core.views.server_error"

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def test_500_page_is_translated_standalone_html() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/broken/")
    text = page_text(response)
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in text
    assert "<title>出错了 · 服务中心</title>" in text
    assert "错误已被记录" in text
    assert 'href="/static/css/app.css"' in text
    # No request context: no navigation or forms that need context processors or a CSRF token.
    assert "csrfmiddlewaretoken" not in text


def test_500_page_follows_the_language_cookie() -> None:
    client = Client(raise_request_exception=False)
    client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    text = page_text(client.get("/broken/"))
    assert '<html lang="en">' in text
    assert "<title>Something went wrong · Service Center</title>" in text
