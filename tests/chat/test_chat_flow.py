"""The customer's side of a chat: rating is an optional invitation, a new chat can always start, the
assistant answers in the page's language, and attachments are on an allow-list checked by content."""

import io
import re
import zipfile
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services
from chat.models import ChatMessage, Conversation
from profiles.models import User
from tests.chat.factories import chat_with_agent, say, start_chat
from tests.clients import logged_in
from tests.factories import AgentProfileFactory
from tests.knowledge.factories import ArticleFactory
from tests.pages.conftest import page_text

pytestmark = pytest.mark.django_db

WIDGET = "/help/chat/"
RETURN_FEE_ZH = "因质量问题退货 运费由商家承担 七天无理由退货 运费由买家承担"


def last_bot_line(conversation: Conversation) -> str:
    line = ChatMessage.objects.filter(conversation=conversation, sender="bot").order_by("-seq").first()
    assert line is not None
    return line.body


def test_an_ended_chat_invites_a_rating_with_nothing_preselected_and_offers_a_new_chat(
    make_user: Callable[..., User],
) -> None:
    customer = make_user("customer")
    first = chat_with_agent(customer, AgentProfileFactory.create().user)
    services.conversation_end(conversation_id=first.pk, user=customer)
    client = logged_in(customer)

    text = page_text(client.get(WIDGET))
    assert 'id="chat-rating"' in text and "评分可选" in text
    assert text.count('name="rating"') == 5
    assert re.search(r'name="rating"[^>]*checked', text) is None
    assert 'id="chat-new"' in text

    response = client.post("/help/chat/start/")

    assert response.status_code == 302
    newest = Conversation.objects.filter(customer=customer).latest("pk")
    assert newest.pk != first.pk and newest.status == "bot"
    first.refresh_from_db()
    assert first.rating is None  # never rated, never required


def test_the_assistant_answers_in_the_language_of_the_customers_page(make_user: Callable[..., User]) -> None:
    # The customer's words are one of the article's stored questions, so the assistant is sure of it.
    ArticleFactory.create(slug="return-shipping-fee", title_zh="退货运费由谁承担", body_zh=RETURN_FEE_ZH,
                          question_zh="退货运费由谁承担\n退货的运费谁出", title_en="Who pays return shipping",
                          body_en="The seller pays when the item is faulty.")
    customer = make_user("customer")
    conversation = start_chat(customer)

    say(conversation, customer, "退货运费由谁承担", language="en")
    english = last_bot_line(conversation)
    say(conversation, customer, "退货运费由谁承担", language="zh-hans")
    chinese = last_bot_line(conversation)

    assert english.startswith("Who pays return shipping\nThe seller pays when the item is faulty.")
    assert "Read more: /help/articles/return-shipping-fee/" in english
    assert chinese.startswith("退货运费由谁承担")
    assert "/help/articles/return-shipping-fee/" in chinese


def test_without_an_english_article_the_assistant_says_so_in_english_and_offers_a_person(
    make_user: Callable[..., User],
) -> None:
    ArticleFactory.create(slug="return-shipping-fee", title_zh="退货运费由谁承担", body_zh=RETURN_FEE_ZH,
                          title_en="", body_en="")
    customer = make_user("customer")
    conversation = start_chat(customer)

    say(conversation, customer, "退货运费由谁承担", language="en")

    reply = last_bot_line(conversation)
    assert "only available in Chinese" in reply and "/help/articles/return-shipping-fee/" in reply
    assert "Talk to a person" in reply


def test_the_page_language_is_kept_for_the_chats_system_lines(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    client = logged_in(customer)
    client.post("/i18n/setlang/", {"language": "en"})
    client.post("/help/chat/start/")

    conversation = Conversation.objects.get(customer=customer)

    assert conversation.language == "en"
    assert last_bot_line(conversation).startswith("Hello, I am the Service Center assistant")


def office_document(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("setup.exe", b"MZ\x90\x00")
    return buffer.getvalue()


ACCEPTED = [
    ("invoice.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "application/pdf"),
    ("report.docx", office_document("word/"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("sheet.xlsx", office_document("xl/"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "application/vnd.ms-office"),
    ("note.txt", "订单号 SO123，请尽快处理\n".encode(), "text/plain"),  # noqa: RUF001
    ("gbk.txt", "订单号".encode("gb18030"), "text/plain"),
]
REFUSED = [
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
    ("photo.jpg", b"MZ\x90\x00\x03\x00"),  # a program named like a photo
    ("archive.zip", plain_zip()),
    ("page.txt", b"<html><script>alert(1)</script></html>"),
    ("run.sh", b"#!/bin/sh\nrm -rf /\x00"),
    ("elf", b"\x7fELF\x02\x01\x01"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_documents_and_text_on_the_allow_list_are_accepted(
    make_user: Callable[..., User], name: str, content: bytes, content_type: str
) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    response = logged_in(customer).post(f"/help/chat/{conversation.pk}/attachments/",
                                        {"kind": "file", "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 201
    assert response.json()["content_type"] == content_type


@pytest.mark.parametrize(("name", "content"), REFUSED, ids=[row[0] for row in REFUSED])
def test_anything_else_is_refused_by_its_content_with_a_clear_message(
    make_user: Callable[..., User], name: str, content: bytes
) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    response = logged_in(customer).post(f"/help/chat/{conversation.pk}/attachments/",
                                        {"kind": "file", "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "file_type_refused"
    assert "不支持发送此类文件" in error["message"] and "PDF" in error["message"]
    assert not conversation.attachments.exists()
