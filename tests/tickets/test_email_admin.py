"""Admin for the e-mail channel: supervisors set up mailboxes (password encrypted, never shown back),
QA only reads, agents stay out; the record of mails is read-only with addresses masked."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from profiles.models import Team, User
from tests.clients import logged_in
from tests.tickets.mails import MAILBOX, raw
from tickets.channels.email.intake import email_receive
from tickets.models import Mailbox

pytestmark = pytest.mark.django_db
ADD = reverse("admin:tickets_mailbox_add")


def _form(team: Team, **overrides: Any) -> dict[str, Any]:
    return {"address": MAILBOX, "team": team.pk, "is_active": "on", "imap_host": "imap.shop.example",
            "imap_port": 993, "imap_ssl": "on", "imap_user": MAILBOX, "imap_password": "s3cret-pass",
            "imap_folder": "INBOX", **overrides}


def _stored_password(mailbox: Mailbox) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM tickets_mailbox WHERE id = %s", [mailbox.pk])
        return str(cursor.fetchone()[0])


def test_a_supervisor_adds_a_mailbox_whose_password_is_encrypted_and_never_shown(
        make_user: Callable[..., User], team: Team) -> None:
    client = logged_in(make_user("supervisor"))

    response = client.post(ADD, _form(team))

    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    assert mailbox.imap_password == "s3cret-pass" and "s3cret" not in _stored_password(mailbox)
    change = reverse("admin:tickets_mailbox_change", args=[mailbox.pk])
    assert "s3cret-pass" not in client.get(change).content.decode()
    # Saved again with the password left empty: the stored one is kept.
    assert client.post(change, _form(team, imap_password="", imap_folder="Support")).status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.imap_password, mailbox.imap_folder) == ("s3cret-pass", "Support")
    assert mailbox.history.count() == 2


def test_imap_polling_without_credentials_is_a_form_error_on_the_user_field(
        make_user: Callable[..., User], team: Team) -> None:
    response = logged_in(make_user("supervisor")).post(ADD, _form(team, imap_user="", imap_password=""))

    assert response.status_code == 200 and not Mailbox.objects.exists()
    assert "imap_user" in response.context["adminform"].form.errors


@pytest.mark.parametrize(("role", "add_status"), [("agent", 302), ("qa", 403), ("admin", 200), ("supervisor", 200)])
def test_who_may_configure_mailboxes(make_user: Callable[..., User], role: str, add_status: int) -> None:
    response = logged_in(make_user(role)).get(ADD)

    assert response.status_code == add_status
    if add_status == 302:
        assert "/admin/login/" in response["Location"]


def test_the_mail_record_is_read_only_and_masks_addresses(make_user: Callable[..., User], team: Team) -> None:
    Mailbox.objects.create(address=MAILBOX, team=team)
    email = email_receive(raw=raw(sender="zhangwei@example.com")).email
    client = logged_in(make_user("qa"))

    listing = client.get(reverse("admin:tickets_emailmessage_changelist")).content.decode()
    detail = client.get(reverse("admin:tickets_emailmessage_change", args=[email.pk]))

    assert "z***@example.com" in listing and "zhangwei@example.com" not in listing
    assert detail.status_code == 200 and "zhangwei@example.com" not in detail.content.decode()
    assert client.post(reverse("admin:tickets_emailmessage_change", args=[email.pk]), {}).status_code == 403
