"""Transaction-scoped PostgreSQL advisory locks named by a string: deliveries of one provider message or mail,
the first messages of one new sender. No row needs to exist to be locked, and nothing is written."""

from django.db import connection, transaction


def lock_for_transaction(key: str) -> None:
    """Wait for the advisory lock named `key`, then hold it until the current transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def require_transaction(refusal: str) -> None:
    """Raise RuntimeError(refusal) unless a transaction is open: for steps whose row locks, or whose writes with
    the caller's, mean nothing in autocommit (they would be released, or committed, at once)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(refusal)
