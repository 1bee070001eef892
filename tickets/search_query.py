"""What both ticket search backends (tickets.search for PostgreSQL, tickets.elastic) and the index writer
(tickets.services.search_index) share: the parsed query and the text a ticket's head is found by. Its own
module so the dispatcher, the index writer and the Elasticsearch backend import it without importing each other."""

from collections.abc import Sequence
from dataclasses import dataclass

from core.highlight import highlight_terms
from core.segmentation import index_text

# A word with a digit and at least this many characters matches as a prefix (ticket, order, phone numbers).
PREFIX_MIN_CHARS = 4
PHONE_MIN_DIGITS = 7


@dataclass(frozen=True)
class TicketQuery:
    text: str
    terms: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms and self.contact_kind is None

    @property
    def contact_kind(self) -> str | None:
        """"email" or "phone" when the whole query is one address or number (for the blind index)."""
        text = self.text.strip()
        if "@" in text and " " not in text and "." in text.rpartition("@")[2]:
            return "email"
        digits = sum(ch.isdigit() for ch in text)
        if digits >= PHONE_MIN_DIGITS and all(ch.isdigit() or ch in "+-() " for ch in text):
            return "phone"
        return None

    def tsquery(self) -> str:
        # Terms are \w-only (see segment), so quoting them can never break the tsquery syntax.
        return " & ".join(f"'{term}'" + (":*" if is_prefix_term(term) else "") for term in self.terms)

    @property
    def marks(self) -> list[str]:
        return highlight_terms(self.terms)


def is_prefix_term(term: str) -> bool:
    return len(term) >= PREFIX_MIN_CHARS and any(ch.isdigit() for ch in term)



def head_text(*, number: str, subject: str, customer_name: str, order_number: str, tags: Sequence[str]) -> str:
    return index_text(number, subject, customer_name, order_number, " ".join(tags))
