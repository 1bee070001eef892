"""The input rule, in one place, for HTTP requests (core.input_guard), the API's parsers
(core.parsing) and the WebSocket consumers.

- names (path, parameter names, JSON keys) and header values: no C0 control character at all
  (a tab is allowed in headers, as HTTP allows it);
- text values (query and form values, JSON strings): no C0 control character except tab, LF and CR,
  which a text area legitimately sends;
- JSON nests at most settings.JSON_MAX_DEPTH deep, judged on the raw text before anything parses it.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

CONTROL_IN_NAME = re.compile(r"[\x00-\x1f]")
CONTROL_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A control character can only reach a JSON string through a \u escape (raw ones are invalid JSON).
JSON_CONTROL_ESCAPE = re.compile(rb"\\u00[01][0-9a-fA-F]")
# A JSON string (skipped, so brackets inside text do not count) or a bracket.
_JSON_BYTES_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_JSON_TEXT_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the field it names, the message, the HTTP status and the error code."""

    field: str
    message: str
    status: int = 400
    code: str = "invalid"


def has_control_character(value: str) -> bool:
    """True when a text value holds a control character other than tab, LF or CR."""
    return _CONTROL_IN_TEXT.search(value) is not None


def json_too_deep(document: str | bytes, limit: int) -> bool:
    """True when the JSON nests arrays/objects more than `limit` deep, judged without parsing it."""
    opening = document.count("[") + document.count("{") if isinstance(document, str) else (
        document.count(b"[") + document.count(b"{"))
    if opening <= limit:
        return False  # the common case: too few brackets to be too deep, no scan needed
    tokens: Iterable[re.Match[Any]] = (_JSON_TEXT_TOKEN.finditer(document) if isinstance(document, str)
                                       else _JSON_BYTES_TOKEN.finditer(document))
    depth = 0
    for token in tokens:
        first = token.group()[:1]
        if first in ("[", "{", b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif first in ("]", "}", b"]", b"}"):
            depth -= 1
    return False


def control_character_path(value: Any, path: str = "") -> str | None:
    """The dotted path (`items.0.name`) of the first key or string holding a control character in
    parsed JSON, or None. Keys may hold none; strings may hold tab, LF and CR."""
    if isinstance(value, str):
        return (path or "non_field_errors") if has_control_character(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if CONTROL_IN_NAME.search(str(key)):
                return here
            found = control_character_path(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = control_character_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def control_message() -> str:
    return gettext("Control characters (such as NUL) are not allowed here.")


def pairs_refusal(pairs: Iterable[tuple[str, list[str]]]) -> Refusal | None:
    for name, values in pairs:
        if CONTROL_IN_NAME.search(name) or any(has_control_character(value) for value in values):
            return Refusal(field=name, message=control_message())
    return None
