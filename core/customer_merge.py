"""Moving a duplicate customer's rows onto the customer they are merged into.

profiles merges customers but may not import the apps holding their rows (tickets, chats, orders,
after-sales requests). Each of those apps registers a handler at start-up (`AppConfig.ready`) naming
the customer foreign keys it moves, e.g. "tickets.Ticket.customer"; the merge runs every handler inside
its transaction. tests/profiles/test_customer_merge.py fails when a model with a `customer` foreign key
is named by no handler, so a new app cannot forget its rows.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class MergeHandler:
    fields: tuple[str, ...]  # "app_label.Model.field" of each customer foreign key the handler moves
    move: Callable[[int, int], dict[str, int]]  # (source user id, target user id) → rows moved per field


_handlers: list[MergeHandler] = []


def register(handler: MergeHandler) -> None:
    if handler not in _handlers:
        _handlers.append(handler)


def handlers() -> tuple[MergeHandler, ...]:
    return tuple(_handlers)


def covered_fields() -> set[str]:
    return {name for handler in _handlers for name in handler.fields}
