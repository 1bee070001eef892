"""Business-time arithmetic on Chinese calendars: pure functions, no database.

A calendar is weekly opening hours, China's statutory holidays and 调休 make-up workdays (from
`chinesecalendar`), and explicit per-date overrides. SLA due times are "N business minutes after
X"; these functions answer that and the inverse ("how much business time lies between A and B").
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

Interval = tuple[time, time]
# A calendar with no opening hours at all would loop forever; ten years is past any SLA target.
_MAX_DAYS = 3660


@dataclass(frozen=True)
class Calendar:
    """weekly: weekday (0 = Monday) → opening intervals. overrides: date → intervals (empty = closed)."""

    weekly: Mapping[int, Sequence[Interval]]
    overrides: Mapping[date, Sequence[Interval]] = field(default_factory=dict)
    use_statutory_holidays: bool = True
    timezone: str = "Asia/Shanghai"
    # Each day's hours once worked out: a queue page asks about the same few days for every row's clocks (150
    # look-ups a page, each through chinesecalendar), and a calendar's rows never change under it (a saved
    # calendar is a new object, tickets.cached_config).
    _days_worked_out: dict[date, list[Interval]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def opening_hours(calendar: Calendar, day: date) -> list[Interval]:
    """The intervals the desk is open on `day`, sorted."""
    known = calendar._days_worked_out.get(day)
    if known is None:
        known = calendar._days_worked_out[day] = _work_out_hours(calendar, day)
    return list(known)


def _work_out_hours(calendar: Calendar, day: date) -> list[Interval]:
    if day in calendar.overrides:
        return sorted(calendar.overrides[day])
    if calendar.use_statutory_holidays:
        try:
            is_holiday, holiday_name = chinese_calendar.get_holiday_detail(day)
            is_workday = chinese_calendar.is_workday(day)
        except NotImplementedError:
            # Years the package does not know yet fall back to the weekly rule.
            is_holiday, holiday_name, is_workday = False, None, day.weekday() < 5
        if is_holiday and holiday_name is not None:
            return []
        if is_workday and day.weekday() >= 5:
            # 调休: a weekend day worked in exchange for a holiday keeps ordinary Monday hours.
            return sorted(calendar.weekly.get(0, ()))
    return sorted(calendar.weekly.get(day.weekday(), ()))


def _open_spans(calendar: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    tz = calendar.tz
    return [
        (datetime.combine(day, opens, tzinfo=tz), datetime.combine(day, closes, tzinfo=tz))
        for opens, closes in opening_hours(calendar, day)
    ]


def is_open_at(calendar: Calendar, moment: datetime) -> bool:
    local = moment.astimezone(calendar.tz)
    return any(opens <= local < closes for opens, closes in _open_spans(calendar, local.date()))


def next_opening(calendar: Calendar, moment: datetime, *, search_days: int = 366) -> datetime | None:
    """`moment` itself when open, else the start of the next opening (None: no hours within `search_days`)."""
    local = moment.astimezone(calendar.tz)
    for offset in range(search_days):
        for opens, closes in _open_spans(calendar, local.date() + timedelta(days=offset)):
            if closes > local:
                return max(opens, local)
    return None


def _days(start: date, step: int) -> Iterator[date]:
    for offset in range(_MAX_DAYS):
        yield start + timedelta(days=offset * step)
    raise ValueError("the calendar has no opening hours in ten years")


def add_business_time(start: datetime, delta: timedelta, calendar: Calendar) -> datetime:
    """The moment `delta` of open time after `start` (before it, when `delta` is negative)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    local = start.astimezone(calendar.tz)
    remaining = abs(delta)
    if not remaining:
        return start
    forward = delta > timedelta(0)
    for day in _days(local.date(), 1 if forward else -1):
        spans = _open_spans(calendar, day)
        for opens, closes in spans if forward else reversed(spans):
            if forward:
                begin = max(opens, local)
                if begin >= closes:
                    continue
                if begin + remaining <= closes:
                    return begin + remaining
                remaining -= closes - begin
            else:
                end = min(closes, local)
                if end <= opens:
                    continue
                if end - remaining >= opens:
                    return end - remaining
                remaining -= end - opens
    raise AssertionError("unreachable")  # pragma: no cover


def business_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Open time in [start, end); negative when end is before start."""
    if end < start:
        return -business_time_between(end, start, calendar)
    local_start, local_end = start.astimezone(calendar.tz), end.astimezone(calendar.tz)
    total = timedelta(0)
    day = local_start.date()
    while day <= local_end.date():
        for opens, closes in _open_spans(calendar, day):
            begin, finish = max(opens, local_start), min(closes, local_end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def add_business_minutes(start: datetime, minutes: float, calendar: Calendar) -> datetime:
    return add_business_time(start, timedelta(minutes=minutes), calendar)


def business_minutes_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    return business_time_between(start, end, calendar).total_seconds() / 60
