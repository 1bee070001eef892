"""How urgent a complaint is, as a small table: every rule that matches is noted, the highest priority wins.

| rule        | matches                                                                 | priority |
|-------------|-------------------------------------------------------------------------|----------|
| safety      | the reason or description names a hazard to people (fire, electric     | urgent   |
|             | shock, injury, poisoning …)                                             |          |
| fraud       | the reason or description names fraud (诈骗, 骗子, 盗刷, scam …)         | urgent   |
| counterfeit | the reason is 疑似假货 (`fake`)                                          | high     |
| repeat      | the same customer complained about the same store in the last 30 days  | high     |
| (none)      | anything else                                                           | normal   |

Keywords are matched case-insensitively as substrings, so "explod" covers "exploded" and "exploding".
The matched rule codes go on the ticket as tags, so the desk sees why a complaint jumped the queue.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from aftersales.models import AfterSalesRequest, RequestType
from tickets.models import PRIORITY_ORDER, Priority

SAFETY_WORDS = ("安全", "起火", "着火", "冒烟", "爆炸", "自燃", "漏电", "触电", "受伤", "烫伤", "割伤", "中毒", "过敏",
                "fire", "smoke", "explod", "electric shock", "injur", "burn", "poison")
FRAUD_WORDS = ("诈骗", "欺诈", "骗子", "被骗", "骗钱", "盗刷", "钓鱼", "fraud", "scam", "phishing")


@dataclass(frozen=True)
class PriorityRule:
    code: str
    priority: Priority
    keywords: tuple[str, ...] = ()
    reason_codes: tuple[str, ...] = ()
    repeat_days: int = 0


RULES: tuple[PriorityRule, ...] = (
    PriorityRule("safety", Priority.URGENT, keywords=SAFETY_WORDS),
    PriorityRule("fraud", Priority.URGENT, keywords=FRAUD_WORDS),
    PriorityRule("counterfeit", Priority.HIGH, reason_codes=("fake",)),
    PriorityRule("repeat", Priority.HIGH, repeat_days=30),
)


@dataclass(frozen=True)
class Triage:
    priority: Priority
    matched: tuple[str, ...]


def _is_repeat(rule: PriorityRule, *, customer_id: int, store_id: int, before: datetime,
               exclude_pk: int | None) -> bool:
    earlier = AfterSalesRequest.objects.filter(
        customer_id=customer_id, store_id=store_id, request_type=RequestType.COMPLAINT,
        created_at__gte=before - timedelta(days=rule.repeat_days), created_at__lt=before,
    )
    if exclude_pk is not None:
        earlier = earlier.exclude(pk=exclude_pk)
    return earlier.exists()


def triage(*, customer_id: int, store_id: int, reason_code: str, text: str, before: datetime,
           exclude_pk: int | None = None) -> Triage:
    """The priority of a complaint filed at `before` (`exclude_pk`: the complaint itself, if saved)."""
    lowered = text.lower()
    matched: list[PriorityRule] = []
    for rule in RULES:
        hit = (
            (rule.keywords and any(word in lowered for word in rule.keywords))
            or (rule.reason_codes and reason_code in rule.reason_codes)
            or (rule.repeat_days and _is_repeat(rule, customer_id=customer_id, store_id=store_id, before=before,
                                                exclude_pk=exclude_pk))
        )
        if hit:
            matched.append(rule)
    priority = max((rule.priority for rule in matched), key=PRIORITY_ORDER.index, default=Priority.NORMAL)
    return Triage(priority=priority, matched=tuple(rule.code for rule in matched))
