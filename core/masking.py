"""Masked display of PII for people without the `view_pii` permission."""

from typing import Any, Literal

from django.conf import settings

PiiKind = Literal["phone", "email", "id_number", "address", "name"]


def mask_phone(value: str) -> str:
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(value: str) -> str:
    local, at, domain = value.strip().partition("@")
    if not at:
        return mask_phone(value)
    return f"{local[:1]}***@{domain}"


def mask_id_number(value: str) -> str:
    value = value.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_address(value: str) -> str:
    # Keep the province/city part people use to recognise an address, hide the street and number.
    value = value.strip()
    keep = min(6, len(value) // 2)
    return f"{value[:keep]}****"


def mask_name(value: str) -> str:
    value = value.strip()
    if len(value) <= 1:
        return value
    return f"{value[0]}{'*' * (len(value) - 1)}"


MASKERS = {
    "phone": mask_phone,
    "email": mask_email,
    "id_number": mask_id_number,
    "address": mask_address,
    "name": mask_name,
}


def can_view_pii(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(settings.PII_VIEW_PERMISSION))


def display_pii(value: str | None, kind: PiiKind, *, viewer: Any, owner_id: int | None = None) -> str:
    """The value as `viewer` may see it: clear for `view_pii` holders and for the owner themself."""
    if not value:
        return ""
    if can_view_pii(viewer) or (owner_id is not None and getattr(viewer, "pk", None) == owner_id):
        return value
    return MASKERS[kind](value)
