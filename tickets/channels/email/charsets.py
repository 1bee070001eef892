"""Bytes of a mail → text: the declared charset read through its superset, then detection.

Mail clients label text with the narrow standard charset and write the wider one their platform
uses: "gb2312" that carries GBK/GB18030 characters (names like 张喆), "big5" with HKSCS characters,
"iso-8859-1" or "us-ascii" with Windows-1252 quotes. Others write labels Python does not know
(x-gbk, unicodebig) or none at all. Each label is read through the codec that covers it; when that
fails, UTF-8, then charset-normalizer's detection; U+FFFD only when nothing decodes cleanly.
"""

import binascii
import codecs
import re

from charset_normalizer import from_bytes

# Label (lower case) → the codec that reads everything written under it.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030",
    "gb_2312-80": "gb18030", "x-euc-cn": "gb18030", "x-gb2312": "gb18030", "chinese": "gb18030",
    "csgb2312": "gb18030", "ms936": "gb18030", "windows-936": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cn-big5": "big5hkscs", "cp950": "cp950",
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252",
    "ascii": "cp1252", "us-ascii": "cp1252", "ansi_x3.4-1968": "cp1252", "cp819": "cp1252",
    "iso-8859-9": "cp1254", "iso-8859-11": "cp874", "tis-620": "cp874",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "x-windows-949": "cp949",
    "shift_jis": "cp932", "shift-jis": "cp932", "x-sjis": "cp932", "sjis": "cp932", "ms_kanji": "cp932",
    "unicodebig": "utf-16-be", "unicode-1-1-utf-16be": "utf-16-be", "unicodelittle": "utf-16-le",
    "unicode": "utf-16", "utf8": "utf-8", "x-utf8": "utf-8", "x-unicode-2-0-utf-8": "utf-8",
}
# A Latin label says little about the bytes (clients default to it): valid UTF-8 under it is UTF-8.
_WEAK_LABELS = frozenset({"cp1252"})
_WIDE_CODECS = ("utf_16", "utf_32")
# Charsets written in ASCII bytes that mean other characters.
_SEVEN_BIT_CODECS = ("iso2022", "utf_7", "hz", *_WIDE_CODECS)
# Printable ASCII but "?" in charset and text: anything else is not an encoded word (RFC 2047 §2).
_ENCODED_WORD = re.compile(r"=\?([\x21-\x3e\x40-\x7e]+)\?([qQbB])\?([\x21-\x3e\x40-\x7e]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
# Detection looks at a sample: enough to tell the charset, bounded in time on a huge part.
_DETECTION_SAMPLE_BYTES = 64 * 1024
_FEW_BROKEN_BYTES_PER = 1000
_NEAR_TIE_CHAOS = 0.02
_PREFERRED = ("gb18030", "big5hkscs", "big5", "cp1252", "cp1251", "cp932", "cp949")
# How the parser keeps an undeclared 8-bit byte of a header (surrogateescape).
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def codec_for(label: str | None) -> str | None:
    """Python's codec for a MIME charset label (through its superset), or None when it names none."""
    name = (label or "").strip().strip("\"'").lower().split("*", 1)[0]
    name = _SUPERSETS.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """Text of `data` written under charset `label` (which may be wrong, unknown or missing)."""
    codec = codec_for(label)
    if data.isascii() and b"\x00" not in data and not (codec or "").startswith(_SEVEN_BIT_CODECS):
        return data.decode("ascii")
    if codec is not None and codec.startswith(_WIDE_CODECS):
        attempts = [codec, "utf-8"]
    elif codec is None:
        attempts = ["utf-8"]
    elif codec in _WEAK_LABELS:
        attempts = ["utf-8", codec]
    else:
        attempts = [codec, "utf-8"]
    for attempt in attempts:
        try:
            return data.decode(attempt)
        except UnicodeDecodeError:
            continue
    # A few broken bytes in otherwise good text under its label (a cut multi-byte character) are read
    # as that label: detection would pick a charset that decodes every byte, and every word wrongly.
    declared = data.decode(attempts[0], "replace")
    if declared.count("\ufffd") <= len(data) // _FEW_BROKEN_BYTES_PER:
        return declared
    detected = _detect(data)
    if detected is not None:
        try:
            return data.decode(detected)
        except UnicodeDecodeError:
            pass  # The sample decoded; a later byte does not: the replacement below is the best left.
    return declared


def _detect(data: bytes) -> str | None:
    """charset-normalizer's choice; among near ties, the charsets our customers write first.

    Short CJK text decodes equally cleanly as Chinese, Korean and Japanese, and Latin text as several
    Latin code pages: the detector cannot tell them apart, the mail's audience can.
    """
    matches = list(from_bytes(data[:_DETECTION_SAMPLE_BYTES]))
    if not matches:
        return None
    best_chaos = min(match.chaos for match in matches)
    near = [match.encoding for match in matches if match.chaos <= best_chaos + _NEAR_TIE_CHAOS]
    return min(near, key=lambda name: _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED))


def has_8bit(value: str) -> bool:
    """Whether a header as the parser gives it holds undeclared 8-bit bytes."""
    return not value.isascii() and _ESCAPED_BYTE.search(value) is not None


def decode_8bit(value: str, hint: str | None = None) -> str:
    """A header as the parser gives it (undeclared 8-bit bytes kept as surrogates) → text.

    Such bytes are UTF-8 (RFC 6532) or, from older clients, in the charset of the mail's body: `hint`.
    """
    if not has_8bit(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, hint)


def decode_header_text(value: str, hint: str | None = None) -> str:
    """A raw header value → text: undeclared 8-bit bytes and RFC 2047 encoded words decoded.

    Adjacent encoded words in one charset are joined before decoding: clients split a multi-byte
    character across two words.
    """
    value = decode_8bit(value, hint)
    if "=?" not in value:
        return value
    pieces: list[str] = []
    pending = b""
    pending_charset = ""
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position:match.start()]
        between_words = position and _BETWEEN_WORDS.fullmatch(gap)
        if not between_words:
            if pending:
                pieces.append(decode_bytes(pending, pending_charset))
                pending = b""
            pieces.append(gap)
        charset, encoding, text = match.groups()
        if pending and charset.lower() != pending_charset:
            pieces.append(decode_bytes(pending, pending_charset))
            pending = b""
        pending += _word_bytes(encoding, text)
        pending_charset = charset.lower()
        position = match.end()
    if pending:
        pieces.append(decode_bytes(pending, pending_charset))
    pieces.append(value[position:])
    return "".join(pieces)


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "bB":
        try:
            return binascii.a2b_base64(text + "=" * (-len(text) % 4))
        except binascii.Error:
            return text.encode("ascii", "replace")
    return binascii.a2b_qp(text.encode("ascii", "replace"), header=True)
