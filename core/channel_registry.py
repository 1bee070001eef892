"""The one registry of inbound channels: e-mail, WeChat, social and SMS webhooks, calls, logistics.

Each channel registers one `ChannelAdapter` in its AppConfig.ready (core imports no app): its code (the value
stored on quarantined rows), its name for people, the intake that stores one raw message again (what a
quarantine retry runs; idempotent by the channel's own id), and optionally the channel's sources — each
mailbox, account or endpoint with its own intake health — for the quarantine page's status table.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Intake = Callable[[bytes, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class SourceStatus:
    """One source of a channel (an IMAP mailbox, …): what it holds in quarantine and its last poll failure."""

    name: str
    held: int
    last_error: str
    last_error_at: Any
    last_polled_at: Any = None


@dataclass(frozen=True)
class ChannelAdapter:
    code: str
    label: Any  # a lazy translation: str() in the reader's language
    retry: Intake
    sources: Callable[[], Sequence[SourceStatus]] | None = None


_adapters: dict[str, ChannelAdapter] = {}


def register(adapter: ChannelAdapter) -> None:
    _adapters[adapter.code] = adapter


def unregister(code: str) -> None:
    """Forget a channel (one registered for a while, as tests do); its stored rows keep their code."""
    _adapters.pop(code, None)


def adapter(code: str) -> ChannelAdapter | None:
    return _adapters.get(code)


def codes() -> list[str]:
    return list(_adapters)


def label(code: str) -> str:
    """The channel's name for people; an unregistered code (rows of a channel since removed) as it is stored."""
    found = _adapters.get(code)
    return str(found.label) if found is not None else code
