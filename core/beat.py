"""Exactly one Celery beat leads, however many are started: the leader holds a PostgreSQL advisory lock.

Two beats on django-celery-beat's scheduler would each send every periodic task, so a second beat started
by mistake (or a standby kept for failover) would double every sweep. The lock lives in a session of its
own: when the leader dies or loses its database, PostgreSQL ends the session, frees the lock, and a
standby takes over within STANDBY_INTERVAL seconds. Written here rather than with celery-redbeat because
the schedule already lives in PostgreSQL (rows added by migrations, edited in admin); a Redis lock would
add a second source of truth that can disagree with the database the schedule comes from.
"""

import logging
import time
from typing import Any

import psycopg
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

from core.database import libpq_conninfo

logger = logging.getLogger(__name__)

# pg_try_advisory_lock's key: any bigint no other code of this database uses ("beat" in ASCII).
LOCK_KEY = 0x62656174
STANDBY_INTERVAL = 5.0
LIVENESS_CHECK_SECONDS = 1.0


class LeaderDatabaseScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, sending nothing unless it holds the leader lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock_session: psycopg.Connection[Any] | None = None
        self._checked_at = 0.0
        self._said_standby = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self.is_leader():
            return STANDBY_INTERVAL
        return float(super().tick(*args, **kwargs))

    def is_leader(self) -> bool:
        if self._lock_session is not None:
            if time.monotonic() - self._checked_at < LIVENESS_CHECK_SECONDS:
                return True
            try:
                self._lock_session.execute("SELECT 1")
                self._checked_at = time.monotonic()
                return True
            except psycopg.Error:
                # The session is gone, and the lock with it: another beat may lead already.
                logger.error("beat: lost the leader lock's database session; standing by")
                self._release()
        return self._try_to_lead()

    def _try_to_lead(self) -> bool:
        try:
            session = psycopg.connect(libpq_conninfo(settings.DATABASES["default"]), autocommit=True,
                                      connect_timeout=5, application_name="celery beat leader lock")
        except psycopg.Error as error:
            logger.error("beat: cannot reach the database to take the leader lock: %s", error)
            return False
        row = session.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if not (row and row[0]):
            session.close()
            if not self._said_standby:
                logger.warning("beat: another beat leads; this one stands by and takes over if it stops")
                self._said_standby = True
            return False
        logger.warning("beat: leader (holds PostgreSQL advisory lock %s)", LOCK_KEY)
        self._lock_session, self._checked_at, self._said_standby = session, time.monotonic(), False
        # A standby's schedule may be stale: the leader kept last-run times in the database, read them again.
        self._initial_read = True
        self._heap = None
        return True

    def _release(self) -> None:
        if self._lock_session is not None:
            try:
                self._lock_session.close()
            except psycopg.Error:
                logger.debug("beat: closing a broken lock session failed", exc_info=True)
            self._lock_session = None

    def close(self) -> None:
        self._release()
        super().close()
