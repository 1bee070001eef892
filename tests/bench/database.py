"""What the benches report about the database and the process: table sizes and memory."""

import resource

from django.db import connection

TABLE_SIZES = """
    SELECT c.relname, pg_relation_size(c.oid), pg_indexes_size(c.oid),
           coalesce(pg_total_relation_size(c.reltoastrelid), 0)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
"""


def table_sizes() -> dict[str, tuple[int, int, int]]:
    """Per table of the public schema: bytes of heap, of its indexes, of its TOAST."""
    with connection.cursor() as cursor:
        cursor.execute(TABLE_SIZES)
        return {name: (heap, indexes, toast) for name, heap, indexes, toast in cursor.fetchall()}


def largest_tables(count: int = 15) -> dict[str, dict[str, float]]:
    """The `count` largest tables in MiB (heap, indexes, TOAST), largest first."""
    mib = 2**20
    ranked = sorted(table_sizes().items(), key=lambda item: -sum(item[1]))[:count]
    return {name: {"heap_mib": round(heap / mib, 1), "indexes_mib": round(indexes / mib, 1),
                   "toast_mib": round(toast / mib, 1)} for name, (heap, indexes, toast) in ranked}


def rss_max_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
