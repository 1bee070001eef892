"""The one way to mail or text a person: outbox rows naming the recipient, sent once by a worker."""

from typing import Any

import pytest
from django.core import mail

from core import messaging
from core.models import OutboxMessage
from core.sms import FakeSms, sms

pytestmark = pytest.mark.django_db


@pytest.fixture
def texts() -> Any:
    fake = sms()
    assert isinstance(fake, FakeSms)
    fake.sent.clear()
    yield fake.sent
    fake.sent.clear()


def test_an_email_is_an_outbox_row_per_recipient_that_holds_no_address(make_user: Any) -> None:
    first, second = make_user("qa", email="lina@example.com"), make_user("qa", email="fang@example.com")
    messaging.send_email(recipient_ids=[first.pk, second.pk, first.pk], subject="主题", body="正文")
    rows = list(OutboxMessage.objects.order_by("pk"))
    assert [(row.task_name, row.kwargs["recipient_id"]) for row in rows] == [
        ("core.tasks.send_email", first.pk), ("core.tasks.send_email", second.pk)]
    assert all("example.com" not in str(row.kwargs) for row in rows)
    assert mail.outbox == []  # nothing leaves before the commit


@pytest.mark.usefixtures("celery_eager")
def test_after_the_commit_each_recipient_gets_the_mail_with_its_attachment(
        make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    owner = make_user("supervisor", email="boss@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        messaging.send_email(recipient_ids=[owner.pk], subject="周报", body="见附件",
                             attachments=[messaging.Attachment("report.csv", "\ufeffa,b\n", "text/csv")])
    (sent,) = mail.outbox
    assert (sent.to, sent.subject, sent.body, sent.attachments) == (
        ["boss@example.com"], "周报", "见附件", [("report.csv", "\ufeffa,b\n", "text/csv")])
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxMessage.State.DONE}


@pytest.mark.usefixtures("celery_eager")
def test_a_text_is_signed_and_sent_to_the_recipients_phone(make_user: Any, texts: Any,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    customer = make_user("supervisor", phone="13800138000")
    with django_capture_on_commit_callbacks(execute=True):
        messaging.send_sms(recipient_id=customer.pk, text="您的退款已到账")
    assert texts == [("13800138000", "【服务中心】您的退款已到账")]


def test_a_recipient_without_an_address_gets_nothing_and_nothing_is_retried(make_user: Any, texts: Any) -> None:
    nobody = make_user("qa", email="", phone="")
    assert messaging.deliver_email(recipient_id=nobody.pk, subject="s", body="b") is False
    assert messaging.deliver_sms(recipient_id=nobody.pk, text="t") is False
    assert messaging.deliver_email(recipient_id=nobody.pk + 1000, subject="s", body="b") is False
    assert mail.outbox == [] and texts == []
