"""Property tests for WeChat's XML: any body WeChat could sign is stored, recorded or quarantined, never an error."""

from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.models import QuarantinedMessage
from core.quarantine import Quarantined
from tickets.channels.wechat import intake as channel_intake
from tickets.channels.wechat import protocol as wechat
from tickets.errors import ChannelRefused
from tickets.models import TicketMessage, WeChatAccount, WeChatEvent

MSG_TYPES = st.sampled_from(["text", "image", "voice", "video", "shortvideo", "location", "link", "file", "event",
                             "miniprogrampage", ""])
FIELD_NAMES = st.sampled_from(["Content", "MediaId", "ThumbMediaId", "Format", "Recognition", "Location_X",
                               "Location_Y", "Scale", "Label", "Title", "Description", "Url", "FileKey",
                               "FileTotalLen", "Event", "EventKey", "Ticket", "Latitude", "MsgId", "CreateTime"])
# Text XML can carry: no control characters but tab and newlines, no surrogates.
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n"), max_size=60)


@st.composite
def wechat_xml(draw: st.DrawFn) -> str:
    fields = draw(st.dictionaries(FIELD_NAMES, XML_TEXT, max_size=8))
    body = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    sender = draw(st.sampled_from(["", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"]))
    return f"<xml><FromUserName>{sender}</FromUserName><MsgType>{draw(MSG_TYPES)}</MsgType>{body}</xml>"


@given(wechat_xml())
def test_reading_any_message_gives_a_message_or_a_clear_refusal(body: str) -> None:
    try:
        message = wechat.read_message(wechat.parse_xml(body))
    except ChannelRefused as refusal:
        assert refusal.status == 400
        return
    assert message.openid and message.msg_type
    assert all(len(value) <= wechat.DETAIL_MAX_CHARS for value in message.details.values())


@given(st.binary(max_size=300))
def test_any_bytes_are_refused_cleanly_by_the_parser(body: bytes) -> None:
    try:
        wechat.read_message(wechat.parse_xml(body))
    except ChannelRefused as refusal:
        assert refusal.status == 400


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=wechat_xml())
def test_any_signed_message_is_stored_recorded_or_quarantined(body: str) -> None:
    account, _created = WeChatAccount.objects.get_or_create(app_id="wxproperty0000000", defaults={
        "name": "p", "app_secret": "s", "token": "t", "encoding_aes_key": "k" * 43})
    outcome = channel_intake.wechat_receive(account=account, plaintext=body.encode())
    if isinstance(outcome, Quarantined):
        assert QuarantinedMessage.objects.filter(pk=outcome.message.pk).exists()
    else:  # every type is stored, one we do not know yet too
        assert isinstance(outcome, TicketMessage | WeChatEvent) and type(outcome).objects.filter(pk=outcome.pk).exists()
