from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def vip_badge(profile: Any) -> SafeString | str:
    """A VIP or high-value customer's badge, for queues, ticket headers and chat; `profile` is a CustomerProfile
    or None. A tag, not an included template: a queue page shows one per row, and an include costs a template
    render each. A customer without a profile reaches it as "" (the template's value for a missing relation)."""
    if not profile:
        return ""
    if profile.vip_level:
        return format_html('<span class="badge badge--vip vip-badge" data-vip="{}" title="{}">{}</span>',
                           profile.vip_level, _("VIP level"),
                           _("VIP · %(level)s") % {"level": profile.get_vip_level_display()})
    if profile.segment == "high_value":
        return format_html('<span class="badge badge--vip vip-badge" data-vip="high_value">{}</span>',
                           _("High-value customer"))
    return ""
