"""Writes for live chat. Keyword-only, one transaction each; a message is committed before any
socket hears of it (events are published here and broadcast by `chat.realtime` on commit)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chat import bot, selectors, uploads
from chat import routing as chat_routing
from chat.errors import ChatError
from chat.models import Attachment, ChatMessage, ChatSettings, Conversation, ReadReceipt
from chat.payloads import conversation_payload, message_payload
from chat.text import clean_message_text
from chat.workflow import WORKFLOW
from core import events
from core.queueing import enqueue
from core.workflow import TransitionNotAllowed
from profiles.models import AgentProfile, User
from tickets import routing as ticket_routing
from tickets.models import Channel

Sender = ChatMessage.Sender
Status = Conversation.Status

MESSAGE_EVENT = "chat.message"
MESSAGE_CHANGED_EVENT = "chat.message_changed"
READ_EVENT = "chat.read"
CONVERSATION_EVENT = "chat.conversation"
QUEUE_EVENT = "chat.queue"


@dataclass(frozen=True)
class SendResult:
    message: ChatMessage
    created: bool


def _lock(conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "agent")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise ChatError("not_found", _("Conversation not found."))
    return conversation


def _participant(conversation: Conversation, user: Any) -> str:
    role = selectors.participant_role(conversation, user)
    if role is None:
        raise ChatError("not_found", _("Conversation not found."))
    return role


def _customer_language(conversation: Conversation) -> str:
    """The language of the customer's chat page when it was opened, else their preference."""
    return conversation.language or conversation.customer.preferred_language or settings.LANGUAGE_CODE


def _page_language(language: str) -> str:
    """`language` when the site offers it (the socket passes the page's), else "" for the stored default."""
    return language if language in dict(settings.LANGUAGES) else ""


def _append(
    conversation: Conversation, *, sender: str, author: User | None = None, body: str = "",
    attachment: Attachment | None = None, client_id: str = "", bot_confidence: float | None = None,
) -> ChatMessage:
    """Number and store one message on a conversation the caller holds locked."""
    conversation.last_seq += 1
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=conversation.last_seq)
    return _store(conversation, sender=sender, author=author, body=body, attachment=attachment, client_id=client_id,
                  bot_confidence=bot_confidence)


def _store(
    conversation: Conversation, *, sender: str, author: User | None = None, body: str = "",
    attachment: Attachment | None = None, client_id: str = "", bot_confidence: float | None = None,
) -> ChatMessage:
    """Store the message numbered `conversation.last_seq`, already taken under the conversation's row lock."""
    message = ChatMessage(
        conversation=conversation, seq=conversation.last_seq, sender=sender, author=author,
        kind=attachment.kind if attachment else ChatMessage.Kind.TEXT, body=body, attachment=attachment,
        client_id=client_id, bot_confidence=bot_confidence,
    )
    # No history row on the hot path: a "created" record would repeat the row itself. The first edit
    # or recall writes it, dated when the message was sent (_record_original).
    message.skip_history_when_saving = True  # type: ignore[attr-defined]
    message.save(force_insert=True)
    del message.skip_history_when_saving  # type: ignore[attr-defined]
    if author is not None:
        # Writing means having read everything before it. The message has the newest seq, so the
        # author's pointer can only move forward: one upsert, no read-then-compare.
        ReadReceipt.objects.bulk_create(
            [ReadReceipt(conversation=conversation, user=author, last_read_seq=message.seq)],
            update_conflicts=True, unique_fields=["conversation", "user"],
            update_fields=["last_read_seq", "updated_at"],
        )
    # One event for the message and the author's read pointer: they reach the sockets in one push.
    events.publish(
        MESSAGE_EVENT, conversation_id=conversation.pk, agent_id=conversation.agent_id,
        message=message_payload(message), read_by=sender if author is not None else None,
    )
    return message


def _system_say(conversation: Conversation, text_for: Any, sender: str = Sender.SYSTEM) -> ChatMessage:
    # Assistant and system lines are stored in the customer's language: the customer reads them first.
    with translation.override(_customer_language(conversation)):
        return _append(conversation, sender=sender, body=str(text_for()))


def _advance_receipt(conversation: Conversation, user: User, seq: int) -> bool:
    receipt, created = ReadReceipt.objects.get_or_create(
        conversation=conversation, user=user, defaults={"last_read_seq": seq}
    )
    if created:
        return seq > 0
    return ReadReceipt.objects.filter(pk=receipt.pk, last_read_seq__lt=seq).update(last_read_seq=seq) > 0


def _mark_read_to(conversation: Conversation, user: User, role: str, seq: int) -> None:
    if _advance_receipt(conversation, user, seq):
        events.publish(READ_EVENT, conversation_id=conversation.pk, user_id=user.pk, role=role, seq=seq,
                       agent_id=conversation.agent_id)


def _conversation_changed(conversation: Conversation) -> None:
    position = selectors.queue_position(conversation)
    events.publish(
        CONVERSATION_EVENT, conversation_id=conversation.pk,
        conversation=conversation_payload(conversation, queue_position=position,
                                          wait_seconds=selectors.estimated_wait_seconds(position)),
        agent_id=conversation.agent_id,
    )


@transaction.atomic
def conversation_start(
    *, customer: User, channel: str = Conversation.Channel.WEB, language: str = ""
) -> tuple[Conversation, bool]:
    """The customer's open conversation, or a new one greeted by the assistant in `language` (the page's);
    (conversation, created). An ended conversation never blocks a new one, rated or not."""
    # Locking the customer's row makes two tabs starting at once agree on one conversation.
    User.objects.select_for_update().filter(pk=customer.pk).first()
    existing = selectors.open_conversation_for(customer)
    if existing is not None:
        return existing, False
    if channel not in Conversation.Channel.values:
        raise ChatError("invalid_channel", _("Unknown channel."))
    conversation = Conversation.objects.create(customer=customer, channel=channel, language=_page_language(language))
    _system_say(conversation, bot.greeting, sender=Sender.BOT)
    events.publish(CONVERSATION_EVENT, conversation_id=conversation.pk,
                   conversation=conversation_payload(conversation), agent_id=None)
    return conversation, True


def _closed_message() -> str:
    """The leave-a-message offer, in the active language."""
    return _(
        "We are closed right now, so no agent can join this chat. Please leave us a message with the "
        "form on this page (%(url)s): it becomes a ticket, and an agent answers it on the next "
        "business day.") % {"url": reverse("chat:widget") + "#leave-message"}


def _handoff(conversation: Conversation, reason: str, language: str, *, announce: bool = False,
             now: datetime | None = None) -> None:
    """Out of hours (at `now`, default the present) the assistant points to the leave-a-message form and
    nothing is queued; otherwise the chat waits for its team and goes at once to an agent with room when the
    team assigns automatically (chat.routing). `announce`: the assistant first says it is finding someone."""
    with translation.override(language):
        if selectors.desk_availability(now).reason == "off_hours":
            _append(conversation, sender=Sender.BOT, body=_closed_message())
            return
        if announce:
            _append(conversation, sender=Sender.BOT, body=bot.handing_over())
        WORKFLOW.transition(conversation, to=Status.WAITING)
        decision = ticket_routing.decision_for(channel=Channel.CHAT, customer=conversation.customer)
        conversation.handoff_reason = reason
        conversation.team = decision.team
        conversation.skill_ids = sorted(decision.skill_ids)
        conversation.save(update_fields=["handoff_reason", "team", "skill_ids"])
        claimed = chat_routing.claim_agent(conversation)
        if claimed is not None:
            _give(conversation, claimed.user)
            return
        position = selectors.queue_position(conversation) or 1
        _append(conversation, sender=Sender.SYSTEM, body=_(
            "Connecting you to an agent. You are number %(position)d in the queue."
        ) % {"position": position})
    _conversation_changed(conversation)
    events.publish(QUEUE_EVENT)


def _give(conversation: Conversation, agent: User) -> None:
    """Assign a waiting chat the caller holds locked to `agent`, whose profile row it also holds."""
    conversation.agent = agent
    try:
        WORKFLOW.transition(conversation, to=Status.ACTIVE)
    except TransitionNotAllowed as error:
        raise ChatError("invalid_transition", str(error)) from error
    with translation.override(_customer_language(conversation)):
        _append(conversation, sender=Sender.SYSTEM, body=_("%(agent)s is here to help you.") % {"agent": agent})
    _conversation_changed(conversation)
    events.publish(QUEUE_EVENT)


@transaction.atomic
def conversation_handoff(
    *, conversation_id: int, customer: User, reason: str = "requested", language: str = ""
) -> Conversation:
    """The customer asks for a person ("转人工"): an agent takes the chat, or it joins the waiting queue."""
    conversation = _lock(conversation_id)
    if _participant(conversation, customer) != "customer":
        raise ChatError("permission_denied", _("Only the customer can ask for an agent."))
    if conversation.status != Status.BOT:
        raise ChatError("invalid_transition", _("This conversation is already with an agent or waiting for one."))
    page_language = _page_language(language)
    if page_language and page_language != conversation.language:
        # Remembered, so what the desk says later (an agent joined, the hours ended) follows the page.
        conversation.language = page_language
        conversation.save(update_fields=["language"])
    _handoff(conversation, reason, _customer_language(conversation))
    return conversation


@transaction.atomic
def assign_waiting(*, limit: int = 50) -> int:
    """Hand waiting chats, first in queue order, to agents with room (after an agent came online or
    freed a slot, and every minute from beat); returns how many were assigned. Chats locked by someone
    else are left to them. Once the service hours have ended nobody is assigned: the chats still waiting
    are told so and leave the queue (`_leave_queue`)."""
    waiting = list(
        selectors.with_queue_priority(
            Conversation.objects.select_for_update(skip_locked=True, of=("self",)).select_related("customer", "agent")
            .filter(status=Status.WAITING)
        ).order_by(*selectors.QUEUE_ORDER)[:limit]
    )
    if waiting and selectors.desk_availability().reason == "off_hours":
        for conversation in waiting:
            _leave_queue(conversation)
        events.publish(QUEUE_EVENT)
        return 0
    assigned = 0
    for conversation in waiting:
        claimed = chat_routing.claim_agent(conversation)
        if claimed is not None:
            _give(conversation, claimed.user)
            assigned += 1
    return assigned


def _leave_queue(conversation: Conversation) -> None:
    """A chat still waiting when the service hours end goes back to the assistant, which offers the
    leave-a-message form in the customer's page language, rather than waiting silently all night."""
    WORKFLOW.transition(conversation, to=Status.BOT)
    with translation.override(_customer_language(conversation)):
        _append(conversation, sender=Sender.BOT, body=_closed_message())
    _conversation_changed(conversation)


def _bot_reply(conversation: Conversation, text: str, language: str, now: datetime | None) -> None:
    reason = bot.wants_human(text)
    if reason is None:
        with translation.override(language):
            found = bot.answer(text, conversation.customer)
        if found is not None:
            _append(conversation, sender=Sender.BOT, body=found.text, bot_confidence=found.confidence)
            if found.answered:
                return
        else:
            with translation.override(language):
                _append(conversation, sender=Sender.BOT, body=bot.cannot_answer())
        # A "did you mean" is a miss too: the question itself is still unanswered.
        conversation.bot_misses += 1
        Conversation.objects.filter(pk=conversation.pk).update(bot_misses=conversation.bot_misses)
        if conversation.bot_misses < settings.CHAT_BOT_MAX_MISSES:
            return
        reason = "unanswered"
    if reason == "complaint":
        with translation.override(language):
            _append(conversation, sender=Sender.BOT, body=bot.handing_over_complaint())
    _handoff(conversation, reason, language, announce=reason != "complaint", now=now)


def message_send(
    *, conversation_id: int, author: User, body: str = "", attachment_id: int | None = None, client_id: str = "",
    language: str = "", now: datetime | None = None,
) -> SendResult:
    """Store a message from the customer or the assigned agent. A repeated `client_id` returns the
    first message (created=False) so a client can retry a send whose ack it never saw. The assistant
    answers a customer in `language`, the language of their page (else the conversation's); a hand-off
    is judged against the service hours at `now` (the present unless the demo seeds an open moment)."""
    body = clean_message_text(body)
    if len(body) > settings.CHAT_MESSAGE_MAX_CHARS:
        raise ChatError("too_long", _("A message can be at most %(count)d characters.")
                        % {"count": settings.CHAT_MESSAGE_MAX_CHARS})
    if len(client_id) > 64:
        raise ChatError("invalid_client_id", _("client_id can be at most 64 characters."))
    if not body and attachment_id is None:
        raise ChatError("empty", _("Type a message or attach a file."))
    try:
        return _send_new(conversation_id=conversation_id, author=author, body=body, attachment_id=attachment_id,
                         client_id=client_id, language=_page_language(language), now=now)
    except IntegrityError as error:
        # A retry of a stored send: the unique (conversation, client_id) constraint refused the second
        # row and the whole transaction, its sequence number included, was rolled back.
        if not client_id or _violated_constraint(error) != "chat_message_unique_client_id":
            raise
    return _unclaimed_send(conversation_id=conversation_id, author=author, client_id=client_id)


@transaction.atomic
def _send_new(
    *, conversation_id: int, author: User, body: str, attachment_id: int | None, client_id: str, language: str,
    now: datetime | None,
) -> SendResult:
    # The hot path of chat: one UPDATE takes the row lock, checks membership and status and numbers
    # the message; then the message, its history row and the author's read pointer are written.
    conversation = _claim_next_seq(conversation_id, author)
    if conversation is None:
        return _unclaimed_send(conversation_id=conversation_id, author=author, client_id=client_id)
    role = "customer" if conversation.customer_id == author.pk else "agent"
    attachment = None
    if attachment_id is not None:
        attachment = Attachment.objects.filter(pk=attachment_id, conversation=conversation, uploaded_by=author).first()
        if attachment is None:
            raise ChatError("invalid_attachment", _("That upload does not exist or is not yours."))
    message = _store(conversation, sender=role, author=author, body=body, attachment=attachment, client_id=client_id)
    if role == "customer" and conversation.status == Status.BOT and body:
        _bot_reply(conversation, body, language or _customer_language(conversation), now)
    return SendResult(message, created=True)


def _claim_next_seq(conversation_id: int, author: User) -> Conversation | None:
    """The conversation with `last_seq` moved to the new message's number, locked until commit; None
    when `author` may not write in it now (no such conversation, not a participant, or ended).

    Raw SQL because the ORM's update() cannot return the row: this is one round trip where a
    SELECT ... FOR UPDATE and an UPDATE were two, on every message. A plain cursor and from_db, not
    raw(): RawQuerySet's column mapping cost a tenth of Daphne's CPU per chat line under load."""
    attnames = {field.column: field.attname for field in Conversation._meta.concrete_fields if field.column}
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Conversation._meta.db_table} SET last_seq = last_seq + 1"  # noqa: S608  (no user input in the SQL)
            " WHERE id = %s AND status = ANY(%s) AND (customer_id = %s OR agent_id = %s)"
            f" RETURNING {', '.join(map(connection.ops.quote_name, attnames))}",
            [conversation_id, [status.value for status in Conversation.OPEN_STATUSES], author.pk, author.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Conversation.from_db(connection.alias, list(attnames.values()), row)


def _violated_constraint(error: IntegrityError) -> str | None:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)


def _unclaimed_send(*, conversation_id: int, author: User, client_id: str) -> SendResult:
    """A send that numbered nothing: the answer to a retry, or the reason it was refused."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", _("Conversation not found."))
    _participant(conversation, author)
    earlier = ChatMessage.objects.select_related("author", "attachment").filter(
        conversation=conversation, client_id=client_id
    ).first() if client_id else None
    if earlier is not None:
        return SendResult(earlier, created=False)
    raise ChatError("conversation_ended", _("This conversation has ended."))


def _lock_own_message(message_id: int, user: User, window_seconds: int, late: str) -> tuple[Conversation, ChatMessage]:
    found = ChatMessage.objects.filter(pk=message_id).values_list("conversation_id", flat=True).first()
    if found is None:
        raise ChatError("not_found", _("Message not found."))
    conversation = _lock(found)
    _participant(conversation, user)
    message = ChatMessage.objects.select_related("author", "attachment").get(pk=message_id)
    if message.author_id != user.pk:
        raise ChatError("not_author", _("You can only change your own messages."))
    if message.recalled_at is not None:
        raise ChatError("recalled", _("This message was recalled."))
    if timezone.now() - message.created_at > timedelta(seconds=window_seconds):
        raise ChatError("window_passed", late % {"minutes": f"{window_seconds / 60:g}"})
    _record_original(message)
    return conversation, message


def _record_original(message: ChatMessage) -> None:
    """The message as sent, as its history's first ("created") row, before an edit or recall changes it."""
    if not ChatMessage.history.filter(id=message.pk).exists():
        ChatMessage.history.bulk_history_create([message], default_user=message.author,
                                                default_date=message.created_at)


@transaction.atomic
def message_edit(*, message_id: int, user: User, body: str) -> ChatMessage:
    limits = ChatSettings.load()
    body = clean_message_text(body)
    if not body:
        raise ChatError("empty", _("Type a message or attach a file."))
    if len(body) > settings.CHAT_MESSAGE_MAX_CHARS:
        raise ChatError("too_long", _("A message can be at most %(count)d characters.")
                        % {"count": settings.CHAT_MESSAGE_MAX_CHARS})
    _conversation, message = _lock_own_message(message_id, user, limits.edit_window_seconds, _(
        "Messages can only be edited within %(minutes)s minutes of sending."
    ))
    if message.kind != ChatMessage.Kind.TEXT:
        raise ChatError("not_text", _("Only text messages can be edited."))
    if message.edit_count >= limits.edit_limit:
        raise ChatError(
            "edit_limit", _("A message can be edited at most %(count)d times.") % {"count": limits.edit_limit}
        )
    message.body = body
    message.edit_count += 1
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "edit_count", "edited_at"])
    events.publish(MESSAGE_CHANGED_EVENT, conversation_id=message.conversation_id, message=message_payload(message))
    return message


@transaction.atomic
def message_recall(*, message_id: int, user: User) -> ChatMessage:
    """Withdraw a message: both sides see "消息已撤回" in its place; its content is no longer served."""
    limits = ChatSettings.load()
    _conversation, message = _lock_own_message(message_id, user, limits.recall_window_seconds, _(
        "Messages can only be recalled within %(minutes)s minutes of sending."
    ))
    message.recalled_at = timezone.now()
    # The text goes; the previous version stays in the message's history for QA.
    message.body = ""
    message.save(update_fields=["recalled_at", "body"])
    events.publish(MESSAGE_CHANGED_EVENT, conversation_id=message.conversation_id, message=message_payload(message))
    return message


@transaction.atomic
def mark_read(*, conversation_id: int, user: User, seq: int) -> int:
    """Move the reader's pointer forward (never back); returns the pointer."""
    conversation = Conversation.objects.select_related("customer", "agent").filter(pk=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", _("Conversation not found."))
    role = _participant(conversation, user)
    _mark_read_to(conversation, user, role, max(0, min(seq, conversation.last_seq)))
    return ReadReceipt.objects.get(conversation=conversation, user=user).last_read_seq


@transaction.atomic
def conversation_assign(*, agent: User, conversation_id: int | None = None) -> Conversation:
    """Give a waiting chat to `agent`: the given one, or the longest-waiting one.

    The agent's profile row is locked first, so their capacity check and the assignment are one
    step; waiting rows are taken with SKIP LOCKED so two agents never block on the same chat.
    """
    profile = AgentProfile.objects.select_for_update().filter(user_id=agent.pk).first()
    if profile is None:
        raise ChatError("not_agent", _("Only agents take chats."))
    active = Conversation.objects.filter(agent_id=agent.pk, status=Status.ACTIVE).count()
    if active >= profile.capacity:
        raise ChatError("at_capacity", _("You already have %(count)d chats open, your limit.") % {"count": active})
    waiting = Conversation.objects.select_for_update(skip_locked=True, of=("self",)).select_related("customer")
    waiting = waiting.filter(status=Status.WAITING)
    if conversation_id is not None:
        waiting = waiting.filter(pk=conversation_id)
    else:
        # "Take next": chats the routing rules sent to one of the agent's teams, or to no team.
        waiting = waiting.filter(Q(team__isnull=True) | Q(team__in=profile.teams.all()))
    conversation = selectors.with_queue_priority(waiting).order_by(*selectors.QUEUE_ORDER).first()
    if conversation is None:
        raise ChatError("not_waiting", _("No chat is waiting for you there: another agent may have taken it."))
    _give(conversation, agent)
    return conversation


@transaction.atomic
def conversation_transfer(*, conversation_id: int, agent: User, to_agent: User) -> Conversation:
    """Hand an active chat from its agent to another agent who has room for it."""
    conversation = _lock(conversation_id)
    if conversation.agent_id != agent.pk or conversation.status != Status.ACTIVE:
        raise ChatError("not_found", _("Conversation not found."))
    if to_agent.pk == agent.pk:
        raise ChatError("invalid_agent", _("Choose another agent."))
    # Conversation first, then the receiving agent's profile: assign never waits on a conversation
    # lock (SKIP LOCKED), so the two cannot deadlock.
    profile = AgentProfile.objects.select_for_update().filter(user_id=to_agent.pk).first()
    if profile is None:
        raise ChatError("invalid_agent", _("Choose another agent."))
    if Conversation.objects.filter(agent_id=to_agent.pk, status=Status.ACTIVE).count() >= profile.capacity:
        raise ChatError("at_capacity", _("%(agent)s has no room for another chat.") % {"agent": to_agent})
    conversation.agent = to_agent
    WORKFLOW.transition(conversation, to=Status.ACTIVE)
    with translation.override(_customer_language(conversation)):
        _append(conversation, sender=Sender.SYSTEM, body=_("%(from)s transferred you to %(to)s.")
                % {"from": agent, "to": to_agent})
    _conversation_changed(conversation)
    # The previous agent's console drops the chat, and their freed slot can take a waiting one.
    events.publish(CONVERSATION_EVENT, conversation_id=conversation.pk, conversation=None, agent_id=agent.pk)
    enqueue("chat.tasks.assign_waiting")
    return conversation


@transaction.atomic
def conversation_end(*, conversation_id: int, user: User) -> Conversation:
    conversation = _lock(conversation_id)
    _participant(conversation, user)
    was_waiting = conversation.status == Status.WAITING
    try:
        WORKFLOW.transition(conversation, to=Status.ENDED)
    except TransitionNotAllowed as error:
        raise ChatError("invalid_transition", str(error)) from error
    _system_say(conversation, lambda: _("The conversation has ended. You are welcome to rate it below."))
    _conversation_changed(conversation)
    if was_waiting:
        events.publish(QUEUE_EVENT)
    elif conversation.agent_id is not None:
        # The agent has a free slot: the longest-waiting chat that fits them can have it.
        enqueue("chat.tasks.assign_waiting")
    return conversation


@transaction.atomic
def conversation_rate(*, conversation_id: int, customer: User, rating: int, comment: str = "") -> Conversation:
    conversation = _lock(conversation_id)
    if _participant(conversation, customer) != "customer":
        raise ChatError("permission_denied", _("Only the customer rates a conversation."))
    if conversation.status != Status.ENDED:
        raise ChatError("invalid_transition", _("A conversation is rated once it has ended."))
    if conversation.rating is not None:
        raise ChatError("already_rated", _("You have already rated this conversation."))
    if not 1 <= rating <= 5:
        raise ChatError("invalid_rating", _("Choose between 1 and 5 stars."))
    conversation.rating = rating
    conversation.rating_comment = clean_message_text(comment)[:500]
    conversation.save(update_fields=["rating", "rating_comment"])
    _conversation_changed(conversation)
    return conversation


@transaction.atomic
def attachment_upload(*, conversation_id: int, user: User, kind: str, upload: UploadedFile) -> Attachment:
    """Check and store an upload for a later `send`; returns the attachment to reference by id."""
    conversation = Conversation.objects.select_related("customer", "agent").filter(pk=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", _("Conversation not found."))
    _participant(conversation, user)
    if not conversation.is_open:
        raise ChatError("conversation_ended", _("This conversation has ended."))
    checked = uploads.check_upload(kind=kind, upload=upload)
    attachment = Attachment(
        conversation=conversation, uploaded_by=user, kind=checked.kind, content_type=checked.content_type,
        original_name=checked.name, size=len(checked.content), width=checked.width, height=checked.height,
        duration_ms=checked.duration_ms,
    )
    uploads.store(checked, attachment)
    attachment.save()
    if attachment.kind == Attachment.Kind.VOICE and settings.CHAT_SPEECH_TO_TEXT:
        events.publish("chat.voice_uploaded", attachment_id=attachment.pk)
    return attachment
