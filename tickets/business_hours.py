"""Read-only answers about the desk's opening hours, for apps that sit above tickets (chat's off-hours switch).

The calendar that decides "open" is the one the channel's SLA promises are counted on, so what the
widget says and when the clock runs agree; without such a policy, the admin's default calendar.
"""

from core.business_hours import Calendar
from tickets import sla
from tickets.models import BusinessCalendar, Priority


def desk_calendar_id(*, channel: str) -> int | None:
    policy = sla.policy_for(channel=channel, priority=Priority.NORMAL)
    if policy is not None:
        return policy.calendar_id
    return BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()


def desk_calendar(*, channel: str) -> Calendar | None:
    """The calendar the channel is served on; None when no calendar is configured (always open)."""
    calendar_id = desk_calendar_id(channel=channel)
    return sla.load_calendar(calendar_id) if calendar_id is not None else None
