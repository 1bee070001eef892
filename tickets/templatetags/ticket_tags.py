"""Badges every desk list shows once per row (status, channel, SLA clock): tags, not included templates, since
an include costs a template render each and a queue page of 50 rows rendered 200 of them."""

from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.durations import humanize_duration
from tickets.tag_labels import label_for

register = template.Library()

register.filter("tag_label", label_for)


@register.simple_tag
def ticket_status(ticket: Any) -> SafeString:
    return format_html('<span class="tk-status tk-status--{}">{}</span>', ticket.status, ticket.get_status_display())


@register.simple_tag
def channel_badge(channel: str, label: str) -> SafeString:
    return format_html('<span class="tk-channel tk-channel--{}" title="{}"><span class="tk-channel__icon" '
                       'aria-hidden="true">{}</span>{}</span>', channel, label, str(label)[:1], label)


def _clock_text(clock: Any) -> str:
    if clock.state == "met":
        return _("Met")
    if clock.state == "breached" and not clock.live:
        return _("Done %(late)s late") % {"late": humanize_duration(clock.overdue)}
    if clock.state == "breached":
        return _("%(ago)s overdue") % {"ago": humanize_duration(clock.overdue)}
    if clock.state == "paused":
        return _("Paused, %(left)s left") % {"left": humanize_duration(clock.remaining)}
    return _("%(left)s left") % {"left": humanize_duration(clock.remaining)}


@register.simple_tag
def sla_clock(clock: Any) -> SafeString:
    """The most urgent SLA clock of a ticket (tickets.sla.Clock) or a dash; desk.js ticks `data-ticking` ones."""
    if not clock:
        return mark_safe('<span class="muted">—</span>')
    classes = f"tk-due tk-clock--{clock.state}"
    if clock.warning:
        classes += " tk-clock--warning"
    if clock.state == "breached":
        classes += " tk-due--breached"
    return format_html(
        '<time class="{}" datetime="{}" title="{}" data-state="{}" data-sla-seconds="{}"{}>{}</time>',
        classes, clock.due_at.isoformat(), date_format(timezone.localtime(clock.due_at), "SHORT_DATETIME_FORMAT"),
        clock.state, clock.seconds, mark_safe(" data-ticking") if clock.ticking else "",
        _clock_text(clock))
