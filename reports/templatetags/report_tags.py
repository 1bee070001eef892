"""Formatting of report figures: durations, percentages, 1-5 scores; "—" where a ratio has no base."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from aftersales.templatetags.aftersales_tags import yuan

register = template.Library()

MISSING = "—"


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return MISSING
    minutes = round(seconds / 60)
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": round(seconds)}
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(days)d d %(hours)d h") % {"days": hours // 24, "hours": hours % 24}


@register.filter
def percent(share: float | None) -> str:
    return MISSING if share is None else f"{number_format(round(share * 100, 1), 1)} %"


@register.filter
def kpi(value: float | int | None, kind: str) -> str:
    """One KPI cell by its column kind (see reports.kpis.KpiColumn)."""
    if value is None:
        return MISSING
    if kind == "seconds":
        return duration(value)
    if kind == "percent":
        return percent(value)
    if kind == "fen":
        return yuan(int(value))
    # number_format cuts digits off; round first so 5/3 reads 1.7, not 1.6.
    if kind == "score":
        return number_format(round(value, 2), 2)
    if kind == "rate":
        return number_format(round(value, 1), 1)
    return number_format(value, 0, force_grouping=True)
