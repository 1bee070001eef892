"""The demo knowledge base: a category tree and realistic Chinese (and English) help articles."""

# Chinese prose uses full-width punctuation, and a table of articles reads best one field per line.
# ruff: noqa: E501

from dataclasses import dataclass
from pathlib import Path

import yaml

# (slug, parent slug or "", name zh, name en, description zh, description en)
CATEGORIES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("aftersales", "", "售后服务", "After-sales", "退款、退货、换货、维修与投诉", "Refunds, returns, exchanges, repairs, complaints"),
    ("refunds", "aftersales", "退款", "Refunds", "退款进度、到账时间与规则", "Refund progress, timing and rules"),
    ("returns", "aftersales", "退货", "Returns", "7天无理由退货、运费与寄回", "7-day returns, shipping and sending back"),
    ("exchange", "aftersales", "换货", "Exchanges", "尺码、颜色与质量问题换货", "Exchanges for size, colour or quality"),
    ("repair", "aftersales", "维修与保修", "Repair and warranty", "三包政策、保修与维修进度", "Warranty policy and repairs"),
    ("complaints", "aftersales", "投诉与纠纷", "Complaints", "投诉商家、平台介入", "Complaints and platform arbitration"),
    ("logistics", "", "订单与物流", "Orders and delivery", "发货、快递查询与签收", "Shipping, tracking and delivery"),
    ("shipping", "logistics", "发货", "Shipping", "发货时间、催发货、拆单", "Dispatch times and late orders"),
    ("tracking", "logistics", "快递查询", "Tracking", "物流信息与签收问题", "Tracking and delivery problems"),
    ("payment", "", "支付与发票", "Payment and invoices", "支付方式、分期与发票", "Payment methods, instalments, invoices"),
    ("pay", "payment", "支付", "Payment", "支付方式与支付问题", "Payment methods and problems"),
    ("invoices", "payment", "发票", "Invoices", "电子发票与增值税专用发票", "E-invoices and VAT invoices"),
    ("account", "", "账户与安全", "Account and security", "登录、手机号、密码与账号安全", "Sign-in, phone, password, security"),
    ("promotions", "", "优惠与会员", "Offers and membership", "优惠券、满减、积分与会员", "Coupons, discounts, points, membership"),
    ("coupons", "promotions", "优惠券与积分", "Coupons and points", "优惠券、满减与积分规则", "Coupons, discounts and points"),
    ("membership", "promotions", "会员", "Membership", "会员权益、等级与续费", "Member benefits, levels, renewal"),
    ("orders", "logistics", "订单管理", "Managing orders", "修改、合并、删除订单与确认收货", "Changing, combining, deleting and confirming orders"),
    ("delivery", "logistics", "配送服务", "Delivery services", "配送时间、送货上门、安装与丢件", "Delivery slots, large items, installation, lost parcels"),
    ("guarantee", "", "正品与赔付", "Authenticity and compensation", "正品保障、鉴定与赔付标准", "Genuine goods, authentication and compensation"),
    ("compensation", "guarantee", "赔付", "Compensation", "延迟发货、延误与描述不符赔付", "Compensation for delays and misdescription"),
    ("activities", "promotions", "活动与赠品", "Campaigns and gifts", "大促、秒杀、拼团、赠品与补贴", "Sales, flash deals, group buys, gifts, subsidies"),
    ("presale", "promotions", "预售与库存", "Pre-sale and stock", "定金、预售发货与到货通知", "Deposits, pre-sale shipping, restock alerts"),
    ("crossborder", "", "跨境购物", "Cross-border shopping", "税费、清关、额度与跨境退货", "Taxes, customs, quotas and returns"),
    ("privacy", "account", "隐私与安全", "Privacy and safety", "个人信息、隐私面单与防诈骗", "Personal data, privacy labels, scams"),
    ("service", "", "联系我们", "Contact us", "客服时间、联系方式与转人工", "Service hours, contact and human agents"),
    ("service-desk", "", "客服内部", "Service desk (internal)", "仅客服可见的处理流程", "Procedures for agents only"),
)


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    category: str
    kind: str
    title_zh: str
    title_en: str
    questions: tuple[str, ...]  # stored questions in Chinese
    questions_en: tuple[str, ...]
    body_zh: str
    body_en: str
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    audience: str = "public"
    views: int = 0


DATA_DIR = Path(__file__).resolve().parent / "data"


def load_articles(path: Path = DATA_DIR / "articles.yaml") -> tuple[DemoArticle, ...]:
    """The demo articles from their data file (the bot's bench ranks these same articles)."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        DemoArticle(
            slug=row["slug"], category=row["category"], kind=row["kind"], title_zh=row["title_zh"],
            title_en=row["title_en"], questions=tuple(row["questions_zh"]), questions_en=tuple(row["questions_en"]),
            body_zh=row["body_zh"], body_en=row["body_en"], tags=tuple(str(tag) for tag in row.get("tags", ())),
            related=tuple(row.get("related", ())), audience=row.get("audience", "public"), views=row.get("views", 0),
        )
        for row in rows
    )


ARTICLES: tuple[DemoArticle, ...] = load_articles()

# Whole words or phrases only, never a single character: "券" or "坏" inside a synonym group would match
# every word that holds them. No group mixes a negated phrase with a plain one (不对 / 对), so expansion
# can never drop a 不 / 没 / 无.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("退款", "退钱", "返款", "退费"),
    ("快递", "物流", "包裹", "运单"),
    ("运费", "邮费", "快递费"),
    ("发票", "开票"),
    ("专票", "增值税专用发票"),
    ("退货", "退回", "寄回", "退还"),
    ("换货", "调换", "更换"),
    ("维修", "修理", "返修", "报修", "送修"),
    ("优惠券", "折扣券", "红包"),
    ("发货", "出库", "寄出"),
    ("签收", "收货"),
    ("投诉", "举报"),
    ("密码", "口令"),
    ("账号", "账户", "帐号"),
    ("会员", "vip", "plus"),
    ("破损", "压坏", "摔坏", "碎了"),
    ("质量问题", "故障", "瑕疵"),
    ("手机号", "手机号码"),
    ("分期", "花呗", "白条"),
    ("付款", "支付", "付钱"),
    ("收货地址", "地址"),
    ("价保", "保价", "差价"),
    ("少件", "少发", "漏发"),
    ("错发", "发错"),
    ("假货", "假的", "仿品", "高仿"),
    ("赠品", "礼品", "送的"),
    ("海外购", "跨境", "直邮"),
    ("预售", "定金"),
    # English customers' words for what the articles say otherwise (words as the ranking stems them).
    ("repair", "fix"),
    ("withdraw", "cash out"),
    ("gift", "freebie"),
    ("description", "listing"),
    ("genuine", "authentic"),
    ("fake", "counterfeit"),
    ("parcel", "package"),
    ("abroad", "overseas", "international"),
)
