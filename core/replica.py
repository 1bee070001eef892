"""Reads that tolerate a little lag go to the streaming replica (DATABASE_REPLICA_URL); everything else stays on
the primary.

Only work marked read-only uses the replica: requests whose path starts with one of REPLICA_READ_PATHS (reports,
exports, search) and code inside `with replica_reads():`. Even then the primary answers when

- no replica is configured (one database, nothing changes);
- the caller is inside a transaction on the primary (it may read its own uncommitted rows);
- the user wrote something in the last REPLICA_STICKY_S seconds (a cookie set on every write request), so
  nobody misses what they have just saved;
- the replica is more than REPLICA_MAX_LAG_S behind, or cannot be reached within its connect_timeout: the
  fall-back is logged and counted (metric `service_center_replica_fallbacks_total{reason}`), and the replica
  is not asked again until REPLICA_CHECK_INTERVAL_S has passed, so a dead replica never slows each request.

Django's own database routers are the mechanism (DATABASE_ROUTERS); the lag probe is written here because
no maintained package measures standby lag for a router.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Gauge

from core.database import libpq_conninfo

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
STICKY_COOKIE = "sc_primary_reads"
# Apps whose rows are read right after they are written by the same request (sessions, lockouts): primary only.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_celery_beat", "otp_totp", "otp_static"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

FALLBACKS = Counter("service_center_replica_fallbacks", "Reads meant for the replica that the primary answered",
                    ["reason"])
LAG = Gauge("service_center_replica_lag_seconds", "Replay lag of the read replica at its last check")

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_reads", default=False)


@contextlib.contextmanager
def replica_reads(enabled: bool = True) -> Iterator[None]:
    """Inside this block, reads may come from the replica (when it is configured, healthy and not pinned)."""
    token = _replica_reads.set(enabled)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


LAG_QUERY = """SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"""


def measure_lag(database: dict[str, Any] | None = None) -> float:
    """Seconds the replica's replay trails the primary (0 when it has replayed all it received).

    A server that is not in recovery is not a replica: refused as infinitely behind, so reads stay on the
    primary rather than on a copy that may have split from it. Raises psycopg.Error if unreachable.
    """
    database = database if database is not None else settings.DATABASES[REPLICA]
    timeout = int(database.get("OPTIONS", {}).get("connect_timeout", 2))
    with psycopg.connect(libpq_conninfo(database), connect_timeout=timeout, autocommit=True,
                         options="-c statement_timeout=2000", application_name="replica lag probe") as probe:
        row = probe.execute(LAG_QUERY).fetchone()
    return float("inf") if row is None or row[0] is None else float(row[0])


class ReplicaHealth:
    """The replica's state as this process last saw it, checked at most every REPLICA_CHECK_INTERVAL_S."""

    def __init__(self, probe: Callable[[], float] = measure_lag, clock: Callable[[], float] = time.monotonic) -> None:
        self._probe, self._clock = probe, clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._problem: str | None = "unchecked"
        self.recoveries = 0  # times the replica came back; connections opened before then are dead

    def problem(self) -> str | None:
        """None when reads may go to the replica, else why not ('lag', 'unreachable', 'not_a_replica')."""
        with self._lock:
            now = self._clock()
            if self._checked_at is None or now - self._checked_at >= settings.REPLICA_CHECK_INTERVAL_S:
                self._checked_at = now
                self._problem = self._check()
            return self._problem

    def _check(self) -> str | None:
        before = self._problem
        try:
            lag = self._probe()
        except psycopg.Error as error:
            if before != "unreachable":
                logger.error("replica unreachable, reads fall back to the primary: %s", error)
            return "unreachable"
        LAG.set(lag if lag != float("inf") else -1)
        if lag == float("inf"):
            problem: str | None = "not_a_replica"
            if before != problem:
                logger.error("DATABASE_REPLICA_URL points at a server that is not in recovery; reads stay on the "
                             "primary")
        elif lag > settings.REPLICA_MAX_LAG_S:
            problem = "lag"
            if before != problem:
                logger.warning("replica %.1f s behind (> REPLICA_MAX_LAG_S=%s): reads fall back to the primary",
                               lag, settings.REPLICA_MAX_LAG_S)
        else:
            problem = None
            if before not in (None, "unchecked"):
                logger.warning("replica back (%.1f s behind): reads return to it", lag)
                self.recoveries += 1
        return problem


health = ReplicaHealth()


class ReplicaRouter:
    """DATABASE_ROUTERS entry: writes and migrations on the primary, marked reads on a healthy replica."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if not _replica_reads.get() or not replica_configured() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if (problem := health.problem()) is not None:
            FALLBACKS.labels(reason=problem).inc()
            return PRIMARY
        replica_connection = connections[REPLICA]
        if getattr(replica_connection, "recoveries_seen", 0) != health.recoveries:
            # Opened before the replica went away: its server session is gone even if Django still holds it.
            replica_connection.close()
            replica_connection.recoveries_seen = health.recoveries  # type: ignore[attr-defined]
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: rows from either relate

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY


class ReplicaReadsMiddleware:
    """Marks GET/HEAD requests under REPLICA_READ_PATHS as replica reads, unless the user wrote just now; a write
    request sets a short cookie that keeps that user's reads on the primary for REPLICA_STICKY_S seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        read_only = request.method in ("GET", "HEAD") and request.path.startswith(tuple(settings.REPLICA_READ_PATHS))
        pinned = STICKY_COOKIE in request.COOKIES
        if read_only and pinned:
            FALLBACKS.labels(reason="sticky_after_write").inc()
        with replica_reads(read_only and not pinned):
            response = self.get_response(request)
        if request.method in WRITE_METHODS:
            response.set_cookie(STICKY_COOKIE, "1", max_age=settings.REPLICA_STICKY_S, httponly=True,
                                samesite="Lax", secure=request.is_secure())
        return response
