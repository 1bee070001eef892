"""Cached configuration inside a run (one IMAP poll): each key read from the shared cache once, and a write
in the run still seen by the next read."""

from typing import Any

import pytest

from core import config_cache
from tickets import cached_config
from tickets.models import Mailbox


class _CountingCache:
    """The shared cache, counting the GETs it answers."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.gets: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.gets.append(key)
        return self.cache.get(key, default)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cache, name)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> _CountingCache:
    counting = _CountingCache(config_cache.cache)
    monkeypatch.setattr(config_cache, "cache", counting)
    return counting


def test_a_run_reads_each_key_from_the_shared_cache_once(counting: _CountingCache) -> None:
    loads: list[int] = []

    def load() -> list[str]:
        loads.append(1)
        return ["rule"]

    with config_cache.run_scope():
        values = [config_cache.cached("test:rules", load) for _ in range(3)]
    assert values == [["rule"]] * 3
    assert counting.gets == ["config:test:rules"] and loads == [1]
    # Outside a run every read asks the shared cache again (another process may have dropped the key).
    assert config_cache.cached("test:rules", load) == ["rule"]
    assert counting.gets == ["config:test:rules"] * 2 and loads == [1]


@pytest.mark.django_db
def test_a_write_during_a_run_is_seen_by_its_next_read(counting: _CountingCache) -> None:
    with config_cache.run_scope():
        assert cached_config.mailboxes() == {}
        assert cached_config.mailboxes() == {}
        Mailbox.objects.create(address="New@Shop.example")
        assert list(cached_config.mailboxes()) == ["new@shop.example"]
    assert counting.gets.count("config:" + cached_config.MAILBOXES) == 2
