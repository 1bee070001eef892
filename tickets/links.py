"""Links from a ticket to what it was opened for (an after-sales request, a chat), for the desk page.

tickets may not import the apps above it, so each of them registers a provider at start-up
(`AppConfig.ready`); the ticket page shows whatever the providers return. A provider runs a
constant number of queries, whatever the ticket.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django_stubs_ext import StrOrPromise

from tickets.models import Ticket


@dataclass(frozen=True)
class TicketLink:
    kind: StrOrPromise  # what the target is, e.g. "After-sales request"
    label: str  # its number or name
    url: str
    status: StrOrPromise = ""


Provider = Callable[[Ticket, Any], list[TicketLink]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def links_for(ticket: Ticket, user: Any) -> list[TicketLink]:
    """Every link the providers offer `user` (a desk user) for `ticket`."""
    return [link for provider in _providers for link in provider(ticket, user)]
