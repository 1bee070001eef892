"""Signed social webhooks (Weibo DMs, an SMS gateway's inbound replies) and replies back on them."""

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

from core import quarantine, webhooks
from core.models import QuarantinedMessage
from core.sms import FakeSms, sms
from profiles.models import ChannelIdentity, User
from tests.api.helpers import assert_error
from tests.channels.conftest import Provider, json_body
from tests.factories import CustomerProfileFactory
from tickets import services
from tickets.channels import social
from tickets.models import Channel, OutboundMessage, SocialSource, Ticket, TicketMessage

pytestmark = pytest.mark.django_db
SECRET = "weibo-relay-secret"


@pytest.fixture
def weibo(provider: Provider) -> SocialSource:
    return SocialSource.objects.create(name="微博私信", slug="weibo", channel=Channel.WEIBO, secret=SECRET,
                                       reply_url=f"{provider.url}/weibo/reply")


@pytest.fixture
def sms_source() -> SocialSource:
    return SocialSource.objects.create(name="短信回复", slug="sms-replies", channel=Channel.SMS, secret=SECRET)


@pytest.fixture
def deliver(client: Client, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def deliver_(slug: str, payload: Any, *, secret: str = SECRET, age: int = 0, signature: str | None = None) -> Any:
        body = json.dumps(payload, ensure_ascii=False).encode()
        stamp = str(int(time.time()) - age)
        headers = {webhooks.TIMESTAMP_HEADER: stamp,
                   webhooks.SIGNATURE_HEADER: signature or webhooks.sign(secret, stamp, body)}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/api/v1/channels/social/{slug}/", data=body, content_type="application/json",
                               headers=headers)

    return deliver_


def dm(message_id: str = "m1", text: str = "你们的客服电话是多少", uid: str = "5012345678") -> dict[str, Any]:
    return {"message_id": message_id, "sender": {"id": uid, "name": "小王"}, "text": text}


def test_a_signed_weibo_message_lands_on_a_ticket_once(deliver: Callable[..., Any], weibo: SocialSource) -> None:
    first = deliver("weibo", dm())
    assert (first.status_code, first.json()) == (202, {"stored": True})
    assert deliver("weibo", dm()).json() == {"stored": False}  # redelivered
    deliver("weibo", dm("m2", "在吗"))
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.source, ticket.messages.count()) == (Channel.WEIBO, "weibo", 2)
    customer = ChannelIdentity.objects.get(kind="weibo", external_id="5012345678").customer
    assert customer == ticket.customer and customer.display_name == "小王"


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"secret": "wrong"}, 403),
    ({"age": 3600}, 403),  # outside the replay window
    ({"signature": "sha256=00"}, 403),
])
def test_bad_signatures_and_replays_are_refused(deliver: Callable[..., Any], weibo: SocialSource,
                                                kwargs: dict[str, Any], status: int,
                                                caplog: pytest.LogCaptureFixture) -> None:
    assert_error(deliver("weibo", dm(), **kwargs), status, "bad_signature")
    assert not TicketMessage.objects.exists()
    assert "social webhook weibo refused" in caplog.text


def test_unknown_or_inactive_sources_are_refused(deliver: Callable[..., Any], weibo: SocialSource) -> None:
    assert_error(deliver("nope", dm()), 403, "bad_signature")
    SocialSource.objects.filter(pk=weibo.pk).update(is_active=False)
    assert_error(deliver("weibo", dm()), 403, "bad_signature")


@pytest.mark.parametrize("payload", [{}, {"message_id": "x", "text": "hi"}, {"sender": {"id": "1"}, "text": "hi"},
                                     {"message_id": "x", "sender": {"id": "1"}, "text": ""}, ["not", "an", "object"]])
def test_incomplete_messages_are_a_400_naming_what_is_missing(deliver: Callable[..., Any], weibo: SocialSource,
                                                              payload: Any) -> None:
    error = assert_error(deliver("weibo", payload), 400, "invalid")
    assert "missing" in error["message"] or "object" in error["message"]
    assert not Ticket.objects.exists()


def test_a_desk_reply_is_posted_signed_to_the_source(deliver: Callable[..., Any], weibo: SocialSource,
                                                     provider: Provider, make_user: Callable[..., User],
                                                     celery_eager: None, django_capture_on_commit_callbacks: Any,
                                                     ) -> None:
    provider.routes["/weibo/reply"] = {"id": "reply-77"}
    deliver("weibo", dm())
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(ticket=ticket, author=make_user("supervisor"), body="客服电话 400-000-0000")
    request = provider.calls_to("/weibo/reply")[0]
    assert json_body(request) == {"recipient_id": "5012345678", "text": reply.body, "reply_to_ticket": ticket.number}
    headers = request["headers"]
    assert webhooks.verify(SECRET, headers["x-sc-timestamp"], request["body"], headers["x-sc-signature"])
    row = OutboundMessage.objects.get(message=reply)
    assert (row.status, row.provider_id) == (OutboundMessage.Status.SENT, "reply-77")


def test_an_sms_reply_finds_the_customer_by_phone_and_the_answer_goes_out_by_sms(
        deliver: Callable[..., Any], sms_source: SocialSource, make_user: Callable[..., User], celery_eager: None,
        django_capture_on_commit_callbacks: Any) -> None:
    known = CustomerProfileFactory.create(user__phone="13800138000").user
    deliver("sms-replies", {"message_id": "sms-1", "sender": {"phone": "13800138000"}, "text": "退款还没到"})
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.channel) == (known, Channel.SMS)
    fake = sms()
    assert isinstance(fake, FakeSms)
    fake.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, author=make_user("supervisor"), body="已为您加急处理")
    phone, text = fake.sent[-1]
    assert phone == "13800138000" and "已为您加急处理" in text and ticket.number in text


def test_an_sms_source_needs_the_senders_phone(deliver: Callable[..., Any], sms_source: SocialSource) -> None:
    error = assert_error(deliver("sms-replies", {"message_id": "s", "sender": {"id": "x"}, "text": "hi"}), 400,
                         "invalid")
    assert "sender.phone" in error["message"]


def test_the_http_sms_adapter_posts_to_the_provider(provider: Provider) -> None:
    from core.sms import HttpSms

    provider.routes["/sms/send"] = {"id": "sms-9"}
    with override_settings(SMS_API_URL=f"{provider.url}/sms/send", SMS_API_KEY="k3y"):
        assert HttpSms().send(phone="13800138000", text="您的退款已到账") == "sms-9"
    request = provider.calls_to("/sms/send")[0]
    assert json_body(request) == {"phone": "13800138000", "text": "您的退款已到账", "sign": "服务中心"}
    assert request["headers"]["authorization"] == "Bearer k3y"


def broken(**kwargs: Any) -> None:
    raise RuntimeError("the database refused the row")


def test_social_and_sms_messages_that_fail_to_store_are_202_with_the_quarantine_id(
        deliver: Callable[..., Any], weibo: SocialSource, sms_source: SocialSource,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(social, "social_store", broken)
    response = deliver("weibo", dm("w9"))
    text = deliver("sms-replies", {"message_id": "s9", "sender": {"phone": "13800138000"}, "text": "退款"})
    by_channel = {held.channel: held for held in QuarantinedMessage.objects.all()}
    assert set(by_channel) == {"weibo", "sms"}
    assert response.status_code == 202 and response.json() == {"stored": False,
                                                               "quarantine_id": by_channel["weibo"].pk}
    assert text.json()["quarantine_id"] == by_channel["sms"].pk

    monkeypatch.undo()
    _message, stored = quarantine.retry(message_id=by_channel["weibo"].pk)
    assert stored and deliver("weibo", dm("w9")).json() == {"stored": False}
    assert "quarantine_id" not in deliver("weibo", dm("w9")).json()
