"""Questions about the customer's own orders, answered by the assistant from their data before the
knowledge base is searched: "我的快递到哪了", "订单发货了吗" (logistics) and "退款到哪一步了" (refund).

Whether a message is about the customer's own case is decided first by the intent classifier
(knowledge/intents.py: "发货一般要几天" is a policy question and never reaches this module). Here the
keyword table (`INTENTS`) only tells a refund question from a parcel question; the refund intent is tried
first, so "退款到哪了" is not read as a parcel. A pasted order or request number is answered for that
number only if it is the customer's own.

The facts come from `core.customer_context` for the conversation's customer only, so
another customer's orders can never be quoted. With nothing to say (no order, no open refund) the
assistant falls back to the knowledge base exactly as before.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from core import customer_context
from core.customer_context import CustomerFacts, OrderFact, RequestFact

# How sure the assistant is of an answer read from the customer's own records: it matched the question
# to an intent by keywords, so not certain it understood, but the facts themselves are exact.
ORDER_ANSWER_CONFIDENCE = 0.9
# An order number (digits) or an after-sales request number (AS + digits) pasted into the chat.
PASTED_NUMBER = re.compile(r"\b(?:AS|T)?\d{10,20}\b", re.IGNORECASE)


@dataclass(frozen=True)
class Intent:
    name: str  # "logistics" or "refund"
    subjects: tuple[str, ...]
    progress: tuple[str, ...]

    def matches(self, text: str) -> bool:
        lowered = text.lower()
        return any(word in lowered for word in self.subjects) and any(word in lowered for word in self.progress)


_PROGRESS = ("到哪", "哪一步", "进度", "状态", "怎么样了", "多久", "什么时候", "何时", "了吗", "了没", "没有到",
             "where", "when", "status", "progress", "yet", "how long", "track")

INTENTS: tuple[Intent, ...] = (
    Intent("refund", subjects=("退款", "退钱", "退货", "售后", "refund", "return", "money back"),
           progress=(*_PROGRESS, "到账", "received")),
    Intent("logistics", subjects=("快递", "物流", "包裹", "订单", "发货", "货", "单号", "parcel", "package", "order",
                                  "delivery", "shipment", "shipped", "shipping"),
           progress=(*_PROGRESS, "发货", "到了", "送到", "签收", "shipped", "arrive", "deliver")),
)


@dataclass(frozen=True)
class OrderAnswer:
    text: str
    confidence: float


def intent_of(text: str) -> str | None:
    return next((intent.name for intent in INTENTS if intent.matches(text)), None)


def _when(at: datetime) -> str:
    # Beijing time, one unambiguous format in both languages.
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M")


def _logistics(order: OrderFact) -> str:
    head = _("Your latest order %(number)s is “%(status)s”.") % {"number": order.number, "status": order.status_label}
    if not order.tracking_number:
        lines = [head, _("It has not been shipped yet.")]
    else:
        lines = [head, _("Parcel: %(courier)s %(tracking)s.") % {"courier": order.courier,
                                                                 "tracking": order.tracking_number}]
        if order.signed_at is not None:
            lines.append(_("Signed for on %(at)s.") % {"at": _when(order.signed_at)})
        elif order.last_scan and order.last_scan_at is not None:
            lines.append(_("Latest update (%(at)s): %(scan)s") % {"at": _when(order.last_scan_at),
                                                                  "scan": order.last_scan})
        elif order.shipped_at is not None:
            lines.append(_("Shipped on %(at)s.") % {"at": _when(order.shipped_at)})
    if order.url:
        lines.append(_("Details: %(url)s") % {"url": order.url})
    return "\n".join(lines)


def _refund(request: RequestFact) -> str:
    lines = [
        _("Your %(type)s request %(number)s is at “%(status)s” (updated %(at)s).") % {
            "type": request.type_label, "number": request.number, "status": request.status_label,
            "at": _when(request.updated_at),
        },
    ]
    if request.url:
        lines.append(_("Details: %(url)s") % {"url": request.url})
    return "\n".join(lines)


def answer_from(intent: str, facts: CustomerFacts) -> OrderAnswer | None:
    """The answer these facts give to a question of this intent, or None when they hold nothing."""
    if intent == "refund":
        refund = next((request for request in facts.requests if request.is_refund), None)
        return OrderAnswer(_refund(refund), ORDER_ANSWER_CONFIDENCE) if refund is not None else None
    if intent == "logistics" and facts.orders:
        return OrderAnswer(_logistics(facts.orders[0]), ORDER_ANSWER_CONFIDENCE)
    return None


def _pasted(number: str, facts: CustomerFacts) -> OrderAnswer:
    """The customer's own order or request with this number; any other number reveals nothing, not even
    whether it exists."""
    wanted = number.upper()
    order = next((order for order in facts.orders if order.number.upper() == wanted), None)
    if order is not None:
        return OrderAnswer(_logistics(order), ORDER_ANSWER_CONFIDENCE)
    request = next((request for request in facts.requests if request.number.upper() == wanted), None)
    if request is not None:
        return OrderAnswer(_refund(request), ORDER_ANSWER_CONFIDENCE)
    return OrderAnswer(_("I cannot find that number among your recent orders and requests. Please check it, "
                         "or press “Talk to a person”."), ORDER_ANSWER_CONFIDENCE)


def answer(text: str, customer_id: int) -> OrderAnswer | None:
    """An answer from the customer's own records to a question the bot classified as about their own case:
    a pasted order or request number, else their latest order or open refund."""
    facts = customer_context.facts_for(customer_id)
    pasted = PASTED_NUMBER.search(text)
    if pasted is not None:
        return _pasted(pasted.group(0), facts)
    return answer_from(intent_of(text) or "logistics", facts)
