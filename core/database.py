"""The configured PostgreSQL connection as libpq sees it, for anything that starts a client or a child process.

A Django DATABASES entry can name the server in two places: HOST (a host name, an IP address or a socket
folder) or OPTIONS["host"], where django-environ puts `?host=/socket/folder` (the embedded server's form,
because a URL's host part cannot hold a path). pg_dump, pg_restore, psycopg and a child process's
DATABASE_URL must all see the same server, so they all take their settings from here.
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlencode

import environ
from django.core.exceptions import ImproperlyConfigured
from psycopg.conninfo import make_conninfo

# libpq's connection keywords other than the five every entry has (PostgreSQL 16 docs, §34.1.2). Django's
# OPTIONS also hold psycopg-only settings (isolation_level, pool, server_side_binding, …) that libpq refuses.
_LIBPQ_OPTIONS = frozenset({
    "hostaddr", "passfile", "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
    "tcp_user_timeout", "sslmode", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode",
    "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "gssencmode", "krbsrvname", "gsslib", "service", "target_session_attrs",
    "load_balance_hosts",
})
_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")


def libpq_params(database: Mapping[str, Any]) -> dict[str, str]:
    """libpq keywords (host, port, user, password, dbname and libpq's own OPTIONS) of a DATABASES entry."""
    options = database.get("OPTIONS") or {}
    params = {
        "host": str(database.get("HOST") or options.get("host") or ""),
        "port": str(database.get("PORT") or options.get("port") or ""),
        "user": str(database.get("USER") or options.get("user") or ""),
        "password": str(database.get("PASSWORD") or options.get("password") or ""),
        "dbname": str(database.get("NAME") or options.get("dbname") or ""),
    }
    params.update({key: str(value) for key, value in options.items() if key in _LIBPQ_OPTIONS})
    return {key: value for key, value in params.items() if value}


def libpq_conninfo(database: Mapping[str, Any]) -> str:
    """The entry as a libpq connection string, for an in-process psycopg connection outside Django's."""
    return make_conninfo(**libpq_params(database))


def client_command_args(database: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """A conninfo string for a client tool's --dbname, and the environment that carries the password.

    The password goes in PGPASSWORD, never on a command line where `ps` shows it to every local user.
    """
    params = libpq_params(database)
    password = params.pop("password", "")
    return make_conninfo(**params), ({"PGPASSWORD": password} if password else {})


def database_url(database: Mapping[str, Any]) -> str:
    """A DATABASE_URL that database_from_url() reads back to the same libpq settings.

    A socket folder travels as `?host=` (libpq's own URI form); IPv6 addresses are bracketed; user,
    password and database name are percent-encoded, so any character survives.
    """
    params = libpq_params(database)
    host, port = params.pop("host", ""), params.pop("port", "")
    user, password = quote(params.pop("user", ""), safe=""), quote(params.pop("password", ""), safe="")
    name = quote(params.pop("dbname", ""), safe="")
    if host.startswith("/"):
        params = {"host": host, **params}
        host = ""
    elif ":" in host:
        host = f"[{host}]"
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    netloc = credentials + host + (f":{port}" if port else "")
    query = f"?{urlencode(params)}" if params else ""
    return f"postgresql://{netloc}/{name}{query}"


def database_from_url(url: str, *, setting: str = "DATABASE_URL") -> dict[str, Any]:
    """A Django DATABASES entry from a PostgreSQL URL; a URL no server could answer is refused here, at start,
    with the setting's name, rather than as an obscure error at the first query."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _SCHEMES:
        raise ImproperlyConfigured(f"{setting} must be a postgresql:// URL (PostgreSQL only), not {scheme or url!r}")
    try:
        database: dict[str, Any] = environ.Env.db_url_config(url)
    except ValueError as error:  # a port that is not a number, or out of range
        raise ImproperlyConfigured(f"{setting} is not a valid URL: {error}") from error
    host = str(database.get("HOST") or "")
    # libpq accepts a percent-encoded socket folder as the URL's host; django-environ leaves it encoded.
    if host.lower().startswith("%2f"):
        database["HOST"] = unquote(host)
    if not database.get("NAME"):
        raise ImproperlyConfigured(f"{setting} names no database (postgresql://user:password@host:port/NAME)")
    return database
