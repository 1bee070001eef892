"""Side conversations, what a desk expects beyond plain text: files both ways (checked like ticket replies, kept
from answers, for the desk only), open and closed threads (an answer reopens), one live push per answer, and
their admin by role."""

# ruff: noqa: RUF001  (Chinese mail is written with full-width punctuation)

import re
from collections.abc import Callable
from email.message import EmailMessage as MimeMail
from email.utils import make_msgid
from typing import Any

import pytest
from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core import channel_push
from core.models import OutboxMessage
from profiles.models import User
from tests.clients import logged_in
from tests.factories import TeamFactory
from tickets import realtime
from tickets.channels.email.intake import email_receive
from tickets.models import SideAttachment, SideConversation, SideMessage, Ticket
from tickets.services import side_conversations as side

pytestmark = pytest.mark.django_db
MERCHANT = "kefu@shop-example.cn"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but starts like one\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32


def _start(client: Client, ticket: Ticket, capture: Any, **files: Any) -> Any:
    with capture(execute=True):  # the outbox relay runs the send task after the commit
        return client.post(f"/desk/tickets/{ticket.pk}/side/new/", {
            "counterpart": MERCHANT, "subject": "请核实签收照片", "body": "请发一下签收照片。", **files})


def _answer(conversation: SideConversation, *, body: str, files: list[tuple[str, bytes, str]]) -> bytes:
    """The counterpart's answer to the latest mail, with files, as their mail client would send it."""
    last = conversation.messages.order_by("-pk").first()
    assert last is not None
    answer = MimeMail()
    answer["From"] = f"店铺客服 <{MERCHANT}>"
    answer["To"] = re.sub(r".*<(.+)>", r"\1", side.reply_address(conversation))
    answer["Subject"] = f"回复：{conversation.subject}"
    answer["Message-ID"] = make_msgid(domain="qq.com")
    answer["In-Reply-To"] = f"<{last.message_id}>"
    answer.set_content(body)
    for name, data, content_type in files:
        maintype, subtype = content_type.split("/")
        answer.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return answer.as_bytes()


def test_desk_files_go_out_as_mime_attachments_and_bad_ones_write_nothing(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], django_capture_on_commit_callbacks: Any,
) -> None:
    ticket, agent = make_ticket(), make_agent()
    client = logged_in(agent)
    refused = _start(client, ticket, django_capture_on_commit_callbacks,
                     attachments=[SimpleUploadedFile("发票.pdf", PDF), SimpleUploadedFile("setup.pdf", EXE)])
    assert refused.status_code == 400 and "setup.pdf" in str(refused.context["side_form"].errors["attachments"])
    assert not SideConversation.objects.exists() and not SideAttachment.objects.exists()
    assert not OutboxMessage.objects.exists()

    started = _start(client, ticket, django_capture_on_commit_callbacks,
                     attachments=[SimpleUploadedFile("发票.pdf", PDF)])
    assert started.status_code == 302
    (sent,) = django_mail.outbox
    assert sent.attachments == [("发票.pdf", PDF, "application/pdf")]

    conversation = SideConversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        replied = client.post(f"/desk/tickets/{ticket.pk}/side/{conversation.pk}/reply/",
                              {"body": "补充照片", "attachments": [SimpleUploadedFile("box.png", PNG)]})
    assert replied.status_code == 302
    assert django_mail.outbox[1].attachments == [("box.png", PNG, "image/png")]
    assert sorted(SideAttachment.objects.values_list("filename", flat=True)) == ["box.png", "发票.pdf"]


def test_files_of_an_answer_are_kept_and_listed_for_the_desk_only(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], make_user: Callable[..., User],
    customer: User,
) -> None:
    ticket, agent = make_ticket(), make_agent()
    conversation = side.side_conversation_start(ticket=ticket, actor=agent, counterpart=MERCHANT, subject="照片",
                                                body="请发签收照片。")
    email_receive(raw=_answer(conversation, body="照片见附件。", files=[
        ("签收.png", PNG, "image/png"), ("tool.exe", EXE, "application/octet-stream")]))
    answer = conversation.messages.get(direction=SideMessage.Direction.INBOUND)
    kept = answer.attachments.get()
    assert (kept.filename, kept.content_type, kept.size) == ("签收.png", "image/png", len(PNG))
    assert "tool.exe" in answer.body  # the desk learns what was not kept
    assert ticket.messages.count() == 1  # nothing reached the ticket's own thread

    panel = logged_in(agent).get(f"/desk/tickets/{ticket.pk}/side/", HTTP_HX_REQUEST="true").content.decode()
    url = reverse("desk_tickets:side_attachment", args=[kept.pk])
    assert f'href="{url}"' in panel and "签收.png" in panel

    downloaded = logged_in(agent).get(url)
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == PNG  # type: ignore[attr-defined]
    other_team = logged_in(make_agent(teams=[TeamFactory.create()]))
    assert other_team.get(url).status_code == 404
    assert logged_in(customer).get(url).status_code == 403
    assert logged_in(make_user("merchant_staff")).get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_close_and_reopen_keep_who_and_when_and_an_answer_reopens(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
) -> None:
    ticket, agent = make_ticket(), make_agent()
    client = logged_in(agent)
    conversation = side.side_conversation_start(ticket=ticket, actor=agent, counterpart=MERCHANT, subject="已解决吗",
                                                body="请确认。")
    assert client.post(f"/desk/tickets/{ticket.pk}/side/{conversation.pk}/close/").status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == SideConversation.Status.CLOSED and conversation.closed_by == agent
    assert conversation.closed_at is not None
    closing = conversation.history.latest("history_id")
    assert closing.history_user_id == agent.pk and closing.history_change_reason == "closed"
    assert side.side_conversation_close(conversation=conversation, actor=agent) is False  # a second click

    panel = client.get(f"/desk/tickets/{ticket.pk}/side/", HTTP_HX_REQUEST="true").content.decode()
    thread = re.search(rf'<details class="tk-side__thread[^"]*" id="side-{conversation.pk}"[^>]*>', panel)
    assert thread and 'data-status="closed"' in thread.group(0) and " open" not in thread.group(0)  # collapsed
    assert f"/side/{conversation.pk}/reopen/" in panel

    email_receive(raw=_answer(conversation, body="已确认，可以结案。", files=[]))
    conversation.refresh_from_db()
    assert conversation.status == SideConversation.Status.OPEN and conversation.closed_by is None
    reopening = conversation.history.latest("history_id")
    assert reopening.history_user_id is None and reopening.history_change_reason == "counterpart answered"

    client.post(f"/desk/tickets/{ticket.pk}/side/{conversation.pk}/close/")
    assert client.post(f"/desk/tickets/{ticket.pk}/side/{conversation.pk}/reopen/").status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == SideConversation.Status.OPEN
    assert conversation.history.latest("history_id").history_change_reason == "reopened"

    # The desk writing again on a closed thread opens it too; the API closes and reopens like the page.
    side.side_conversation_close(conversation=conversation, actor=agent)
    side.side_conversation_reply(conversation=conversation, actor=agent, body="还有一个问题。")
    conversation.refresh_from_db()
    assert conversation.status == SideConversation.Status.OPEN
    api = APIClient()
    api.force_login(agent)
    url = f"/api/v1/tickets/{ticket.pk}/side-conversations/{conversation.pk}/"
    closed = api.post(f"{url}close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert api.post(f"{url}reopen/").json()["status"] == "open"
    customer_api = APIClient()
    customer_api.force_login(ticket.customer)
    assert customer_api.post(f"{url}close/").status_code == 403


def test_an_answer_is_pushed_once_after_commit_to_the_desk_never_to_the_customer(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket, agent = make_ticket(), make_agent()
    conversation = side.side_conversation_start(ticket=ticket, actor=agent, counterpart=MERCHANT, subject="运单",
                                                body="请查询。")
    batches: list[list[tuple[str, dict[str, Any]]]] = []
    monkeypatch.setattr(channel_push, "send_to_groups", lambda sends: batches.append(list(sends)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_receive(raw=_answer(conversation, body="已派送。", files=[]))
    assert batches == []  # nothing before the commit
    for callback in callbacks:
        callback()
    (sends,) = [batch for batch in batches if any(m["event"] == "ticket.side_replied" for _g, m in batch)]
    groups = {group for group, _message in sends}
    assert ticket.team_id is not None
    assert realtime.team_group(ticket.team_id) in groups and realtime.customer_group(ticket.pk) not in groups
    assert all(message["ticket_id"] == ticket.pk for _group, message in sends)
    assert len(sends) == len(groups)  # one message per group


@pytest.mark.parametrize(("role", "changelist", "edit"), [
    ("supervisor", 200, 302), ("qa", 200, 403), ("agent", 302, 302), ("customer", 302, 302),
])
def test_side_conversation_admin_by_role(
    role: str, changelist: int, edit: int, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
    make_user: Callable[..., User],
) -> None:
    agent = make_agent()
    conversation = side.side_conversation_start(ticket=make_ticket(), actor=agent, counterpart=MERCHANT,
                                                subject="原主题", body="第一封信的正文")
    client = logged_in(make_user(role))
    listed = client.get(reverse("admin:tickets_sideconversation_changelist"), {"status__exact": "open"})
    assert listed.status_code == changelist
    change_url = reverse("admin:tickets_sideconversation_change", args=[conversation.pk])
    if changelist == 200:
        page = client.get(change_url)
        assert page.status_code == 200 and "第一封信的正文" in page.content.decode()  # messages inline, read-only
        assert 'name="messages-0-body"' not in page.content.decode()
    changed = client.post(change_url, {"subject": "新主题", "messages-TOTAL_FORMS": "1",
                                       "messages-INITIAL_FORMS": "1", "messages-0-id": conversation.messages.get().pk,
                                       "messages-0-conversation": conversation.pk})
    assert changed.status_code == edit
    conversation.refresh_from_db()
    assert conversation.subject == ("新主题" if role == "supervisor" else "原主题")
    if role == "supervisor":
        client.post(reverse("admin:tickets_sideconversation_changelist"),
                    {"action": "close_selected", "_selected_action": [conversation.pk]})
        conversation.refresh_from_db()
        assert conversation.status == SideConversation.Status.CLOSED
        assert conversation.history.latest("history_id").history_user_id is not None
