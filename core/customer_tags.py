"""The facts rule-based customer tags are built on, provided by the apps that own them.

A TagRule row (profiles, edited in admin) names a `kind` and a threshold or value; the app owning the
fact registers the kind here at start-up with a function answering "which of these customers match?".
profiles may not import aftersales, so "refund requests in the last 90 days ≥ N" reaches it this way.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class TagKind:
    code: str
    label: StrOrPromise
    # (threshold, value) → the user ids of the customers matching; one or a few queries, never per customer.
    matching: Callable[[int, str], set[int]]
    uses_value: bool = False  # the rule compares to `value` (a segment) rather than counting to `threshold`


_kinds: dict[str, TagKind] = {}


def register(kind: TagKind) -> None:
    _kinds[kind.code] = kind


def kinds() -> dict[str, TagKind]:
    return dict(_kinds)
