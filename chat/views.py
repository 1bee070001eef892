from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import bot, embed, services
from chat import selectors as chat_selectors
from chat.errors import ChatError
from chat.forms import ChatToTicketForm, LeaveMessageForm
from chat.models import Attachment, Conversation
from chat.payloads import attachment_payload
from chat.services.tickets import TicketLink, auto_reply, transcript_notes
from core import customer_context
from core.api import ApplicationError, error_body
from core.customer_context import CustomerFacts
from core.errors import status_for
from core.forms import add_refusal
from profiles import selectors as profile_selectors
from profiles.models import User
from profiles.roles import Role
from tickets import selectors as ticket_selectors
from tickets import services as ticket_services

# Words the chat scripts show, translated on the page they load in.
CHAT_STRINGS = {
    "recalled": _("Message recalled"),
    "edited": _("edited"),
    "sending": _("Sending…"),
    "sent": pgettext_lazy("chat message status", "Sent"),
    "failed": _("Failed to send"),
    "read": _("Read"),
    "typing": _("typing…"),
    "connecting": _("Connecting…"),
    "open": _("Live"),
    "closed": _("Reconnecting…"),
    "refused": _("Live updates are off"),
    "recall": _("Recall"),
    "edit": _("Edit"),
    "edit_prompt": _("Edit your message"),
    "queue": _("You are number %(position)s in the queue."),
    "wait": _("Estimated wait: about %(minutes)s min."),
    "choose_rating": _("Choose a number of stars, or simply leave the rating out."),
    "upload_failed": _("Upload failed"),
    "you": _("You"),
    "customer": _("Customer"),
    "agent": _("Agent"),
    "bot": _("Assistant"),
    "confidence": _("confidence"),
    "system": _("System"),
    # Labelled here, in the reader's language: a pushed conversation frame goes to both sides at once.
    **{f"status_{value}": label for value, label in Conversation.Status.choices},
}


# The emoji row under the chat box. Faces only: every common font set (DejaVu included) draws them,
# where hands and objects (👍 🙏 🎉) need a colour emoji font that many Linux desktops lack.
CHAT_EMOJI = ["😀", "😂", "😊", "😍", "😉", "😘", "😭", "😢", "😡", "❤️"]


def _user(request: HttpRequest) -> User:
    # Every view below is behind login_required, so the user is a real account.
    assert isinstance(request.user, User)
    return request.user


# --- Customer widget (/help/chat/) ---


def _require_customer(request: HttpRequest) -> None:
    if not profile_selectors.user_has_role(request.user, Role.CUSTOMER) or request.user.is_superuser:
        raise PermissionDenied


def _embedded(request: HttpRequest) -> bool:
    """Shown inside another site's iframe (see chat/embed.py): no site navigation, links stay in the frame."""
    return (request.POST if request.method == "POST" else request.GET).get("embedded") == "1"


def _frame_context(request: HttpRequest) -> dict[str, object]:
    """Whether the page sits in another site's iframe, and the layout it extends there."""
    embedded = _embedded(request)
    return {"embedded": embedded, "base_template": "chat/embed_base.html" if embedded else "base.html"}


def _widget(request: HttpRequest, *, leave_form: LeaveMessageForm | None = None, status: int = 200) -> HttpResponse:
    conversation = chat_selectors.latest_conversation_for(request.user)
    availability = chat_selectors.desk_availability()
    # Off hours or with nobody to take a chat, the widget offers a message for later; the assistant still
    # answers, and a chat already with an agent goes on undisturbed.
    if leave_form is None and not availability.is_open and (
        conversation is None or conversation.status != Conversation.Status.ACTIVE
    ):
        leave_form = LeaveMessageForm(customer=_user(request))
    return render(request, "chat/widget.html", {
        "conversation": conversation,
        # An ended conversation stays on screen while its (optional) rating is open, with a button to
        # start a new one beside it; once rated, or with none yet, the page offers a new conversation.
        "can_start": conversation is None or (conversation.status == Conversation.Status.ENDED
                                              and conversation.rating is not None),
        "availability": availability,
        "leave_form": leave_form,
        "chat_strings": CHAT_STRINGS,
        "chat_emoji": CHAT_EMOJI,
        **_frame_context(request),
    }, status=status)


@embed.framable
@login_required
@require_GET
def widget(request: HttpRequest) -> HttpResponse:
    _require_customer(request)
    return _widget(request)



@embed.framable
@login_required
@require_POST
def leave_message(request: HttpRequest) -> HttpResponse:
    """The off-hours form: a chat-channel ticket, then the automatic reply with the promised time."""
    _require_customer(request)
    form = LeaveMessageForm(request.POST, request.FILES, customer=_user(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            left = services.leave_message(
                customer=_user(request), description=data["description"], priority=data["priority"],
                contact=data["contact"], category=data["category"], uploads=data["attachments"],
            )
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            url = reverse("chat:message_left", args=[left.ticket.pk])
            return HttpResponseRedirect(f"{url}?embedded=1" if _embedded(request) else url)
    return _widget(request, leave_form=form, status=400)


@embed.framable
@login_required
@require_GET
def message_left(request: HttpRequest, ticket_id: int) -> HttpResponse:
    _require_customer(request)
    try:
        ticket = chat_selectors.left_message_for(request.user, ticket_id)
    except ChatError as error:
        raise Http404 from error
    return render(request, "chat/message_left.html", {
        "ticket": ticket, "reply": auto_reply(ticket), **_frame_context(request),
    })


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    _require_customer(request)
    services.conversation_start(customer=_user(request), language=request.LANGUAGE_CODE)
    url = reverse("chat:widget")
    return HttpResponseRedirect(f"{url}?embedded=1" if _embedded(request) else url)


@require_GET
def embed_script(request: HttpRequest) -> HttpResponse:
    """The script tag another site includes (chat/embed.py); public, it holds no data."""
    response = render(request, "chat/embed.js", {
        "button_label": _("Online service"), "close_label": _("Hide chat"),
    }, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@embed.framable
@require_GET
def embed_page(request: HttpRequest) -> HttpResponse:
    """The iframe's first page: a valid token signs its customer in, then the widget opens in the frame.

    A forged, expired or unknown token gets 403 and signs nobody in (nor out)."""
    customer = embed.customer_for(request.GET.get("token", ""))
    if customer is None:
        return render(request, "chat/embed_refused.html", status=403)
    if request.user.pk != customer.pk:
        login(request, customer, backend="profiles.permissions.CachedPermissionBackend")
    return HttpResponseRedirect(f"{reverse('chat:widget')}?embedded=1")


def _json_error(error: ChatError) -> JsonResponse:
    return JsonResponse(error_body(code=error.code, message=error.message), status=status_for(error.code))


@login_required
@require_POST
def upload(request: HttpRequest, conversation_id: int) -> JsonResponse:
    """multipart: `kind` (image, voice, file, video) and `file`; answers the attachment to send by id."""
    file = request.FILES.get("file")
    if file is None:
        return JsonResponse(error_body(code="invalid", message=str(_("Choose a file.")),
                                       fields={"file": [str(_("This field is required."))]}), status=400)
    try:
        attachment = services.attachment_upload(
            conversation_id=conversation_id, user=_user(request), kind=request.POST.get("kind", ""), upload=file
        )
    except ChatError as error:
        return _json_error(error)
    return JsonResponse(attachment_payload(attachment), status=201)


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    found = Attachment.objects.select_related("conversation").filter(pk=attachment_id).first()
    if found is None or not chat_selectors.may_download(request.user, found):
        raise Http404
    thumbnail = request.GET.get("thumbnail") == "1" and bool(found.thumbnail)
    stored = found.thumbnail if thumbnail else found.file
    # Only checked images, audio and video are shown inline; anything else is a download, never rendered.
    inline = found.kind != Attachment.Kind.FILE or found.content_type == "application/pdf"
    response = FileResponse(stored.open("rb"), content_type=found.content_type, as_attachment=not inline,
                            filename=found.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Agent console (/desk/chats/) ---


def _console_context(request: HttpRequest) -> dict[str, Any]:
    chats = chat_selectors.agent_conversations(request.user)
    return {
        "chats": chats,
        "queue": chat_selectors.waiting_queue(),
        "capacity": chat_selectors.agent_capacity(request.user),
    }


def _ticket_form(request: HttpRequest, conversation: Conversation, data: Any = None) -> ChatToTicketForm:
    tickets = chat_selectors.customer_tickets_for_linking(request.user, conversation)
    question = chat_selectors.last_customer_text(conversation.pk)
    return ChatToTicketForm(data, tickets=tickets,
                            initial={"subject": question.splitlines()[0][:200] if question else ""})


def _canned(user: User, conversation: Conversation, facts: CustomerFacts) -> list[dict[str, str]]:
    """The user's canned responses filled for this chat, as the ticket page fills them for a ticket."""
    ticket = conversation.ticket
    values = {
        "customer.name": str(conversation.customer),
        "agent.name": str(user),
        "order.number": facts.orders[0].number if facts.orders else "",
        "ticket.number": ticket.number if ticket is not None else "",
        "ticket.subject": ticket.subject if ticket is not None else "",
    }
    return [
        {"title": response.title, "shortcut": response.shortcut,
         "text": ticket_services.canned_response_fill(response=response, values=values, user=user)}
        for response in ticket_selectors.canned_responses_for(user)
    ]


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    context = _console_context(request)
    selected = request.GET.get("c")
    chosen = next((chat for chat in context["chats"] if str(chat.pk) == selected), None)
    if chosen is None and context["chats"]:
        chosen = context["chats"][0]
    question = chat_selectors.last_customer_text(chosen.pk) if chosen else ""
    # The customer's orders and open requests come from whichever app owns them (aftersales today).
    facts = customer_context.facts_for(chosen.customer_id) if chosen else CustomerFacts()
    colleagues = [
        agent for agent in profile_selectors.agents_for_desk(request.user) if agent.user_id != request.user.pk
    ]
    context.update({
        "selected": chosen,
        "question": question,
        "colleagues": colleagues,
        "suggestions": bot.suggestions(question) if question else [],
        "facts": facts,
        "recent_tickets": ticket_selectors.recent_tickets_for_customer(chosen.customer_id) if chosen else [],
        "canned": _canned(_user(request), chosen, facts) if chosen else [],
        "is_agent": context["capacity"] is not None,
        "chat_strings": CHAT_STRINGS,
        "chat_emoji": CHAT_EMOJI,
    })
    return render(request, "chat/console.html", context)


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def console_lists(request: HttpRequest) -> HttpResponse:
    """The chat list and the queue, re-fetched by the console when its desk socket says so."""
    context = _console_context(request)
    selected = request.GET.get("c", "")
    context["selected_id"] = int(selected) if selected.isdigit() else 0
    return render(request, "chat/_console_lists.html", context)


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def accept(request: HttpRequest, conversation_id: int | None = None) -> HttpResponse:
    try:
        conversation = services.conversation_assign(agent=_user(request), conversation_id=conversation_id)
    except ChatError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(reverse("desk:chats"))
    return HttpResponseRedirect(f"{reverse('desk:chats')}?c={conversation.pk}")


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def transfer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    agent_id = request.POST.get("agent", "")
    target = User.objects.filter(pk=int(agent_id)).first() if agent_id.isdigit() else None
    try:
        if target is None:
            raise ChatError("invalid_agent", _("Choose another agent."))
        services.conversation_transfer(conversation_id=conversation_id, agent=_user(request), to_agent=target)
    except ChatError as error:
        if error.code == "not_found":
            raise Http404 from error
        messages.error(request, error.message)
        return HttpResponseRedirect(f"{reverse('desk:chats')}?c={conversation_id}")
    messages.success(request, _("Transferred to %(agent)s.") % {"agent": target})
    return HttpResponseRedirect(reverse("desk:chats"))


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def end(request: HttpRequest, conversation_id: int) -> HttpResponse:
    try:
        services.conversation_end(conversation_id=conversation_id, user=_user(request))
    except ChatError as error:
        if error.code == "not_found":
            raise Http404 from error
        messages.error(request, error.message)
    return HttpResponseRedirect(reverse("desk:chats"))


def _link_message(link: TicketLink) -> Any:
    if not link.linked_now:
        return _("This chat is already on ticket %(number)s.") % {"number": link.ticket.number}
    if link.created:
        return _("Ticket %(number)s created with the chat transcript.") % {"number": link.ticket.number}
    return _("The chat transcript was added to ticket %(number)s.") % {"number": link.ticket.number}


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_http_methods(["GET", "POST"])
def to_ticket(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Turn the chat into a ticket or add it to one of the customer's tickets; a repeat changes nothing."""
    conversation = chat_selectors.conversation_for_ticketing(request.user, conversation_id)
    if conversation is None:
        raise Http404
    form = _ticket_form(request, conversation, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link = services.conversation_to_ticket(
                conversation_id=conversation.pk, user=_user(request), ticket_id=data["ticket"],
                subject=data["subject"], priority=data["priority"] or None,
            )
        except ChatError as error:
            raise Http404 from error
        except (ValidationError, ApplicationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, _link_message(link))
            return HttpResponseRedirect(reverse("desk:chat_ticket", args=[conversation.pk]))
    return render(request, "chat/to_ticket.html", {
        "conversation": conversation,
        "form": form if conversation.ticket_id is None else None,
        "transcript": transcript_notes(conversation),
    }, status=400 if request.method == "POST" else 200)
