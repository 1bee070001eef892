"""Visible text of an HTML mail body, with line breaks where blocks end.

Parsed by nh3 (html5ever, in Rust): linear in the input, where the standard library's HTMLParser took
seconds on a megabyte of broken markup. Everything but block tags is stripped (script, style and the
head with their content); the block tags left become line breaks.
"""

import html
import re

import nh3

_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"})
_HIDDEN = frozenset({"script", "style", "head", "title"})
_TAG = re.compile(r"<[^>]*>")


def html_to_text(markup: str) -> str:
    blocks_only = nh3.clean(markup, tags=set(_BLOCKS), clean_content_tags=set(_HIDDEN), attributes={},
                            strip_comments=True, link_rel=None)
    text = html.unescape(_TAG.sub("\n", blocks_only))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
