"""Writes for people and organisations. Keyword-only, one transaction each, events on commit."""

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import events
from core.config_cache import cached, invalidate_on_write
from core.object_permissions import grant_object_permission, revoke_object_permission
from profiles.models import (
    AgentProfile,
    AuditEntry,
    CustomerProfile,
    Merchant,
    Skill,
    Store,
    StoreMembership,
    Team,
    User,
)
from profiles.roles import Role

STORE_OBJECT_PERMISSIONS = ("profiles.view_store",)
ROLE_GROUPS = "profiles:role_groups"


def _role_group_ids(roles: list[Role] | tuple[Role, ...]) -> list[int]:
    """The groups of these roles, by id, from the shared cache: a new customer from every first mail or message
    would otherwise look the group up each time."""
    groups: dict[str, int] = cached(ROLE_GROUPS, lambda: dict(Group.objects.values_list("name", "pk")))
    return [groups[str(role)] for role in roles if str(role) in groups]


def register_caches() -> None:
    invalidate_on_write(ROLE_GROUPS, Group)


# No savepoint of its own inside a caller's transaction (a new customer from every first mail or message would
# pay two more round trips): a failure fails the caller's transaction with it, and no caller carries on after one.
@transaction.atomic(savepoint=False)
def user_create(
    *,
    username: str,
    password: str | None,
    roles: list[Role] | tuple[Role, ...] = (),
    display_name: str = "",
    phone: str = "",
    email: str = "",
    is_superuser: bool = False,
    password_hash: str | None = None,
) -> User:
    """A new user; `password_hash` (from make_password) instead of `password` lets a caller creating many users
    with one password hash it once: a PBKDF2 hash costs a quarter of a second by design."""
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        email=email,
        is_superuser=is_superuser,
        is_staff=is_superuser or bool({Role.SUPERVISOR, Role.QA, Role.ADMIN} & set(roles)),
    )
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password) if password else user.set_unusable_password()
    user.save()
    if roles:
        _join_new_user_to_groups(user, _role_group_ids(roles))
    events.publish("user.created", user_id=user.pk)
    return user


def _join_new_user_to_groups(user: User, group_ids: list[int]) -> None:
    """`user.groups.add(...)` without its look-up of the memberships that exist already (a new user has none; a
    round trip for every new customer of every first mail or message). Its signals are still sent: the audit log
    records a person's permission changes through them."""
    through = User.groups.through
    pk_set = set(group_ids)
    signal = {"sender": through, "instance": user, "reverse": False, "model": Group, "pk_set": pk_set,
              "using": user._state.db}
    m2m_changed.send(action="pre_add", **signal)
    through.objects.bulk_create([through(user_id=user.pk, group_id=pk) for pk in sorted(pk_set)])
    m2m_changed.send(action="post_add", **signal)


@transaction.atomic
def customer_upsert(
    *,
    external_id: str,
    display_name: str,
    phone: str = "",
    email: str = "",
    vip_level: int = CustomerProfile.VipLevel.REGULAR,
    tags: list[str] | None = None,
    address: str = "",
) -> tuple[CustomerProfile, bool]:
    """Create or update the customer an integrator knows by `external_id`; returns (profile, created)."""
    profile = (
        CustomerProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(external_id=external_id)
        .first()
    )
    created = profile is None
    if profile is None:
        user = user_create(
            username=f"ext-{external_id}", password=None, roles=[Role.CUSTOMER],
            display_name=display_name, phone=phone, email=email,
        )
        profile = CustomerProfile(user=user, external_id=external_id)
    else:
        user = profile.user
        renamed = user.display_name != display_name
        user.display_name, user.phone, user.email = display_name, phone, email
        user.save(update_fields=["display_name", "phone", "phone_index", "email", "email_index"])
        if renamed:
            events.publish("user.renamed", user_id=user.pk)
    profile.vip_level = vip_level
    profile.tags = tags or []
    profile.address = address
    profile.save()
    events.publish("customer.upserted", customer_id=profile.pk, created=created)
    return profile, created


@transaction.atomic
def store_add_staff(*, store: Store, user: User, role: str = StoreMembership.StoreRole.STAFF) -> StoreMembership:
    membership, created = StoreMembership.objects.get_or_create(store=store, user=user, defaults={"role": role})
    if not created and membership.role != role:
        # Saved only on a real change, so re-adding someone writes no empty history row.
        membership.role = role
        membership.save(update_fields=["role"])
    user.groups.add(Group.objects.get(name=Role.MERCHANT_STAFF))
    for permission in STORE_OBJECT_PERMISSIONS:
        grant_object_permission(user, permission, store)
    events.publish("store.staff_added", store_id=store.pk, user_id=user.pk)
    return membership


@transaction.atomic
def store_remove_staff(*, store: Store, user: User) -> None:
    StoreMembership.objects.filter(store=store, user=user).delete()
    for permission in STORE_OBJECT_PERMISSIONS:
        revoke_object_permission(user, permission, store)
    events.publish("store.staff_removed", store_id=store.pk, user_id=user.pk)


# --- Organisation set-up, shared by the admin and `seed_demo`: each call is safe to repeat. ---

AGENT_MAX_CAPACITY = 100  # mirrors the agent_capacity_max_100 check constraint
AGENT_CAPACITY_RAISED_EVENT = "agent.capacity_raised"


def _save_changes(instance: Any, values: dict[str, Any]) -> None:
    # Saving only real changes keeps a repeated call from writing a history row each time.
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)


@transaction.atomic
def user_ensure(
    *,
    username: str,
    password: str | None,
    roles: list[Role] | tuple[Role, ...] = (),
    display_name: str = "",
    phone: str = "",
    email: str = "",
    is_superuser: bool = False,
    password_hash: str | None = None,
) -> tuple[User, bool]:
    """The user called `username`, created if missing (returns (user, created)).

    An existing user keeps their password and details, so people who changed them are not reset;
    only the listed roles are added if they lost them.
    """
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        return user_create(
            username=username, password=password, roles=roles, display_name=display_name,
            phone=phone, email=email, is_superuser=is_superuser, password_hash=password_hash,
        ), True
    if roles:
        user.groups.add(*Group.objects.filter(name__in=[str(role) for role in roles]))
    return user, False


@transaction.atomic
def merchant_ensure(*, name: str) -> Merchant:
    merchant, _ = Merchant.objects.get_or_create(name=name)
    return merchant


@transaction.atomic
def store_ensure(*, merchant: Merchant, code: str, name: str) -> Store:
    """The store with `code` (its stable identifier), created or brought up to date."""
    store = Store.objects.select_for_update().filter(code=code).first()
    if store is None:
        return Store.objects.create(merchant=merchant, code=code, name=name)
    _save_changes(store, {"merchant": merchant, "name": name})
    return store


@transaction.atomic
def skill_ensure(*, code: str, name: str) -> Skill:
    skill = Skill.objects.select_for_update().filter(code=code).first()
    if skill is None:
        return Skill.objects.create(code=code, name=name)
    _save_changes(skill, {"name": name})
    return skill


@transaction.atomic
def team_ensure(*, name: str, description: str = "") -> Team:
    team = Team.objects.select_for_update().filter(name=name).first()
    if team is None:
        return Team.objects.create(name=name, description=description)
    _save_changes(team, {"description": description})
    return team


def agent_capacity_changed(*, profile: AgentProfile, previous: int) -> None:
    """After an agent's chat capacity was saved (here or in admin): room for more chats is published as
    `AGENT_CAPACITY_RAISED_EVENT`, on which chat hands them waiting chats through its outbox task."""
    if profile.capacity > previous:
        events.publish(AGENT_CAPACITY_RAISED_EVENT, user_id=profile.user_id, capacity=profile.capacity)


@transaction.atomic
def agent_profile_set(*, user: User, skills: list[Skill], teams: list[Team], capacity: int) -> AgentProfile:
    if not 1 <= capacity <= AGENT_MAX_CAPACITY:
        raise ValueError(f"capacity must be between 1 and {AGENT_MAX_CAPACITY}, not {capacity}")
    profile, created = AgentProfile.objects.select_for_update().get_or_create(
        user=user, defaults={"capacity": capacity}
    )
    if not created:
        previous = profile.capacity
        _save_changes(profile, {"capacity": capacity})
        agent_capacity_changed(profile=profile, previous=previous)
    profile.skills.set(skills)
    profile.teams.set(teams)
    if created:
        events.publish("agent.created", user_id=user.pk)
    return profile


@transaction.atomic
def customer_profile_set(
    *,
    user: User,
    external_id: str | None,
    vip_level: int = CustomerProfile.VipLevel.REGULAR,
    tags: list[str] | None = None,
    address: str = "",
    id_number: str = "",
) -> CustomerProfile:
    """Attach or update the customer profile of an existing user (signed-up customers, demo data)."""
    values = {"external_id": external_id, "vip_level": vip_level, "tags": tags or [], "address": address,
              "id_number": id_number}
    profile = CustomerProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        profile = CustomerProfile.objects.create(user=user, **values)
        events.publish("customer.upserted", customer_id=profile.pk, created=True)
        return profile
    _save_changes(profile, values)
    return profile


def audit_record(
    *, action: str, actor: Any = None, username: str = "", subject: str = "", ip_address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one fact to the audit log (never raises on a missing actor: failed sign-ins have none)."""
    known_actor = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        action=action,
        actor=known_actor,
        username=username or getattr(known_actor, "username", ""),
        subject=subject[:200],
        ip_address=ip_address or None,
        detail=detail or {},
    )


def two_factor_device_for_setup(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator this user is setting up (the same secret until they confirm it)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=gettext("Authenticator app"), confirmed=False)


@transaction.atomic
def two_factor_check(*, user: User, token: str, ip_address: str | None = None) -> TOTPDevice | None:
    """The device that accepts `token`, confirming a device being set up; None when refused.

    django-otp refuses a code already used (its last time step is kept) and, after repeated failures,
    any code for a growing delay; each refusal is also counted in the audit log.
    """
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("id").first()
        or TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
    )
    if device is None or not device.verify_token(token.strip()):
        audit_record(action=AuditEntry.Action.TWO_FACTOR_FAILED, actor=user, ip_address=ip_address)
        return None
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(action=AuditEntry.Action.TWO_FACTOR_ENROLLED, actor=user, ip_address=ip_address)
    else:
        audit_record(action=AuditEntry.Action.TWO_FACTOR_VERIFIED, actor=user, ip_address=ip_address)
    return device


def customer_segments_apply(*, members: dict[str, list[int]], now: Any = None) -> int:
    """Put each listed customer (user ids) in their segment; one UPDATE per segment, only where it changes.

    A nightly recomputation, not a person's edit: no history row per customer per night.
    """
    now = now or timezone.now()
    changed = 0
    for segment, user_ids in members.items():
        changed += (
            CustomerProfile.objects.filter(user_id__in=user_ids).exclude(segment=segment)
            .update(segment=segment, segment_updated_at=now)
        )
    return changed
