"""The customer widget (/help/chat/), the agent console (/desk/chats/), uploads and downloads."""

import io
import struct
import wave
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from chat.models import Attachment, ChatMessage, Conversation
from profiles.models import AgentProfile, User
from tests.chat.factories import chat_with_agent, say, start_chat
from tests.clients import logged_in
from tests.conftest import ALL_ROLES
from tests.knowledge.factories import ArticleFactory
from tests.pages.conftest import Outcome, assert_outcome, page_text

pytestmark = pytest.mark.django_db

WIDGET = "/help/chat/"
CONSOLE = "/desk/chats/"
WIDGET_OUTCOME: dict[str, Outcome] = {
    "anonymous": "login", "customer": "ok", "agent": "forbidden", "supervisor": "forbidden", "qa": "forbidden",
    "merchant_staff": "forbidden", "admin": "forbidden",
}
CONSOLE_OUTCOME: dict[str, Outcome] = {
    "anonymous": "login", "customer": "forbidden", "agent": "ok", "supervisor": "ok", "qa": "ok",
    "merchant_staff": "forbidden", "admin": "ok",
}



def png_bytes(size: tuple[int, int] = (2400, 1200), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(struct.pack("<h", 0) * int(seconds * rate))
    return buffer.getvalue()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_widget_permissions(client_for: Callable[[str], Client], role: str) -> None:
    response = client_for(role).get(WIDGET)
    assert_outcome(response, WIDGET_OUTCOME[role], WIDGET)
    if WIDGET_OUTCOME[role] == "ok":
        text = page_text(response)
        assert "<title>在线客服 · 服务中心</title>" in text
        assert 'id="chat-start"' in text and "开始咨询" in text


@pytest.mark.parametrize("role", ALL_ROLES)
def test_console_permissions(client_for: Callable[[str], Client], role: str) -> None:
    response = client_for(role).get(CONSOLE)
    assert_outcome(response, CONSOLE_OUTCOME[role], CONSOLE)
    if CONSOLE_OUTCOME[role] == "ok":
        assert "排队中" in page_text(response)


def test_customer_starts_then_sees_the_live_conversation(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    client = logged_in(customer)

    response = client.post("/help/chat/start/")
    assert response.status_code == 302 and response["Location"] == WIDGET
    conversation = Conversation.objects.get(customer=customer)
    text = page_text(client.get(WIDGET))
    assert f'data-chat-socket="/ws/chat/{conversation.pk}/?lang=zh-hans"' in text
    assert "/static/chat/chat.js" in text
    assert "转人工" in text
    assert '"recalled": "\\u6d88\\u606f\\u5df2\\u64a4\\u56de"' in text  # 消息已撤回 for the script
    # Starting again continues the same conversation.
    client.post("/help/chat/start/")
    assert Conversation.objects.filter(customer=customer).count() == 1


def test_only_customers_start_and_get_is_not_allowed(client_for: Callable[[str], Client]) -> None:
    assert client_for("agent").post("/help/chat/start/").status_code == 403
    assert client_for("customer").get("/help/chat/start/").status_code == 405
    assert not Conversation.objects.exists()


def test_agent_accepts_from_the_queue_replies_and_ends(make_user: Callable[..., User]) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    conversation = start_chat(customer)
    say(conversation, customer, "我要转人工")
    client = logged_in(agent)
    text = page_text(client.get(CONSOLE))
    assert str(customer) in text and f"/desk/chats/{conversation.pk}/accept/" in text

    response = client.post(f"/desk/chats/{conversation.pk}/accept/")

    assert response.status_code == 302 and response["Location"] == f"{CONSOLE}?c={conversation.pk}"
    text = page_text(client.get(response["Location"]))
    assert f'data-chat-socket="/ws/chat/{conversation.pk}/?lang=zh-hans"' in text
    assert 'class="chat-list__unread"' in text
    assert client.post(f"/desk/chats/{conversation.pk}/end/").status_code == 302
    assert Conversation.objects.get(pk=conversation.pk).status == "ended"


def test_console_suggests_articles_for_the_last_customer_question(make_user: Callable[..., User]) -> None:
    ArticleFactory.create(slug="refund-time", title_zh="退款多久到账", body_zh="退款审核通过后 1 到 3 个工作日原路退回")
    customer, agent = make_user("customer"), make_user("agent")
    conversation = chat_with_agent(customer, agent)
    say(conversation, customer, "退款多久到账")
    text = page_text(logged_in(agent).get(f"{CONSOLE}?c={conversation.pk}"))
    assert '<a href="/help/articles/refund-time/" target="_blank" rel="noopener">退款多久到账</a>' in text
    assert "知识库推荐" in text


def test_accept_when_taken_or_full_says_why(make_user: Callable[..., User]) -> None:
    customer, agent, other = make_user("customer"), make_user("agent"), make_user("agent")
    conversation = chat_with_agent(customer, other)
    client = logged_in(agent)
    response = client.post(f"/desk/chats/{conversation.pk}/accept/", follow=True)
    assert "可能已被其他客服接入" in page_text(response)
    AgentProfile.objects.filter(user=agent).update(capacity=1)
    chat_with_agent(make_user("customer"), agent)
    waiting = start_chat(make_user("customer"))
    say(waiting, waiting.customer, "人工")
    response = client.post("/desk/chats/accept/", follow=True)
    assert "已达上限" in page_text(response)
    assert Conversation.objects.get(pk=waiting.pk).status == "waiting"


def test_someone_elses_chat_cannot_be_ended(make_user: Callable[..., User]) -> None:
    conversation = chat_with_agent(make_user("customer"), make_user("agent"))
    response = logged_in(make_user("agent")).post(f"/desk/chats/{conversation.pk}/end/")
    assert response.status_code == 404
    assert Conversation.objects.get(pk=conversation.pk).status == "active"


def test_console_query_count_does_not_grow_with_chats(
    make_user: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    agent = make_user("agent")
    AgentProfile.objects.filter(user=agent).update(capacity=20)
    chat_with_agent(make_user("customer"), agent)
    client = logged_in(agent)
    client.get(CONSOLE)  # warms the configuration cache, which the writes below may drop again
    with django_assert_max_num_queries(30) as before:
        client.get(CONSOLE)
    for _ in range(4):
        conversation = chat_with_agent(make_user("customer"), agent)
        say(conversation, conversation.customer, "在吗")
        waiting = start_chat(make_user("customer"))
        say(waiting, waiting.customer, "人工")
    client.get(CONSOLE)
    with django_assert_max_num_queries(30) as after:
        response = client.get(CONSOLE)
    assert page_text(response).count('class="chat-list__unread"') == 5
    assert len(after.captured_queries) == len(before.captured_queries)


def test_image_upload_is_reencoded_with_a_thumbnail_and_sent(make_user: Callable[..., User]) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    conversation = chat_with_agent(customer, agent)
    client = logged_in(customer)

    response = client.post(
        f"/help/chat/{conversation.pk}/attachments/",
        {"kind": "image", "file": SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get(pk=body["id"])
    assert (attachment.content_type, attachment.width, attachment.height) == ("image/jpeg", 1920, 960)
    assert body["thumbnail_url"].endswith("?thumbnail=1")
    with attachment.thumbnail.open("rb") as thumb:
        assert max(Image.open(thumb).size) == 320
    sent = say(conversation, customer, "", attachment_id=attachment.pk)
    assert sent.kind == "image"
    # Both participants can fetch it; anybody else gets 404.
    assert logged_in(agent).get(body["url"]).status_code == 200
    assert client.get(body["thumbnail_url"])["Content-Type"] == "image/jpeg"
    assert logged_in(make_user("agent")).get(body["url"]).status_code == 404


def test_transparent_png_stays_png(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    response = logged_in(customer).post(
        f"/help/chat/{conversation.pk}/attachments/",
        {"kind": "image", "file": SimpleUploadedFile("logo.png", png_bytes((50, 50), "RGBA"))},
    )
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("kind", "name", "content", "code"),
    [
        ("image", "fake.jpg", b"<html><script>alert(1)</script></html>", "invalid_image"),
        ("image", "empty.png", b"", "empty_file"),
        ("voice", "long.wav", wav_bytes(61), "voice_too_long"),
        ("voice", "text.ogg", b"not audio at all", "invalid_audio"),
        ("video", "clip.mp4", b"plain text", "invalid_video"),
        ("sticker", "x.bin", b"x", "invalid_kind"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(
    make_user: Callable[..., User], kind: str, name: str, content: bytes, code: str
) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    response = logged_in(customer).post(
        f"/help/chat/{conversation.pk}/attachments/", {"kind": kind, "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert not Attachment.objects.exists()


def test_size_caps_and_missing_file(make_user: Callable[..., User], settings) -> None:
    settings.CHAT_FILE_MAX_BYTES = 1000
    customer = make_user("customer")
    conversation = start_chat(customer)
    client = logged_in(customer)
    big = client.post(f"/help/chat/{conversation.pk}/attachments/",
                      {"kind": "file", "file": SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * 2000)})
    assert big.status_code == 413 and big.json()["error"]["code"] == "file_too_large"
    missing = client.post(f"/help/chat/{conversation.pk}/attachments/", {"kind": "file"})
    assert missing.status_code == 400 and "file" in missing.json()["error"]["fields"]


def test_voice_wav_within_the_cap_is_kept_with_its_duration(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    response = logged_in(customer).post(
        f"/help/chat/{conversation.pk}/attachments/",
        {"kind": "voice", "file": SimpleUploadedFile("v.wav", wav_bytes(3))},
    )
    assert response.status_code == 201
    assert response.json()["duration_ms"] == 3000


def test_files_download_and_uploads_to_strangers_conversations_are_refused(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    ok = logged_in(customer).post(
        f"/help/chat/{conversation.pk}/attachments/",
        {"kind": "file", "file": SimpleUploadedFile("page.html", "订单号 SO123\n".encode())},
    )
    download = logged_in(customer).get(ok.json()["url"])
    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    stranger = logged_in(make_user("customer")).post(
        f"/help/chat/{conversation.pk}/attachments/", {"kind": "file", "file": SimpleUploadedFile("a.txt", b"hi")}
    )
    assert stranger.status_code == 404
    assert Client().post(f"/help/chat/{conversation.pk}/attachments/").status_code == 302
    assert ChatMessage.objects.filter(conversation=conversation, attachment__isnull=False).count() == 0


def test_agent_transfers_a_chat_to_a_colleague_with_room(make_user: Callable[..., User]) -> None:
    customer, agent, colleague = make_user("customer"), make_user("agent"), make_user("agent")
    conversation = chat_with_agent(customer, agent)
    client = logged_in(agent)
    assert f'<option value="{colleague.pk}">' in page_text(client.get(f"{CONSOLE}?c={conversation.pk}"))

    response = client.post(f"/desk/chats/{conversation.pk}/transfer/", {"agent": colleague.pk})

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.agent_id, conversation.status) == (colleague.pk, "active")
    last = ChatMessage.objects.filter(conversation=conversation).order_by("-seq").first()
    assert last is not None and "转接给" in last.body
    # Now it is the colleague's: the first agent can neither transfer nor end it.
    assert client.post(f"/desk/chats/{conversation.pk}/transfer/", {"agent": colleague.pk}).status_code == 404
    assert client.post(f"/desk/chats/{conversation.pk}/end/").status_code == 404


@pytest.mark.parametrize("target", ["self", "customer", "full", "nonsense"])
def test_transfer_to_someone_who_cannot_take_it_changes_nothing(make_user: Callable[..., User], target: str) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    conversation = chat_with_agent(customer, agent)
    full = make_user("agent")
    AgentProfile.objects.filter(user=full).update(capacity=1)
    chat_with_agent(make_user("customer"), full)
    agent_field = {"self": agent.pk, "customer": customer.pk, "full": full.pk, "nonsense": "abc"}[target]

    response = logged_in(agent).post(f"/desk/chats/{conversation.pk}/transfer/", {"agent": agent_field}, follow=True)

    assert response.status_code == 200
    assert "请选择其他客服" in page_text(response) or "会话已满" in page_text(response)
    assert Conversation.objects.get(pk=conversation.pk).agent_id == agent.pk


@pytest.mark.parametrize("role", ALL_ROLES)
def test_console_lists_fragment_permissions(client_for: Callable[[str], Client], role: str) -> None:
    response = client_for(role).get("/desk/chats/lists/?c=abc")
    assert_outcome(response, CONSOLE_OUTCOME[role], "/desk/chats/lists/%3Fc%3Dabc")
    if CONSOLE_OUTCOME[role] == "ok":
        text = page_text(response)
        assert 'id="my-chats"' in text and 'id="queue"' in text and "<html" not in text


@pytest.mark.parametrize("role", ALL_ROLES)
def test_desk_chat_actions_across_roles(
    client_for: Callable[[str], Client], make_user: Callable[..., User], role: str
) -> None:
    """Only agents take, move or end chats; everyone else changes nothing."""
    waiting = start_chat(make_user("customer"))
    say(waiting, waiting.customer, "人工")
    client = client_for(role)
    responses = [client.post(f"/desk/chats/{waiting.pk}/accept/"), client.post("/desk/chats/accept/")]
    expected = {"anonymous": 302, "customer": 403, "merchant_staff": 403}.get(role, 302)
    assert [response.status_code for response in responses] == [expected, expected]
    taken = Conversation.objects.get(pk=waiting.pk).status == "active"
    assert taken is (role == "agent")
