"""The tickets permissions each role holds, added to the role groups after every `migrate`.

profiles owns the roles but may not import tickets, so this app tops up the groups itself: its
post_migrate handler runs after profiles' (INSTALLED_APPS order), which resets each group first.
"""

from typing import Any

from profiles.roles import Role

CONFIG_MODELS = (
    "category", "businesscalendar", "businesshours", "calendaroverride", "slapolicy", "teamsettings",
    "agentregions", "routingrule", "keywordrule", "cannedresponse", "desksettings",
)
_MANAGE = [f"{action}_{model}" for model in CONFIG_MODELS for action in ("view", "add", "change", "delete")]
_WORK = ["view_ticket", "add_ticket", "change_ticket", "view_ticketmessage", "add_ticketmessage"]

TICKET_ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.AGENT: [*_WORK, "view_cannedresponse", "view_category"],
    Role.SUPERVISOR: [*_WORK, *_MANAGE, "view_escalation", "view_satisfactionsurvey", "view_slaevent",
                      "view_ticketattachment"],
    Role.QA: ["view_ticket", "view_ticketmessage", "view_satisfactionsurvey", "view_escalation",
              *[f"view_{model}" for model in CONFIG_MODELS]],
    Role.INTEGRATOR: ["view_ticket", "add_ticket", "view_ticketmessage", "add_ticketmessage"],
}


def grant_ticket_permissions(apps: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in TICKET_ROLE_PERMISSIONS.items():
        group = group_model.objects.filter(name=str(role)).first()
        if group is not None:
            group.permissions.add(
                *permission_model.objects.filter(content_type__app_label="tickets", codename__in=codenames)
            )
    admin = group_model.objects.filter(name=str(Role.ADMIN)).first()
    if admin is not None:
        admin.permissions.add(*permission_model.objects.filter(content_type__app_label="tickets"))
