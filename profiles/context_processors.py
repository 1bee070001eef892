from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from profiles.models import AgentProfile
from profiles.roles import ROLE_LABELS, Role

# What static/js/presence.js needs on every desk page; no query: the socket says whose status it is.
PRESENCE_CONTROL = {
    "choices": AgentProfile.Presence.choices,
    "strings": {"presence": dict(AgentProfile.Presence.choices)},
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The links a person sees in the top bar, by what their roles allow."""
    user: Any = getattr(request, "user", None)
    items: list[tuple[str, Any]] = [(reverse("help:home"), _("Help center"))]
    roles: list[Any] = []
    search_url = ""
    presence_control: dict[str, Any] | None = None
    if user is not None and user.is_authenticated:
        role_names = user.role_names  # one query for the groups, read twice below
        roles = [ROLE_LABELS[Role(name)] for name in sorted(role_names) if name in Role._value2member_map_]
        items.append((reverse("aftersales:home"), _("After-sales")))
        if Role.CUSTOMER in role_names:
            items.append((reverse("preferences"), _("My preferences")))
        if user.has_perm("profiles.use_desk"):
            items.append((reverse("desk:home"), _("Workbench")))
            # The global ticket search box in the top bar of every page, for people who work the desk.
            search_url = reverse("desk_tickets:search")
            presence_control = PRESENCE_CONTROL
        if user.has_perm("profiles.use_merchant_portal") or user.is_superuser:
            items.append((reverse("merchant:home"), _("Merchant")))
        if user.has_perm("core.change_quarantinedmessage"):
            items.append((reverse("quarantine:list"), _("Quarantine")))
        if user.has_perm("profiles.view_reports"):
            items.append((reverse("reports:home"), _("Reports")))
        if user.is_staff:
            items.append((reverse("admin:index"), _("Admin")))
    return {"nav_items": items, "nav_roles": roles, "desk_search_url": search_url,
            "presence_control": presence_control}
