"""Complaints handled by the service desk on their ticket: resolution and rating follow the ticket.

tickets cannot import after-sales, so these run on ticket events (see `aftersales.ticket_hooks`):
- the desk solves (or closes) a complaint's ticket → the complaint closes, the solve's reason (or the
  desk's last public reply) being the resolution note on the customer's timeline;
- the complaint's rating is one: the request's evaluation form and the ticket's satisfaction survey
  are kept equal, whichever the customer answers first.
Both are idempotent: a redelivered event finds the work done and does nothing.
"""

import contextlib
import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales import selectors
from aftersales.models import FINAL_STATUSES, AfterSalesRequest, RequestType, Status
from aftersales.services.requests import publish_changed, request_evaluate
from aftersales.services.ticketing import customer_language
from aftersales.workflow import WORKFLOW, Actor
from core.api import ApplicationError
from core.workflow import TransitionNotAllowed
from profiles.models import User
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services
from tickets.models import Status as TicketStatus
from tickets.models import Ticket, TicketMessage

logger = logging.getLogger(__name__)

RESOLVING_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def _resolution_note(ticket: Ticket, reason: str, customer: User) -> str:
    if reason.strip():
        return reason.strip()
    last_reply = (TicketMessage.objects.filter(ticket_id=ticket.pk, kind=TicketMessage.Kind.REPLY,
                                               from_customer=False).order_by("-id").values_list("body", flat=True)
                  .first())
    if last_reply:
        return last_reply
    with translation.override(customer_language(customer)):
        return _("Resolved by the service desk on ticket %(number)s.") % {"number": ticket.number}


@transaction.atomic
def complaint_resolve_from_ticket(*, ticket_id: int, actor_id: int | None, reason: str = ""
                                  ) -> list[AfterSalesRequest]:
    """Close the open complaints whose ticket was solved; those closed now (none if nothing is left to do)."""
    ticket = Ticket.objects.only("pk", "number", "status", "merged_into").get(pk=ticket_id)
    if ticket.status not in RESOLVING_STATUSES or ticket.merged_into_id is not None:
        return []  # reopened before this ran, or closed by a merge: the work goes on elsewhere
    open_complaints = (selectors.complaints_for_ticket(ticket_id).select_for_update(of=("self",))
                       .select_related("customer").exclude(status__in=FINAL_STATUSES).order_by("pk"))
    agent = User.objects.filter(pk=actor_id).first() if actor_id else None
    closed = []
    for request in open_complaints:
        try:
            request = WORKFLOW.transition(request, to=Status.CLOSED, by=Actor.PLATFORM, actor=agent,
                                          reason=_resolution_note(ticket, reason, request.customer))
        except TransitionNotAllowed:
            logger.warning("complaint %s cannot close from %s", request.number, request.status)
            continue
        publish_changed(request)
        closed.append(request)
    return closed


def complaint_rating_sync(*, request_id: int) -> None:
    """Copy the complaint's rating from wherever the customer gave it to the other place."""
    request = (AfterSalesRequest.objects.select_related("customer", "ticket", "evaluation")
               .filter(pk=request_id, request_type=RequestType.COMPLAINT, ticket__isnull=False).first())
    if request is None or request.ticket is None:
        return
    survey = ticket_selectors.survey_for_ticket(request.ticket)
    if survey is None:
        return
    evaluation = getattr(request, "evaluation", None)
    if evaluation is None and survey.submitted_at is not None and request.status == Status.CLOSED:
        assert survey.attitude and survey.speed and survey.result  # an answered survey has every score
        with contextlib.suppress(ApplicationError):  # rated on the request page meanwhile
            request_evaluate(request=request, user=request.customer, attitude=survey.attitude, speed=survey.speed,
                             result=survey.result, suggestion=survey.suggestion)
    elif evaluation is not None and survey.submitted_at is None:
        with contextlib.suppress(ticket_services.SurveyTokenInvalid):  # answered by its link meanwhile
            ticket_services.survey_submit(token=ticket_services.survey_token(survey), attitude=evaluation.attitude,
                                          speed=evaluation.speed, result=evaluation.result,
                                          suggestion=evaluation.suggestion)
