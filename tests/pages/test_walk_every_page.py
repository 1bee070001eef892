"""Every page each role can reach from their home page: no dead link, and the copy in one language.

One walk per role (tests/crawl.py) in Chinese, then the same pages again in English:
- no link answers 404 or 403 for the role that was shown it (a ticket of another team is a read-only
  summary, not a dead end);
- the Chinese pages show no text left in English where the catalogue has a translation, and customer
  copy says 您, never 你;
- the English pages show no Chinese outside what people typed (names, subjects, messages, articles);
- neither shows a stored code (email, wechat, pending…) where its label belongs.
The walk checks the copy of the project's own pages; the admin is checked apart, page by page (the change list,
add form and a change form of every registered model, as the supervisor where they may look, the libraries'
models and pages included): in Chinese no English words outside data, in English no Chinese outside data.
The data is the permission matrix's small world: one object of each kind per role, and someone else's.
"""

import re
import zoneinfo
from pathlib import Path

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import trans_real
from django_celery_beat.models import ClockedSchedule, SolarSchedule
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from waffle.models import Sample, Switch

from tests.crawl import CJK, CJK_RUN, Page, choice_codes, crawl, is_user_data, route_of, user_data, visit
from tests.test_permission_matrix import World, world  # noqa: F401 (the fixture)

ROLES = ["anonymous", "customer", "agent", "supervisor", "qa", "merchant_staff", "admin"]
# Copy that reads the same in both languages: product names, units and abbreviations.
SAME_IN_BOTH = {"VIP", "API", "CSV", "XLSX", "Markdown", "OpenAPI", "Swagger UI", "WeChat ID", "SLA", "QA", "KPI",
                "ID", "URL", "IVR", "Token", "English"}
# The admin also shows protocol and platform terms that Chinese screens print as they are, the alt text of
# Django's yes/no/unknown icons (Django does not translate it).
ADMIN_SAME_IN_BOTH = {"AppID", "AppSecret", "EncodingAESKey", "Message-ID", "In-Reply-To", "References", "SKU", "App",
                      "True", "False", "None"}
# Beat's forms list time zones and the registered tasks by their names (Asia/Shanghai, core.tasks.send_email).
TIME_ZONES = zoneinfo.available_timezones()
DOTTED_NAME = re.compile(r"\w+(\.\w+)+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Addresses, e-mail addresses and file names are data, whatever the language.
ADDRESS = re.compile(r"[@/\\]")


def _walk(client: Client, language: str, urls: list[str] | None = None) -> list[Page]:
    """The walk from the role's home, or the given pages again, in `language`."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if urls is None:
        return crawl(client, "/")
    return [visit(client, url, linked_from="(the same walk in Chinese)")[0] for url in urls]


def _own(pages: list[Page]) -> list[Page]:
    """The project's own pages: the admin is checked apart (test_every_admin_page_speaks_one_language)."""
    return [page for page in pages if not page.url.startswith("/admin/")]


def _translated_msgids() -> set[str]:
    catalog = trans_real.translation("zh-hans")._catalog  # type: ignore[attr-defined]
    # Django's TranslationCatalog offers keys() but no iteration of its own.
    return {key for key in catalog.keys() if isinstance(key, str) and key and catalog[key] != key}  # noqa: SIM118


def _problems(found: dict[str, set[str]]) -> str:
    return "\n".join(f"{url}: {sorted(texts)}" for url, texts in sorted(found.items()))


def test_every_page_each_role_can_reach_opens_and_speaks_one_language(world: World) -> None:  # noqa: F811
    # One test for every role, on one set of data: the English pass reads each kind of page once, whoever
    # reached it first, and the fixture is built once (the walk is most of this file's time).
    walks = {role: _walk(world.client(role), "zh-hans") for role in ROLES}
    dead = [f"{role}: {page.url} → {page.status} (linked from {page.linked_from})"
            for role, pages in walks.items() for page in pages if page.status in (403, 404)]
    assert dead == [], "\n".join(dead)
    assert all(len(pages) > 3 for pages in walks.values()), {role: len(pages) for role, pages in walks.items()}

    data, codes, msgids = user_data(), choice_codes(), _translated_msgids()
    untranslated: dict[str, set[str]] = {}
    raw: dict[str, set[str]] = {}
    informal: dict[str, set[str]] = {}
    english_pages: dict[str, tuple[str, str]] = {}
    for role, pages in walks.items():
        for page in _own(pages):
            for text in page.texts:
                if text in msgids and text not in SAME_IN_BOTH and text not in data:
                    untranslated.setdefault(page.url, set()).add(text)
                if text in codes:
                    raw.setdefault(page.url, set()).add(text)
                if "你" in text and "你" not in "".join(run for run in CJK_RUN.findall(text) if run in data):
                    informal.setdefault(page.url, set()).add(text)
            if page.status == 200:
                english_pages.setdefault(route_of(page.url.partition("?")[0]), (role, page.url))
    assert untranslated == {}, "English left in the Chinese pages:\n" + _problems(untranslated)
    assert informal == {}, "你 where the copy says 您:\n" + _problems(informal)

    leftovers: dict[str, set[str]] = {}
    with translation.override("en"):
        for role, url in english_pages.values():
            page = _walk(world.client(role), "en", [url])[0]
            for text in page.texts:
                if CJK.search(text) and not is_user_data(text, data):
                    leftovers.setdefault(page.url, set()).add(text)
                if text in codes:
                    raw.setdefault(page.url, set()).add(text)
    assert leftovers == {}, "Chinese left in the English pages:\n" + _problems(leftovers)
    assert raw == {}, "stored codes shown instead of their labels:\n" + _problems(raw)


def test_no_catalogue_addresses_people_as_你() -> None:
    """Pages show only some strings of the catalogues at a time (errors, mails, notifications); the
    catalogues themselves say 您 throughout."""
    catalogues = [path for path in Path(settings.BASE_DIR).glob("**/locale/zh_Hans/LC_MESSAGES/django.po")
                  if not any(part.startswith(".venv") for part in path.parts)]  # ours, not the peer bench's
    assert catalogues
    informal = [f"{path}: {line}" for path in catalogues for line in path.read_text("utf-8").splitlines()
                if "你" in line and not line.startswith(("msgid", "#"))]
    assert informal == []


def _library_rows(matrix: World) -> None:
    """One row of each library model the world does not make, so their change forms are read too: a login
    attempt, log and failure (axes), a switch and a sample (waffle), a two-factor device, a token and a
    schedule of each kind (beat; migrations add the periodic tasks, their intervals and crontabs)."""
    user = matrix.users["admin"]
    seen = {"user_agent": "Mozilla/5.0", "ip_address": "10.0.0.1", "username": user.username,
            "http_accept": "text/html", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**seen)
    AccessFailureLog.objects.create(**seen)
    Switch.objects.create(name="switch")
    Sample.objects.create(name="sample", percent=50)
    TOTPDevice.objects.create(user=user, name="phone")
    Token.objects.create(user=user)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    SolarSchedule.objects.create(event="sunrise", latitude=31.23, longitude=121.47)


def _admin_pages(matrix: World) -> list[tuple[str, str]]:
    """(role, url) of the change list, the add form and one change form of every registered model: as the
    supervisor where they may look, else as the administrator (the supervisor's admin is a part of it).
    Libraries' pages too: a model's history (simple_history's list and one past version) and its object
    permissions (guardian) are the same templates for every model, so one model's are read."""
    pages = [("supervisor", reverse("admin:index"))]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        request = RequestFactory().get("/admin/")
        request.user = matrix.users["supervisor"]
        if not model_admin.has_view_permission(request):
            request.user = matrix.users["admin"]
        role = "supervisor" if request.user == matrix.users["supervisor"] else "admin"
        name = f"admin:{opts.app_label}_{opts.model_name}"
        pages.append((role, reverse(f"{name}_changelist")))
        if model_admin.has_add_permission(request):
            pages.append((role, reverse(f"{name}_add")))
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            pages.append((role, reverse(f"{name}_change", args=[row.pk])))
    store = matrix.store
    version = store.history.order_by("history_id").first()
    pages += [("admin", reverse("admin:profiles_store_history", args=[store.pk])),
              ("admin", reverse("admin:profiles_store_simple_history", args=[store.pk, version.history_id])),
              ("admin", reverse("admin:profiles_store_permissions", args=[store.pk])),
              ("admin", reverse("admin:profiles_store_permissions_manage_user",
                                args=[store.pk, matrix.users["supervisor"].pk]))]
    return pages


def _latin_words(text: str) -> bool:
    """Text in English words (not a number, date, address, code or a name of the same in both languages)."""
    words = [word for word in LATIN_WORD.findall(text) if word not in SAME_IN_BOTH]
    return bool(words) and not CJK.search(text) and not ADDRESS.search(text) and "*" not in text  # masked


def test_every_admin_page_speaks_one_language(world: World) -> None:  # noqa: F811
    """The admin shows the models' names, fields, choices, help and actions: in Chinese on the Chinese
    pages (nothing left in English words) and in English on the English ones (no Chinese outside data)."""
    _library_rows(world)
    pages = _admin_pages(world)
    for role, _url in pages:  # signing in logs an access (axes) that is data like the rest
        world.client(role)
    codes = choice_codes()
    failed: list[str] = []
    english: dict[str, set[str]] = {}
    chinese: dict[str, set[str]] = {}
    raw: dict[str, set[str]] = {}
    for language in ("zh-hans", "en"):
        # Read again for the English pass: the Chinese one wrote rows (the audit of each PII form opened).
        data = user_data()
        for role, url in pages:
            client = world.client(role)
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            page, targets = visit(client, url, linked_from="(every registered model)")
            if page.status == 302 and "/login/" not in targets[0]:  # a one-row model's list opens its row
                page = visit(client, targets[0], linked_from=url)[0]
            if page.status != 200:
                failed.append(f"{role} {language}: {url} → {page.status}")
            for shown in page.texts:
                text = shown.removeprefix("\u203a ")  # the breadcrumbs' last step: a row's name or a model's
                if (text in data or text in SAME_IN_BOTH or text.rstrip(":") in ADMIN_SAME_IN_BOTH
                        or text in TIME_ZONES or DOTTED_NAME.fullmatch(text)):
                    continue
                if language == "zh-hans" and _latin_words(text):
                    english.setdefault(url, set()).add(text)
                if language == "en" and CJK.search(text) and not is_user_data(text, data):
                    chinese.setdefault(url, set()).add(text)
                if text in codes:
                    raw.setdefault(f"{url} ({language})", set()).add(text)
    assert (failed, english, chinese, raw) == ([], {}, {}, {}), "\n".join([
        *failed, "English left in the Chinese admin:", _problems(english),
        "Chinese left in the English admin:", _problems(chinese),
        "stored codes shown instead of their labels:", _problems(raw)])
