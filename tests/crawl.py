"""Walk a site as one person would: from their home page, follow every same-site link with the test client.

`crawl` answers every page it reached with its status and, for HTML, its visible text, so the walk tests
(tests/pages/test_walk_every_page.py) check dead links, untranslated text, leftovers of the other language
and raw codes on the same set of pages. The standard library's HTML parser is enough here: the pages are
our own templates, and only links and text nodes are read.
"""

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import Resolver404, resolve

# Not followed: the static files (served by the web server, not Django), file downloads and generated
# documents that cost seconds to build (the OpenAPI schema and its viewer), and scrape-only endpoints.
SKIPPED_PREFIXES = ("/static/", "/media/", "/api/schema/", "/api/docs/", "/metrics", "/accounts/logout/")
SKIPPED_PARTS = ("/download/",)
# Filter and paging links multiply a page, and lists link one page per object: a couple of each is enough
# to prove a kind of link resolves, and keeps a role's walk to a few dozen requests.
QUERY_VARIANTS_PER_PATH = 2
URLS_PER_ROUTE = 2
# The admin has a change list and a form for every model; its own links are Django's, so a sample will do.
ADMIN_PAGES = 6
# Text inside these is not text a person reads on the page.
INVISIBLE_TAGS = {"script", "style", "template", "noscript"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes a person reads (or hears from a screen reader) as copy.
TEXT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
CJK_RUN = re.compile(f"{CJK.pattern}+")


@dataclass
class Page:
    url: str
    status: int
    linked_from: str
    texts: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    """The links of a page and its visible text nodes; a subtree in another language (`lang` differing from
    the page's, as the language switcher's own names) or marked `translate="no"` is not copy."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.texts: list[str] = []
        self.page_lang = ""
        self._stack: list[bool] = []  # per open element: is its content not copy?

    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page_lang = values.get("lang", "")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        foreign = "lang" in values and tag != "html" and values["lang"] != self.page_lang
        hidden = self._hidden() or tag in INVISIBLE_TAGS or foreign or values.get("translate") == "no"
        if not hidden:
            self.texts.extend(values[name].strip() for name in TEXT_ATTRIBUTES if values.get(name, "").strip())
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.texts.append(values["value"].strip())
        if tag not in VOID_TAGS:
            self._stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID_TAGS and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden():
            self.texts.append(text)


def _same_site(base: str, href: str) -> str | None:
    if href.startswith(("mailto:", "tel:", "javascript:", "data:", "#")):
        return None
    url = urldefrag(urljoin(base, href)).url
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    path = parts.path
    if path.startswith(SKIPPED_PREFIXES) or any(part in path for part in SKIPPED_PARTS):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def route_of(path: str) -> str:
    """The URL pattern `path` matches ("desk/tickets/<int:ticket_id>/"), or the path itself."""
    try:
        return str(resolve(path).route)
    except Resolver404:
        return path


def visit(client: Client, url: str, *, linked_from: str) -> tuple[Page, list[str]]:
    """One GET: the page (its visible text if HTML) and where it leads (its links, or where it redirects)."""
    response = client.get(url)
    page = Page(url=url, status=response.status_code, linked_from=linked_from)
    if response.status_code in (301, 302, 303, 307, 308):
        return page, [response["Location"]]
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        parser = _PageParser()
        parser.feed(response.content.decode())
        page.texts = parser.texts
        return page, parser.links
    return page, []


def crawl(client: Client, start: str = "/", *, limit: int = 150) -> list[Page]:
    """Breadth first from `start`, GET only, following redirects as links; at most `limit` pages."""
    queue: deque[tuple[str, str]] = deque([(start, "(start)")])
    seen = {start}
    variants: dict[str, int] = {}
    per_route: dict[str, int] = {}
    admin_pages = 0
    pages: list[Page] = []
    while queue and len(pages) < limit:
        url, referrer = queue.popleft()
        page, targets = visit(client, url, linked_from=referrer)
        pages.append(page)
        for href in targets:
            target = _same_site(url, href)
            if target is None or target in seen:
                continue
            seen.add(target)
            path, _, query = target.partition("?")
            route = route_of(path)
            if per_route.get(route, 0) >= URLS_PER_ROUTE:
                continue
            per_route[route] = per_route.get(route, 0) + 1
            if query:
                if variants.get(path, 0) >= QUERY_VARIANTS_PER_PATH:
                    continue
                variants[path] = variants.get(path, 0) + 1
            if path.startswith("/admin/"):
                if admin_pages >= ADMIN_PAGES:
                    continue
                admin_pages += 1
            queue.append((target, url))
    return pages


def _field_strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _field_strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _field_strings(item)


def user_data() -> str:
    """Every free-text value stored in the project's tables (names, subjects, bodies, tags) and every row's
    own name, joined: what people typed is shown as typed, in whatever language they typed it."""
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label in ("contenttypes", "sessions", "admin"):
            continue
        free_text = [f.attname for f in model._meta.concrete_fields
                     if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.choices]
        # A permission's own name is stored (in English, as Django writes it); the rest of what it shows is
        # its app's and model's names, copy in the reader's language.
        named = model._meta.label != "auth.Permission"
        for row in model._default_manager.all()[:2000]:
            if named:
                values.add(str(row))
            for name in free_text:
                values.update(_field_strings(getattr(row, name)))
    return "\x00".join(sorted(" ".join(value.split()) for value in values if value.strip()))


def is_user_data(text: str, data: str) -> bool:
    """Every run of Chinese in `text` is quoted from a stored value (a page shows names, subjects and
    messages amid its own copy, and masks or shortens some of them)."""
    return all(run in data for run in CJK_RUN.findall(text))


def choice_codes() -> set[str]:
    """The stored codes of every choice field whose label says something else (email → 邮件 / E-mail)."""
    codes: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            for value, label in model_field.flatchoices or ():
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value) and str(label) != value:
                    codes.add(value)
    return codes
