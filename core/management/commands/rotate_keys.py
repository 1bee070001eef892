from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction

from core import crypto
from core.fields import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Re-encrypt every PII value (history tables included) that is not on the primary key, the first "
        "of PII_ENCRYPTION_KEYS. Keep the old keys listed until this has finished."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        ring = crypto.key_ring()
        total = 0
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue  # a proxy shares its parent's table, which is rotated once as the parent
            for field in model._meta.concrete_fields:
                if not isinstance(field, EncryptedTextField):
                    continue
                rotated = self._rotate_column(model, field, ring, batch_size)
                if rotated:
                    self.stdout.write(f"{model._meta.label}.{field.name}: {rotated} re-encrypted")
                total += rotated
        self.stdout.write(self.style.SUCCESS(f"{total} value(s) re-encrypted; all PII is on key {ring.primary_id!r}"))

    def _rotate_column(
        self, model: type[models.Model], field: EncryptedTextField, ring: crypto.KeyRing, batch_size: int
    ) -> int:
        # Raw SQL on purpose: the ORM decrypts on load, so the stored key id is visible only here, and
        # an UPDATE must neither bump auto_now columns nor write a history row for a mere re-encryption.
        quote = connection.ops.quote_name
        pk = model._meta.pk
        # Concrete models always have a primary key column, and concrete fields a column.
        assert pk is not None and pk.column is not None and field.column is not None
        table, column, pk_column = quote(model._meta.db_table), quote(field.column), quote(pk.column)
        select = (
            f"SELECT {pk_column}, {column} FROM {table} "  # noqa: S608 (identifiers come from model meta)
            f"WHERE {column} <> '' AND left({column}, %s) <> %s "
            f"ORDER BY {pk_column} LIMIT %s FOR UPDATE"
        )
        update = f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s"  # noqa: S608
        primary_prefix = f"{ring.primary_id}{crypto.SEPARATOR}"
        rotated = 0
        while True:
            # Locked per batch, so a concurrent edit either waits for us or is seen re-encrypted.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [len(primary_prefix), primary_prefix, batch_size])
                rows = cursor.fetchall()
                for pk, stored in rows:
                    try:
                        plaintext = ring.decrypt(stored)
                    except crypto.DecryptionError as exc:
                        raise CommandError(f"{model._meta.label} pk={pk} {field.name}: {exc}") from exc
                    cursor.execute(update, [ring.encrypt(plaintext), pk])
            rotated += len(rows)
            # Rotated rows drop out of the WHERE clause, so each batch starts from the top again.
            if len(rows) < batch_size:
                return rotated
