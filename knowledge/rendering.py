"""Article Markdown → HTML that is safe to show: rendered by cmark-gfm (cmarkgfm), then cleaned by nh3.

cmark is the CommonMark reference implementation in C, built and fuzzed to run in linear time on every input
(the pathological cases that make Python-Markdown take minutes run in milliseconds), so with the size limit
the render time is bounded without a watchdog: tests/bench/test_article_render_bench.py measures the worst
case. Sources over the size, nesting or mark-run limits are still refused before rendering, naming the limit,
so no page gets thousands of nested elements. Raw HTML in the source is dropped by cmark (its safe mode):
only cmark's own well-formed output reaches nh3, whose parser is slow on thousands of unclosed raw tags.
Articles are rendered once when saved (knowledge.services); a page view reads the stored HTML.
"""

import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# What articles may use: text structure, tables, links and images. No script, style, iframe or form.
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
MAX_SOURCE_CHARS = 50_000
# The sanitizer's time grows with the HTML it reads: markup that expands several times over (a table of
# thousands of rows, thousands of escaped entities) is refused. An ordinary full-length article makes ~80,000.
MAX_HTML_CHARS = 3 * MAX_SOURCE_CHARS
# Quote markers plus 4-space indents at a line's start: real articles stay far below this.
MAX_NESTING = 16
# Runs of inline marks in any mix (`[[[`, `*_*_`, a backtick fence): a horizontal rule or fence needs a few.
MAX_MARK_RUN = 32
# Only the knowledge base's own images (knowledge.urls, name "image"): the Content-Security-Policy
# refuses remote images anyway, and a remote URL would tell another site who reads which article.
OWN_IMAGE_SRC = re.compile(r"/help/images/[0-9]+/[a-z0-9-]+\.(?:jpg|png)")
_LINE_PREFIX = re.compile(r"^[ \t>]*", re.MULTILINE)
_MARK_RUN = re.compile(rf"[\[\]*_`<]{{{MAX_MARK_RUN + 1},}}")
# Invalid UTF-8 (a lone surrogate pasted in) becomes U+FFFD instead of failing the render.
_CMARK_OPTIONS = Options.CMARK_OPT_VALIDATE_UTF8


class MarkdownRefused(ValueError):
    """The source is over a limit; the message names it and is fit to show the editor."""


def _nesting(source: str) -> int:
    deepest = 0
    for prefix in _LINE_PREFIX.findall(source):
        depth = prefix.count(">") + len(prefix.replace(">", "").expandtabs(4)) // 4
        deepest = max(deepest, depth)
    return deepest


def check_source(source: str) -> None:
    """Refuse what is over a limit, naming it. Cheap: linear in the source."""
    if len(source) > MAX_SOURCE_CHARS:
        raise MarkdownRefused(_("An article body may have at most %(limit)d characters (this one has %(count)d).")
                              % {"limit": MAX_SOURCE_CHARS, "count": len(source)})
    if _nesting(source) > MAX_NESTING:
        raise MarkdownRefused(_("Lists and quotes may be nested at most %(limit)d levels deep.")
                              % {"limit": MAX_NESTING})
    if _MARK_RUN.search(source):
        raise MarkdownRefused(_("At most %(limit)d marks ([ ] * _ ` <) may stand in a row.")
                              % {"limit": MAX_MARK_RUN})


def _keep_own_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if OWN_IMAGE_SRC.fullmatch(value) else None
    return value


def _render_checked(source: str) -> str:
    # Python strings may hold lone surrogates that cannot be encoded to UTF-8 for the C library.
    encodable = source.encode("utf-8", "replace").decode("utf-8")
    html = cmarkgfm.markdown_to_html_with_extensions(encodable, options=_CMARK_OPTIONS, extensions=["table"])
    # cmark ends each block with a newline; the stored HTML has none after the last one.
    html = html.removesuffix("\n")
    if len(html) > MAX_HTML_CHARS:
        raise MarkdownRefused(_("This text makes a page of %(count)d characters of HTML; at most %(limit)d are "
                                "allowed. Shorten its tables or split the article.")
                              % {"count": len(html), "limit": MAX_HTML_CHARS})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_own_images,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(source: str) -> SafeString:
    """Sanitised HTML of `source`, or MarkdownRefused naming the limit it is over (size, nesting, mark runs,
    size of the HTML)."""
    check_source(source)
    return mark_safe(_render_checked(source))  # noqa: S308  (sanitized by nh3 in _render_checked)


def validate_article_markdown(source: str) -> None:
    """The article body fields' validator: a form shows the refusal on the field it concerns. It checks the limits
    on the source only; the saving service renders, once, and names the HTML size limit on the field if need be."""
    try:
        check_source(source)
    except MarkdownRefused as refused:
        raise ValidationError(str(refused), code="markdown_refused") from None
