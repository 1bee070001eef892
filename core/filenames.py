"""The name an uploaded file is stored and shown under, for every upload service.

Bidi controls are removed: `invoice\u202efdp.exe` (a right-to-left override) displays as
`invoiceexe.pdf`, which is how such files trick people. They have no place in a file name, so they are
stripped on the way in; pages still isolate every user-supplied name (`<bdi>`), for the ones already
stored and for text where the characters may stay.
"""

import re

# LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM; the Arabic letter mark.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def stored_file_name(raw: str | None, *, fallback: str, max_length: int) -> str:
    """The base name of an uploaded file (no folders), without bidi or control characters, at most
    `max_length` characters (the end kept: it holds the extension); `fallback` when nothing is left."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROLS.sub("", BIDI_CONTROLS.sub("", name)).strip()
    return name[-max_length:] or fallback
