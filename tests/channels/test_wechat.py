"""WeChat Official Account: signature and encrypted mode, messages onto tickets once, replies back out."""

import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from profiles.models import ChannelIdentity, User
from service_center.core import quarantine
from service_center.core.models import QuarantinedMessage
from tests.channels.conftest import Provider, json_body
from tests.clients import logged_in
from tickets import services, wechat
from tickets.models import Channel, InboundMessage, OutboundMessage, Ticket, TicketMessage, WeChatAccount
from tickets.services import channels, delivery

pytestmark = pytest.mark.django_db
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
URL = f"/api/v1/channels/wechat/{APP_ID}/"


@pytest.fixture
def account(provider: Provider) -> WeChatAccount:
    return WeChatAccount.objects.create(name="服务中心公众号", app_id=APP_ID, app_secret="s3cret", token=TOKEN,
                                        encoding_aes_key=AES_KEY, api_base=provider.url)


def xml(msg_type: str = "text", msg_id: str = "1001", **fields: str) -> str:
    extra = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    return (f"<xml><ToUserName><![CDATA[gh_123]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{extra}"
            f"<MsgId>{msg_id}</MsgId></xml>")


TOKEN = "tok3n"


def signed_query(token: str = TOKEN, timestamp: int | None = None, extra: str | None = None) -> str:
    # A fresh nonce per request, as WeChat sends: the same timestamp and nonce twice is a replay.
    stamp, nonce = str(timestamp or int(time.time())), secrets.token_hex(8)
    if extra is None:
        return f"?timestamp={stamp}&nonce={nonce}&signature={wechat.signature(token, stamp, nonce)}"
    return (f"?timestamp={stamp}&nonce={nonce}&encrypt_type=aes"
            f"&msg_signature={wechat.signature(token, stamp, nonce, extra)}")


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def post_(body: str, query: str | None = None) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL + (query if query is not None else signed_query()), data=body,
                               content_type="text/xml")

    return post_


def test_the_server_check_echoes_only_for_the_right_token(client: Client, account: WeChatAccount) -> None:
    assert client.get(URL + signed_query() + "&echostr=hello").content == b"hello"
    assert client.get(URL + signed_query(token="wrong") + "&echostr=hello").status_code == 403
    assert client.get("/api/v1/channels/wechat/wx-unknown/" + signed_query()).status_code == 403
    WeChatAccount.objects.filter(pk=account.pk).update(is_active=False)
    assert client.get(URL + signed_query() + "&echostr=hello").status_code == 403


def test_a_text_message_opens_a_ticket_for_the_openid_and_the_next_one_continues_it(
        post: Callable[..., Any], account: WeChatAccount) -> None:
    first = post(xml(Content="我的快递三天没动了"))
    assert (first.status_code, first.content) == (200, b"success")
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.source, ticket.subject) == (Channel.WECHAT, APP_ID, "我的快递三天没动了")
    identity = ChannelIdentity.objects.get(external_id=OPENID)
    assert identity.customer_id == ticket.customer_id and identity.account == APP_ID
    post(xml(msg_id="1002", Content="还有发票"))
    assert Ticket.objects.count() == 1
    assert list(ticket.messages.values_list("body", flat=True).order_by("pk")) == ["我的快递三天没动了", "还有发票"]


def test_a_redelivered_message_is_stored_once(post: Callable[..., Any], account: WeChatAccount) -> None:
    for _attempt in range(3):  # WeChat retries three times when it hears nothing within five seconds
        assert post(xml(Content="你好")).content == b"success"
    assert TicketMessage.objects.count() == 1 == InboundMessage.objects.count()


@pytest.mark.parametrize("query", [
    signed_query(token="wrong"),
    signed_query(timestamp=int(time.time()) - 3600),  # a captured request replayed an hour later
    "?timestamp=&nonce=&signature=",
], ids=["wrong-token", "an-hour-old", "empty"])  # fixed ids: xdist workers must collect the same names
def test_bad_signatures_are_refused_and_nothing_is_stored(post: Callable[..., Any], account: WeChatAccount,
                                                          query: str, caplog: pytest.LogCaptureFixture) -> None:
    assert post(xml(Content="你好"), query).status_code == 403
    assert not TicketMessage.objects.exists() and not User.objects.filter(channel_identities__isnull=False).exists()
    assert "channel request refused (403)" in caplog.text


@pytest.mark.parametrize("body", ["<xml><MsgType>text", "not xml at all", "<other/>",
                                  '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml>&a;</xml>'])
def test_malformed_xml_is_a_400_and_nothing_is_stored(post: Callable[..., Any], account: WeChatAccount,
                                                      body: str) -> None:
    assert post(body).status_code == 400
    assert not Ticket.objects.exists()


def test_encrypted_mode_round_trip(post: Callable[..., Any], account: WeChatAccount) -> None:
    ciphertext = wechat.encrypt(account, xml(Content="加密的消息"))
    envelope = f"<xml><ToUserName>gh_123</ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    assert post(envelope, signed_query(extra=ciphertext)).content == b"success"
    assert TicketMessage.objects.get().body == "加密的消息"


def test_encrypted_mode_refuses_tampering_and_other_accounts(post: Callable[..., Any],
                                                             account: WeChatAccount) -> None:
    ciphertext = wechat.encrypt(account, xml(Content="x"))
    envelope = "<xml><Encrypt><![CDATA[{}]]></Encrypt></xml>"
    # The signature covers the ciphertext: a changed ciphertext with the old signature is refused.
    tampered = ciphertext[:-8] + "AAAAAAA="
    assert post(envelope.format(tampered), signed_query(extra=ciphertext)).status_code == 403
    # Correctly signed garbage cannot be decrypted.
    assert post(envelope.format("bm90IGFlcw=="), signed_query(extra="bm90IGFlcw==")).status_code == 400
    other = WeChatAccount(app_id="wxotherotherother0", encoding_aes_key=AES_KEY)
    foreign = wechat.encrypt(other, xml(Content="x"))
    assert post(envelope.format(foreign), signed_query(extra=foreign)).status_code == 403
    assert not TicketMessage.objects.exists()


def test_pictures_and_voice_are_fetched_from_wechat_onto_the_message(
        post: Callable[..., Any], account: WeChatAccount, provider: Provider, celery_eager: None) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    provider.routes["/cgi-bin/token"] = {"access_token": "AT1", "expires_in": 7200}
    provider.routes["/cgi-bin/media/get"] = lambda request: (
        200, png if request["query"]["media_id"] == ["M1"] else b"#!AMR\n" + b"\x00" * 32, "application/octet-stream")
    post(xml("image", "2001", PicUrl="http://mmbiz.example/x.jpg", MediaId="M1"))
    post(xml("voice", "2002", MediaId="M2", Format="amr", Recognition="我要退货"))
    image, voice = TicketMessage.objects.order_by("pk")
    assert image.body == "[图片]" and voice.body == "[语音] 我要退货"
    assert [a.content_type for a in image.attachments.all()] == ["image/png"]
    assert [a.content_type for a in voice.attachments.all()] == ["audio/amr"]
    assert provider.calls_to("/cgi-bin/media/get")[0]["query"]["access_token"] == ["AT1"]
    assert len(provider.calls_to("/cgi-bin/token")) == 1  # the token is cached
    assert InboundMessage.objects.filter(media_fetched=True).count() == 2


def test_events_like_follow_are_answered_but_make_no_ticket(post: Callable[..., Any], account: WeChatAccount) -> None:
    assert post(xml("event", Event="subscribe")).content == b"success"
    assert not Ticket.objects.exists()


def test_an_agent_reply_goes_out_through_the_customer_service_api(
        post: Callable[..., Any], account: WeChatAccount, provider: Provider, make_user: Callable[..., User],
        celery_eager: None, django_capture_on_commit_callbacks: Any) -> None:
    tokens = iter(["OLD", "NEW"])
    provider.routes["/cgi-bin/token"] = lambda request: (200, f'{{"access_token": "{next(tokens)}"}}'.encode(),
                                                         "application/json")
    # The first token was revoked early: WeChat says 40001 and the send is retried with a new one.
    provider.routes["/cgi-bin/message/custom/send"] = lambda request: (
        200, b'{"errcode": 40001}' if request["query"]["access_token"] == ["OLD"] else b'{"errcode": 0}',
        "application/json")
    post(xml(Content="在吗"))
    ticket = Ticket.objects.get()
    agent = make_user("supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(ticket=ticket, author=agent, body="您好，请问有什么可以帮您？")  # noqa: RUF001
    sent = provider.calls_to("/cgi-bin/message/custom/send")
    assert json_body(sent[-1]) == {"touser": OPENID, "msgtype": "text", "text": {"content": reply.body}}
    assert OutboundMessage.objects.get(message=reply).status == OutboundMessage.Status.SENT
    page = logged_in(agent).get(f"/desk/tickets/{ticket.pk}/")
    assert "tk-delivery--sent" in page.content.decode()


def test_a_reply_wechat_refuses_is_retried_then_reported_on_the_ticket(
        post: Callable[..., Any], account: WeChatAccount, provider: Provider, make_user: Callable[..., User],
        celery_eager: None, django_capture_on_commit_callbacks: Any) -> None:
    provider.routes["/cgi-bin/token"] = {"access_token": "AT"}
    provider.routes["/cgi-bin/message/custom/send"] = {"errcode": 45015, "errmsg": "response out of time limit"}
    post(xml(Content="在吗"))
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(ticket=ticket, author=make_user("supervisor"), body="您好")
    row = OutboundMessage.objects.get(message=reply)
    assert (row.status, row.attempts) == (OutboundMessage.Status.PENDING, 1) and "45015" in row.error
    for _attempt in range(delivery.MAX_ATTEMPTS - 1):
        OutboundMessage.objects.filter(pk=row.pk).update(next_attempt_at=None)
        delivery.send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundMessage.Status.FAILED, delivery.MAX_ATTEMPTS)
    note = ticket.messages.filter(kind=TicketMessage.Kind.NOTE).last()
    assert note is not None and "45015" in note.body


# --- stored or quarantined, never lost ---


def broken(**kwargs: Any) -> None:
    raise RuntimeError("the database refused the row")


def test_a_wechat_message_that_fails_to_store_is_quarantined_answered_and_stored_on_retry(
        post: Callable[..., Any], account: WeChatAccount, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channels, "wechat_receive", broken)
    response = post(xml(Content="我的快递丢了", msg_id="7001"))
    assert (response.status_code, response.content) == (200, b"success")
    held = QuarantinedMessage.objects.get()
    assert (held.channel, held.key, held.context) == ("wechat", f"{account.app_id}:7001", {"app_id": account.app_id})
    assert held.reason == "RuntimeError: the database refused the row" and b"7001" in bytes(held.raw)
    # WeChat delivers it again (it retries until it hears success): still one row.
    post(xml(Content="我的快递丢了", msg_id="7001"))
    assert QuarantinedMessage.objects.get().attempts == 2

    monkeypatch.undo()
    quarantine.retry(message_id=held.pk)
    assert TicketMessage.objects.get().body == "我的快递丢了"
    post(xml(Content="我的快递丢了", msg_id="7001"))  # and once stored, a redelivery stores nothing new
    assert TicketMessage.objects.count() == 1


def test_a_signed_wechat_message_missing_its_sender_is_quarantined_not_refused(
        post: Callable[..., Any], account: WeChatAccount) -> None:
    response = post("<xml><MsgType>text</MsgType><Content>hi</Content></xml>")
    assert response.content == b"success"
    assert "FromUserName and MsgType are required" in QuarantinedMessage.objects.get().reason


def test_the_same_signed_request_sent_again_is_refused_in_plain_and_encrypted_mode(
        post: Callable[..., Any], account: WeChatAccount) -> None:
    plain_query = signed_query()
    assert post(xml(Content="第一次", msg_id="8001"), plain_query).content == b"success"
    # In plain mode the signature does not cover the body: a captured query with another body is refused too.
    assert post(xml(Content="换了内容", msg_id="8002"), plain_query).status_code == 403

    ciphertext = wechat.encrypt(account, xml(Content="加密的", msg_id="8003"))
    envelope = f"<xml><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    encrypted_query = signed_query(extra=ciphertext)
    assert post(envelope, encrypted_query).content == b"success"
    assert post(envelope, encrypted_query).status_code == 403
    assert sorted(TicketMessage.objects.values_list("body", flat=True)) == ["加密的", "第一次"]
