"""Helpers for tests that look at what PostgreSQL really stores."""

import base64
import os
import re

from django.db import connection

# Every table that holds customer PII, history copies included.
PII_TABLES = {
    "profiles_user": ("phone", "email"),
    "profiles_historicaluser": ("phone", "email"),
    "profiles_customerprofile": ("id_number", "address"),
    "profiles_historicalcustomerprofile": ("id_number", "address"),
}


def new_key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def raw_rows(table: str) -> list[str]:
    """Each row of `table` as the JSON text PostgreSQL holds, with no ORM decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {connection.ops.quote_name(table)} t")
        return [row[0] for row in cursor.fetchall()]


def raw_column(table: str, column: str) -> list[str]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''")
        return [row[0] for row in cursor.fetchall()]


def ciphertext_pattern(key_id: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(key_id)}\$[A-Za-z0-9+/]+=*$")
