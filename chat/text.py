"""What a chat line may hold, decided per character (chat/PROTOCOL.md, "Control characters").

The socket's frame check (core.input_rules) already refuses C0 control characters other than tab,
LF and CR with an `invalid_frame` error: NUL, BEL, ESC and the like are never typed on purpose, and a
line that holds one is refused whole rather than stored changed. What is left here are characters a
reader cannot see and that only arrive by pasting: they are dropped or normalised, never refused.
"""

import re

# DEL and the C1 controls (U+0080-U+009F) come from text decoded with the wrong charset; the byte
# order mark (U+FEFF) from files pasted whole. None of them shows on screen.
_INVISIBLE = re.compile("[\x7f-\x9f\ufeff]")
_LINE_BREAK = re.compile("\r\n?")


def clean_message_text(body: str) -> str:
    """The line as stored: CRLF and lone CR become LF, invisible controls are dropped, and the ends
    are trimmed. Zero-width joiners stay: emoji sequences and several scripts need them."""
    return _INVISIBLE.sub("", _LINE_BREAK.sub("\n", body)).strip()
