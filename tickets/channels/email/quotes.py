# ruff: noqa: RUF001, RUF002, RUF003  (Chinese mail clients write their quote markers with full-width colons)
"""Cut the quoted history off a reply, so the ticket shows only what the customer just wrote.

Written here rather than taken from a library: the maintained ones (talon, email-reply-parser) are
either unmaintained for current Python or know no Chinese mail clients' markers ("在 … 写道："),
and the markers fit in a few patterns. The full original stays stored on the e-mail record.
"""

import re

# A line that starts the quoted part. Gmail and Apple Mail write "On <date>, <name> wrote:" (wrapped
# over two lines when long); QQ Mail, NetEase and Foxmail write "在 <date>，<name> 写道：" or a
# "原始邮件" rule; Outlook writes "-----Original Message-----" or a "From:" block under a rule.
_QUOTE_HEADERS = (
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*在.{0,300}写道[:：]\s*$"),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}\s*$"),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*(From|发件人)\s*[:：].+$", re.IGNORECASE),
)
_WRAPPED_ON = re.compile(r"^\s*On\b.{0,300}$", re.IGNORECASE)
_WRAPPED_WROTE = re.compile(r"^.{0,200}\bwrote:\s*$", re.IGNORECASE)


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index]
    if any(pattern.match(line) for pattern in _QUOTE_HEADERS[:5]):
        return True
    # "From:" alone is too common in a message body; it marks a quote only as a header block (Outlook).
    if _QUOTE_HEADERS[5].match(line):
        following = " ".join(lines[index + 1:index + 4])
        return bool(re.search(r"(Sent|Date|To|Subject|发送时间|收件人|主题)\s*[:：]", following, re.IGNORECASE))
    next_line = lines[index + 1] if index + 1 < len(lines) else ""
    return bool(_WRAPPED_ON.match(line) and _WRAPPED_WROTE.match(next_line) and not line.rstrip().endswith("."))


def strip_quotes(text: str) -> str:
    """The reply above the first quote marker, without "> " lines; the whole text if nothing is left."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _starts_quote(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    reply = "\n".join(kept).strip()
    return reply or text.strip()
