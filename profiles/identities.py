"""One customer across channels: finding (or creating) the customer a message from outside comes from.

A message names its sender by a channel id (WeChat openid, Weibo uid), a phone number or an e-mail
address. The same person must land on the same customer whichever they use, so lookup goes channel id
→ phone (blind index) → e-mail (blind index), and whatever was new is linked to the customer found.
"""

import secrets

from django.db import IntegrityError, transaction

from profiles.models import ChannelIdentity, CustomerProfile, User
from profiles.roles import Role
from profiles.services import user_create


def _by_contact(phone: str, email: str) -> User | None:
    for value, lookup in ((phone, User.objects.get_by_phone), (email, User.objects.get_by_email)):
        if not value:
            continue
        try:
            user = lookup(value)
        except (User.DoesNotExist, User.MultipleObjectsReturned):
            continue
        if CustomerProfile.objects.filter(user=user).exists():
            return user
    return None


def _new_customer(*, display_name: str, phone: str, email: str) -> User:
    # Customers created from a channel have no password until they sign up on the site.
    user = user_create(username=f"c_{secrets.token_hex(6)}", password=None, roles=[Role.CUSTOMER],
                       display_name=display_name[:60], phone=phone, email=email)
    CustomerProfile.objects.create(user=user)
    return user


@transaction.atomic
def customer_for_contact(*, kind: str = "", account: str = "", external_id: str = "", phone: str = "",
                         email: str = "", display_name: str = "") -> tuple[User, bool]:
    """The customer behind a channel id, phone or e-mail; created when none matches. (user, created)."""
    if not (external_id or phone or email):
        raise ValueError("a channel id, a phone number or an e-mail address is needed")
    identity = None
    if external_id:
        identity = (ChannelIdentity.objects.select_related("customer")
                    .filter(kind=kind, account=account, external_id=external_id).first())
        if identity is not None:
            return identity.customer, False
    customer = _by_contact(phone, email)
    created = customer is None
    if customer is None:
        customer = _new_customer(display_name=display_name, phone=phone, email=email)
    if external_id:
        try:
            with transaction.atomic():
                ChannelIdentity.objects.create(customer=customer, kind=kind, account=account, external_id=external_id)
        except IntegrityError:
            # A concurrent delivery from the same sender linked the id first. A customer found by contact
            # yields to it; one just created is rolled back with the caller, and the provider redelivers.
            if created:
                raise
            identity = ChannelIdentity.objects.get(kind=kind, account=account, external_id=external_id)
            return identity.customer, False
    return customer, created
