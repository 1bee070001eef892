"""One way to show a length of time to people: "1 h 1 min" in English, "1小时1分钟" in Chinese.

Used by the SLA clocks (ticket page, queue, desk script), the reports and their exports. Two units
at most, the largest first, each unit translated as a whole so Chinese never shows "1h 1m"; a
duration is a magnitude, so the caller words the direction ("left", "overdue").
"""

from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrPromise

MISSING = "—"


def humanize_duration(value: float | timedelta | None) -> str:
    """`value` (seconds or a timedelta, sign ignored) as at most two units; "—" for None."""
    if value is None:
        return MISSING
    seconds = abs(value.total_seconds() if isinstance(value, timedelta) else float(value))
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": round(seconds)}
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if not minutes:
            return _("%(hours)d h") % {"hours": hours}
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    if not hours:
        return _("%(days)d d") % {"days": days}
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def duration_units() -> dict[str, StrPromise]:
    """The same unit patterns for the desk script, which counts down between page loads."""
    return {
        "seconds": gettext_lazy("%(seconds)d s"), "minutes": gettext_lazy("%(minutes)d min"),
        "hours": gettext_lazy("%(hours)d h"), "hours_minutes": gettext_lazy("%(hours)d h %(minutes)d min"),
        "days": gettext_lazy("%(days)d d"), "days_hours": gettext_lazy("%(days)d d %(hours)d h"),
    }
