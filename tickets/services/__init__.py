"""Every write on tickets. Import from here: `from tickets import services; services.ticket_create(...)`."""

from django.core.exceptions import ValidationError

from tickets.errors import AgentUnavailable, NotAllowed, TicketError, TicketTaken
from tickets.services.bulk import bulk_job_create, bulk_job_run
from tickets.services.collaboration import (
    canned_response_fill,
    canned_response_render,
    ticket_create_child,
    ticket_link,
    ticket_merge,
)
from tickets.services.escalation import check_nudges, sla_sweep, ticket_escalate, ticket_nudge
from tickets.services.macros import MacroPlan, MacroRefused, macro_apply, macro_plan
from tickets.services.notes import ticket_add_system_note
from tickets.services.properties import ticket_update_properties
from tickets.services.saved_views import FILTER_NAMES as SAVED_VIEW_FILTERS
from tickets.services.saved_views import saved_view_create, saved_view_delete, saved_view_move
from tickets.services.surveys import (
    SurveyTokenInvalid,
    survey_create,
    survey_for_token,
    survey_submit,
    survey_token,
)
from tickets.services.tickets import (
    ticket_add_note,
    ticket_assign,
    ticket_create,
    ticket_pick,
    ticket_reply,
    ticket_take_next,
    ticket_transfer,
    ticket_transition,
)

__all__ = [
    "SAVED_VIEW_FILTERS",
    "AgentUnavailable",
    "MacroPlan",
    "MacroRefused",
    "NotAllowed",
    "SurveyTokenInvalid",
    "TicketError",
    "TicketTaken",
    "ValidationError",
    "bulk_job_create",
    "bulk_job_run",
    "canned_response_fill",
    "canned_response_render",
    "check_nudges",
    "macro_apply",
    "macro_plan",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_move",
    "sla_sweep",
    "survey_create",
    "survey_for_token",
    "survey_submit",
    "survey_token",
    "ticket_add_note",
    "ticket_add_system_note",
    "ticket_assign",
    "ticket_create",
    "ticket_create_child",
    "ticket_escalate",
    "ticket_link",
    "ticket_merge",
    "ticket_nudge",
    "ticket_pick",
    "ticket_reply",
    "ticket_take_next",
    "ticket_transfer",
    "ticket_transition",
    "ticket_update_properties",
]
