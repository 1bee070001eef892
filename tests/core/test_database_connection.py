"""The one translation of the configured database into libpq settings and a URL (core.database)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict

from core.database import client_command_args, database_from_url, database_url, libpq_params


def test_a_tcp_host_with_port_and_credentials() -> None:
    database = database_from_url("postgres://app:secret@db.example.com:6543/service_center?sslmode=require")
    assert libpq_params(database) == {
        "host": "db.example.com", "port": "6543", "user": "app", "password": "secret", "dbname": "service_center",
        "sslmode": "require",
    }
    assert database_url(database) == "postgresql://app:secret@db.example.com:6543/service_center?sslmode=require"


def test_the_embedded_servers_socket_folder_travels_as_the_host() -> None:
    # The launcher's form: the folder in ?host=, which django-environ files under OPTIONS.
    database = database_from_url("postgresql://postgres:@/service_center?host=/work/var/postgres")
    assert database["HOST"] == "" and database["OPTIONS"] == {"host": "/work/var/postgres"}
    assert libpq_params(database) == {"host": "/work/var/postgres", "user": "postgres", "dbname": "service_center"}
    url = database_url(database)
    assert url == "postgresql://postgres@/service_center?host=%2Fwork%2Fvar%2Fpostgres"
    assert libpq_params(database_from_url(url)) == libpq_params(database)


def test_a_socket_folder_as_a_percent_encoded_host_as_libpq_writes_it() -> None:
    database = database_from_url("postgresql://postgres@%2Fvar%2Frun%2Fpostgresql:5433/db")
    assert libpq_params(database) == {"host": "/var/run/postgresql", "port": "5433", "user": "postgres",
                                      "dbname": "db"}


def test_special_characters_are_percent_encoded_both_ways() -> None:
    database = {"HOST": "127.0.0.1", "PORT": 5432, "USER": "us@er", "PASSWORD": "p@ss:w/rd?#%&=", "NAME": "my db"}
    url = database_url(database)
    assert url == "postgresql://us%40er:p%40ss%3Aw%2Frd%3F%23%25%26%3D@127.0.0.1:5432/my%20db"
    assert libpq_params(database_from_url(url)) == libpq_params(database)


def test_an_ipv6_address_is_bracketed() -> None:
    database = database_from_url("postgres://u:p@[::1]:5433/db")
    assert libpq_params(database)["host"] == "::1"
    assert database_url(database) == "postgresql://u:p@[::1]:5433/db"


def test_psycopg_only_options_stay_out_of_libpq() -> None:
    database = {"HOST": "h", "NAME": "db", "OPTIONS": {"isolation_level": 1, "pool": True, "connect_timeout": 3}}
    assert libpq_params(database) == {"host": "h", "dbname": "db", "connect_timeout": "3"}


def test_client_tools_get_the_password_in_their_environment_not_their_arguments() -> None:
    conninfo, env = client_command_args({"HOST": "/run/sock dir", "USER": "u", "PASSWORD": "s3cr3t 'x'",
                                         "NAME": "db"})
    assert "s3cr3t" not in conninfo
    assert conninfo_to_dict(conninfo) == {"host": "/run/sock dir", "user": "u", "dbname": "db"}
    assert env == {"PGPASSWORD": "s3cr3t 'x'"}


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://u@h/db", "must be a postgresql:// URL"),
    ("127.0.0.1:5432", "must be a postgresql:// URL"),
    ("postgres://u@h:port/db", "DATABASE_URL is not a valid URL"),
    ("postgres://u@h:99999/db", "DATABASE_URL is not a valid URL"),
    ("postgres://u@h/", "names no database"),
])
def test_a_url_no_server_could_answer_fails_at_start_naming_the_setting(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url)


_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=20)


@given(
    host=st.one_of(st.sampled_from(["127.0.0.1", "db.internal", "::1", "fe80::1"]),
                   _text.map(lambda name: f"/run/{name.replace('/', '_')}")),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    # A name starting with "/" is read as Cloud SQL's /host/name by django-environ; no real database has one.
    user=_text, password=st.one_of(st.just(""), _text), name=_text.filter(lambda name: not name.startswith("/")),
)
def test_any_settings_round_trip_through_the_url(host: str, port: int | None, user: str, password: str,
                                                 name: str) -> None:
    database = {"HOST": host, "PORT": port or "", "USER": user, "PASSWORD": password, "NAME": name}
    assert libpq_params(database_from_url(database_url(database))) == libpq_params(database)
