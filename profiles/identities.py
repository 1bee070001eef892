"""One customer across channels: finding (or creating) the customer a message from outside comes from.

A message names its sender by a channel id (WeChat openid, Weibo uid), a phone number or an e-mail
address. The same person must land on the same customer whichever they use, so lookup goes channel id
→ phone (blind index) → e-mail (blind index), and whatever was new is linked to the customer found. An
unknown sender becomes a new customer (as Zendesk does), with no password until they sign up.
"""

import uuid

from django.db.models import Q

from core.crypto import blind_index, normalise
from core.customer_merge import MergeHandler
from core.locks import lock_for_transaction, require_transaction
from profiles.models import ChannelIdentity, CustomerProfile, User
from profiles.roles import Role
from profiles.services import user_create


def contact_lock_key(*, kind: str = "", account: str = "", external_id: str = "", phone: str = "",
                     email: str = "") -> str:
    """The advisory lock `customer_for_contact` takes for these arguments: two first messages from one new sender
    arriving at once wait on it and make one customer, not two. A caller that takes other locks anyway takes this
    one with them (core.locks takes several in one round trip) and passes `locked=True`."""
    if external_id:
        return f"customer-contact:{kind}:{account}:{external_id}"
    return "customer-contact:" + (blind_index(phone, kind="phone") if phone else blind_index(email, kind="email"))


def _by_contact(phone: str, email: str) -> User | None:
    """The customer with this phone or e-mail; a staff account sharing it never takes a customer's mail."""
    match = Q()
    if phone:
        match |= Q(phone_index=blind_index(phone, kind="phone"))
    if email:
        match |= Q(email_index=blind_index(email, kind="email"))
    if not match:
        return None
    # With its profile: the ticket the message opens is routed by it (VIP level, tags), without another query.
    return User.objects.filter(match, customer_profile__isnull=False).select_related("customer_profile").order_by(
        "pk").first()


def _new_customer(*, display_name: str, phone: str, email: str) -> User:
    name = display_name.strip() or (normalise(email, kind="email").partition("@")[0] if email else "")
    user = user_create(username=f"c-{uuid.uuid4().hex[:12]}", password=None, roles=[Role.CUSTOMER],
                       display_name=name[:100], phone=phone.strip(), email=email.strip())
    CustomerProfile.objects.create(user=user)  # also cached on `user` (a one-to-one sets both sides)
    return user


def customer_for_contact(*, kind: str = "", account: str = "", external_id: str = "", phone: str = "",
                         email: str = "", display_name: str = "", locked: bool = False) -> tuple[User, bool]:
    """The customer behind a channel id, phone or e-mail; created when none matches. (user, created). The user
    comes with its profile read, for routing the ticket the message opens.

    Runs in the caller's transaction, which stores the message too (intake opens one per message: a
    savepoint of its own would be two more round trips); the lookup's lock (`contact_lock_key`) is held until that
    commits. `locked`: the caller holds that lock already."""
    require_transaction("a customer is looked up inside the caller's transaction")
    if not (external_id or phone or email):
        raise ValueError("a channel id, a phone number or an e-mail address is needed")
    if not locked:
        lock_for_transaction(contact_lock_key(kind=kind, account=account, external_id=external_id, phone=phone,
                                              email=email))
    if external_id:
        identity = (ChannelIdentity.objects.select_related("customer__customer_profile")
                    .filter(kind=kind, account=account, external_id=external_id).first())
        if identity is not None:
            return identity.customer, False
    customer = _by_contact(phone, email)
    created = customer is None
    if customer is None:
        customer = _new_customer(display_name=display_name, phone=phone, email=email)
    if external_id:
        ChannelIdentity.objects.create(customer=customer, kind=kind, account=account, external_id=external_id)
    return customer, created


def _move_identities(source_id: int, target_id: int) -> dict[str, int]:
    # A duplicate's WeChat openid or Weibo uid must find the customer it was merged into from now on.
    moved = ChannelIdentity.objects.filter(customer_id=source_id).update(customer_id=target_id)
    return {"profiles.ChannelIdentity.customer": moved}


MERGE_HANDLER = MergeHandler(fields=("profiles.ChannelIdentity.customer",), move=_move_identities)
