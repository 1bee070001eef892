"""WeChat server endpoint latency: signed messages (plain and encrypted mode) from many followers, each
stored on a ticket, through the whole Django stack (test client, real PostgreSQL). Prints p50/p95.

BENCH_SCALE sets the number of messages (default 1,000): a third from returning followers (continuing
their ticket), the rest new followers (customer, identity and ticket created); every tenth a redelivery.
"""

import os
import time
from typing import Any

import pytest
from django.test import Client

from tests.bench.timing import percentiles
from tickets.channels.wechat import protocol as wechat
from tickets.models import InboundMessage, Ticket, WeChatAccount

pytestmark = [pytest.mark.bench, pytest.mark.django_db]
APP_ID = "wxbench000000000a"


def _message(openid: str, msg_id: int) -> str:
    return (f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>{openid}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType>"
            f"<Content>订单什么时候发货 {msg_id}</Content><MsgId>{msg_id}</MsgId></xml>")


def test_wechat_endpoint_latency(report: Any) -> None:
    count = int(os.environ.get("BENCH_SCALE", "1000"))
    account = WeChatAccount.objects.create(name="bench", app_id=APP_ID, app_secret="s", token="t",
                                           encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    client = Client()
    samples: dict[str, list[float]] = {"plain": [], "encrypted": []}
    statuses: set[int] = set()
    for number in range(count):
        openid = f"o-bench-{number % max(count * 2 // 3, 1)}"
        msg_id = number - 1 if number % 10 == 9 else number  # every tenth message is a redelivery
        body = _message(openid, msg_id)
        stamp, nonce = str(int(time.time())), f"n{number}"
        mode = "encrypted" if number % 2 else "plain"
        if mode == "encrypted":
            ciphertext = wechat.encrypt(account, body)
            body = f"<xml><Encrypt>{ciphertext}</Encrypt></xml>"
            query = (f"?timestamp={stamp}&nonce={nonce}&encrypt_type=aes"
                     f"&msg_signature={wechat.signature('t', stamp, nonce, ciphertext)}")
        else:
            query = f"?timestamp={stamp}&nonce={nonce}&signature={wechat.signature('t', stamp, nonce)}"
        started = time.perf_counter()
        response = client.post(f"/api/v1/channels/wechat/{APP_ID}/{query}", data=body, content_type="text/xml")
        samples[mode].append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
    assert statuses == {200}
    report("wechat_endpoint", messages=count, stored=InboundMessage.objects.count(), tickets=Ticket.objects.count(),
           plain=percentiles(samples["plain"]), encrypted=percentiles(samples["encrypted"]),
           all=percentiles(samples["plain"] + samples["encrypted"]))
