"""The real-world mail corpus (tests/data/mail, see SOURCES there) and its golden file.

`python -m tests.tickets.corpus` rewrites golden.jsonl from the current parser, keeping each row's
`checked` mark (set by hand on rows compared with the raw mail by a person); review the diff.
"""

import json
import pathlib
from typing import Any

from tickets.channels.email.parsing import MalformedEmail, ParsedEmail, parse

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "data" / "mail"
GOLDEN = CORPUS / "golden.jsonl"
BODY_WORDS = 12
SUBJECT_CHARS = 80


def corpus_files() -> list[pathlib.Path]:
    return sorted(path for path in CORPUS.glob("*/*") if path.name != "LICENSE")


def outcome(parsed: ParsedEmail) -> str:
    """What intake makes of the mail (before duplicates, loops on our own address and the sender rate)."""
    if parsed.bounce is not None:
        return "bounce"
    return "automatic" if parsed.automatic else "ticket"


def golden_row(path: pathlib.Path) -> dict[str, Any]:
    row: dict[str, Any] = {"file": str(path.relative_to(CORPUS))}
    try:
        parsed = parse(path.read_bytes())
    except MalformedEmail as exc:
        return {**row, "outcome": "refused", "reason": f"{type(exc).__name__}: {exc.reason}"}
    return {**row, "outcome": outcome(parsed), "sender": parsed.sender, "subject": parsed.subject[:SUBJECT_CHARS],
            "body": " ".join(parsed.reply_text.split()[:BODY_WORDS]),
            "attachments": [attachment.filename for attachment in parsed.attachments]}


def read_golden() -> dict[str, dict[str, Any]]:
    rows = (json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["file"]: row for row in rows}


def write_golden() -> None:
    checked = {name for name, row in read_golden().items() if row.get("checked")} if GOLDEN.exists() else set()
    lines = []
    for path in corpus_files():
        row = golden_row(path)
        row["checked"] = row["file"] in checked
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True))
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_golden()
