"""Who takes a waiting chat: an online agent of the chat's team (any agent when it has none) who holds
every skill the routing rule asked for and has room under their capacity, picked by the team's
`ChatTeamSettings` strategy (least busy by default, round robin, or manual: agents pick themselves).

Race-free: picks for one team run one at a time under a transaction-scoped advisory lock, and the
chosen agent's profile row is locked and their open chats recounted before the chat is theirs, the
same lock an agent's own "accept" takes. So two hand-offs never overfill an agent, and an agent
accepting by hand never collides with the router.
"""

from django.db import connection
from django.db.models import Count, F, Q

from chat.models import ChatTeamSettings, Conversation
from profiles.models import AgentProfile

# First key of the advisory lock (the second is the team id, 0 for no team): "chat" in ASCII.
ROUTING_LOCK_NAMESPACE = 0x63686174
Strategy = ChatTeamSettings.Strategy


def lock_team(team_id: int | None) -> None:
    """Hold the team's routing lock until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROUTING_LOCK_NAMESPACE, team_id or 0])


def strategy_for(team_id: int | None) -> ChatTeamSettings | None:
    return ChatTeamSettings.objects.filter(team_id=team_id).first() if team_id is not None else None


def candidates(*, team_id: int | None, skill_ids: list[int]) -> list[AgentProfile]:
    """Online agents with room for one more chat, each annotated with `active_chats`, by user id."""
    active = Count("user__assigned_chats", filter=Q(user__assigned_chats__status=Conversation.Status.ACTIVE),
                   distinct=True)
    agents = AgentProfile.objects.filter(presence=AgentProfile.Presence.ONLINE, user__is_active=True)
    if team_id is not None:
        agents = agents.filter(teams=team_id)
    for skill_id in skill_ids:
        agents = agents.filter(skills=skill_id)
    agents = agents.annotate(active_chats=active).filter(active_chats__lt=F("capacity"))
    return list(agents.select_related("user").order_by("user_id"))


def _in_turn(found: list[AgentProfile], settings_row: ChatTeamSettings | None) -> list[AgentProfile]:
    if settings_row is not None and settings_row.strategy == Strategy.ROUND_ROBIN:
        last = settings_row.last_assigned_agent_id or 0
        after = [profile for profile in found if profile.user_id > last]
        return after + [profile for profile in found if profile.user_id <= last]
    # Least busy: the smallest share of capacity in use, then the fewest chats, then the lowest id.
    return sorted(found, key=lambda profile: (profile.active_chats / max(profile.capacity, 1),  # type: ignore[attr-defined]
                                              profile.active_chats, profile.user_id))  # type: ignore[attr-defined]


def claim_agent(conversation: Conversation) -> AgentProfile | None:
    """The agent who takes `conversation` now, their profile row locked; None when the team picks by
    hand or nobody has room. The caller holds the conversation locked and assigns it in the same
    transaction."""
    settings_row = strategy_for(conversation.team_id)
    if settings_row is not None and settings_row.strategy == Strategy.MANUAL:
        return None
    lock_team(conversation.team_id)
    for candidate in _in_turn(candidates(team_id=conversation.team_id, skill_ids=conversation.skill_ids),
                              settings_row):
        profile = AgentProfile.objects.select_for_update().filter(
            pk=candidate.pk, presence=AgentProfile.Presence.ONLINE).first()
        # Recounted under the profile lock: the count above may predate another pick or accept.
        if profile is not None and Conversation.objects.filter(
                agent_id=profile.user_id, status=Conversation.Status.ACTIVE).count() < profile.capacity:
            if settings_row is not None and settings_row.strategy == Strategy.ROUND_ROBIN:
                ChatTeamSettings.objects.filter(pk=settings_row.pk).update(last_assigned_agent=profile.user_id)
            return profile
    return None
