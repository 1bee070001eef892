from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from profiles.models import AgentProfile
from profiles.roles import ROLE_LABELS, Role

# What static/desk/shell.js needs on every desk page; no query: the socket says whose status it is.
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
    main, more = _grouped(items)
    return {"nav_items": main, "nav_more": more, "nav_roles": roles, "desk_search_url": search_url,
            "presence_control": presence_control}


# The top bar holds this many sections before the rest go under "More" (it must fit 1280 px with the
# search box and the account tools).
NAV_VISIBLE = 4
# What goes under "More" first: the pages a busy role visits least from the top bar.
NAV_SECONDARY = ("help:home", "aftersales:home", "quarantine:list", "admin:index")


def _grouped(items: list[tuple[str, Any]]) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    if len(items) <= NAV_VISIBLE:
        return items, []
    secondary = {reverse(name) for name in NAV_SECONDARY}
    main = [item for item in items if item[0] not in secondary]
    return main, [item for item in items if item[0] in secondary]
