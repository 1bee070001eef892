"""Transaction-scoped PostgreSQL advisory locks named by a string: deliveries of one provider message or mail,
the first messages of one new sender. No row needs to exist to be locked, and nothing is written."""

from django.db import connection, transaction


def lock_for_transaction(*keys: str) -> None:
    """Wait for the advisory locks named `keys`, one after the other in the order given (so callers that name the
    same locks in the same order never deadlock), in one round trip; hold them until the current transaction ends."""
    with connection.cursor() as cursor:
        # ORDER BY: PostgreSQL evaluates a volatile function of the select list after sorting, so in this order.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) "
                       "FROM unnest(%s::text[]) WITH ORDINALITY AS locks(key, position) ORDER BY position",
                       [list(keys)])


def require_transaction(refusal: str) -> None:
    """Raise RuntimeError(refusal) unless a transaction is open: for steps whose row locks, or whose writes with
    the caller's, mean nothing in autocommit (they would be released, or committed, at once)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(refusal)
