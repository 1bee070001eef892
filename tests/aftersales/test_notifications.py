"""Notifications at each step: in-app, e-mail and SMS (through the adapter), once per step."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from aftersales import notifications
from aftersales.models import Notification
from aftersales.services import requests
from core.sms import FakeSms, sms
from tests.aftersales.factories import apply, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def texts() -> Any:
    fake = sms()
    assert isinstance(fake, FakeSms)
    fake.sent.clear()
    yield fake.sent
    fake.sent.clear()


def test_each_step_notifies_the_customer_once(customer: Any, store_and_staff: Any, texts: Any,
                                              django_capture_on_commit_callbacks: Any) -> None:
    store, staff = store_and_staff
    with django_capture_on_commit_callbacks(execute=True):
        request = apply(make_order(customer=customer, store=store))
    with django_capture_on_commit_callbacks(execute=True):
        requests.request_approve(request=request, user=staff)
    messages = list(Notification.objects.filter(request=request).order_by("id").values_list("message", flat=True))
    assert len(messages) == 3  # submitted for review, approved, awaiting return
    assert "已提交" in messages[0] and "已同意" in messages[1] and "寄回" in messages[2]
    assert len(mail.outbox) == 3 and mail.outbox[0].to == [customer.email]
    assert [phone for phone, _ in texts] == [customer.phone, customer.phone]  # approved, awaiting return
    assert texts[0][1].startswith("【服务中心】")
    # A redelivered task sends nothing again.
    event_id = Notification.objects.order_by("id").first().event_id  # type: ignore[union-attr]
    assert notifications.notify_step(event_id=event_id) is None
    assert len(mail.outbox) == 3


def test_customer_sees_messages_on_the_after_sales_page(customer: Any, store_and_staff: Any,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = apply(make_order(customer=customer, store=store_and_staff[0]))
    client = Client()
    client.force_login(customer)
    text = client.get("/aftersales/").content.decode()
    assert 'id="notices"' in text and request.number in text.split('id="notices"')[1]
