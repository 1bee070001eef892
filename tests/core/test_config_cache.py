"""Cached configuration: each process keeps its copy of a key beside the version it loaded, and reads only the
versions from the shared cache (all of them in one round trip per run: a request, an IMAP poll). A write, here or
in another process, gives the key a new version; a flushed version is replaced, so every copy is loaded again."""

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from core import config_cache
from profiles.models import User
from profiles.roles import Role
from tests.factories import UserFactory
from tickets import cached_config
from tickets.models import Mailbox


class _CountingCache:
    """The shared cache, counting the round trips that read it."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        self.reads: list[list[str]] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.reads.append([key])
        return self.cache.get(key, default)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        self.reads.append(list(keys))
        return self.cache.get_many(keys)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cache, name)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> _CountingCache:
    counting = _CountingCache(config_cache.cache)
    monkeypatch.setattr(config_cache, "cache", counting)
    return counting


def _loader() -> tuple[list[int], Any]:
    loads: list[int] = []

    def load() -> list[str]:
        loads.append(1)
        return ["rule"]

    return loads, load


def test_a_run_reads_the_versions_once_and_loads_once(counting: _CountingCache) -> None:
    loads, load = _loader()
    with config_cache.run_scope():
        values = [config_cache.cached("test:rules", load) for _ in range(3)]
        config_cache.cached("test:other", lambda: "other")
    assert values == [["rule"]] * 3 and loads == [1]
    # The first read asks every known key's version at once; a key first seen in the run asks its own.
    assert len(counting.reads) == 2 and "config:version:test:rules" in counting.reads[0]
    assert counting.reads[1] == ["config:version:test:other"]
    # Outside a run every read asks the version again (another process may have written), and loads nothing.
    counting.reads.clear()
    assert config_cache.cached("test:rules", load) == ["rule"]
    assert counting.reads == [["config:version:test:rules"]] and loads == [1]


def test_another_process_s_write_or_a_flushed_version_loads_again() -> None:
    loads, load = _loader()
    config_cache.cached("test:rules", load)
    config_cache.cached("test:rules", load)
    assert loads == [1]
    cache.set("config:version:test:rules", "written elsewhere", None)
    config_cache.cached("test:rules", load)
    assert loads == [1, 1]
    cache.delete("config:version:test:rules")
    config_cache.cached("test:rules", load)
    config_cache.cached("test:rules", load)
    assert loads == [1, 1, 1]


@pytest.mark.django_db
def test_a_write_during_a_run_is_seen_by_its_next_read(counting: _CountingCache) -> None:
    with config_cache.run_scope():
        assert cached_config.mailboxes() == {}
        assert cached_config.mailboxes() == {}
        Mailbox.objects.create(address="New@Shop.example")
        assert list(cached_config.mailboxes()) == ["new@shop.example"]
    assert len(counting.reads) == 1  # the write renewed the version in this process: no second read


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_loaded_before_the_writer_committed_loads_again() -> None:
    """Another transaction read between the write and its commit: its copy of the old rows, under the write's
    version, is replaced once the commit gives the key a newer one."""
    with transaction.atomic():
        Mailbox.objects.create(address="late@shop.example")
        written = cache.get("config:version:" + cached_config.MAILBOXES)
        config_cache._copies[cached_config.MAILBOXES] = config_cache._Copy(
            version=written, loaded_at=time.monotonic(), value={})
        assert cached_config.mailboxes() == {}
    assert list(cached_config.mailboxes()) == ["late@shop.example"]


def test_a_request_is_one_run(counting: _CountingCache, settings: Any) -> None:
    assert "core.config_cache.ConfigScopeMiddleware" in settings.MIDDLEWARE
    loads, load = _loader()

    def view(request: HttpRequest) -> HttpResponse:
        for _ in range(3):
            config_cache.cached("test:rules", load)
            config_cache.cached("test:other", lambda: "other")
        return HttpResponse()

    config_cache.cached("test:other", lambda: "other")
    counting.reads.clear()
    config_cache.ConfigScopeMiddleware(view)(RequestFactory().get("/"))
    assert len(counting.reads) == 1 and loads == [1]


@pytest.mark.django_db
def test_roles_are_read_once_per_run_and_each_time_outside(django_assert_num_queries: Any) -> None:
    """A request's user reads its groups once; a socket's (no run) each time, so a role taken away applies."""
    user = UserFactory.create(roles=(Role.AGENT,))
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(2):
        assert fresh.role_names == {"agent"} and fresh.role_names == {"agent"}
    with config_cache.run_scope(), django_assert_num_queries(1):
        assert fresh.role_names == {"agent"} and fresh.role_names == {"agent"}
    with config_cache.run_scope():
        fresh.groups.remove(*fresh.groups.all())
        assert fresh.role_names == set()


@pytest.mark.django_db
def test_a_signed_in_request_reads_its_session_with_the_versions(counting: _CountingCache, client: Any) -> None:
    """core.sessions: the session and the configuration versions in one GET_MANY; a session missing from the cache
    is read from its row (and put back), as cached_db does."""
    from django.conf import settings as django_settings
    from django.contrib.sessions.models import Session

    from core.sessions import SessionStore

    assert django_settings.SESSION_ENGINE == "core.sessions"
    user = UserFactory.create(roles=(Role.CUSTOMER,))
    client.force_login(user)
    key = client.session.session_key
    config_cache.cached("test:sessions", lambda: "other")
    with config_cache.run_scope():
        counting.reads.clear()
        session = SessionStore(key)
        assert session["_auth_user_id"] == str(user.pk)
        config_cache.cached("test:sessions", lambda: "other")
        assert len(counting.reads) == 1
        assert session.cache_key in counting.reads[0] and "config:version:test:sessions" in counting.reads[0]
    cache.delete(SessionStore(key).cache_key)
    with config_cache.run_scope():
        assert SessionStore(key)["_auth_user_id"] == str(user.pk)  # from the row
    assert cache.get(SessionStore(key).cache_key) is not None  # and back in the cache
    Session.objects.filter(session_key=key).delete()
    cache.delete(SessionStore(key).cache_key)
    with config_cache.run_scope():
        assert "_auth_user_id" not in SessionStore(key)
