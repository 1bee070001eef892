"""Badges every desk list shows once per row (status, channel, SLA clock), and the messages of a ticket's thread:
tags, not included templates, since an include costs a template render each and a queue page of 50 rows rendered
200 of them; the template engine spent ~100 µs on each of a ticket page's 50 messages, a fifth of the page."""

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
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


@register.simple_tag
def thread_messages(messages: Iterable[Any], desk: bool) -> SafeString:
    """The `<li>` of each message of a thread (tickets/_thread.html), as selectors.ticket_detail gives them (with
    their `files`); customers (`desk` false) see replies only,
    and the desk's signs of how a message travelled (e-mail, delivery, a channel's card) are the desk's alone."""
    shown = (_message(message, desk) for message in messages if desk or message.kind == "reply")
    return mark_safe("".join(shown))  # noqa: S308  (every value in it was escaped where it was written)


def _message(message: Any, desk: bool) -> str:
    e = conditional_escape
    side = "customer" if message.from_customer else "desk"
    author = f"<bdi>{e(message.author)}</bdi>" if message.from_customer or desk else e(_("Service desk"))
    meta = [f'<span class="avatar" aria-hidden="true">{e(message.author.get_short_name()[:1].upper())}</span>',
            f"<strong>{author}</strong>"]
    if message.kind == "note":
        meta.append(f'<span class="tk-note-label">{e(_("Internal note"))}</span>')
    if desk and (mail := message.email_record):
        meta.append(_mail_badge(mail))
    created = message.created_at
    meta.append(f'<time class="muted small" datetime="{e(created.isoformat())}">'
                f'{e(date_format(timezone.localtime(created), "SHORT_DATETIME_FORMAT"))}</time>')
    if desk and (outbound := message.outbound_record):
        meta.append(f'<span class="tk-delivery tk-delivery--{e(outbound.status)}" title="{e(outbound.error)}">'
                    f"{e(outbound.get_channel_display())} · {e(outbound.get_status_display())}</span>")
    parts = [f'<li class="tk-msg tk-msg--{e(message.kind)} tk-msg--{side}" id="m{message.pk}" '
             f'data-message-id="{message.pk}">',
             f'<div class="tk-msg__meta">{" ".join(meta)}</div>',
             f'<div class="tk-msg__body">{linebreaksbr(message.body, autoescape=True)}</div>']
    if desk and (inbound := message.inbound_record):
        # Channel cards are rare and varied: they stay a template.
        parts.append(get_template("tickets/_inbound_content.html").render({"inbound": inbound}))
    files = message.files
    if files:
        parts.append(f'<ul class="tk-files">{"".join(_file(attachment) for attachment in files)}</ul>')
    parts.append("</li>")
    return "\n".join(parts)


def _mail_badge(mail: Any) -> str:
    e = conditional_escape
    if mail.direction == "in":
        return f'<span class="tk-mail">{e(_("By e-mail"))}</span>'
    if mail.bounced_at:
        return f'<span class="tk-mail tk-mail--problem" title="{e(mail.detail)}">{e(_("E-mail bounced"))}</span>'
    if mail.outcome == "failed":
        return f'<span class="tk-mail tk-mail--problem" title="{e(mail.detail)}">{e(_("E-mail not sent"))}</span>'
    return f'<span class="tk-mail">{e(mail.get_outcome_display())}</span>'


def _file(attachment: Any) -> str:
    e = conditional_escape
    url = e(reverse("desk_tickets:attachment", args=[attachment.pk]))
    kind = attachment.content_type[:6]
    player = (f'<audio controls preload="none" src="{url}"></audio> ' if kind == "audio/" else
              f'<video controls preload="none" src="{url}"></video> ' if kind == "video/" else "")
    return (f'<li>{player}<a href="{url}"><bdi>{e(attachment.filename)}</bdi></a> '
            f'<span class="muted small">{e(filesizeformat(attachment.size))}</span></li>')
