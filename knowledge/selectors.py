"""Reads for the help center start page: what customers can ask about, and where they shop."""

from django.db.models import Count, Q, QuerySet

from profiles.models import AgentProfile, Skill, Store

# The start page lists stores as a directory; a marketplace with more links to search instead.
STORES_SHOWN = 24


def service_categories() -> QuerySet[Skill]:
    """The agents' skills are the categories customers choose from, each with its agents online now."""
    online = Q(agents__presence=AgentProfile.Presence.ONLINE)
    return Skill.objects.annotate(online_agents=Count("agents", filter=online)).order_by("pk")


def marketplace_stores(limit: int = STORES_SHOWN) -> list[Store]:
    return list(Store.objects.select_related("merchant").order_by("merchant__name", "name")[:limit])


def agents_online_count() -> int:
    return AgentProfile.objects.filter(presence=AgentProfile.Presence.ONLINE).count()
