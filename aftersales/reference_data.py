"""The marketplace's standard after-sales rules and reasons, loaded by `seed_demo` and editable in admin.

Categories follow common JD / Tmall practice: customized goods, fresh food and underwear have no
7-day no-reason return; digital goods only while unopened; warranty months per category.
"""

from typing import NamedTuple

from aftersales.models import Cause, RequestType


class PolicyRow(NamedTuple):
    code: str
    name: str
    no_reason_return: bool = True
    requires_unopened: bool = False
    warranty_months: int = 12


class ReasonRow(NamedTuple):
    request_type: str
    code: str
    name: str
    name_en: str
    is_no_reason: bool = False
    is_quality: bool = False
    cause: str = Cause.PRODUCT


POLICIES = [
    PolicyRow("default", "其他商品"),
    PolicyRow("digital", "数码电器", requires_unopened=True, warranty_months=12),
    PolicyRow("appliance", "家用电器", warranty_months=24),
    PolicyRow("apparel", "服装鞋帽", warranty_months=0),
    PolicyRow("underwear", "贴身衣物", no_reason_return=False, warranty_months=0),
    PolicyRow("customized", "定制商品", no_reason_return=False, warranty_months=0),
    PolicyRow("fresh", "生鲜食品", no_reason_return=False, warranty_months=0),
    PolicyRow("snacks", "休闲零食", no_reason_return=False, warranty_months=0),
]

R, C = RequestType, Cause
REASONS = [
    ReasonRow(R.REFUND_ONLY, "not-wanted", "不想要了 / 拍错了", "No longer wanted / ordered by mistake",
              cause=C.SERVICE),
    ReasonRow(R.REFUND_ONLY, "not-received", "未收到货", "Goods not received", cause=C.LOGISTICS),
    ReasonRow(R.REFUND_ONLY, "missing-parts", "少件 / 漏发", "Missing parts", is_quality=True, cause=C.LOGISTICS),
    ReasonRow(R.RETURN_REFUND, "no-reason", "七天无理由退货", "7-day no-reason return", is_no_reason=True,
              cause=C.SERVICE),
    ReasonRow(R.RETURN_REFUND, "quality", "质量问题", "Quality problem", is_quality=True),
    ReasonRow(R.RETURN_REFUND, "damaged", "商品破损", "Damaged in transit", is_quality=True, cause=C.LOGISTICS),
    ReasonRow(R.RETURN_REFUND, "not-as-described", "与描述不符", "Not as described", is_quality=True),
    ReasonRow(R.EXCHANGE, "size", "尺码不合适", "Wrong size", is_no_reason=True, cause=C.SERVICE),
    ReasonRow(R.EXCHANGE, "quality", "质量问题", "Quality problem", is_quality=True),
    ReasonRow(R.EXCHANGE, "wrong-item", "发错货", "Wrong item sent", is_quality=True, cause=C.LOGISTICS),
    ReasonRow(R.REPAIR, "fault", "功能故障", "Stopped working"),
    ReasonRow(R.REPAIR, "screen", "屏幕问题", "Screen problem"),
    ReasonRow(R.COMPLAINT, "attitude", "客服态度差", "Rude customer service", cause=C.SERVICE),
    ReasonRow(R.COMPLAINT, "delivery", "物流太慢", "Delivery too slow", cause=C.LOGISTICS),
    ReasonRow(R.COMPLAINT, "fake", "疑似假货", "Suspected counterfeit"),
]

# 先行赔付 limits per cause, in fen.
COMPENSATION_LIMITS = {C.PRODUCT: 50_000, C.LOGISTICS: 100_000}
