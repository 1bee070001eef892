"""The tickets permissions each role holds; profiles.roles.sync_roles reads them from TicketsConfig."""

from profiles.roles import Role

CONFIG_MODELS = (
    "category", "businesscalendar", "businesshours", "calendaroverride", "slapolicy", "teamsettings",
    "agentregions", "routingrule", "keywordrule", "cannedresponse", "desksettings", "mailbox", "wechataccount",
    "socialsource", "macro", "macroaction", "automation", "trigger",
)
_MANAGE = [f"{action}_{model}" for model in CONFIG_MODELS for action in ("view", "add", "change", "delete")]
_WORK = ["view_ticket", "add_ticket", "change_ticket", "view_ticketmessage", "add_ticketmessage"]

TICKET_ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.AGENT: [*_WORK, "view_cannedresponse", "view_category"],
    Role.SUPERVISOR: [*_WORK, *_MANAGE, "view_escalation", "view_satisfactionsurvey", "view_slaevent",
                      "view_ticketattachment", "view_emailmessage", "change_emailmessage", "view_callrecord",
                      "view_inboundmessage", "view_outboundmessage", "view_automationrun",
                      "view_triggerrun", "view_sideconversation", "change_sideconversation", "view_sidemessage"],
    Role.QA: ["view_ticket", "view_ticketmessage", "view_satisfactionsurvey", "view_escalation", "view_emailmessage",
              "view_sideconversation", "view_sidemessage",
              *[f"view_{model}" for model in CONFIG_MODELS]],
    Role.INTEGRATOR: ["view_ticket", "add_ticket", "view_ticketmessage", "add_ticketmessage", "view_callrecord",
                      "add_callrecord", "change_callrecord"],
}
