"""The roles of the platform, as auth groups, and the permissions each one holds."""

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    QA = "qa"
    MERCHANT_STAFF = "merchant_staff"
    ADMIN = "admin"
    INTEGRATOR = "integrator"


ROLE_LABELS = {
    Role.CUSTOMER: _("Customer"),
    Role.AGENT: _("Agent"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.QA: _("Quality assurance"),
    Role.MERCHANT_STAFF: _("Merchant staff"),
    Role.ADMIN: _("Administrator"),
    Role.INTEGRATOR: _("Integrator"),
}

# Staff roles work in the service desk; the rest are outside parties.
DESK_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.QA, Role.ADMIN})
REPORT_ROLES = frozenset({Role.SUPERVISOR, Role.QA, Role.ADMIN})

# "app_label.codename" per role. The admin role gets every permission (see the migration).
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CUSTOMER: [],
    Role.AGENT: [
        "profiles.view_customerprofile",
        "profiles.view_agentprofile",
        "profiles.view_team",
        "profiles.view_skill",
        "profiles.use_desk",
    ],
    Role.SUPERVISOR: [
        "profiles.view_customerprofile",
        "profiles.change_customerprofile",
        "profiles.view_agentprofile",
        "profiles.change_agentprofile",
        "profiles.view_team",
        "profiles.add_team",
        "profiles.change_team",
        "profiles.view_skill",
        "profiles.add_skill",
        "profiles.change_skill",
        "profiles.view_pii",
        "profiles.use_desk",
        "profiles.view_reports",
        "profiles.view_segmentpolicy",
        "profiles.add_segmentpolicy",
        "profiles.change_segmentpolicy",
        "profiles.view_tagrule",
        "profiles.add_tagrule",
        "profiles.change_tagrule",
        "profiles.delete_tagrule",
    ],
    Role.QA: [
        "profiles.view_customerprofile",
        "profiles.view_agentprofile",
        "profiles.view_team",
        "profiles.use_desk",
        "profiles.view_reports",
    ],
    Role.MERCHANT_STAFF: ["profiles.use_merchant_portal"],
    Role.ADMIN: [],
    Role.INTEGRATOR: [
        "profiles.view_customerprofile",
        "profiles.add_customerprofile",
        "profiles.change_customerprofile",
    ],
}


def app_role_permissions() -> dict[Role, list[str]]:
    """The "app_label.codename" each role gets from the apps above this one.

    profiles may not import them, so each app declares `role_permissions` (role → codenames of its
    own models) on its AppConfig, the way `seed_demo` is found.
    """
    from django.apps import apps as installed

    granted: dict[Role, list[str]] = {role: [] for role in Role}
    for config in installed.get_app_configs():
        for role, codenames in getattr(config, "role_permissions", {}).items():
            granted[role].extend(f"{config.label}.{codename}" for codename in codenames)
    return granted


def sync_roles(apps: Any) -> None:
    """Create the role groups and give each exactly its permissions.

    Run by the roles migration and again after every `migrate`, so permissions added by later
    migrations reach the roles without a new data migration each time.
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    from_apps = app_role_permissions()
    # One read of every permission: this runs after each `migrate` and after every transactional test's flush.
    permission_ids = {f"{app_label}.{codename}": pk for pk, app_label, codename in
                      permission_model.objects.values_list("pk", "content_type__app_label", "codename")}
    for role in Role:
        group, _ = group_model.objects.get_or_create(name=str(role))
        if role is Role.ADMIN:
            group.permissions.set(permission_ids.values())
            continue
        wanted = [*ROLE_PERMISSIONS[role], *from_apps[role]]
        group.permissions.set([permission_ids[name] for name in wanted if name in permission_ids])
