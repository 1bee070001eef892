"""Formatting of report figures: durations, percentages, 1-5 scores; "—" where a ratio has no base."""

from django import template
from django.utils.formats import number_format

from core.durations import MISSING, humanize_duration
from core.money import format_fen

register = template.Library()


register.filter("duration", humanize_duration)


@register.filter
def percent(share: float | None) -> str:
    return MISSING if share is None else f"{number_format(round(share * 100, 1), 1)} %"


@register.filter
def kpi(value: float | int | None, kind: str) -> str:
    """One KPI cell by its column kind (see reports.kpis.KpiColumn)."""
    if value is None:
        return MISSING
    if kind == "seconds":
        return humanize_duration(value)
    if kind == "percent":
        return percent(value)
    if kind == "fen":
        return format_fen(int(value))
    # number_format cuts digits off; round first so 5/3 reads 1.7, not 1.6.
    if kind == "score":
        return number_format(round(value, 2), 2)
    if kind == "rate":
        return number_format(round(value, 1), 1)
    return number_format(value, 0, force_grouping=True)
