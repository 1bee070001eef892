"""Outbound text messages through a provider adapter named by the `SMS_BACKEND` setting.

Texts to a person leave through `core.messaging.send_sms` (the outbox), replies on SMS tickets
through their channel sender; both end in `sms()`.
`FakeSms` keeps what it was given (development and tests); `HttpSms` posts to a provider's HTTP API.
"""

import abc
import threading
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from core.http import request_json


class SmsSender(abc.ABC):
    @abc.abstractmethod
    def send(self, *, phone: str, text: str) -> str:
        """Send one text message and return the provider's id for it; raises on failure."""


class FakeSms(SmsSender):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str) -> str:
        with self._lock:
            self.sent.append((phone, text))
            return f"fake-{len(self.sent)}"


class HttpSms(SmsSender):
    """A provider that takes `POST SMS_API_URL` with `{"phone", "text", "sign"}` JSON and a bearer key, and
    answers `{"id": ...}` (the shape of Aliyun / Tencent Cloud SMS gateways behind a thin relay)."""

    def send(self, *, phone: str, text: str) -> str:
        answer = request_json("POST", settings.SMS_API_URL,
                              payload={"phone": phone, "text": text, "sign": settings.SMS_SIGN_NAME},
                              headers={"Authorization": f"Bearer {settings.SMS_API_KEY}"},
                              timeout=settings.SMS_API_TIMEOUT_SECONDS)
        return str(answer.get("id", ""))


@cache
def sms() -> SmsSender:
    sender = import_string(settings.SMS_BACKEND)()
    if not isinstance(sender, SmsSender):
        raise TypeError(f"{settings.SMS_BACKEND} is not an SmsSender")
    return sender
