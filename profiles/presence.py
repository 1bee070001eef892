"""Agent presence, the one mechanism behind the status every desk page shows and routing reads.

Three inputs settle an agent's `presence`:

- the status they chose (online, away, busy, offline), kept across pages and tabs;
- their open desk tabs (`PresenceTab`, one per presence socket): none live means offline. A
  heartbeat keeps a tab live for `PRESENCE_STALE_AFTER_SECONDS`; a closed socket lingers for
  `PRESENCE_CLOSE_GRACE_SECONDS`, so going from /desk/ to /desk/chats/ never blinks offline, and
  closing one of two tabs changes nothing;
- their last keyboard or mouse use in any tab: "online" shows as away after
  `PRESENCE_IDLE_AWAY_SECONDS`, and turns back the moment a tab reports use.

Every write locks the agent's profile row, so two tabs (or a tab and the beat sweep) settle one after
the other on fresh data; a late or stale frame can only extend a tab or report activity, never force
a status. A change is published as `agent.presence_changed` and broadcast by `profiles.realtime`.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core import events
from profiles.models import AgentProfile, PresenceTab, User

Presence = AgentProfile.Presence
PRESENCE_CHANGED_EVENT = "agent.presence_changed"


def _live_tabs(now: datetime) -> QuerySet[PresenceTab]:
    return PresenceTab.objects.filter(expires_at__gt=now)


def effective_presence(profile: AgentProfile, *, has_live_tab: bool, now: datetime) -> str:
    """What the agent is shown as, from their choice, their tabs and their last activity."""
    if not has_live_tab or profile.chosen_presence == Presence.OFFLINE:
        return Presence.OFFLINE
    idle_since = now - timedelta(seconds=settings.PRESENCE_IDLE_AWAY_SECONDS)
    if profile.chosen_presence == Presence.ONLINE and (
        profile.last_active_at is None or profile.last_active_at < idle_since
    ):
        return Presence.AWAY
    return profile.chosen_presence


def _locked(user: User) -> AgentProfile:
    return AgentProfile.objects.select_for_update().get(user_id=user.pk)


def _settle(profile: AgentProfile, now: datetime, *, chose: bool = False) -> AgentProfile:
    """Store and announce the effective presence of a profile whose row the caller holds locked, with a
    new choice the caller set on it (`chose`; announced even when the presence stays: the agent's
    other tabs show the choice). One save, so one history row per change."""
    has_live_tab = _live_tabs(now).filter(agent=profile).exists()
    presence = effective_presence(profile, has_live_tab=has_live_tab, now=now)
    changed = presence != profile.presence
    profile.presence = presence
    fields = [*(["presence"] if changed else []), *(["chosen_presence"] if chose else [])]
    if fields:
        # save() so the change lands in the presence history (the clocks are excluded from it).
        profile.save(update_fields=fields)
    if changed or chose:
        events.publish(PRESENCE_CHANGED_EVENT, user_id=profile.user_id, presence=presence,
                       chosen=profile.chosen_presence)
    return profile


def _touch(profile: AgentProfile, now: datetime, *, active: bool) -> None:
    # update(), not save(): the clocks move on every heartbeat and would flood the history.
    fields = {"last_seen_at": now, **({"last_active_at": now} if active else {})}
    AgentProfile.objects.filter(pk=profile.pk).update(**fields)
    for name, value in fields.items():
        setattr(profile, name, value)


def _keep_tab(profile: AgentProfile, tab: str, now: datetime) -> None:
    PresenceTab.objects.update_or_create(
        key=tab, defaults={"agent": profile,
                           "expires_at": now + timedelta(seconds=settings.PRESENCE_STALE_AFTER_SECONDS)},
    )


@transaction.atomic
def presence_tab_open(*, user: User, tab: str, now: datetime | None = None) -> AgentProfile:
    """A desk page opened its socket. The first tab of a working session starts it online."""
    now = now or timezone.now()
    profile = _locked(user)
    restart = not _live_tabs(now).filter(agent=profile).exists() and profile.chosen_presence != Presence.ONLINE
    if restart:
        profile.chosen_presence = Presence.ONLINE
    _keep_tab(profile, tab, now)
    _touch(profile, now, active=True)
    return _settle(profile, now, chose=restart)


@transaction.atomic
def presence_heartbeat(*, user: User, tab: str, active: bool, now: datetime | None = None) -> AgentProfile:
    """A tab is still open; `active` when the agent used the keyboard or mouse in it since its last beat."""
    now = now or timezone.now()
    profile = _locked(user)
    _keep_tab(profile, tab, now)
    _touch(profile, now, active=active)
    return _settle(profile, now)


@transaction.atomic
def presence_choose(*, user: User, tab: str, presence: str, now: datetime | None = None) -> AgentProfile:
    """The agent picked a status in one of their tabs; every tab follows."""
    if presence not in Presence.values:
        raise ValueError(f"unknown presence {presence!r}")
    now = now or timezone.now()
    profile = _locked(user)
    chose = profile.chosen_presence != presence
    profile.chosen_presence = presence
    _keep_tab(profile, tab, now)
    _touch(profile, now, active=True)
    return _settle(profile, now, chose=chose)


@transaction.atomic
def presence_tab_close(*, user: User, tab: str, now: datetime | None = None) -> AgentProfile:
    """A tab's socket closed: the tab lingers briefly (a page change reconnects), then counts as gone."""
    now = now or timezone.now()
    profile = _locked(user)
    linger_until = now + timedelta(seconds=settings.PRESENCE_CLOSE_GRACE_SECONDS)
    PresenceTab.objects.filter(key=tab, agent=profile, expires_at__gt=linger_until).update(expires_at=linger_until)
    return _settle(profile, now)


@transaction.atomic
def presence_sweep(*, now: datetime | None = None) -> int:
    """Settle agents whose tabs all expired or who went idle; returns how many changed. Run by beat."""
    now = now or timezone.now()
    idle_since = now - timedelta(seconds=settings.PRESENCE_IDLE_AWAY_SECONDS)
    live = Exists(_live_tabs(now).filter(agent=OuterRef("pk")))
    due = (
        AgentProfile.objects.select_for_update(skip_locked=True)
        .filter((~Q(presence=Presence.OFFLINE) & ~live)
                | Q(presence=Presence.ONLINE, last_active_at__lt=idle_since)
                | Q(presence=Presence.ONLINE, last_active_at__isnull=True))
        .order_by("pk")
    )
    changed = 0
    for profile in due:
        before = profile.presence
        changed += _settle(profile, now).presence != before
    PresenceTab.objects.filter(expires_at__lte=now).delete()
    return changed
