"""Model fields for PII: values are AES-GCM encrypted at rest; a blind index allows exact lookup."""

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression

from core import crypto


class EncryptedTextField(models.TextField):
    """Encrypts on save, decrypts on load. Only `isnull` lookups make sense on ciphertext."""

    description = "Text encrypted with AES-GCM"

    def from_db_value(self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper) -> str | None:
        if value is None or value == "":
            return value
        return crypto.key_ring().decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.key_ring().encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            # Every encryption uses a fresh nonce, so equal plaintexts never compare equal in SQL.
            raise TypeError(
                f"Encrypted field {self.model.__name__}.{self.name} cannot be filtered with "
                f"'{lookup_name}' (only 'isnull'): look it up through its blind index instead."
            )
        return super().get_lookup(lookup_name)


class BlindIndexField(models.CharField):
    """HMAC of another field's plaintext, filled on save; indexed for exact lookup.

    Models with one should inherit `BlindIndexedModelMixin`, so that `save(update_fields=[source])`
    refreshes the index too instead of leaving it pointing at the old value.
    """

    def __init__(self, *args: Any, source: str, kind: str, **kwargs: Any) -> None:
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, kind=self.kind)
        for default_key in ("max_length", "editable", "blank", "default", "db_index"):
            kwargs.pop(default_key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        plaintext = getattr(model_instance, self.source) or ""
        digest = crypto.blind_index(plaintext, kind=self.kind) if plaintext else ""
        setattr(model_instance, self.attname, digest)
        return digest


def with_blind_indexes(model: type[models.Model], update_fields: Iterable[str]) -> list[str]:
    """`update_fields` plus the blind index of every source field named in it."""
    names = list(update_fields)
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source in names and field.name not in names:
            names.append(field.name)
    return names


class BlindIndexedModelMixin:
    """Keeps blind indexes in step with their source on partial saves."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = with_blind_indexes(type(self), kwargs["update_fields"])  # type: ignore[arg-type]
        super().save(*args, **kwargs)  # type: ignore[misc]
