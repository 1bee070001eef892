"""Every page each role can reach from their home page: no dead link, and the copy in one language.

One walk per role (tests/crawl.py) in Chinese, then the same pages again in English:
- no link answers 404 or 403 for the role that was shown it (a ticket of another team is a read-only
  summary, not a dead end);
- the Chinese pages show no text left in English where the catalogue has a translation, and customer
  copy says 您, never 你;
- the English pages show no Chinese outside what people typed (names, subjects, messages, articles);
- neither shows a stored code (email, wechat, pending…) where its label belongs.
The copy is checked on the project's own pages; the admin (Django's copy) is only walked for dead links.
The data is the permission matrix's small world: one object of each kind per role, and someone else's.
"""

from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from tests.crawl import CJK, CJK_RUN, Page, choice_codes, crawl, is_user_data, route_of, user_data, visit
from tests.test_permission_matrix import World, world  # noqa: F401 (the fixture)

ROLES = ["anonymous", "customer", "agent", "supervisor", "qa", "merchant_staff", "admin"]
# Copy that reads the same in both languages: product names, units and abbreviations.
SAME_IN_BOTH = {"VIP", "API", "CSV", "XLSX", "Markdown", "OpenAPI", "Swagger UI", "WeChat ID", "SLA", "QA", "KPI",
                "ID", "URL", "IVR", "Token", "English"}


def _walk(client: Client, language: str, urls: list[str] | None = None) -> list[Page]:
    """The walk from the role's home, or the given pages again, in `language`."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if urls is None:
        return crawl(client, "/")
    return [visit(client, url, linked_from="(the same walk in Chinese)")[0] for url in urls]


def _own(pages: list[Page]) -> list[Page]:
    """The project's own pages: the admin's copy is Django's and the models' field names, not checked here."""
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
                  if ".venv" not in path.parts]
    assert catalogues
    informal = [f"{path}: {line}" for path in catalogues for line in path.read_text("utf-8").splitlines()
                if "你" in line and not line.startswith(("msgid", "#"))]
    assert informal == []
