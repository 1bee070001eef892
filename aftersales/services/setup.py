"""Reference data (category policies, reasons, return addresses): each call is safe to repeat."""

from typing import Any

from django.db import transaction

from aftersales import reference_data
from aftersales.models import CategoryPolicy, CompensationRule, ContactMailbox, Reason, ReturnAddress
from profiles.models import Store


def _ensure(model: Any, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, bool]:
    # Saving only real changes keeps a repeated call from writing a history row each time.
    instance = model.objects.select_for_update().filter(**lookup).first()
    if instance is None:
        return model.objects.create(**lookup, **values), True
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)
    return instance, False


@transaction.atomic
def reference_data_ensure() -> int:
    """The standard policies and reasons; returns how many rows were created."""
    created = 0
    for policy in reference_data.POLICIES:
        _, new = _ensure(CategoryPolicy, {"category_code": policy.code}, {
            "name": policy.name, "no_reason_return": policy.no_reason_return,
            "no_reason_requires_unopened": policy.requires_unopened, "warranty_months": policy.warranty_months,
        })
        created += new
    for order, reason in enumerate(reference_data.REASONS):
        _, new = _ensure(Reason, {"request_type": reason.request_type, "code": reason.code}, {
            "name": reason.name, "name_en": reason.name_en, "is_no_reason": reason.is_no_reason,
            "is_quality": reason.is_quality, "cause": reason.cause, "sort_order": order,
        })
        created += new
    for cause, limit in reference_data.COMPENSATION_LIMITS.items():
        # Created once; an administrator's later change of the limit is kept.
        _, new = CompensationRule.objects.get_or_create(cause=cause, defaults={"max_amount_fen": limit})
        created += new
    return created


@transaction.atomic
def contact_mailbox_ensure(*, email: str, store: Store | None = None, courier: str = "") -> ContactMailbox:
    """The one mailbox the desk writes to about a store's or a courier's part of an order (side conversations)."""
    return _ensure(ContactMailbox, {"store": store, "courier": courier}, {"email": email})[0]


@transaction.atomic
def return_address_ensure(*, store: Store, recipient: str, phone: str, address: str) -> ReturnAddress:
    existing = ReturnAddress.objects.select_for_update().filter(store=store).first()
    if existing is None:
        return ReturnAddress.objects.create(store=store, recipient=recipient, phone=phone, address=address)
    # Encrypted values differ on every save, so compare the decrypted ones.
    if (existing.recipient, existing.phone, existing.address) != (recipient, phone, address):
        existing.recipient, existing.phone, existing.address = recipient, phone, address
        existing.save()
    return existing
