"""Django's cached_db sessions, with the session read from the cache in the round trip that reads the request's
configuration versions (core.config_cache.get_with_versions): a signed-in request's first two reads of the shared
cache are one GET_MANY. What is stored, where and for how long is cached_db's: a cache miss or outage falls back
to the session's row, and writes go to both."""

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.core.cache import DEFAULT_CACHE_ALIAS

from core import config_cache


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        if settings.SESSION_CACHE_ALIAS != DEFAULT_CACHE_ALIAS:  # the versions live in the default cache
            return super().load()
        try:
            data = config_cache.get_with_versions(self.cache_key)
        except Exception:
            # As cached_db: an unreadable cache (a bad key, an outage) leaves the row to answer.
            data = None
        if data is None:
            # cached_db's miss: the row, put back in the cache.
            row = self._get_session_from_db()  # type: ignore[attr-defined]
            if not row:
                return {}
            data = self.decode(row.session_data)
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))  # type: ignore[attr-defined]
        return data
