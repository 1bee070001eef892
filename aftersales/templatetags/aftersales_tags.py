from django import template
from django.utils.translation import gettext_lazy as _

from core.money import format_fen

register = template.Library()


# Integer fen shown as yuan: 329900 → ¥3,299.00.
register.filter("yuan", format_fen)


ACTOR_LABELS = {
    "customer": _("Customer"),
    "merchant": _("Store"),
    "platform": _("Platform"),
    "system": _("System"),
}


@register.filter
def actor_label(kind: str) -> str:
    return str(ACTOR_LABELS.get(kind, kind))


@register.filter
def stars(score: int) -> str:
    return "★" * score + "☆" * (5 - score)
