"""Business-time math on Chinese calendars: weekends, statutory holidays, 调休 make-up days, overrides."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from core.business_hours import (
    Calendar,
    add_business_minutes,
    business_minutes_between,
    is_open_at,
    next_opening,
    opening_hours,
)

SH = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = [(time(9), time(18))]
OFFICE = Calendar(weekly=dict.fromkeys(range(5), NINE_TO_SIX))
SPLIT = Calendar(weekly={key: [(time(9), time(12)), (time(13), time(18))] for key in range(5)})


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def test_within_one_day() -> None:
    assert add_business_minutes(at(2026, 11, 23, 10), 60, OFFICE) == at(2026, 11, 23, 11)


def test_before_opening_starts_at_opening() -> None:
    assert add_business_minutes(at(2026, 11, 23, 7, 30), 30, OFFICE) == at(2026, 11, 23, 9, 30)


def test_lunch_break_is_skipped() -> None:
    assert add_business_minutes(at(2026, 11, 23, 11, 30), 60, SPLIT) == at(2026, 11, 23, 13, 30)


def test_friday_evening_rolls_over_the_weekend() -> None:
    # Friday 27 Nov 2026, 17:00 + 2 h → Monday 30 Nov 10:00.
    assert add_business_minutes(at(2026, 11, 27, 17), 120, OFFICE) == at(2026, 11, 30, 10)
    assert business_minutes_between(at(2026, 11, 27, 17), at(2026, 11, 30, 10), OFFICE) == 120


def test_national_day_golden_week_is_closed() -> None:
    # 2025: 1 to 8 October are holidays; Tuesday 30 Sept 17:00 + 2 h → Thursday 9 Oct 10:00.
    assert add_business_minutes(at(2025, 9, 30, 17), 120, OFFICE) == at(2025, 10, 9, 10)


def test_tiaoxiu_weekend_makeup_day_is_a_workday() -> None:
    # Sunday 28 Sept 2025 and Saturday 11 Oct 2025 are 调休 workdays.
    assert opening_hours(OFFICE, date(2025, 9, 28)) == NINE_TO_SIX
    assert add_business_minutes(at(2025, 9, 26, 17), 120, OFFICE) == at(2025, 9, 28, 10)
    assert add_business_minutes(at(2025, 10, 10, 17, 30), 60, OFFICE) == at(2025, 10, 11, 9, 30)


def test_seven_day_calendar_still_closes_on_statutory_holidays_only() -> None:
    every_day = Calendar(weekly={key: [(time(8), time(22))] for key in range(7)})
    assert opening_hours(every_day, date(2026, 11, 28)) == [(time(8), time(22))]  # an ordinary Saturday
    assert opening_hours(every_day, date(2025, 10, 1)) == []  # National Day


def test_without_statutory_holidays_follows_the_week_only() -> None:
    plain = Calendar(weekly=OFFICE.weekly, use_statutory_holidays=False)
    assert opening_hours(plain, date(2025, 10, 1)) == NINE_TO_SIX
    assert opening_hours(plain, date(2025, 9, 28)) == []


def test_overrides_win_over_everything() -> None:
    calendar = Calendar(
        weekly=OFFICE.weekly,
        overrides={date(2026, 11, 24): [], date(2026, 11, 28): [(time(10), time(12))]},
    )
    # Monday 17:00 + 3 h: Tuesday is closed by override → Wednesday 11:00.
    assert add_business_minutes(at(2026, 11, 23, 17), 180, calendar) == at(2026, 11, 25, 11)
    assert opening_hours(calendar, date(2026, 11, 28)) == [(time(10), time(12))]


def test_negative_minutes_walk_backwards() -> None:
    assert add_business_minutes(at(2026, 11, 30, 10), -120, OFFICE) == at(2026, 11, 27, 17)
    assert business_minutes_between(at(2026, 11, 30, 10), at(2026, 11, 27, 17), OFFICE) == -120


@pytest.mark.parametrize("minutes", [1, 59, 540, 541, 2000, 10000])
def test_add_and_between_are_inverse(minutes: int) -> None:
    start = at(2025, 9, 25, 16, 17)
    end = add_business_minutes(start, minutes, OFFICE)
    assert business_minutes_between(start, end, OFFICE) == minutes


def test_naive_datetimes_and_closed_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(datetime(2026, 11, 23, 10), 10, OFFICE)
    with pytest.raises(ValueError, match="no opening hours"):
        add_business_minutes(at(2026, 11, 23, 10), 10, Calendar(weekly={}))


def test_years_outside_the_holiday_table_use_the_week() -> None:
    assert opening_hours(OFFICE, date(2099, 1, 5)) == NINE_TO_SIX
    assert add_business_minutes(at(2099, 1, 2, 17), 120, OFFICE) - at(2099, 1, 5, 10) == timedelta(0)


@pytest.mark.parametrize(
    ("moment", "is_open", "opening"),
    [
        (at(2026, 11, 23, 10), True, at(2026, 11, 23, 10)),      # open: the moment itself
        (at(2026, 11, 23, 12, 30), False, at(2026, 11, 23, 13)),  # lunch break
        (at(2026, 11, 23, 18), False, at(2026, 11, 24, 9)),       # closing time is closed
        (at(2026, 11, 27, 19), False, at(2026, 11, 30, 9)),       # Friday evening → Monday
        (at(2026, 10, 1, 10), False, at(2026, 10, 8, 9)),         # National Day holiday → the first workday
    ],
)
def test_open_now_and_next_opening(moment: datetime, is_open: bool, opening: datetime) -> None:
    assert is_open_at(SPLIT, moment) is is_open
    assert next_opening(SPLIT, moment) == opening


def test_a_calendar_without_hours_never_opens() -> None:
    assert next_opening(Calendar(weekly={}), at(2026, 11, 23, 10), search_days=30) is None


def test_a_days_hours_are_worked_out_once_per_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = Calendar(weekly=OFFICE.weekly)
    asked: list[date] = []
    real = chinese_calendar.get_holiday_detail
    def counted(day: date) -> tuple[bool, str | None]:
        asked.append(day)
        return real(day)

    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", counted)
    monday = date(2026, 11, 23)
    first = opening_hours(calendar, monday)
    first.clear()  # a caller's list is its own
    assert opening_hours(calendar, monday) == list(NINE_TO_SIX) and asked == [monday]
    assert opening_hours(Calendar(weekly=OFFICE.weekly), monday) == list(NINE_TO_SIX) and asked == [monday, monday]
