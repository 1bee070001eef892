"""The payment adapter interface for refunds, and the fake gateway used by the demo and the tests.

A gateway must treat `key` as the merchant refund number (WeChat Pay `out_refund_no`, Alipay
`out_request_no`): a second call with a known key answers with the first outcome and moves no
money. `refunds.py` relies on that for retries after a timeout. The gateway in use is the class
named by the `PAYMENT_GATEWAY` setting (a dotted path), instantiated once per process.
"""

import abc
import threading
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class GatewayOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class GatewayResult:
    outcome: GatewayOutcome
    reference: str = ""
    message: str = ""


class GatewayTimeout(Exception):
    """No answer in time: the refund may or may not have happened; ask later with `query`."""


class PaymentGateway(abc.ABC):
    @abc.abstractmethod
    def refund(self, *, key: str, order_reference: str, amount_fen: int) -> GatewayResult:
        """Refund `amount_fen` of the order's payment once per `key`; may raise `GatewayTimeout`."""

    @abc.abstractmethod
    def query(self, *, key: str) -> GatewayResult | None:
        """The outcome of the refund with `key`, or None when the gateway never received it."""


class FakeGateway(PaymentGateway):
    """In-memory gateway with injectable latency, timeouts and failures (per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self, *, latency_s: float = 0.0, timeouts: int = 0, failures: int = 0,
              apply_on_timeout: bool = True) -> None:
        """`timeouts` / `failures`: how many next calls time out / are declined.

        `apply_on_timeout`: whether a timed-out call still went through on the gateway's side.
        """
        with getattr(self, "_lock", threading.Lock()):
            self.latency_s = latency_s
            self.timeouts = timeouts
            self.failures = failures
            self.apply_on_timeout = apply_on_timeout
            self.calls: list[str] = []
            self.results: dict[str, GatewayResult] = {}

    def refund(self, *, key: str, order_reference: str, amount_fen: int) -> GatewayResult:
        if self.latency_s:
            time.sleep(self.latency_s)
        with self._lock:
            self.calls.append(key)
            if key in self.results:
                return self.results[key]
            if self.failures:
                self.failures -= 1
                # A declined refund moved no money; the same key may be sent again (WeChat Pay allows it).
                return GatewayResult(GatewayOutcome.FAILED, message="declined by the fake gateway")
            timed_out = self.timeouts > 0
            if timed_out:
                self.timeouts -= 1
                if not self.apply_on_timeout:
                    raise GatewayTimeout(key)
            result = GatewayResult(GatewayOutcome.SUCCEEDED, reference=f"FAKE-{uuid.uuid4().hex[:16]}")
            self.results[key] = result
        if timed_out:
            raise GatewayTimeout(key)
        return result

    def query(self, *, key: str) -> GatewayResult | None:
        with self._lock:
            return self.results.get(key)


@cache
def gateway() -> PaymentGateway:
    gateway_class = import_string(settings.PAYMENT_GATEWAY)
    instance = gateway_class()
    if not isinstance(instance, PaymentGateway):
        raise TypeError(f"{settings.PAYMENT_GATEWAY} is not a PaymentGateway")
    return instance
