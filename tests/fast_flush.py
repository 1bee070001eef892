"""Transactional and browser tests empty the database with DELETE instead of TRUNCATE.

Django's flush truncates every table (~250 here) after each transactional test. A PostgreSQL TRUNCATE makes
new files for each table and its indexes, which costs seconds per test on a busy 2-core machine although a
test leaves rows in a handful of tables; DELETE on an empty table costs almost nothing. Django's foreign keys
are DEFERRABLE INITIALLY DEFERRED, so the order of the DELETEs does not matter inside one transaction.
Sequences are reset the usual way when a test asks for it (reset_sequences=True).

Content types, permissions and the role groups are kept: the post_migrate handlers that flush runs next
(create_contenttypes, create_permissions, profiles' sync_roles) would only write them again, and sync_roles
resets every role group to exactly its permissions whatever a test changed.
"""

from typing import Any

from django.db.backends.postgresql.operations import DatabaseOperations

_truncating_sql_flush = DatabaseOperations.sql_flush
KEPT_TABLES = frozenset({"django_content_type", "auth_permission", "auth_group", "auth_group_permissions"})


def _deleting_sql_flush(self: DatabaseOperations, style: Any, tables: list[str], *, reset_sequences: bool = False,
                        allow_cascade: bool = False) -> list[str]:
    if reset_sequences or not tables:
        return _truncating_sql_flush(self, style, tables, reset_sequences=reset_sequences,
                                     allow_cascade=allow_cascade)
    deletes = "".join(f"DELETE FROM {self.quote_name(table)};" for table in tables if table not in KEPT_TABLES)
    return [f"SET CONSTRAINTS ALL DEFERRED;{deletes}"]


def pytest_configure(config: Any) -> None:
    DatabaseOperations.sql_flush = _deleting_sql_flush  # type: ignore[method-assign,assignment]
