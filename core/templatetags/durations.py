from datetime import timedelta

from django import template

from core.durations import humanize_duration

register = template.Library()


@register.filter
def duration(value: float | timedelta | None) -> str:
    """Seconds or a timedelta as "1 h 1 min" / "1小时1分钟" (see core.durations)."""
    return humanize_duration(value)
