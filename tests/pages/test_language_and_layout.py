"""Language switching, the shared layout and its vendored assets."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.pages.conftest import page_text


@pytest.mark.django_db
def test_default_language_is_simplified_chinese() -> None:
    text = page_text(Client().get("/help/"))
    assert '<html lang="zh-hans">' in text
    assert "帮助中心" in text
    switcher = 'type="submit" name="language" value="{code}" lang="{code}" aria-pressed="{pressed}">{name}</button>'
    assert switcher.format(code="zh-hans", pressed="true", name="简体中文") in text
    assert switcher.format(code="en", pressed="false", name="English") in text


@pytest.mark.django_db
def test_switching_to_english_returns_to_the_page_in_english() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/help/?q=refund"})
    assert response.status_code == 302
    assert response["Location"] == "/help/?q=refund"
    text = page_text(client.get("/help/"))
    assert '<html lang="en">' in text
    assert "<title>Help center · Service Center</title>" in text
    assert "What do you need help with?" in text
    assert "帮助中心" not in text
    assert 'value="en" lang="en" aria-pressed="true"' in text


def test_switcher_posts_back_to_the_current_page(client_for) -> None:
    text = page_text(client_for("agent").get("/desk/"))
    assert '<form class="langswitch" action="/i18n/setlang/" method="post"' in text
    assert '<input type="hidden" name="next" value="/desk/">' in text


def test_signed_in_top_bar_shows_name_roles_links_and_logout(client_for) -> None:
    text = page_text(client_for("supervisor").get("/desk/"))
    assert '<span class="usercard__roles">客服主管</span>' in text
    for link, label in [("/help/", "帮助中心"), ("/aftersales/", "售后服务"), ("/reports/", "报表")]:
        assert f">{label}</a>" in text and f'href="{link}"' in text
    assert '<a href="/desk/" class="is-active" aria-current="page">工作台</a>' in text
    assert '<form action="/accounts/logout/" method="post">' in text
    assert "/merchant/" not in text


@pytest.mark.django_db
def test_pages_load_only_local_assets() -> None:
    text = page_text(Client().get("/help/"))
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in text
    assert '<link rel="stylesheet" href="/static/css/app.css">' in text
    assert not re.search(r'(src|href)="(https?:)?//', text)


def test_vendored_htmx_and_its_license_are_present() -> None:
    htmx = finders.find("vendor/htmx/htmx.min.js")
    license_file = finders.find("vendor/htmx/LICENSE")
    assert htmx and license_file
    with open(htmx, encoding="utf-8") as handle:
        assert handle.read().startswith("var htmx=function()")
    assert finders.find("desk/shell.js") and finders.find("css/app.css")
