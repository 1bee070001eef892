"""The customer's side in the help center (`/help/tickets/`): my tickets, contact form, ticket page, survey."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from core.api import ApplicationError
from core.forms import add_refusal
from profiles.models import User
from tickets import selectors, services
from tickets.forms import ContactForm, CustomerReplyForm, SurveyForm
from tickets.models import Channel, TicketMessage
from tickets.views import DESK_STRINGS
from tickets.workflow import WORKFLOW

CUSTOMER_STRINGS = {**DESK_STRINGS, "new_activity": _("The service desk answered")}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # behind login_required
    return request.user


def _own_detail(request: HttpRequest, ticket_id: int) -> selectors.TicketDetail:
    """Only the ticket's customer uses these pages; anyone else (desk included) gets a 404 here."""
    detail = selectors.ticket_detail(request.user, ticket_id)
    if detail.ticket.customer_id != request.user.pk:
        raise Http404("ticket not found")
    # Internal notes never reach the customer's page, whatever roles the viewer also holds.
    detail.messages = [message for message in detail.messages if message.kind == TicketMessage.Kind.REPLY]
    return detail


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/my_tickets.html", {"tickets": selectors.customer_tickets(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                customer=_user(request), subject=data["subject"], body=data["description"], channel=Channel.WEB,
                source="help_center", category=data["category"], order_number=data["order_number"],
                uploads=data["attachments"], profile_loaded=True,  # read with the user in this request
            )
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Thank you. Ticket %(number)s is with our service desk.") % {
                "number": ticket.number})
            return HttpResponseRedirect(reverse("my_tickets:ticket", args=[ticket.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/new_ticket.html", {"form": form}, status=status)


def _page(request: HttpRequest, ticket_id: int, *, form: CustomerReplyForm | None = None, status: int = 200
          ) -> HttpResponse:
    detail = _own_detail(request, ticket_id)
    survey = selectors.survey_for_ticket(detail.ticket)
    context: dict[str, Any] = {
        "detail": detail,
        "ticket": detail.ticket,
        "form": form or CustomerReplyForm(),
        "can_nudge": detail.ticket.is_open,
        "can_reply": detail.ticket.is_open or "open" in WORKFLOW.allowed_targets(detail.ticket),
        "survey": survey,
        "survey_token": services.survey_token(survey) if survey and survey.submitted_at is None else "",
        "desk_strings": CUSTOMER_STRINGS,
    }
    return render(request, "tickets/customer_ticket.html", context, status=status)


@login_required
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _page(request, ticket_id)


@login_required
@require_POST
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _own_detail(request, ticket_id).ticket
    form = CustomerReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.ticket_reply(ticket=ticket, author=_user(request), body=form.cleaned_data["body"],
                                  uploads=form.cleaned_data["attachments"])
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Your reply was sent."))
            return HttpResponseRedirect(reverse("my_tickets:ticket", args=[ticket_id]))
    return _page(request, ticket_id, form=form, status=400)


@login_required
@require_POST
def nudge(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _own_detail(request, ticket_id).ticket
    try:
        services.ticket_nudge(ticket=ticket, customer=_user(request))
    except (ValidationError, ApplicationError):
        messages.error(request, _("This ticket is no longer open."))
    else:
        messages.success(request, _("We have reminded the service desk."))
    return HttpResponseRedirect(reverse("my_tickets:ticket", args=[ticket_id]))


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The satisfaction survey by its signed link; no login needed, one answer per ticket."""
    try:
        found = services.survey_for_token(token)
    except services.SurveyTokenInvalid as error:
        return render(request, "tickets/survey_refused.html", {"reason": error.message}, status=410)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.survey_submit(token=token, attitude=data["attitude"], speed=data["speed"],
                                   result=data["result"], suggestion=data["suggestion"])
        except services.SurveyTokenInvalid as error:
            return render(request, "tickets/survey_refused.html", {"reason": error.message}, status=410)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            return render(request, "tickets/survey_thanks.html", {"ticket": found.ticket})
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/survey.html", {"form": form, "ticket": found.ticket}, status=status)
