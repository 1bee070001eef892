"""Search hits shown safely: user text escaped first, then the query's words wrapped in <mark>."""

import re
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def mark_terms(text: str, terms: Sequence[str]) -> SafeString:
    """`text` escaped, with every occurrence of a term (case-insensitive) wrapped in <mark>."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308  (every piece was escaped above)


def highlight_terms(terms: Sequence[str]) -> list[str]:
    # Single characters would light up half a Chinese sentence; highlight words only.
    return [term for term in terms if len(term) > 1] or list(terms)


def snippet(text: str, terms: Sequence[str], *, before: int = 30, after: int = 90) -> SafeString:
    """A short window of `text` around the first of `terms`, escaped, the terms in <mark>."""
    lowered = text.lower()
    positions = [lowered.find(term.lower()) for term in terms]
    first = min((position for position in positions if position >= 0), default=0)
    start = max(0, first - before)
    end = min(len(text), first + after)
    window = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return mark_terms(window, terms)
