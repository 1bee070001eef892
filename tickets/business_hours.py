"""Read-only answers about the desk's opening hours, for apps that sit above tickets (chat's off-hours switch).

The calendar that decides "open" is the one the channel's SLA promises are counted on, so what the
widget says and when the clock runs agree; without such a policy, the admin's default calendar.
"""

from datetime import datetime, timedelta

from service_center.core.business_hours import Calendar, opening_hours
from tickets import sla
from tickets.models import BusinessCalendar, Priority

# Looking for the next opening further than this means the calendar has no hours at all.
_SEARCH_DAYS = 366


def desk_calendar_id(*, channel: str) -> int | None:
    policy = sla.policy_for(channel=channel, priority=Priority.NORMAL)
    if policy is not None:
        return policy.calendar_id
    return BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()


def desk_calendar(*, channel: str) -> Calendar | None:
    """The calendar the channel is served on; None when no calendar is configured (always open)."""
    calendar_id = desk_calendar_id(channel=channel)
    return sla.load_calendar(calendar_id) if calendar_id is not None else None


def is_open_at(calendar: Calendar, moment: datetime) -> bool:
    local = moment.astimezone(calendar.tz)
    return any(opens <= local.time() < closes for opens, closes in opening_hours(calendar, local.date()))


def next_opening(calendar: Calendar, moment: datetime) -> datetime | None:
    """`moment` itself when open, else the start of the next opening interval (None: no hours within a year)."""
    if is_open_at(calendar, moment):
        return moment
    local = moment.astimezone(calendar.tz)
    for offset in range(_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        for opens, _closes in opening_hours(calendar, day):
            start = datetime.combine(day, opens, tzinfo=calendar.tz)
            if start > local:
                return start
    return None

