"""Headline figures for the reports start page."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q

from profiles.models import AgentProfile, CustomerProfile, Store, Team

# COUNT(*) over the customer table is too dear for every page view; a minute-old figure is fine.
HEADLINE_CACHE_KEY = "reports:headline:v1"
HEADLINE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Headline:
    customers: int
    agents_online: int
    agents_away: int
    agents_offline: int
    teams: int
    stores: int

    @property
    def agents(self) -> int:
        return self.agents_online + self.agents_away + self.agents_offline


def headline() -> Headline:
    cached = cache.get(HEADLINE_CACHE_KEY)
    if isinstance(cached, Headline):
        return cached
    fresh = _count_headline()
    cache.set(HEADLINE_CACHE_KEY, fresh, HEADLINE_CACHE_SECONDS)
    return fresh


def _count_headline() -> Headline:
    presence = AgentProfile.Presence
    agents = AgentProfile.objects.aggregate(
        online=Count("pk", filter=Q(presence=presence.ONLINE)),
        away=Count("pk", filter=Q(presence=presence.AWAY)),
        offline=Count("pk", filter=Q(presence=presence.OFFLINE)),
    )
    return Headline(
        customers=CustomerProfile.objects.count(),
        agents_online=agents["online"],
        agents_away=agents["away"],
        agents_offline=agents["offline"],
        teams=Team.objects.count(),
        stores=Store.objects.count(),
    )
