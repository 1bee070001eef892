"""Who the desk may write to about an order, for side conversations (tickets), which may not import the app
that knows orders (aftersales sits above tickets).

An app that owns orders registers a provider at start-up (`AppConfig.ready`); the ticket's side-conversation
form asks `contacts_for_order(number)` and offers what comes back (the store's contact, the courier's). A
provider runs a constant number of queries and returns nothing for an order it does not know. Labels are lazy
translations, so they render in the language of whoever reads them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Contact:
    address: str
    label: StrOrPromise  # who it is, e.g. "Store: 旗舰店" or "Courier: SF Express"


Provider = Callable[[str], list[Contact]]  # (order number) → contacts
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def contacts_for_order(order_number: str) -> list[Contact]:
    """Every provider's contacts for the order, each address once (the first label wins)."""
    if not order_number:
        return []
    seen: dict[str, Contact] = {}
    for provider in _providers:
        for contact in provider(order_number):
            seen.setdefault(contact.address.lower(), contact)
    return list(seen.values())
