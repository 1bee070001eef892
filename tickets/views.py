"""The ticket workbench (`/desk/tickets/`): queue views and the ticket page with its actions.

Thin adapters: reads come from `tickets.selectors` (access, queues, detail), writes from
`tickets.services`; a refused action re-renders the page with the error on the form (400).
"""

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import customer_context, flags
from core.api import ApplicationError
from core.durations import duration_units
from core.forms import add_refusal
from profiles.models import Team, User
from profiles.selectors import agent_users
from tickets import links, selectors, services, sla
from tickets import search as ticket_search
from tickets.errors import NewerMessage
from tickets.forms import (
    AssignForm,
    BulkForm,
    EscalateForm,
    MacroForm,
    MergeForm,
    MessageForm,
    NewTicketForm,
    QueueFilterForm,
    SavedViewForm,
    SearchFilterForm,
    StatusForm,
    SubTicketForm,
    TransferForm,
)
from tickets.models import BulkJob, Ticket, TicketMessage
from tickets.services import bulk as bulk_service
from tickets.workflow import WORKFLOW

# The knowledge suggestions panel, rolled out by a canary flag (see core/flags.py).
SUGGESTIONS_FLAG = "desk_ticket_suggestions"
# The knowledge API's own cap on the text it ranks.
SUGGESTIONS_TEXT_CHARS = 500

DESK_STRINGS = {
    "connecting": _("Connecting…"),
    "open": _("Live"),
    "closed": _("Reconnecting…"),
    "refused": _("Live updates are off"),
    "new_activity": _("New activity on this ticket"),
    # Whole phrases, so each language places the duration itself ("剩余 1小时1分钟", not "1h 1m 剩余").
    "left": _("%(left)s left"),
    "overdue": _("%(ago)s overdue"),
    "units": duration_units(),
}

# Collision detection (static/tickets/collision.js): whole phrases, so each language places the names itself.
COLLISION_STRINGS = {
    "viewing": _("Also viewing: %(names)s"),
    "typing": _("%(names)s is typing a reply…"),
    "typing_many": _("%(names)s are typing replies…"),
    "separator": _(", "),
}

# Pictures show and voice clips play in the page; anything else is downloaded, never rendered by the browser.
PLAYS_INLINE = ("image/", "audio/")


def _desk(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and allowed to work in the desk (403 otherwise). The permission check reads the user's roles
    (groups) once for the request (User.role_groups): the navigation, the access checks and the page's panels
    all ask for them."""
    return login_required(permission_required("profiles.use_desk", raise_exception=True)(view))


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # every view here is behind login_required
    return request.user


def _filters(request: HttpRequest, form_class: type[QueueFilterForm] = QueueFilterForm
             ) -> tuple[QueueFilterForm, selectors.QueueFilters]:
    return _filters_from(request.GET, form_class)


def _filters_from(query: QueryDict, form_class: type[QueueFilterForm] = QueueFilterForm
                  ) -> tuple[QueueFilterForm, selectors.QueueFilters]:
    form = form_class(query)
    # A bad filter value is shown as a form error and ignored, not a 500 or an empty queue.
    data = form.cleaned_data if form.is_valid() else {
        name: form.cleaned_data.get(name, "") for name in form.fields if name not in form.errors
    }
    return form, selectors.QueueFilters(**{name: data.get(name) or "" for name in form.fields})


def _queue_view(request: HttpRequest) -> selectors.QueueView:
    try:
        return selectors.QueueView(request.GET.get("view") or selectors.QueueView.TEAM)
    except ValueError:
        raise Http404("unknown queue view") from None


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@_desk
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    view = _queue_view(request)
    form, filters = _filters(request)
    page = selectors.queue(request.user, view, filters=filters, cursor=request.GET.get("after") or None)
    clocks = sla.clocks_for_many(page.tickets, now=timezone.now())
    counts = selectors.queue_counts(request.user, filters=filters) if not request.headers.get("HX-Request") else {}
    filter_query = _query_without(request, "view", "after")
    context = {
        "view": view,
        "views": [(str(v), label, counts.get(str(v), "")) for v, label in selectors.QUEUE_VIEW_LABELS.items()],
        "form": form,
        "page": page,
        "rows": [(ticket, sla.most_urgent(clocks.get(ticket.pk, []))) for ticket in page.tickets],
        "filter_query": filter_query,
        "rows_query": _query_without(request, "after"),
        "team_ids": selectors.team_ids_for(request.user),
        "desk_strings": DESK_STRINGS,
    }
    if not request.headers.get("HX-Request"):
        context["bulk_form"] = _bulk_form(request, initial={"view": view, "filters": filter_query})
        context["bulk_strings"] = {"selected": _("%(n)s selected")}
        context.update(_saved_views_context(request, queue_view=str(view), terms="", filters=filter_query))
    template = "tickets/_queue_rows.html" if request.headers.get("HX-Request") else "tickets/queue.html"
    return render(request, template, context)


@_desk
@require_GET
def search_results(request: HttpRequest) -> HttpResponse:
    """The desk's global search: any text, results or an empty page, never an error; combines with the filters."""
    form, filters = _filters(request, SearchFilterForm)
    query = ticket_search.parse(request.GET.get("q", ""))
    page = selectors.search_page(request.user, query, filters=filters, before=_int(request.GET.get("before")))
    context = {"query": query, "page": page, "form": form, "more_query": _query_without(request, "before"),
               **_saved_views_context(request, queue_view="", terms=request.GET.get("q", "")[:200],
                                      filters=_query_without(request, "before", "q"))}
    return render(request, "tickets/search.html", context)


@_desk
@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    """An agent opens a ticket for a customer; routing, SLA and keyword rules apply as for any other."""
    form = NewTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                customer=data["customer"], subject=data["subject"], body=data["body"], channel=data["channel"],
                priority=data["priority"] or None, order_number=data["order_number"], created_by=_user(request),
                uploads=data["attachments"],
            )
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("%(number)s opened for %(customer)s.") % {
                "number": ticket.number, "customer": data["customer"]})
            return HttpResponseRedirect(reverse("desk_tickets:ticket", args=[ticket.pk]))
    return render(request, "tickets/desk_new_ticket.html", {"form": form}, status=400 if form.errors else 200)


@_desk
@require_GET
def lookup(request: HttpRequest, kind: str) -> HttpResponse:
    """Name suggestions for the ticket page's agent and team fields (the page no longer lists them all)."""
    if kind not in ("agent", "team"):
        raise Http404("unknown lookup")
    return JsonResponse({"results": selectors.lookup(kind, request.GET.get("q", ""))})


@_desk
@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    ticket = services.ticket_take_next(agent=_user(request))
    if ticket is None:
        messages.info(request, _("No unassigned ticket is waiting in your teams' queues."))
        return HttpResponseRedirect(reverse("desk_tickets:queue"))
    messages.success(request, _("%(number)s is yours now.") % {"number": ticket.number})
    return HttpResponseRedirect(reverse("desk_tickets:ticket", args=[ticket.pk]))


def _ticket_page(request: HttpRequest, ticket_id: int, *, status: int = 200,
                 bound: dict[str, django_forms.Form] | None = None,
                 newer_messages: list[TicketMessage] | None = None) -> HttpResponse:
    user = _user(request)
    detail = selectors.ticket_detail(user, ticket_id, before_id=_int(request.GET.get("before")))
    ticket = detail.ticket
    canned = [
        {"title": response.title, "shortcut": response.shortcut,
         "text": services.canned_response_render(response=response, ticket=ticket, user=user)}
        for response in selectors.canned_responses_for(user)
    ]
    # Replies sent from this page are checked against the newest message it shows (collision detection).
    # An older page (?before=) does not show the newest messages: no check then.
    seen = None if request.GET.get("before") else max((message.pk for message in detail.messages), default=0)
    forms = {
        "message_form": MessageForm(initial={"seen_message": seen}), "assign_form": AssignForm(),
        "transfer_form": TransferForm(),
        "escalate_form": EscalateForm(), "status_form": StatusForm(), "merge_form": MergeForm(),
        "subticket_form": SubTicketForm(), "macro_form": MacroForm(), **(bound or {}),
    }
    allowed = WORKFLOW.allowed_targets(ticket)
    forms["status_form"].fields["status"].choices = [  # type: ignore[attr-defined]
        (value, label) for value, label in forms["status_form"].fields["status"].choices  # type: ignore[attr-defined]
        if value in allowed
    ]
    now = timezone.now()
    context = {
        "detail": detail,
        "ticket": ticket,
        "profile": getattr(ticket.customer, "customer_profile", None),
        "recent": selectors.customer_recent_tickets(ticket),
        # Orders and after-sales requests come from the apps that own them, through core's registry.
        "facts": customer_context.facts_for(ticket.customer_id),
        "related_links": links.links_for(ticket, user),
        "canned": canned,
        "macros": selectors.macros_for(user),
        "clocks": sla.clocks(ticket, now=now),
        "now": now,
        "desk_strings": DESK_STRINGS,
        "collision_strings": COLLISION_STRINGS,
        "newer_messages": newer_messages or [],
        "suggestions_text": _suggestions_text(detail) if flags.flag_active(request, SUGGESTIONS_FLAG) else "",
        **forms,
    }
    return render(request, "tickets/ticket.html", context, status=status)


def _suggestions_text(detail: selectors.TicketDetail) -> str:
    """What the knowledge suggestions are asked about: the subject and the customer's latest words."""
    said = [message.body for message in detail.messages if message.from_customer]
    return f"{detail.ticket.subject}\n{said[-1] if said else ''}"[:SUGGESTIONS_TEXT_CHARS].strip()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@_desk
@require_GET
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    try:
        return _ticket_page(request, ticket_id)
    except Http404:
        # Out of the viewer's queues (transferred, another team's): where it is now, never a dead end.
        ticket = selectors.ticket_out_of_sight(request.user, ticket_id)
        return render(request, "tickets/ticket_summary.html", {"ticket": ticket})


def _action(form_name: str, form_class: type[django_forms.Form],
            perform: Callable[[HttpRequest, Ticket, dict[str, Any]], str]) -> Callable[..., HttpResponse]:
    """A POST on the ticket page: validate the form, call the service, redirect; or re-render with errors."""

    @_desk
    @require_POST
    def handle(request: HttpRequest, ticket_id: int) -> HttpResponse:
        ticket = selectors.ticket_for_user(request.user, ticket_id)
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                done = perform(request, ticket, form.cleaned_data)
            except NewerMessage as newer:
                return _held_reply(request, ticket_id, newer)
            except (ValidationError, ApplicationError) as error:
                add_refusal(form, error)
            else:
                messages.success(request, done)
                target = ticket_id if form_name != "merge_form" else ticket.merged_into_id or ticket_id
                return HttpResponseRedirect(reverse("desk_tickets:ticket", args=[target]))
        return _ticket_page(request, ticket_id, status=400, bound={form_name: form})

    return handle


def _write_message(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    if data["kind"] == TicketMessage.Kind.NOTE:
        services.ticket_add_note(ticket=ticket, author=_user(request), body=data["body"], uploads=data["attachments"])
        return str(_("Internal note added."))
    services.ticket_reply(ticket=ticket, author=_user(request), body=data["body"], uploads=data["attachments"],
                          seen_message_id=data["seen_message"])
    return str(_("Reply sent."))


def _held_reply(request: HttpRequest, ticket_id: int, newer: NewerMessage) -> HttpResponse:
    """A reply written before a newer public message arrived: 409, the draft kept, the newer messages shown
    above it, and the page's seen message moved on, so sending again is the agent's confirmation. The refusal
    is said once, by that block (tickets/_newer_messages.html), not again as a form error."""
    data = request.POST.copy()
    data["seen_message"] = str(newer.messages[-1].pk)
    form = MessageForm(data)
    form.is_valid()
    return _ticket_page(request, ticket_id, status=409, bound={"message_form": form},
                        newer_messages=newer.messages)


def _assign(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    done = services.ticket_assign(ticket=ticket, assignee=data["assignee"], actor=_user(request), force=data["force"])
    return str(_("Assigned to %(name)s.") % {"name": done.assignee} if done.assignee else _("Back in the queue."))


def _transfer(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    done = services.ticket_transfer(ticket=ticket, actor=_user(request), reason=data["reason"],
                                    to_team=data["to_team"], to_agent=data["to_agent"])
    if done.assignee:
        return str(_("Transferred to %(name)s.") % {"name": done.assignee})
    return str(_("Transferred to the team %(team)s.") % {"team": done.team})


def _escalate(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_escalate(ticket=ticket, actor=_user(request), from_level=ticket.escalation_level,
                             note=data["note"])
    return str(_("Escalated."))


def _status(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    done = services.ticket_transition(ticket=ticket, target=data["status"], actor=_user(request),
                                      reason=data["reason"], override=data["override"])
    return str(_("Status is now “%(status)s”.") % {"status": done.get_status_display()})


def _merge(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    try:
        target = selectors.ticket_by_key(request.user, data["target"].strip())
    except Http404:
        raise ValidationError({"target": _("No ticket with this number in your queues.")}) from None
    services.ticket_merge(source=ticket, target=target, actor=_user(request))
    ticket.merged_into_id = target.pk
    return str(_("Merged into %(number)s.") % {"number": target.number})


def _subticket(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    child = services.ticket_create_child(parent=ticket, actor=_user(request), subject=data["subject"],
                                         body=data["body"], team=data["team"])
    return str(_("Sub-ticket %(number)s created.") % {"number": child.number})


def _apply_macro(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    try:
        macro = selectors.macro_for(request.user, data["macro"])
    except Http404:
        raise ValidationError({"macro": _("No such macro for you.")}) from None
    services.macro_apply(macro=macro, ticket=ticket, actor=_user(request))
    return str(_("Macro “%(macro)s” applied.") % {"macro": macro.title})


@_desk
@require_GET
def macro_preview(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """What a macro would do to this ticket: a fragment for the ticket page (htmx), else a page of its own."""
    ticket = selectors.ticket_for_user(request.user, ticket_id)
    macro_id = _int(request.GET.get("macro"))
    if macro_id is None:
        raise Http404
    macro = selectors.macro_for(request.user, macro_id)
    plan = services.macro_plan(macro=macro, ticket=ticket, actor=_user(request))
    template = "tickets/_macro_preview.html" if request.headers.get("HX-Request") else "tickets/macro_preview.html"
    return render(request, template, {"plan": plan, "ticket": ticket})


reply = _action("message_form", MessageForm, _write_message)
assign = _action("assign_form", AssignForm, _assign)
transfer = _action("transfer_form", TransferForm, _transfer)
escalate = _action("escalate_form", EscalateForm, _escalate)
change_status = _action("status_form", StatusForm, _status)
merge = _action("merge_form", MergeForm, _merge)
subticket = _action("subticket_form", SubTicketForm, _subticket)
apply_macro = _action("macro_form", MacroForm, _apply_macro)


@_desk
@require_POST
def pick(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = selectors.ticket_for_user(request.user, ticket_id)
    try:
        services.ticket_pick(ticket=ticket, agent=_user(request))
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("desk_tickets:queue"))
    messages.success(request, _("%(number)s is yours now.") % {"number": ticket.number})
    return HttpResponseRedirect(reverse("desk_tickets:ticket", args=[ticket.pk]))


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Private files, served only to people who may see the ticket (and notes' files only to the desk)."""
    found = selectors.attachment_for(request.user, attachment_id)
    return FileResponse(found.file.open("rb"), as_attachment=not found.content_type.startswith(PLAYS_INLINE),
                        filename=found.filename, content_type=found.content_type)


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def call_recording(request: HttpRequest, call_id: int) -> HttpResponseBase:
    """A call's recording, for the desk people who may see its ticket; played in the page's audio player."""
    call = selectors.call_with_recording(request.user, call_id)
    return FileResponse(call.recording.open("rb"), content_type=call.recording_type,
                        filename=(call.recording.name or "recording").rsplit("/", 1)[-1])


def _flash_errors(request: HttpRequest, form: django_forms.Form) -> None:
    """A form posted from the queue page and redirected back: its errors as messages, each naming its field."""
    for field, refusals in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for refusal in refusals:
            messages.error(request, f"{label}: {refusal}" if label else str(refusal))


def _bulk_form(request: HttpRequest, data: Any = None, initial: dict[str, Any] | None = None) -> BulkForm:
    team_ids = selectors.team_ids_for(request.user)
    agents = agent_users().order_by("username")
    if team_ids:  # an agent hands work to colleagues in their teams
        agents = agents.filter(agent_profile__teams__in=team_ids).distinct()
    # Its own ids: the queue's filter form beside it has fields of the same names.
    return BulkForm(data, agents=agents, macros=selectors.macros_for(request.user), initial=initial,
                    auto_id="bulk_%s")


def _bulk_ticket_ids(request: HttpRequest, data: dict[str, Any]) -> list[int]:
    if data["scope"] == "selected":
        return [int(value) for value in request.POST.getlist("ticket") if value.isdigit()]
    view_form = QueryDict(data["filters"])
    _form, filters = _filters_from(view_form)
    try:
        view = selectors.QueueView(data["view"] or selectors.QueueView.TEAM)
    except ValueError:
        raise ValidationError({"view": _("Unknown queue view.")}) from None
    return selectors.queue_ticket_ids(request.user, view, filters=filters, limit=bulk_service.MAX_TICKETS + 1)


@_desk
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Start a bulk action from the queue, then show its progress (at once complete for a hundred or fewer)."""
    form = _bulk_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ids = _bulk_ticket_ids(request, data)
            target_id = None
            if data["action"] == BulkJob.Action.MERGE:
                target_id = selectors.ticket_by_key(request.user, data["target"].strip()).pk
            params = {"assignee_id": data["assignee"].pk if data["assignee"] else None, "status": data["status"],
                      "priority": data["priority"], "tag": data["tag"], "macro_id": data["macro"],
                      "target_id": target_id}
            job = services.bulk_job_create(actor=_user(request), action=data["action"], params=params,
                                           ticket_ids=[*ids, target_id] if target_id else ids)
        except Http404:
            form.add_error("target", _("No ticket with this number in your queues."))
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            return HttpResponseRedirect(reverse("desk_tickets:bulk_job", args=[job.pk]))
    _flash_errors(request, form)
    return HttpResponseRedirect(f"{reverse('desk_tickets:queue')}?{form.data.get('filters', '')}")


@_desk
@require_GET
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.bulk_job_for(request.user, job_id)
    template = "tickets/_bulk_progress.html" if request.headers.get("HX-Request") else "tickets/bulk_job.html"
    return render(request, template, {"job": job})


def _saved_views_context(request: HttpRequest, *, queue_view: str, terms: str, filters: str) -> dict[str, Any]:
    form = SavedViewForm(initial={"queue_view": queue_view, "terms": terms, "filters": filters},
                         teams=Team.objects.filter(agents__user=_user(request)).order_by("name"), auto_id="saved_%s")
    return {"saved_views": selectors.saved_views_for(request.user), "saved_view_form": form}


@_desk
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST, teams=Team.objects.filter(agents__user=_user(request)))
    if form.is_valid():
        data = form.cleaned_data
        query = QueryDict(data["filters"])
        filters = {name: query.get(name, "") for name in services.SAVED_VIEW_FILTERS}
        try:
            saved = services.saved_view_create(owner=_user(request), name=data["name"], team=data["team"],
                                               queue_view=data["queue_view"], terms=data["terms"], filters=filters)
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
            return HttpResponseRedirect(selectors.saved_view_url(saved))
    _flash_errors(request, form)
    return HttpResponseRedirect(reverse("desk_tickets:queue"))


@_desk
@require_POST
def saved_view_change(request: HttpRequest, view_id: int, change: str) -> HttpResponse:
    """Delete a saved view, or move it up or down the owner's list."""
    if change not in ("delete", "up", "down"):
        raise Http404
    try:
        if change == "delete":
            services.saved_view_delete(owner=_user(request), view_id=view_id)
        else:
            services.saved_view_move(owner=_user(request), view_id=view_id, up=change == "up")
    except ApplicationError as error:
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("desk_tickets:queue"))
