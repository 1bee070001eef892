"""Article Markdown → HTML that is safe to show: rendered by `markdown`, then cleaned by nh3."""

import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

# What articles may use: text structure, tables, links and images. No script, style, iframe or form.
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
MAX_SOURCE_CHARS = 50_000
# Only the knowledge base's own images (knowledge.urls, name "image"): the Content-Security-Policy
# refuses remote images anyway, and a remote URL would tell another site who reads which article.
OWN_IMAGE_SRC = re.compile(r"/help/images/[0-9]+/[a-z0-9-]+\.(?:jpg|png)")


def _keep_own_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if OWN_IMAGE_SRC.fullmatch(value) else None
    return value


def render_markdown(source: str) -> SafeString:
    html = markdown.markdown(source[:MAX_SOURCE_CHARS], extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_own_images,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308  (sanitized by nh3 just above)
