"""WeChat Official Account: signature and encrypted mode, messages onto tickets once, replies back out."""

import io
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from core import quarantine
from core.http import ProviderError
from core.models import OutboxMessage, QuarantinedMessage
from profiles.models import ChannelIdentity, User
from tests.channels.conftest import Provider, json_body
from tests.clients import logged_in
from tickets import services
from tickets.channels.wechat import intake as channels
from tickets.channels.wechat import protocol as wechat
from tickets.models import (
    Channel,
    InboundMessage,
    OutboundMessage,
    Ticket,
    TicketMessage,
    WeChatAccount,
    WeChatEvent,
)
from tickets.services import delivery

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
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "wechat"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def sample(name: str) -> str:
    """A published sample (tests/data/wechat/SOURCES) as WeChat would post it now."""
    return (SAMPLES / f"{name}.xml").read_text()


def picture(image_format: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, image_format)
    return out.getvalue()


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
    png = picture("PNG")
    provider.routes["/cgi-bin/token"] = {"access_token": "AT1", "expires_in": 7200}
    provider.routes["/cgi-bin/media/get"] = lambda request: (
        200, png if request["query"]["media_id"] == ["M1"] else b"#!AMR\n" + b"\x00" * 32, "application/octet-stream")
    post(xml("image", "2001", PicUrl="http://mmbiz.example/x.jpg", MediaId="M1"))
    post(xml("voice", "2002", MediaId="M2", Format="amr", Recognition="我要退货"))
    image, voice = TicketMessage.objects.order_by("pk")
    assert image.body == "[图片]" and voice.body == "[语音] 我要退货"
    assert [a.content_type for a in image.attachments.all()] == ["image/jpeg"]  # re-encoded, metadata dropped
    assert [a.content_type for a in voice.attachments.all()] == ["audio/amr"]
    assert provider.calls_to("/cgi-bin/media/get")[0]["query"]["access_token"] == ["AT1"]
    assert len(provider.calls_to("/cgi-bin/token")) == 1  # the token is cached
    assert InboundMessage.objects.filter(media_fetched=True).count() == 2


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
    monkeypatch.setattr(channels, "wechat_store", broken)
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


# --- every message type, from published samples ---


def desk_page(make_user: Callable[..., User]) -> str:
    return logged_in(make_user("supervisor")).get(f"/desk/tickets/{Ticket.objects.get().pk}/").content.decode()


def test_a_location_is_stored_and_shown_as_a_map_link_with_its_label(
        post: Callable[..., Any], account: WeChatAccount, make_user: Callable[..., User]) -> None:
    assert post(sample("location")).content == b"success"
    message = TicketMessage.objects.get()
    assert message.body == "[位置] 位置信息"
    assert message.inbound.details == {"Location_X": "23.134521", "Location_Y": "113.358803", "Scale": "20",
                                       "Label": "位置信息"}
    page = desk_page(make_user)
    # AMap takes longitude first, and WeChat's GCJ-02 coordinates as they are.
    assert ('href="https://uri.amap.com/marker?position=113.358803%2C23.134521&amp;'
            'name=%E4%BD%8D%E7%BD%AE%E4%BF%A1%E6%81%AF"') in page
    assert "位置信息" in page


def test_a_link_is_stored_and_shown_as_a_card(post: Callable[..., Any], account: WeChatAccount,
                                              make_user: Callable[..., User]) -> None:
    post(sample("link"))
    assert TicketMessage.objects.get().body == "[链接] 公众平台官网链接"
    page = desk_page(make_user)
    assert 'class="tk-card"' in page and page.count("公众平台官网链接") >= 2  # title and description
    # The sample's Url is the word "url": shown as text, never made a link.
    assert 'href="url"' not in page


def test_a_hostile_link_card_is_escaped_and_a_script_url_is_not_a_link(
        post: Callable[..., Any], account: WeChatAccount, make_user: Callable[..., User]) -> None:
    post(xml("link", "3001", Title="<script>alert(1)</script>", Description="<img src=x onerror=alert(2)>",
             Url="javascript:alert(3)"))
    post(xml("link", "3002", Title="订单详情", Description="点击查看", Url="https://shop.example/o?id=1&x=<b>"))
    page = desk_page(make_user)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and 'href="javascript:' not in page
    assert 'href="https://shop.example/o?id=1&amp;x=&lt;b&gt;"' in page


def test_a_file_is_stored_with_a_named_placeholder(post: Callable[..., Any], account: WeChatAccount,
                                                   make_user: Callable[..., User]) -> None:
    post(sample("file"))
    message = TicketMessage.objects.get()
    assert message.body == "[文件] test.zip"
    assert message.inbound.details["FileMd5"] == "95d98d3bf1b251a9e4a40f3bd88eef29"
    page = desk_page(make_user)
    assert "通过微信发送的文件" in page and "<bdi>test.zip</bdi>" in page and "222\xa0字节" in page


@pytest.mark.parametrize("name", ["video", "shortvideo"])
def test_videos_are_stored_and_fetched_like_voice(post: Callable[..., Any], account: WeChatAccount,
                                                  provider: Provider, make_user: Callable[..., User],
                                                  celery_eager: None, name: str) -> None:
    provider.routes["/cgi-bin/token"] = {"access_token": "AT1"}
    # WeChat's media API answers a video with the address to download it from.
    provider.routes["/cgi-bin/media/get"] = {"video_url": f"{provider.url}/video/download"}
    provider.routes["/video/download"] = (200, MP4, "video/mp4")
    post(sample(name))
    message = TicketMessage.objects.get()
    assert message.body == {"video": "[视频]", "shortvideo": "[小视频]"}[name]
    assert provider.calls_to("/cgi-bin/media/get")[0]["query"]["media_id"] == ["media_id"]
    assert [a.content_type for a in message.attachments.all()] == ["video/mp4"]
    assert message.inbound.details == {"ThumbMediaId": "thumb_media_id"}
    assert "<video controls" in desk_page(make_user)


@pytest.mark.parametrize(("name", "event", "key"), [
    ("event_subscribe", "subscribe", ""), ("event_unsubscribe", "unsubscribe", ""),
    ("event_click", "CLICK", "EVENTKEY"), ("event_view", "VIEW", "www.qq.com"),
    ("event_scan", "SCAN", "123123"), ("event_location", "LOCATION", ""),
])
def test_events_are_recorded_once_and_open_no_ticket(post: Callable[..., Any], account: WeChatAccount,
                                                     name: str, event: str, key: str) -> None:
    for _delivery in range(2):  # WeChat redelivers an event it heard no answer to
        assert post(sample(name)).content == b"success"
    recorded = WeChatEvent.objects.get()
    assert (recorded.account, recorded.openid, recorded.event, recorded.event_key) == (APP_ID, "FromUser"
                                                                                       if name != "event_location"
                                                                                       else "fromUser", event, key)
    if name == "event_location":
        assert recorded.details == {"Latitude": "23.137466", "Longitude": "113.352425", "Precision": "119.385040"}
    if name == "event_scan":
        assert recorded.details == {"Ticket": "TICKET"}
    assert not Ticket.objects.exists() and not TicketMessage.objects.exists()


def test_an_errcode_answer_is_retried_then_shown_as_failed_never_stored_as_a_picture(
        post: Callable[..., Any], account: WeChatAccount, provider: Provider, make_user: Callable[..., User],
        celery_eager: None) -> None:
    provider.routes["/cgi-bin/token"] = {"access_token": "AT1"}
    # WeChat answers a media error with status 200 and a JSON body (sometimes labelled text/plain).
    provider.routes["/cgi-bin/media/get"] = (200, b'{"errcode":40007,"errmsg":"invalid media_id"}', "text/plain")
    post(sample("image"))
    inbound = InboundMessage.objects.get()
    # The webhook queued the download through the outbox; its first run failed and the outbox will retry.
    row = OutboxMessage.objects.get(task_name="tickets.tasks.fetch_wechat_media")
    assert row.state == OutboxMessage.State.PENDING and "40007" in row.last_error
    assert inbound.media_attempts == 1 and not inbound.media_error
    assert "正在获取媒体文件" in desk_page(make_user)
    with pytest.raises(ProviderError, match="40007"):
        channels.wechat_fetch_media(message_id=inbound.message_id)
    assert channels.wechat_fetch_media(message_id=inbound.message_id) is False  # the last attempt: failed
    inbound.refresh_from_db()
    assert (inbound.media_attempts, inbound.media_fetched) == (channels.MEDIA_MAX_ATTEMPTS, False)
    assert inbound.media_error == "WeChat error 40007: invalid media_id"
    assert not inbound.message.attachments.exists()
    page = desk_page(make_user)
    assert "tk-media--failed" in page and "invalid media_id" in page
    assert channels.wechat_fetch_media(message_id=inbound.message_id) is False  # and it stays failed
    assert len(provider.calls_to("/cgi-bin/media/get")) == channels.MEDIA_MAX_ATTEMPTS


def test_a_bmp_picture_is_converted_for_display(post: Callable[..., Any], account: WeChatAccount,
                                                provider: Provider, celery_eager: None) -> None:
    provider.routes["/cgi-bin/token"] = {"access_token": "AT1"}
    provider.routes["/cgi-bin/media/get"] = (200, picture("BMP"), "image/bmp")
    post(sample("image"))
    attachment = TicketMessage.objects.get().attachments.get()
    assert (attachment.content_type, attachment.filename) == ("image/jpeg", "wechat-media_id.jpg")
    with attachment.file.open("rb") as stored, Image.open(stored) as shown:
        assert (shown.format, shown.size) == ("JPEG", (40, 30))


def test_media_that_is_not_what_the_message_says_is_failed_at_once(post: Callable[..., Any], account: WeChatAccount,
                                                                   provider: Provider, celery_eager: None) -> None:
    provider.routes["/cgi-bin/token"] = {"access_token": "AT1"}
    provider.routes["/cgi-bin/media/get"] = (200, b"<html>not a picture</html>", "text/html")
    post(sample("image"))
    inbound = InboundMessage.objects.get()
    assert inbound.media_error and inbound.media_attempts == 0  # the reason Pillow gave, not retried
    assert not inbound.message.attachments.exists()


def test_the_ticket_page_reads_channel_messages_in_a_constant_number_of_queries(
        post: Callable[..., Any], account: WeChatAccount, provider: Provider, make_user: Callable[..., User],
        celery_eager: None, django_assert_max_num_queries: Any) -> None:
    provider.routes["/cgi-bin/token"] = {"access_token": "AT1"}
    provider.routes["/cgi-bin/media/get"] = (200, picture("BMP"), "image/bmp")
    post(xml("location", "9000", Location_X="23.1", Location_Y="113.3", Label="起点"))
    client = logged_in(make_user("supervisor"))
    ticket_url = f"/desk/tickets/{Ticket.objects.get().pk}/"
    client.get(ticket_url)  # warm the caches (feature flags, permissions)
    with django_assert_max_num_queries(60) as few:
        assert client.get(ticket_url).status_code == 200
    baseline = len(few.captured_queries)  # now: every later request resets the connection's query log
    for n in range(5):
        post(xml("location", f"910{n}", Location_X="23.1", Location_Y="113.3", Label=f"地点{n}"))
        post(xml("link", f"920{n}", Title=f"链接{n}", Url="https://shop.example/"))
        post(xml("file", f"930{n}", Title=f"发票{n}.pdf", FileTotalLen="2048"))
        post(xml("image", f"940{n}", MediaId=f"M{n}"))
    with django_assert_max_num_queries(baseline):
        page = client.get(ticket_url).content.decode()
    assert page.count('class="tk-card"') == 5 and page.count("uri.amap.com") == 6


def test_a_type_the_desk_does_not_know_is_stored_with_its_fields_and_shown_as_a_generic_card(
        post: Callable[..., Any], account: WeChatAccount, make_user: Callable[..., User]) -> None:
    assert post(sample("miniprogrampage")).content == b"success"
    post(xml("hologram", "4002", Shape="<b>立方体</b>", Nested="ignored"))
    first, future = TicketMessage.objects.order_by("pk")
    assert first.body == "[暂不支持的消息类型 miniprogrampage] Title"
    assert first.inbound.details == {"Title": "Title", "AppId": "AppId", "PagePath": "PagePath",
                                     "ThumbUrl": "ThumbUrl", "ThumbMediaId": "ThumbMediaId"}
    assert future.inbound.msg_type == "hologram" and future.inbound.details["Shape"] == "<b>立方体</b>"
    supervisor = logged_in(make_user("supervisor"))
    page = supervisor.get(f"/desk/tickets/{first.ticket_id}/").content.decode()
    assert "不支持的消息类型 miniprogrampage" in page and "<dt>PagePath</dt><dd><bdi>PagePath</bdi></dd>" in page
    page = supervisor.get(f"/desk/tickets/{future.ticket_id}/").content.decode()
    assert "&lt;b&gt;立方体&lt;/b&gt;" in page and "<b>立方体" not in page
