"""Article Markdown → HTML that is safe to show: rendered by `markdown`, then cleaned by nh3.

Rendering is bounded, because Python-Markdown is superlinear on some inputs (2,000 "[" take a second,
deep lists raise RecursionError): a source over the size, nesting or mark-run limits is refused before
rendering, and what passes is rendered in a child process that is killed after RENDER_TIMEOUT_SECONDS.
Articles are rendered once when saved (knowledge.services); a page view reads the stored HTML.
"""

import multiprocessing
import re
from multiprocessing.connection import Connection

import markdown
import nh3
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
# Quote markers plus 4-space indents at a line's start: real articles stay far below this.
MAX_NESTING = 16
# Runs of inline marks in any mix (`[[[`, `*_*_`, a backtick fence): a horizontal rule or fence needs a few.
MAX_MARK_RUN = 32
# An ordinary 50,000-character article renders in 0.1-0.2 s: this leaves room on a busy machine.
RENDER_TIMEOUT_SECONDS = 1.0
# Below this size even the worst input we know renders in a few tens of milliseconds (the slow cases grow
# about quadratically), less than starting a child costs: such sources are rendered in this process.
SMALL_SOURCE_CHARS = 500
# Only the knowledge base's own images (knowledge.urls, name "image"): the Content-Security-Policy
# refuses remote images anyway, and a remote URL would tell another site who reads which article.
OWN_IMAGE_SRC = re.compile(r"/help/images/[0-9]+/[a-z0-9-]+\.(?:jpg|png)")
_LINE_PREFIX = re.compile(r"^[ \t>]*", re.MULTILINE)
_MARK_RUN = re.compile(rf"[\[\]*_`<]{{{MAX_MARK_RUN + 1},}}")
# A forkserver child starts from a clean single-threaded process (no locks of the web server's threads),
# and forking it is cheap once the server has imported this module.
_CHILDREN = multiprocessing.get_context("forkserver")
_CHILDREN.set_forkserver_preload([__name__])


class MarkdownRefused(ValueError):
    """The source is over a limit; the message names it and is fit to show the editor."""


def _nesting(source: str) -> int:
    deepest = 0
    for prefix in _LINE_PREFIX.findall(source):
        depth = prefix.count(">") + len(prefix.replace(">", "").expandtabs(4)) // 4
        deepest = max(deepest, depth)
    return deepest


def _too_deep() -> str:
    return _("Lists and quotes may be nested at most %(limit)d levels deep.") % {"limit": MAX_NESTING}


def check_source(source: str) -> None:
    """Refuse what cannot be rendered within bounds, naming the limit. Cheap: linear in the source."""
    if len(source) > MAX_SOURCE_CHARS:
        raise MarkdownRefused(_("An article body may have at most %(limit)d characters (this one has %(count)d).")
                              % {"limit": MAX_SOURCE_CHARS, "count": len(source)})
    if _nesting(source) > MAX_NESTING:
        raise MarkdownRefused(_too_deep())
    if _MARK_RUN.search(source):
        raise MarkdownRefused(_("At most %(limit)d marks ([ ] * _ ` <) may stand in a row.")
                              % {"limit": MAX_MARK_RUN})


def _keep_own_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if OWN_IMAGE_SRC.fullmatch(value) else None
    return value


def _render_unbounded(source: str) -> str:
    html = markdown.markdown(source, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_own_images,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _render_in_child(source: str, answer: Connection) -> None:
    try:
        answer.send(("ok", _render_unbounded(source)))
    except RecursionError:
        answer.send(("too_deep", ""))
    finally:
        answer.close()


def render_markdown(source: str) -> SafeString:
    """Sanitised HTML of `source`, or MarkdownRefused naming the limit it is over (size, nesting, time)."""
    check_source(source)
    if len(source) <= SMALL_SOURCE_CHARS:
        try:
            return mark_safe(_render_unbounded(source))  # noqa: S308  (sanitized by nh3 in _render_unbounded)
        except RecursionError:
            raise MarkdownRefused(_too_deep()) from None
    receiving, sending = _CHILDREN.Pipe(duplex=False)
    child = _CHILDREN.Process(target=_render_in_child, args=(source, sending), daemon=True)
    child.start()
    sending.close()
    try:
        outcome, html = receiving.recv() if receiving.poll(RENDER_TIMEOUT_SECONDS) else ("timeout", "")
    except EOFError:  # the child died without answering
        outcome, html = "too_deep", ""
    finally:
        receiving.close()
        child.kill()
        child.join()
    if outcome == "timeout":
        raise MarkdownRefused(_("This text is too complex to show: rendering it took over %(seconds)s seconds. "
                                "Simplify its nesting, brackets or marks.") % {"seconds": RENDER_TIMEOUT_SECONDS})
    if outcome == "too_deep":
        raise MarkdownRefused(_too_deep())
    return mark_safe(html)  # noqa: S308  (sanitized by nh3 in _render_unbounded)


def validate_article_markdown(source: str) -> None:
    """The article body fields' validator: a form shows the refusal on the field it concerns."""
    try:
        render_markdown(source)
    except MarkdownRefused as refused:
        raise ValidationError(str(refused), code="markdown_refused") from None
