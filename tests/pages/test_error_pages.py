"""404 and 403 pages in both languages."""

import pytest
from django.test import Client

from tests.pages.conftest import page_text


@pytest.mark.django_db
def test_404_page_in_chinese_by_default() -> None:
    response = Client().get("/no-such-page/")
    text = page_text(response)
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in text
    assert "<title>页面不存在 · 服务中心</title>" in text
    assert "您访问的页面不存在" in text


@pytest.mark.django_db
def test_404_page_in_english_after_switching() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    response = client.get("/no-such-page/")
    text = page_text(response)
    assert response.status_code == 404
    assert '<html lang="en">' in text
    assert "<title>Page not found · Service Center</title>" in text
    assert "The page you asked for does not exist" in text


def test_403_page_keeps_the_layout_and_explains(client_for) -> None:
    response = client_for("customer").get("/desk/")
    text = page_text(response)
    assert response.status_code == 403
    assert "<title>无权访问 · 服务中心</title>" in text
    assert "您的账号没有打开此页面的权限" in text
    # Still the normal layout: navigation and the logout button are there.
    assert 'href="/help/"' in text and 'action="/accounts/logout/"' in text
