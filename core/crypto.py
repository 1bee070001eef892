"""AES-GCM encryption of PII with a key ring, and HMAC blind indexes for exact lookup.

Ciphertext is stored as ``<key_id>$<base64(nonce || ciphertext+tag)>`` so that a value can be
decrypted after the primary key has rotated, and `rotate_keys` can find rows on old keys.
"""

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

SEPARATOR = "$"
NONCE_BYTES = 12
KEY_BYTES = 32
MIN_BLIND_INDEX_KEY_CHARS = 16
# Fixed in base.py so development and tests need no setup; production.py refuses them.
DEV_ENCRYPTION_KEY_MATERIAL = "ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key"
KEY_COMMAND = "python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'"
BLIND_INDEX_KEY_COMMAND = "python -c 'import secrets;print(secrets.token_urlsafe(32))'"
KEY_SETTINGS = frozenset({"PII_ENCRYPTION_KEYS", "PII_BLIND_INDEX_KEY"})


class DecryptionError(ValueError):
    """A stored value could not be decrypted: unknown key id, malformed or tampered ciphertext."""


@dataclass(frozen=True)
class KeyRing:
    primary_id: str
    keys: dict[str, AESGCM]

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        # The key id is authenticated data: relabelling a value with another key id fails to decrypt.
        sealed = self.keys[self.primary_id].encrypt(nonce, plaintext.encode(), self.primary_id.encode())
        return f"{self.primary_id}{SEPARATOR}{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str) -> str:
        key_id, separator, payload = stored.partition(SEPARATOR)
        if not separator or not payload:
            raise DecryptionError("stored PII value is not '<key_id>$<ciphertext>'")
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptionError(f"unknown PII key id {key_id!r}: add it to PII_ENCRYPTION_KEYS")
        try:
            raw = base64.b64decode(payload, validate=True)
            return key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode()).decode()
        except (binascii.Error, InvalidTag, ValueError) as exc:
            raise DecryptionError(f"PII ciphertext under key {key_id!r} failed authentication") from exc


def parse_key_ring(entries: list[str] | tuple[str, ...]) -> KeyRing:
    """Parse ``["key_id:base64key", ...]``; the first entry is the primary (encrypting) key."""
    keys: dict[str, AESGCM] = {}
    primary_id = ""
    for entry in (entry.strip() for entry in entries):
        if not entry:
            continue  # a trailing comma in the environment variable
        key_id, _, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not key_id or SEPARATOR in key_id or not encoded:
            raise ImproperlyConfigured(
                f"PII_ENCRYPTION_KEYS entry {key_id or entry[:8]!r} is not 'key_id:base64key' "
                f"(key ids may not contain {SEPARATOR!r})."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"PII_ENCRYPTION_KEYS lists key id {key_id!r} twice.")
        try:
            secret = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise ImproperlyConfigured(f"PII key {key_id!r} is not valid base64.") from exc
        if len(secret) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"PII key {key_id!r} is {len(secret)} bytes; it must be {KEY_BYTES} (AES-256)."
            )
        keys[key_id] = AESGCM(secret)
        primary_id = primary_id or key_id
    if not keys:
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS is empty.")
    return KeyRing(primary_id=primary_id, keys=keys)


@lru_cache(maxsize=1)
def key_ring() -> KeyRing:
    return parse_key_ring(list(settings.PII_ENCRYPTION_KEYS))


@receiver(setting_changed)
def _forget_keys_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    # override_settings in tests and a settings reload must not keep encrypting with the old ring.
    if setting in KEY_SETTINGS:
        key_ring.cache_clear()


def blind_index(value: str, *, kind: str) -> str:
    """Deterministic keyed hash of a normalised value; `kind` keeps phone and email hashes apart."""
    normalised = normalise(value, kind=kind)
    digest = hmac.new(settings.PII_BLIND_INDEX_KEY.encode(), f"{kind}:{normalised}".encode(), hashlib.sha256)
    return digest.hexdigest()


def normalise(value: str, *, kind: str) -> str:
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        digits = "".join(ch for ch in value if ch.isdigit())
        # Mainland numbers are indexed without the country prefix, written +86 or 0086.
        for prefix in ("0086", "86"):
            if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
                return digits[len(prefix) :]
        return digits
    return value


@checks.register(checks.Tags.security)
def check_pii_keys(**kwargs: Any) -> list[checks.CheckMessage]:
    """Fail `manage.py check` (and runserver, migrate) at once on a key that would break at first save."""
    errors: list[checks.CheckMessage] = []
    try:
        parse_key_ring(list(settings.PII_ENCRYPTION_KEYS))
    except ImproperlyConfigured as exc:
        errors.append(
            checks.Error(
                str(exc),
                hint=f"Generate a key with: {KEY_COMMAND}",
                id="core.E001",
            )
        )
    if len(settings.PII_BLIND_INDEX_KEY) < MIN_BLIND_INDEX_KEY_CHARS:
        errors.append(
            checks.Error(
                f"PII_BLIND_INDEX_KEY must be at least {MIN_BLIND_INDEX_KEY_CHARS} characters.",
                hint=f"Generate one with: {BLIND_INDEX_KEY_COMMAND}",
                id="core.E002",
            )
        )
    return errors
