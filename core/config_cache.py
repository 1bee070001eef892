"""Configuration rows that hot paths read on every call (ticket create: routing and keyword rules, SLA
policies, calendars, desk settings, webhook endpoints), kept in each process and dropped on every write.

Each key's value lives in the process that loaded it, beside the version it was loaded at; the shared cache
holds only the versions, one short token per key. A read compares the key's current version with the copy's
and loads again only when they differ, so a read costs no query and no unpickling, and inside `run_scope()`
not even a round trip: the scope reads every key's version in one GET_MANY on its first read. Every HTTP request
is one scope (`ConfigScopeMiddleware`), and so is one IMAP poll.

`invalidate_on_write(key, *models)` gives the key a new version when any of those models is saved or deleted
(or an m2m of it changes): at once, so the writer's next read is fresh, and again after commit, so a reader in
another transaction that loaded the old rows between the write and its commit loads again. A version missing
from the shared cache (flushed, evicted) is replaced by a new one, so every copy is loaded again. Writes that
skip model signals (`QuerySet.update()`, raw SQL) on these models must call `invalidate(key)` themselves. A copy
older than TIMEOUT_SECONDS is loaded again: that bounds how long a key written by such code can be stale.
"""

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse

TIMEOUT_SECONDS = 3600
_PREFIX = "config:version:"

T = TypeVar("T")


@dataclass
class _Copy:
    version: str
    loaded_at: float
    value: Any


@dataclass
class _Scope:
    values: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] | None = None  # every known key's version, read on the scope's first read
    memo: dict[str, Any] = field(default_factory=dict)  # per_scope values


# This process's copies, by key. Values are shared by every caller in the process: callers must not change
# them (none do: they are configuration).
_copies: dict[str, _Copy] = {}
# Every key read or watched in this process: what a scope asks the versions of.
_known: set[str] = set()
_scope: ContextVar[_Scope | None] = ContextVar("config_cache_scope", default=None)


@contextmanager
def run_scope() -> Iterator[None]:
    """Within, the versions are read from the shared cache once, and each key's value is the same for the rest
    of the scope; a write in this process still drops it at once."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


def in_run_scope() -> bool:
    return _scope.get() is not None


class ConfigScopeMiddleware:
    """One request, one `run_scope`: the configuration a request reads costs one round trip to the shared cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with run_scope():
            return self.get_response(request)


def _new_versions(keys: Iterable[str]) -> dict[str, str]:
    """Versions for keys the shared cache has none of; `add`, so racing processes agree on one."""
    versions = {}
    for key in keys:
        candidate = uuid.uuid4().hex
        if not cache.add(_PREFIX + key, candidate, None):
            candidate = cache.get(_PREFIX + key) or candidate
        versions[key] = candidate
    return versions


def _versions(keys: list[str], *, also: str | None = None) -> tuple[dict[str, str], Any]:
    """The versions of `keys`, and the shared cache's value under `also` (None when it has none), read together."""
    found = cache.get_many([_PREFIX + key for key in keys] + ([also] if also is not None else []))
    versions = {key: found[_PREFIX + key] for key in keys if _PREFIX + key in found}
    versions.update(_new_versions(key for key in keys if key not in versions))
    return versions, found.get(also) if also is not None else None


def _version(key: str, scope: _Scope | None) -> str:
    if scope is None:
        return _versions([key])[0][key]
    if scope.versions is None:
        scope.versions = _versions(sorted(_known))[0]
    if key not in scope.versions:
        scope.versions.update(_versions([key])[0])
    return scope.versions[key]


def get_with_versions(key: str) -> Any:
    """The shared cache's value under `key` (None when it has none). A run scope that has not read its versions yet
    reads them in the same GET_MANY: the session a signed-in request starts with (core.sessions) and the
    configuration it reads then cost one round trip to the cache, not two."""
    scope = _scope.get()
    if scope is None or scope.versions is not None or not _known:
        return cache.get(key)
    scope.versions, value = _versions(sorted(_known), also=key)
    return value


def cached(key: str, load: Callable[[], T]) -> T:
    """The value under `key`, loaded (and kept) when this process has no copy of its current version. `None` is a
    value too, kept like any other."""
    _known.add(key)
    scope = _scope.get()
    if scope is not None and key in scope.values:
        kept: T = scope.values[key]
        return kept
    version = _version(key, scope)
    copy = _copies.get(key)
    if copy is None or copy.version != version or time.monotonic() - copy.loaded_at > TIMEOUT_SECONDS:
        # The version is read before the rows: a write committed meanwhile gives the key a newer one.
        copy = _Copy(version=version, loaded_at=time.monotonic(), value=load())
        _copies[key] = copy
    if scope is not None:
        scope.values[key] = copy.value
    value: T = copy.value
    return value


def per_scope(key: str, load: Callable[[], T]) -> T:
    """A fact a request asks for several times (the user's teams: the queue, each view's count, the bulk form),
    read once per run scope and never shared beyond it, so a change shows on the next request; outside a scope,
    read on every call (a socket's user lives as long as its connection)."""
    scope = _scope.get()
    if scope is None:
        return load()
    if key not in scope.memo:
        scope.memo[key] = load()
    value: T = scope.memo[key]
    return value


def forget_per_scope() -> None:
    """Drop this scope's per_scope values: a write in the request they describe must not leave them stale."""
    scope = _scope.get()
    if scope is not None:
        scope.memo.clear()


def _renew(keys: tuple[str, ...]) -> None:
    versions = {key: uuid.uuid4().hex for key in keys}
    cache.set_many({_PREFIX + key: version for key, version in versions.items()}, None)
    for key in keys:
        _copies.pop(key, None)
    scope = _scope.get()
    if scope is not None:
        for key in keys:
            scope.values.pop(key, None)
        if scope.versions is not None:
            scope.versions.update(versions)


def invalidate(*keys: str) -> None:
    _renew(keys)
    transaction.on_commit(lambda: _renew(keys))


def invalidate_on_write(key: str, *watched: type[models.Model], m2m: Iterable[Any] = ()) -> None:
    """Drop `key` whenever a row of `watched` is saved or deleted, or one of the `m2m` through tables changes."""
    _known.add(key)

    def drop(**_kwargs: Any) -> None:
        invalidate(key)

    for model in watched:
        uid = f"config_cache:{key}:{model._meta.label}"
        post_save.connect(drop, sender=model, weak=False, dispatch_uid=f"{uid}:save")
        post_delete.connect(drop, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
    for through in m2m:
        m2m_changed.connect(drop, sender=through, weak=False, dispatch_uid=f"config_cache:{key}:{through._meta.label}")
