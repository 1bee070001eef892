from typing import Any

from django import template

from core.masking import PiiKind, display_pii

register = template.Library()


@register.simple_tag(takes_context=True)
def pii(context: template.Context, value: str | None, kind: PiiKind, owner_id: int | None = None) -> str:
    """`{% pii customer.phone "phone" %}`: clear or masked depending on the request user; "—" when empty,
    like every other empty fact on a page."""
    request: Any = context.get("request")
    return display_pii(value, kind, viewer=getattr(request, "user", None), owner_id=owner_id) or "—"
