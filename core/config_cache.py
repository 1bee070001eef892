"""Configuration rows that hot paths read on every call (ticket create: routing and keyword rules, SLA
policies, calendars, desk settings, webhook endpoints), served from the shared cache and dropped on every write.

A read is one cache GET instead of one to four queries. `invalidate_on_write(key, *models)` deletes the key
when any of those models is saved or deleted (or an m2m of it changes): at once, so the writer's next read
is fresh, and again after commit, so a reader in another transaction that cached the old rows between the
write and its commit is corrected. Writes that skip model signals (`QuerySet.update()`, raw SQL) on these
models must call `invalidate(key)` themselves. The TTL only bounds how long a key written by code that
forgot to do so can be stale.

Inside `run_scope()` (one IMAP poll) each key is read from the shared cache once and kept for the rest of the
run, as within one request: intake reads four keys per mail otherwise, each a round trip plus unpickling.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

TIMEOUT_SECONDS = 3600
_PREFIX = "config:"
_MISSING = object()

T = TypeVar("T")


# The values read in the current run (None outside `run_scope`), by key.
_run: ContextVar[dict[str, Any] | None] = ContextVar("config_cache_run", default=None)


@contextmanager
def run_scope() -> Iterator[None]:
    """Within, each key is read from the shared cache at most once; a write in this process still drops it
    at once. Values are shared within the run: callers must not change them (none do: they are configuration)."""
    token = _run.set({})
    try:
        yield
    finally:
        _run.reset(token)


def cached(key: str, load: Callable[[], T]) -> T:
    """The value under `key`, loaded (and stored) on a miss. `None` is a value too, cached like any other."""
    run = _run.get()
    if run is not None and key in run:
        value: T = run[key]
        return value
    value = cache.get(_PREFIX + key, _MISSING)
    if value is _MISSING:
        value = load()
        cache.set(_PREFIX + key, value, TIMEOUT_SECONDS)
    if run is not None:
        run[key] = value
    return value


def invalidate(*keys: str) -> None:
    run = _run.get()
    if run is not None:
        for key in keys:
            run.pop(key, None)
    full = [_PREFIX + key for key in keys]
    cache.delete_many(full)
    transaction.on_commit(lambda: cache.delete_many(full))


def invalidate_on_write(key: str, *watched: type[models.Model], m2m: Iterable[Any] = ()) -> None:
    """Drop `key` whenever a row of `watched` is saved or deleted, or one of the `m2m` through tables changes."""

    def drop(**_kwargs: Any) -> None:
        invalidate(key)

    for model in watched:
        uid = f"config_cache:{key}:{model._meta.label}"
        post_save.connect(drop, sender=model, weak=False, dispatch_uid=f"{uid}:save")
        post_delete.connect(drop, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
    for through in m2m:
        m2m_changed.connect(drop, sender=through, weak=False, dispatch_uid=f"config_cache:{key}:{through._meta.label}")
