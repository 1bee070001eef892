"""Reads for people and organisations; select/prefetch decisions live here, once."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.object_permissions import objects_for_user
from profiles.models import AgentProfile, CustomerProfile, Store, StoreMembership, Team, User
from profiles.roles import Role


def user_has_role(user: Any, *roles: Role) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.role_names & {str(role) for role in roles})


def stores_for_user(user: Any) -> QuerySet[Store]:
    return objects_for_user(user, "profiles.view_store", Store.objects.select_related("merchant").order_by("pk"))


def store_for_user(user: Any, store_id: int) -> Store:
    """Fetch and check in one step: someone else's store is indistinguishable from no store."""
    store = stores_for_user(user).filter(pk=store_id).first()
    if store is None:
        raise Http404("store not found")
    return store


def customers_list() -> QuerySet[CustomerProfile]:
    return CustomerProfile.objects.select_related("user").order_by("-id")


def customers_recent(limit: int = 10) -> list[CustomerProfile]:
    return list(customers_list()[:limit])


def agents_for_desk(user: Any) -> QuerySet[AgentProfile]:
    """The agents who share a team with `user` (all agents for people without a team)."""
    agents = AgentProfile.objects.select_related("user").prefetch_related("skills", "teams").order_by("user__username")
    own_teams = list(AgentProfile.objects.filter(user_id=user.pk).values_list("teams", flat=True))
    own_teams = [team for team in own_teams if team is not None]
    return agents.filter(teams__in=own_teams).distinct() if own_teams else agents


def agent_profile_for(user: Any) -> AgentProfile | None:
    return (
        AgentProfile.objects.select_related("user")
        .prefetch_related("skills", "teams")
        .filter(user_id=user.pk)
        .first()
    )


def is_agent(user: Any) -> bool:
    return AgentProfile.objects.filter(user_id=user.pk).exists()


def agent_users() -> QuerySet[User]:
    """Users with an agent profile: who a ticket can be assigned or transferred to, or a call logged for."""
    return User.objects.filter(agent_profile__isnull=False)


def agent_ids_among(user_ids: Iterable[int]) -> set[int]:
    """Which of `user_ids` are agents (have an agent profile): the people agent reports measure."""
    return set(agent_users().filter(pk__in=list(user_ids)).values_list("pk", flat=True))


# --- Start pages (appended by the pages helper) ---


def customer_profile_for(user: Any) -> CustomerProfile | None:
    return CustomerProfile.objects.select_related("user").filter(user_id=user.pk).first()


def store_with_staff_for_user(user: Any, store_id: int) -> Store:
    """`store_for_user` with its staff (memberships and their users) prefetched, managers first."""
    staff = StoreMembership.objects.select_related("user").order_by("role", "user__username")
    store = stores_for_user(user).prefetch_related(Prefetch("memberships", queryset=staff)).filter(pk=store_id).first()
    if store is None:
        raise Http404("store not found")
    return store


def agent_presence_counts() -> dict[str, int]:
    """Agents per presence state (online, away, offline), every state present."""
    counts = dict(AgentProfile.objects.values_list("presence").annotate(total=Count("id")).order_by())
    return {str(state): counts.get(state, 0) for state in AgentProfile.Presence.values}


def customer_by_identifier(identifier: str) -> User | None:
    """The customer an agent names by username, shop id, phone or e-mail (the last two through their
    blind indexes: they are encrypted and cannot be searched in SQL)."""
    text = identifier.strip()
    if not text:
        return None
    found = (
        CustomerProfile.objects.select_related("user")
        .filter(Q(user__username=text) | Q(external_id=text)).first()
    )
    if found is not None:
        return found.user
    kind = "email" if "@" in text else "phone"
    try:
        user = User.objects.get_by_email(text) if kind == "email" else User.objects.get_by_phone(text)
    except (User.DoesNotExist, User.MultipleObjectsReturned):
        return None
    return user if CustomerProfile.objects.filter(user=user).exists() else None


def has_authenticator(user: Any) -> bool:
    """Whether the user finished setting up a TOTP authenticator (the second sign-in step)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Display name (or username) per user id, in one query, for report rows keyed by id."""
    rows = User.objects.filter(pk__in=set(user_ids)).values_list("pk", "display_name", "username")
    return {pk: display or username for pk, display, username in rows}


def team_names() -> dict[int, str]:
    return dict(Team.objects.values_list("pk", "name"))


def store_merchants() -> dict[int, tuple[str, int, str]]:
    """(store name, merchant id, merchant name) per store id, for after-sales figures."""
    rows = Store.objects.values_list("pk", "name", "merchant_id", "merchant__name")
    return {pk: (name, merchant_id, merchant) for pk, name, merchant_id, merchant in rows}


def customer_for_desk(customer_id: int) -> CustomerProfile:
    """The customer (by user id) whose 360 page the desk opens; 404 for staff or unknown ids."""
    profile = (CustomerProfile.objects.select_related("user", "merged_into__user")
               .filter(user_id=customer_id).first())
    if profile is None:
        raise Http404("customer not found")
    return profile
