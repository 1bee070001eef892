"""Right-to-left overrides: stripped from stored file names, and user-supplied names, subjects and file
names isolated (`<bdi>`) on the desk, chat console, customer ticket and after-sales pages."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from chat import services as chat_services
from core.filenames import stored_file_name
from profiles.models import User
from tests.browser import ARTIFACTS
from tests.clients import logged_in
from tests.factories import TeamFactory
from tickets import services as ticket_services
from tickets.models import Ticket, TicketAttachment

RLO = "\u202e"
TYPED = f"invoice{RLO}fdp.exe"


@pytest.mark.parametrize(("raw", "stored"), [
    (TYPED, "invoicefdp.exe"), ("C:\\Users\\x\\a\u2066b\u2069.pdf", "ab.pdf"), ("\u200e\u200f", "file"),
    ("../../etc/passwd", "passwd"), ("名\x00字.txt", "名字.txt"), ("x" * 300 + ".png", "x" * 196 + ".png"),
])
def test_stored_file_names_lose_bidi_and_control_characters(raw: str, stored: str) -> None:
    assert stored_file_name(raw, fallback="file", max_length=200) == stored


def _ticket_with_rlo(customer: User) -> Ticket:
    return ticket_services.ticket_create(
        customer=customer, subject=f"发票{RLO}问题", body="见附件", team=TeamFactory.create(),
        uploads=[SimpleUploadedFile(TYPED, b"plain text invoice", content_type="text/plain")])


@pytest.mark.django_db
def test_ticket_attachment_is_stored_without_the_override_and_pages_isolate_names(
        make_user: Callable[..., User], settings: Any, tmp_path: Any) -> None:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path)
    customer = make_user("customer")
    ticket = _ticket_with_rlo(customer)
    assert TicketAttachment.objects.get(message__ticket=ticket).filename == "invoicefdp.exe"
    desk = logged_in(make_user("supervisor")).get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "<bdi>invoicefdp.exe</bdi>" in desk
    assert f"<bdi>发票{RLO}问题</bdi>" in desk
    queue = logged_in(make_user("supervisor")).get("/desk/tickets/").content.decode()
    assert f"<bdi>发票{RLO}问题</bdi>" in queue
    mine = logged_in(customer).get(f"/help/tickets/{ticket.pk}/").content.decode()
    assert f"<bdi>发票{RLO}问题</bdi>" in mine and "<bdi>invoicefdp.exe</bdi>" in mine


@pytest.mark.django_db
def test_chat_upload_name_loses_the_override(make_user: Callable[..., User], settings: Any, tmp_path: Any) -> None:
    settings.CHAT_MEDIA_ROOT = str(tmp_path)
    customer = make_user("customer")
    conversation = chat_services.conversation_start(customer=customer)[0]
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(buffer, format="PNG")
    attachment = chat_services.attachment_upload(
        conversation_id=conversation.pk, user=customer, kind="image",
        upload=SimpleUploadedFile(f"photo{RLO}gnp.png", buffer.getvalue(), content_type="image/png"))
    assert RLO not in attachment.original_name


@pytest.fixture
def rlo_scene(transactional_db: None, make_user: Callable[..., User], settings: Any, tmp_path: Any) -> tuple[int, str]:
    """A ticket with a right-to-left override in its subject and attachment name, and a supervisor's
    session cookie; made before the live server and the browser start."""
    settings.TICKETS_MEDIA_ROOT = str(tmp_path)
    ticket = _ticket_with_rlo(make_user("customer"))
    client = Client()
    client.force_login(make_user("supervisor"))
    return ticket.pk, client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.browser
def test_a_right_to_left_override_in_a_file_name_shows_as_typed_and_isolated(
        rlo_scene: tuple[int, str], asgi_live_server: str, chromium_page: Any) -> None:
    ticket_id, cookie = rlo_scene
    base = asgi_live_server
    host = base.split("//")[1].split(":")[0]
    chromium_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "domain": host,
                                        "path": "/"}])
    chromium_page.goto(f"{base}/desk/tickets/{ticket_id}/")
    name = chromium_page.locator("#thread bdi", has_text="invoice")
    # Shown as typed: the override is gone, the letters read in the order they were typed.
    assert name.inner_text() == "invoicefdp.exe"
    subject = chromium_page.locator("h1 bdi")
    assert subject.evaluate("element => getComputedStyle(element).unicodeBidi") == "isolate"
    assert name.evaluate("element => getComputedStyle(element).unicodeBidi") == "isolate"
    # Isolated: the number before the subject keeps its place, left of the subject, however it is written.
    number_box, subject_box = chromium_page.locator("h1 code").bounding_box(), subject.bounding_box()
    assert number_box is not None and subject_box is not None and number_box["x"] < subject_box["x"]
    chromium_page.screenshot(path=str(ARTIFACTS / "bidi-ticket.png"), full_page=True)
