"""Side conversations on the desk's ticket page: the panel (loaded after the page, so the page's own query count
stays constant; reloaded by htmx when a live push says an answer came), a new thread, a reply, close and reopen,
and their files. Thin: reads from `tickets.selectors`, writes from `tickets.services.side_conversations`; a
refused post shows the panel with the form's errors (400)."""

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.api import ApplicationError
from core.forms import add_refusal
from tickets import selectors
from tickets.forms import SideConversationForm, SideReplyForm
from tickets.services import side_conversations as side
from tickets.views import PLAYS_INLINE, _desk


def _panel(request: HttpRequest, ticket_id: int, *, status: int = 200, page: bool = False,
           failed_reply: int | None = None, **forms: django_forms.Form) -> HttpResponse:
    panel = selectors.side_panel(request.user, ticket_id)
    context: dict[str, Any] = {"panel": panel, "ticket": panel.ticket, "side_form": SideConversationForm(),
                               "reply_form": SideReplyForm(), "failed_reply": failed_reply, **forms}
    template = "tickets/side_conversations.html" if page else "tickets/_side_conversations.html"
    return render(request, template, context, status=status)


def _back(ticket_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("desk_tickets:ticket", args=[ticket_id]) + "#side-conversations")


@_desk
@require_GET
def side_panel(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The panel as a fragment for the ticket page (htmx), or as a page of its own."""
    return _panel(request, ticket_id, page=not request.headers.get("HX-Request"))


@_desk
@require_POST
def side_start(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, ticket_id)
    form = SideConversationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            side.side_conversation_start(ticket=ticket, actor=request.user,  # type: ignore[arg-type]
                                         counterpart=form.cleaned_data["counterpart"],
                                         subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                                         uploads=form.cleaned_data["attachments"])
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Side conversation started; the e-mail is on its way."))
            return _back(ticket_id)
    return _panel(request, ticket_id, status=400, page=True, side_form=form)


@_desk
@require_POST
def side_reply(request: HttpRequest, ticket_id: int, conversation_id: int) -> HttpResponse:
    conversation = selectors.side_conversation_for(request.user, ticket_id, conversation_id)
    form = SideReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            side.side_conversation_reply(conversation=conversation, actor=request.user,  # type: ignore[arg-type]
                                         body=form.cleaned_data["body"], uploads=form.cleaned_data["attachments"])
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Reply sent on the side conversation."))
            return _back(ticket_id)
    return _panel(request, ticket_id, status=400, page=True, reply_form=form, failed_reply=conversation.pk)


@_desk
@require_POST
def side_status(request: HttpRequest, ticket_id: int, conversation_id: int, change: str) -> HttpResponse:
    """Close a settled thread, or open it again; a repeated click changes nothing."""
    conversation = selectors.side_conversation_for(request.user, ticket_id, conversation_id)
    if change == "close":
        side.side_conversation_close(conversation=conversation, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Side conversation closed."))
    else:
        side.side_conversation_reopen(conversation=conversation, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Side conversation reopened."))
    return _back(ticket_id)


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def side_attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """A side conversation's file, for the desk people who may see its ticket (404 for anyone else)."""
    found = selectors.side_attachment_for(request.user, attachment_id)
    return FileResponse(found.file.open("rb"), as_attachment=not found.content_type.startswith(PLAYS_INLINE),
                        filename=found.filename, content_type=found.content_type)
