"""WeChat Official Account: the server endpoint's checks, the encrypted message mode, and the API calls.

Written against WeChat's published protocol rather than a third-party SDK: the SDKs on PyPI (wechatpy
and friends) bring their own HTTP stacks and storage for a few dozen lines of hashing and AES, and the
protocol has been stable for years.
- Signature: sha1 of the sorted (token, timestamp, nonce) — plus the ciphertext in encrypted mode
  (`msg_signature`).
- Encrypted mode: AES-256-CBC with key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes,
  PKCS#7 padding to 32-byte blocks; plaintext = 16 random bytes, the message length (4 bytes, big
  endian), the XML, the AppID.
- Replies to customers go through the customer-service message API with a cached access token.
"""

import base64
import hashlib
import hmac
import json
import secrets
import struct
import time
from dataclasses import dataclass, field
from urllib.parse import quote
from xml.etree.ElementTree import Element, ParseError

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.cache import cache

from core.http import ProviderError, request_bytes, request_json
from tickets.errors import ChannelRefused
from tickets.models import WeChatAccount

BLOCK = 32
# Messages older than this are refused: in plain mode the signature does not cover the body.
REPLAY_WINDOW_SECONDS = 300
TOKEN_EXPIRED_CODES = {40001, 40014, 42001}
MEDIA_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class WeChatMessage:
    to_user: str
    openid: str
    msg_type: str  # text, image, voice, event, …
    msg_id: str
    content: str = ""
    media_id: str = ""
    voice_format: str = ""
    recognition: str = ""  # WeChat's own speech-to-text of a voice message, when switched on
    event: str = ""  # subscribe, unsubscribe, CLICK, VIEW, SCAN, LOCATION … (MsgType "event")
    event_key: str = ""
    # What the desk shows for the types that are not text or media: location, link, file, and an event's fields.
    details: dict[str, str] = field(default_factory=dict)


# The fields kept per type, as WeChat names them (mp.weixin.qq.com "接收普通消息" / "接收事件推送").
DETAIL_FIELDS = {
    "location": ("Location_X", "Location_Y", "Scale", "Label"),
    "link": ("Title", "Description", "Url"),
    "file": ("Title", "Description", "FileKey", "FileMd5", "FileTotalLen"),
    "video": ("ThumbMediaId",),
    "shortvideo": ("ThumbMediaId",),
    "event": ("Ticket", "Latitude", "Longitude", "Precision"),
}
MEDIA_TYPES = frozenset({"image", "voice", "video", "shortvideo"})
DETAIL_MAX_CHARS = 2000
MSG_TYPE_MAX_CHARS = 20
# A type this code does not know (miniprogrampage, a future one) keeps every field WeChat sent but these,
# which say who and when, not what; at most this many, so a hostile body cannot make a huge row.
_ENVELOPE_FIELDS = frozenset({"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId"})
UNKNOWN_TYPE_FIELDS_KEPT = 30
_KNOWN_TYPES = frozenset({"text", "event", *MEDIA_TYPES, *DETAIL_FIELDS})


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def check_signature(account: WeChatAccount, *, timestamp: str, nonce: str, given: str, now: float | None = None,
                    ciphertext: str | None = None) -> None:
    now = time.time() if now is None else now
    if not timestamp.isdigit() or abs(now - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        raise ChannelRefused(403, "stale or missing timestamp")
    parts = [account.token, timestamp, nonce] + ([ciphertext] if ciphertext is not None else [])
    if not hmac.compare_digest(signature(*parts), given or ""):
        raise ChannelRefused(403, "bad signature")


def refuse_replay(account: WeChatAccount, *, timestamp: str, nonce: str) -> None:
    """A signed request is taken once: its timestamp and nonce are remembered (in Redis, shared by every web
    process) for as long as the timestamp is acceptable, so the same request sent again is refused, in plain
    mode (where the signature does not cover the body) and in encrypted mode alike."""
    digest = hashlib.sha256(f"{timestamp}:{nonce}".encode()).hexdigest()
    # Twice the window: a timestamp is accepted from REPLAY_WINDOW_SECONDS before now to as long after.
    if not cache.add(f"wechat:seen:{account.app_id}:{digest}", 1, timeout=2 * REPLAY_WINDOW_SECONDS):
        raise ChannelRefused(403, "this signed request was already received (replay)")


def _cipher(account: WeChatAccount) -> Cipher[modes.CBC]:
    try:
        key = base64.b64decode(account.encoding_aes_key + "=", validate=True)
    except ValueError as error:
        raise ChannelRefused(403, "the account's EncodingAESKey is not set up") from error
    if len(key) != 32:
        raise ChannelRefused(403, "the account's EncodingAESKey is not set up")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def encrypt(account: WeChatAccount, xml: str) -> str:
    """What WeChat does to a message in encrypted mode (used by tests and the benchmark to play WeChat)."""
    body = xml.encode()
    plain = secrets.token_bytes(16) + struct.pack(">I", len(body)) + body + account.app_id.encode()
    pad = BLOCK - len(plain) % BLOCK
    encryptor = _cipher(account).encryptor()
    return base64.b64encode(encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()).decode()


def decrypt(account: WeChatAccount, ciphertext: str) -> str:
    try:
        raw = base64.b64decode(ciphertext, validate=True)
        decryptor = _cipher(account).decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK:
            raise ValueError("bad padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        xml, app_id = plain[20 : 20 + length], plain[20 + length :]
        text = xml.decode()
    except (ValueError, IndexError, struct.error) as error:
        raise ChannelRefused(400, "the message cannot be decrypted") from error
    if app_id.decode(errors="replace") != account.app_id:
        raise ChannelRefused(403, "the message is for another AppID")
    return text


def parse_xml(body: bytes | str) -> Element:
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise ChannelRefused(400, "malformed XML") from error
    if root.tag != "xml":
        raise ChannelRefused(400, "malformed XML")
    return root


def _field(root: Element, name: str) -> str:
    return (root.findtext(name) or "").strip()


def _details(root: Element, msg_type: str) -> dict[str, str]:
    if msg_type in _KNOWN_TYPES:
        found = ((name, _field(root, name)[:DETAIL_MAX_CHARS]) for name in DETAIL_FIELDS.get(msg_type, ()))
    else:
        fields = [child for child in root if isinstance(child.tag, str) and child.tag not in _ENVELOPE_FIELDS]
        found = ((child.tag[:60], "".join(child.itertext()).strip()[:DETAIL_MAX_CHARS])
                 for child in fields[:UNKNOWN_TYPE_FIELDS_KEPT])
    return {name: value for name, value in found if value}


def read_message(root: Element) -> WeChatMessage:
    message = WeChatMessage(
        to_user=_field(root, "ToUserName"), openid=_field(root, "FromUserName"),
        msg_type=_field(root, "MsgType")[:MSG_TYPE_MAX_CHARS],
        # Events carry no MsgId; the sender, time and event identify a redelivery of one.
        msg_id=_field(root, "MsgId")
        or f"{_field(root, 'FromUserName')}:{_field(root, 'CreateTime')}:{_field(root, 'Event')}"[:128],
        content=_field(root, "Content"), media_id=_field(root, "MediaId"), voice_format=_field(root, "Format"),
        recognition=_field(root, "Recognition"), event=_field(root, "Event")[:40],
        event_key=_field(root, "EventKey")[:DETAIL_MAX_CHARS],
        details=_details(root, _field(root, "MsgType")[:MSG_TYPE_MAX_CHARS]),
    )
    if not message.openid or not message.msg_type:
        raise ChannelRefused(400, "FromUserName and MsgType are required")
    if message.msg_type == "text" and not message.content:
        raise ChannelRefused(400, "a text message needs Content")
    if message.msg_type in MEDIA_TYPES and not message.media_id:
        raise ChannelRefused(400, f"a {message.msg_type} message needs MediaId")
    if message.msg_type == "event" and not message.event:
        raise ChannelRefused(400, "an event needs Event")
    return message


# --- the API: access token, customer-service messages, media ---


def _token_key(account: WeChatAccount) -> str:
    return f"wechat:access-token:{account.app_id}"


def access_token(account: WeChatAccount, *, fresh: bool = False) -> str:
    if not fresh and (cached := cache.get(_token_key(account))):
        return str(cached)
    answer = request_json("GET", f"{account.api_base.rstrip('/')}/cgi-bin/token?grant_type=client_credential"
                                 f"&appid={account.app_id}&secret={account.app_secret}")
    token = answer.get("access_token")
    if not token:
        raise ProviderError(f"WeChat refused an access token: {answer.get('errcode')} {answer.get('errmsg', '')}")
    # Tokens live 7,200 s; renewing five minutes early keeps a send from racing the expiry.
    cache.set(_token_key(account), token, timeout=max(60, int(answer.get("expires_in", 7200)) - 300))
    return str(token)


def _call(account: WeChatAccount, path: str, payload: dict[str, object]) -> dict[str, object]:
    for fresh in (False, True):
        token = access_token(account, fresh=fresh)
        answer = request_json("POST", f"{account.api_base.rstrip('/')}{path}?access_token={token}", payload=payload)
        code = answer.get("errcode", 0)
        if code in TOKEN_EXPIRED_CODES and not fresh:
            continue  # the token was revoked or expired early: fetch a new one once
        if code:
            raise ProviderError(f"WeChat error {code}: {answer.get('errmsg', '')}")
        return answer
    raise ProviderError("WeChat kept refusing the access token")


def send_text(account: WeChatAccount, *, openid: str, text: str) -> str:
    _call(account, "/cgi-bin/message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}})
    return ""  # the customer-service API gives no message id


def download_media(account: WeChatAccount, media_id: str) -> tuple[bytes, str]:
    """The file's bytes and content type. WeChat answers an error as a JSON errcode with status 200:
    that is a ProviderError (the token is dropped first when it was the token), never the file. A video
    comes as JSON too, `{"video_url": …}`, the address to download it from."""
    token = access_token(account)
    content, content_type = request_bytes(
        f"{account.api_base.rstrip('/')}/cgi-bin/media/get?access_token={token}&media_id={quote(media_id)}",
        limit=MEDIA_MAX_BYTES)
    if content[:1] == b"{" or content_type in ("application/json", "text/plain"):
        try:
            answer = json.loads(content)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and "errcode" in answer:
            if answer["errcode"] in TOKEN_EXPIRED_CODES:
                cache.delete(_token_key(account))
            raise ProviderError(f"WeChat error {answer['errcode']}: {str(answer.get('errmsg', ''))[:200]}")
        if isinstance(answer, dict) and isinstance(answer.get("video_url"), str):
            return request_bytes(answer["video_url"], limit=MEDIA_MAX_BYTES)
    return content, content_type
