"""The demo knowledge base: a category tree and realistic Chinese (and English) help articles."""

# Chinese prose uses full-width punctuation, and a table of articles reads best one field per line.
# ruff: noqa: RUF001, E501

from dataclasses import dataclass

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
    ("service-desk", "", "客服内部", "Service desk (internal)", "仅客服可见的处理流程", "Procedures for agents only"),
)


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    category: str
    kind: str
    title_zh: str
    title_en: str
    questions: tuple[str, ...]
    body_zh: str
    body_en: str
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    audience: str = "public"
    views: int = 0


A = DemoArticle
ARTICLES: tuple[DemoArticle, ...] = (
    # ---- 退款 ----
    A("refund-timeline", "refunds", "faq", "退款多久到账？", "How long does a refund take?",
      ("退款什么时候到账", "钱多久能退回来", "退款一直没收到"),
      "商家同意退款后，款项**原路退回**：\n\n| 支付方式 | 到账时间 |\n|---|---|\n| 余额 | 即时 |\n| 微信 / 支付宝 | 1–3 个工作日 |\n"
      "| 储蓄卡 / 信用卡 | 3–7 个工作日 |\n\n超过上述时间仍未到账，请在订单详情查看退款进度，或联系在线客服。",
      "Once the merchant approves, the money goes back the way you paid: balance at once, WeChat/Alipay in 1–3 "
      "working days, bank cards in 3–7 working days.",
      ("退款", "到账"), ("refund-original-route", "refund-rejected"), views=980),
    A("refund-original-route", "refunds", "faq", "退款会退到哪里？", "Where does my refund go?",
      ("退款退到哪个账户", "退款能退到余额吗", "原路退回是什么意思"),
      "退款一律**原路退回**到付款账户：微信支付退回微信零钱或银行卡，支付宝退回支付宝余额或花呗，银行卡退回原卡。"
      "使用花呗或信用卡分期的订单，退款后对应分期账单会自动取消或冲抵。暂不支持退到其他账户。",
      "Refunds always return to the account you paid with; instalment bills are cancelled or offset.",
      ("退款", "原路退回"), ("refund-timeline", "installment"), views=420),
    A("refund-only-not-received", "refunds", "process", "没收到货怎么申请仅退款？", "Refund only when the parcel never arrived",
      ("没收到货可以直接退款吗", "仅退款怎么申请"),
      "如果商品**尚未收到**或物流长时间停滞，可在订单详情点击“申请售后 → 仅退款”，选择原因“未收到货”。\n\n"
      "商家需在 48 小时内处理，超时未处理系统将自动同意。已签收的商品请选择“退货退款”。",
      "If the parcel never arrived, choose After-sales → Refund only with the reason 'not received'. "
      "The merchant has 48 hours; after that it is approved automatically.",
      ("仅退款", "未收到货"), ("package-signed-not-received", "tracking-not-updated"), views=510),
    A("refund-cancel-order", "refunds", "faq", "取消未发货的订单后多久退款？", "Refund after cancelling an unshipped order",
      ("取消订单钱什么时候退", "订单取消了退款多久", "还没发货可以取消吗"),
      "订单**未发货**时可在订单详情直接“取消订单”，无需商家审核，退款立即发起，按原支付方式 1–3 个工作日到账。"
      "订单已发货时无法取消，请在收货后申请退货，或拒收包裹。",
      "An order that has not shipped can be cancelled at once; the refund starts immediately. "
      "Shipped orders cannot be cancelled: refuse the parcel or return it.",
      ("取消订单", "退款"), ("refund-timeline", "refuse-delivery"), views=760),
    A("refund-rejected", "refunds", "faq", "退款申请被商家拒绝了怎么办？", "The merchant rejected my refund",
      ("商家不同意退款", "退款被驳回了", "卖家拒绝退款怎么处理"),
      "商家拒绝时会写明理由。您可以：\n\n1. 补充凭证（照片、视频、聊天记录）后**再次申请**；\n"
      "2. 对处理结果有异议，点击“申请平台介入”，平台客服将在 3 个工作日内判定。",
      "You can re-apply with more evidence, or ask the platform to step in; a decision follows within "
      "3 working days.",
      ("退款", "拒绝"), ("dispute-arbitration", "complaint-merchant"), views=350),
    A("price-protection", "refunds", "policy", "价格保护（价保）规则", "Price protection rules",
      ("买贵了能退差价吗", "降价了可以补差价吗", "价保怎么申请"),
      "支持价保的商品，在**签收后 7 天内**降价，可在订单详情点击“申请价保”，差价原路退回。\n\n"
      "不参与价保：秒杀、拼团、使用优惠券后的价格变化、赠品。每个订单最多申请 3 次价保。",
      "If a price-protected item gets cheaper within 7 days of delivery, apply in the order and get the "
      "difference back. Flash sales and group buys are excluded.",
      ("价保", "差价"), ("refund-timeline",), views=300),
    # ---- 退货 ----
    A("return-policy-7days", "returns", "policy", "7天无理由退货政策", "7-day no-reason return policy",
      ("七天无理由退货", "不喜欢可以退吗", "7天无理由退货规则"),
      "自**签收次日起 7 天内**，商品完好、不影响二次销售（吊牌、配件、包装齐全），可申请无理由退货。\n\n"
      "- 无理由退货的退回运费由买家承担，购买了运费险的可理赔；\n- 商品质量问题退货，运费由商家承担；\n"
      "- 定制、生鲜、已拆封的个人护理用品等不适用，详见“不支持无理由退货的商品”。",
      "Within 7 days of delivery you may return an item in resaleable condition for any reason. The buyer pays "
      "return postage unless the item is faulty.",
      ("7天无理由", "退货", "政策"), ("return-how-to-apply", "return-shipping-fee", "return-non-returnable"), views=1200),
    A("return-how-to-apply", "returns", "process", "如何申请退货退款？", "How to return an item for a refund",
      ("退货流程是什么", "怎么退货", "退货退款步骤"),
      "1. 进入“我的订单”，找到商品，点击**申请售后 → 退货退款**；\n2. 选择退货原因并上传照片；\n"
      "3. 商家同意后，按页面提供的**退货地址**寄回，并填写快递单号；\n4. 商家收货验货后退款，原路退回。",
      "Open the order, choose After-sales → Return and refund, give a reason and photos, send the item to the "
      "address shown once approved, and enter the tracking number.",
      ("退货", "流程"), ("return-policy-7days", "return-tracking-number", "return-pickup"), views=1100),
    A("return-shipping-fee", "returns", "faq", "退货运费谁承担？", "Who pays for return shipping?",
      ("退货邮费谁出", "寄回去的运费谁付", "退货要自己出运费吗"),
      "- **质量问题**、发错货、商品破损：退货运费由**商家承担**，可先垫付后在申请中填写运费金额，商家退款时一并退还；\n"
      "- **7天无理由**（不喜欢、拍错）：运费由**买家承担**；\n- 订单含运费险的，无理由退货运费由保险赔付。",
      "Faulty, wrong or damaged items: the merchant pays return postage (claim it in the request). "
      "No-reason returns: the buyer pays, unless shipping insurance covers it.",
      ("运费", "退货"), ("return-shipping-insurance", "return-policy-7days"), views=900),
    A("return-shipping-insurance", "returns", "faq", "运费险怎么理赔？", "How does return-shipping insurance pay out?",
      ("运费险怎么用", "退货险赔多少钱", "运费险什么时候到账"),
      "购买了**运费险**的订单，退货时在申请中选择“上门取件”或自行寄回。退货完成后，保险公司按首重标准"
      "自动理赔，赔付金额 72 小时内打到付款账户。自行寄回时实际运费超出赔付部分需自行承担。",
      "With return-shipping insurance, the insurer pays the standard postage within 72 hours of the return.",
      ("运费险", "理赔"), ("return-shipping-fee", "return-pickup"), views=640),
    A("return-pickup", "returns", "guide", "预约快递上门取件退货", "Book a courier pickup for a return",
      ("快递可以上门取退货吗", "怎么预约上门取件", "不想自己去寄快递"),
      "商家同意退货后，在售后详情点击**预约上门取件**，选择取件时间，快递员将上门收件，无需填写单号。"
      "取件费用按退货原因由买家或商家承担，有运费险的订单可直接抵扣。",
      "After approval, book a pickup in the request; the courier collects the parcel and the tracking number "
      "is filled in for you.",
      ("上门取件", "退货"), ("return-how-to-apply", "return-shipping-insurance"), views=450),
    A("return-non-returnable", "returns", "policy", "哪些商品不支持7天无理由退货？", "Items excluded from no-reason returns",
      ("什么东西不能无理由退", "内衣可以退吗", "定制商品能退货吗"),
      "以下商品不适用 7 天无理由退货（质量问题除外）：\n\n- 定制类商品（刻字、照片定制）；\n- 鲜活易腐（生鲜、鲜花）；\n"
      "- 已拆封的个人护理、内衣、食品；\n- 已激活的数码产品、虚拟商品（充值卡、游戏点卡）；\n- 报纸期刊。\n\n"
      "商品页面会标注“不支持7天无理由退货”。",
      "Custom-made, perishable, opened personal-care items, activated electronics and digital goods cannot be "
      "returned without a fault.",
      ("7天无理由", "不支持"), ("return-policy-7days",), views=380),
    A("return-address", "returns", "faq", "退货寄到哪里？退货地址在哪看？", "Where do I send a return?",
      ("退货地址在哪", "商品寄回哪个地址", "退货收件人电话"),
      "商家同意退货后，**退货地址**会显示在售后详情页顶部，包括收件人、电话和详细地址。请勿寄到发货地址或拒绝到付。"
      "地址有疑问可点击“联系商家”。",
      "The return address appears at the top of the after-sales request once the merchant approves.",
      ("退货地址",), ("return-how-to-apply", "return-tracking-number"), views=330),
    A("return-tracking-number", "returns", "faq", "寄回商品后怎么填写快递单号？", "Enter the return tracking number",
      ("退货单号填在哪里", "退货快递单号写错了", "寄出后要做什么"),
      "寄出后请在售后详情点击**填写退货物流**，选择快递公司并填写运单号。请在商家同意后 **7 天内**填写，"
      "逾期售后申请将自动关闭。单号填错可在商家签收前修改一次。",
      "After posting the item, enter the courier and tracking number within 7 days, or the request closes.",
      ("运单号", "退货"), ("return-how-to-apply", "return-address"), views=410),
    # ---- 换货 ----
    A("exchange-how-to", "exchange", "process", "如何申请换货？", "How to exchange an item",
      ("怎么换货", "可以换一个新的吗", "换货流程"),
      "在订单详情点击**申请售后 → 换货**，选择要换的规格（颜色、尺码），说明原因。商家同意后寄回原商品，"
      "商家收到并验货后重新发出新商品。换货不产生差价；规格价格不同请先退货再重新下单。",
      "Choose After-sales → Exchange, pick the new size or colour, send the item back; the merchant ships the "
      "replacement after checking it.",
      ("换货",), ("exchange-size", "exchange-timeline"), views=520),
    A("exchange-size", "exchange", "faq", "尺码不合适可以换吗？", "Wrong size: can I swap it?",
      ("衣服小了能换大一码吗", "鞋子不合脚怎么换", "买错尺码了"),
      "签收后 7 天内，商品未穿着、吊牌完好，可申请**换尺码**。因尺码问题换货属于买家原因，寄回运费由买家承担，"
      "商家寄出新商品的运费由商家承担。换的尺码无库存时，可改为退货退款。",
      "Within 7 days, unworn with tags, you can swap sizes; you pay postage back, the merchant pays to send the "
      "new one.",
      ("尺码", "换货"), ("exchange-how-to", "return-policy-7days"), views=470),
    A("exchange-timeline", "exchange", "faq", "换货多久能收到新商品？", "When will my exchange arrive?",
      ("换货要等多久", "换的货什么时候发", "换货进度怎么查"),
      "商家签收退回商品后 **48 小时内**发出新商品，新商品的物流可在售后详情查看。通常全程 5–7 天。"
      "超时未发货可在售后详情点击“催处理”。",
      "The merchant ships the replacement within 48 hours of receiving the return; allow 5–7 days in total.",
      ("换货", "进度"), ("exchange-how-to",), views=260),
    # ---- 维修与保修 ----
    A("warranty-policy", "repair", "policy", "商品保修政策（三包）", "Warranty policy",
      ("保修期多久", "三包政策是什么", "坏了能免费修吗"),
      "依照国家“三包”规定：\n\n- 签收后 **7 天内**出现性能故障，可选择退货、换货或维修；\n- **15 天内**可选择换货或维修；\n"
      "- **保修期内**（一般为 1 年，以商品页为准）免费维修。\n\n人为损坏、进水、私自拆修不在保修范围内。",
      "Under China's 'three guarantees': faults within 7 days – return, exchange or repair; within 15 days – "
      "exchange or repair; within the warranty (usually one year) – free repair.",
      ("保修", "三包", "政策"), ("repair-how-to", "quality-issue"), views=690),
    A("repair-how-to", "repair", "process", "如何申请维修？", "How to request a repair",
      ("东西坏了怎么修", "申请售后维修", "去哪里修"),
      "在订单详情点击**申请售后 → 维修**，描述故障并上传照片或视频。审核通过后可选择寄修（免费上门取件）"
      "或到品牌授权服务网点送修。维修完成后寄回，保修期内免费。",
      "Choose After-sales → Repair, describe the fault with photos; send it in with a free pickup or take it to "
      "an authorised service centre.",
      ("维修",), ("warranty-policy", "repair-progress"), views=430),
    A("repair-progress", "repair", "faq", "怎么查询维修进度？", "Check repair progress",
      ("维修到哪一步了", "修好了吗", "维修要多久"),
      "在售后详情可看到维修进度：**已收件 → 检测中 → 维修中 → 已寄回**。一般维修周期为 7–15 个工作日，"
      "需要等待配件时会短信通知您。",
      "The request shows each step: received, testing, repairing, sent back. Repairs take 7–15 working days.",
      ("维修", "进度"), ("repair-how-to",), views=240),
    A("quality-issue", "repair", "faq", "收到的商品有质量问题怎么办？", "The item is faulty",
      ("商品有瑕疵", "用了几天就坏了", "质量不好可以退吗"),
      "质量问题可申请**退货、换货或维修**，运费由商家承担。请在申请时上传能看清问题的照片或视频，"
      "必要时提供检测报告。签收 7 天内可直接退货，15 天内可换货。",
      "Faulty items can be returned, exchanged or repaired at the merchant's cost; attach clear photos or video.",
      ("质量问题", "瑕疵"), ("warranty-policy", "return-shipping-fee"), views=610),
    A("damaged-on-arrival", "repair", "faq", "收到商品破损怎么办？", "The item arrived damaged",
      ("快递压坏了", "东西摔碎了", "包装破了里面的东西坏了"),
      "签收时请当面验货，外包装明显**破损**可直接拒收。已签收的，请在 **48 小时内**拍照（外箱、面单、破损处）"
      "并申请售后，选择“商品破损”，可补发或退款，运费由商家承担。",
      "Refuse a visibly damaged parcel; if already signed for, photograph box, label and damage within 48 hours "
      "and apply for a replacement or refund.",
      ("破损",), ("quality-issue", "refuse-delivery"), views=390),
    A("missing-items", "repair", "faq", "少件、漏发或发错货怎么办？", "Missing or wrong items",
      ("少发了一件", "收到的东西不对", "发错颜色了"),
      "请保留外包装并拍照，在订单详情申请售后，原因选择**少件/漏发**或**发错货**。少件时商家核实后补发或退款；"
      "发错货时商家承担来回运费，为您换成正确的商品。",
      "Keep the packaging and photograph it, then apply with 'missing item' or 'wrong item'; the merchant resends "
      "or refunds and pays postage.",
      ("少件", "错发", "漏发"), ("exchange-how-to",), views=280),
    # ---- 投诉 ----
    A("complaint-merchant", "complaints", "process", "如何投诉商家？", "How to complain about a merchant",
      ("我要投诉卖家", "商家态度很差", "举报商家"),
      "在订单详情或店铺首页点击**投诉商家**，选择投诉类型（虚假宣传、不发货、售后推诿、辱骂等），"
      "描述经过并上传凭证。平台在 **3 个工作日**内核实处理，结果通过消息通知您。",
      "Use 'Complain about merchant' on the order or shop page; the platform investigates within 3 working days.",
      ("投诉", "商家"), ("dispute-arbitration",), views=340),
    A("complaint-service", "complaints", "faq", "对客服服务不满意怎么反馈？", "Unhappy with customer service",
      ("客服态度不好", "投诉客服", "客服解决不了问题"),
      "每次会话结束后可对客服**评价**，选择不满意并写明原因，会由质检团队复核。也可在帮助中心联系在线客服，"
      "要求转接主管处理。",
      "Rate the conversation and say why; quality assurance reviews it. You can also ask for a supervisor.",
      ("投诉", "客服"), ("complaint-merchant",), views=150),
    A("dispute-arbitration", "complaints", "policy", "平台介入（售后仲裁）说明", "Platform arbitration",
      ("平台介入怎么申请", "和商家协商不了", "售后纠纷怎么处理"),
      "买卖双方对售后有争议时，任一方可在售后详情点击**申请平台介入**。双方需在 48 小时内提交凭证，"
      "平台在 3 个工作日内作出判定，判定结果双方须执行。",
      "Either side can ask the platform to step in; both submit evidence within 48 hours and the platform "
      "decides within 3 working days.",
      ("平台介入", "仲裁", "纠纷"), ("refund-rejected", "complaint-merchant"), views=220),
    # ---- 发货 ----
    A("shipping-time", "shipping", "faq", "下单后多久发货？", "When will my order ship?",
      ("什么时候发货", "多久能发出", "今天下单明天能发吗"),
      "一般商品在付款后 **48 小时内**发货，预售商品以商品页写明的发货时间为准。大促期间发货时间可能延长至 72 小时。"
      "发货后可在订单详情查看物流。",
      "Most items ship within 48 hours of payment; pre-sale items on the date stated; up to 72 hours during big "
      "sales.",
      ("发货", "时间"), ("urge-shipment", "track-package"), views=870),
    A("urge-shipment", "shipping", "faq", "商家迟迟不发货怎么办？（催发货）", "The merchant has not shipped",
      ("催发货", "怎么还不发货", "超过时间没发货"),
      "在订单详情点击**提醒发货**，商家会收到通知。超过承诺发货时间仍未发货的，可申请仅退款，"
      "或投诉商家“延迟发货”，平台将按规则给予赔付（一般为订单金额的 5%，最高 50 元，以优惠券形式发放）。",
      "Tap 'Remind to ship'. Past the promised time you can cancel for a refund or complain; late shipping earns "
      "compensation as a coupon.",
      ("催发货", "延迟发货"), ("shipping-time", "refund-cancel-order"), views=820),
    A("split-shipment", "shipping", "faq", "一个订单为什么分几个包裹发？", "Why did my order come in several parcels?",
      ("订单拆开发货", "只收到一部分商品", "分开发货"),
      "订单中的商品来自不同仓库或不同商家时，会**拆单发货**，每个包裹有各自的运单号，可在订单详情分别查看。"
      "请等全部包裹签收后再确认收货。",
      "Items from different warehouses ship separately, each with its own tracking number.",
      ("拆单", "发货"), ("track-package",), views=210),
    # ---- 快递查询 ----
    A("track-package", "tracking", "guide", "如何查询快递物流？", "How to track a parcel",
      ("快递到哪了", "物流怎么查", "查快递单号"),
      "进入**我的订单 → 查看物流**，可看到快递公司、运单号和实时轨迹。也可复制运单号到快递公司官网或小程序查询。"
      "显示“已揽收”后通常 1–2 小时才有更新。",
      "Open My orders → Track to see the courier, tracking number and route.",
      ("快递查询", "物流"), ("tracking-not-updated", "shipping-time"), views=1300),
    A("tracking-not-updated", "tracking", "faq", "物流信息很久不更新怎么办？", "Tracking has not updated for days",
      ("物流一直不动", "快递好几天没更新了", "包裹卡住了"),
      "物流信息超过 **72 小时**未更新，可能是中转积压或包裹异常。请先联系商家或快递公司核实；"
      "确认丢件的，可申请仅退款或要求商家补发。",
      "If tracking has not moved for 72 hours, check with the merchant or courier; a lost parcel is refunded or "
      "resent.",
      ("物流", "不更新"), ("track-package", "refund-only-not-received"), views=560),
    A("change-address", "tracking", "faq", "下单后怎么修改收货地址？", "Change the delivery address",
      ("地址写错了", "改收货地址", "能换个地址收货吗"),
      "订单**未发货**时，可在订单详情点击“修改地址”，每个订单可修改一次。已发货的，请联系快递公司申请改派，"
      "可能产生额外费用。",
      "Before shipping you can change the address once in the order; after shipping ask the courier to redirect.",
      ("收货地址", "修改"), ("shipping-time",), views=620),
    A("courier-choice", "tracking", "faq", "可以指定快递公司吗？", "Can I choose the courier?",
      ("能发顺丰吗", "指定快递", "不要发某个快递"),
      "快递公司由商家根据仓库和地区选择，一般**不支持指定**。部分商家提供“顺丰包邮”或加价升级，以商品页说明为准。"
      "可在下单备注中说明需求，商家尽量安排。",
      "The merchant chooses the courier; some offer SF Express for a surcharge.",
      ("快递公司", "顺丰"), ("shipping-time",), views=190),
    A("delivery-remote", "tracking", "faq", "偏远地区能配送吗？运费怎么算？", "Delivery to remote areas",
      ("新疆西藏包邮吗", "偏远地区运费", "港澳台能寄吗"),
      "新疆、西藏、青海等**偏远地区**可以配送，但多数商家不包邮，需补运费，时效约 5–10 天。"
      "港澳台及海外地址暂不支持配送。",
      "Remote regions (Xinjiang, Tibet, Qinghai) are served with extra postage; Hong Kong, Macao, Taiwan and "
      "abroad are not.",
      ("偏远地区", "运费", "包邮"), ("courier-choice",), views=170),
    A("package-signed-not-received", "tracking", "faq", "物流显示已签收但我没收到怎么办？", "Marked delivered, not received",
      ("显示签收了但是没收到", "别人签收了我的快递", "快递没送到就显示签收"),
      "请先查看快递柜、驿站、门卫或家人是否代收。仍找不到的，联系快递员或快递公司核实签收人；"
      "48 小时内无结果可在订单详情申请售后，原因选择“未收到货”，平台协助处理。",
      "Check lockers, stations and neighbours first, then the courier; after 48 hours apply for a refund with "
      "'not received'.",
      ("签收", "未收到货"), ("refund-only-not-received", "self-pickup"), views=480),
    A("refuse-delivery", "tracking", "faq", "拒收包裹后怎么退款？", "Refund after refusing a parcel",
      ("拒收了钱怎么退", "不想要了可以拒收吗", "拒签后多久退款"),
      "商品已发货但不想要时可以**拒收**。包裹退回商家后，请在订单详情申请“仅退款”并注明已拒收，商家确认收到退件后退款。"
      "非质量问题拒收产生的来回运费可能由买家承担。",
      "You may refuse a parcel; once it is back with the merchant, apply for a refund noting the refusal.",
      ("拒收", "退款"), ("refund-cancel-order", "damaged-on-arrival"), views=360),
    A("self-pickup", "tracking", "guide", "快递放在快递柜或驿站怎么取？", "Collect from a locker or station",
      ("取件码在哪", "快递柜取件", "驿站取快递要带什么"),
      "包裹放入**快递柜或驿站**后，您会收到含取件码的短信，也可在订单物流详情查看。快递柜超时（一般 18 小时）"
      "可能收取保管费，请及时取件。",
      "You get a pickup code by SMS; lockers may charge after about 18 hours.",
      ("取件码", "驿站", "快递柜"), ("package-signed-not-received",), views=230),
    # ---- 支付 ----
    A("payment-methods", "pay", "faq", "支持哪些支付方式？", "Payment methods",
      ("可以用微信付款吗", "能用信用卡吗", "有哪些付款方式"),
      "支持 **微信支付、支付宝、银联云闪付、储蓄卡和信用卡快捷支付**，以及账户余额和礼品卡。"
      "部分商品支持花呗分期和信用卡分期。暂不支持货到付款。",
      "WeChat Pay, Alipay, UnionPay, debit and credit cards, balance and gift cards; no cash on delivery.",
      ("支付方式",), ("installment", "payment-failed"), views=540),
    A("payment-failed", "pay", "faq", "支付失败怎么办？", "Payment failed",
      ("付款不成功", "支付一直失败", "银行卡付不了款"),
      "常见原因：银行卡余额不足、超出单笔或当日**限额**、网络中断、支付密码错误次数过多。请更换支付方式或稍后重试；"
      "如果已扣款但订单未支付，请看“付款成功但订单显示未支付”。",
      "Usually insufficient funds, card limits, network trouble or too many wrong passwords; try another method.",
      ("支付失败", "限额"), ("payment-deducted-no-order", "payment-methods"), views=470),
    A("payment-deducted-no-order", "pay", "faq", "钱扣了但订单显示未付款怎么办？", "Charged but the order is unpaid",
      ("扣款了订单还是待付款", "重复扣款", "付了钱没有订单"),
      "可能是支付结果延迟回传，请等待 **30 分钟**后刷新订单。若订单仍未支付，扣款会在 1–3 个工作日内**自动退回**原账户；"
      "重复扣款同样会自动退回。超时未退回请联系客服并提供支付凭证截图。",
      "The payment result may be delayed; unmatched charges are refunded automatically within 1–3 working days.",
      ("扣款", "未付款", "重复扣款"), ("payment-failed", "refund-original-route"), views=330),
    A("installment", "pay", "faq", "怎么分期付款？有免息吗？", "Instalments and interest-free offers",
      ("花呗分期怎么用", "信用卡分期手续费", "可以分期吗"),
      "支持**花呗分期**和**信用卡分期**（3/6/12 期），支付时选择分期数即可。标有“免息”的商品由商家承担手续费；"
      "其他商品按各机构费率收取。提前还款或退款后分期会相应取消。",
      "Huabei and credit-card instalments (3/6/12 months); items marked interest-free carry no fee.",
      ("分期", "花呗", "免息"), ("payment-methods", "refund-original-route"), views=400),
    A("payment-password", "account", "guide", "如何设置或修改支付密码？", "Set or change the payment password",
      ("忘记支付密码", "改支付密码", "支付密码锁定了"),
      "进入**账户设置 → 安全中心 → 支付密码**，通过短信验证码验证后即可设置或修改。连续输错 5 次将锁定 3 小时，"
      "可通过“忘记支付密码”验证身份后重置。",
      "Account settings → Security → Payment password; five wrong tries lock it for 3 hours.",
      ("支付密码",), ("account-password-reset",), views=260),
    # ---- 发票 ----
    A("invoice-how-to", "invoices", "guide", "如何申请发票？", "How to get an invoice",
      ("怎么开发票", "电子发票在哪下载", "发票什么时候开"),
      "下单时可选择开具**电子发票**并填写抬头；下单时未选的，可在确认收货后 **180 天内**到订单详情点击“申请开票”。"
      "电子发票开具后发送到您的邮箱，也可在订单详情下载 PDF。",
      "Choose an e-invoice at checkout or request one within 180 days of delivery; it is emailed and can be "
      "downloaded.",
      ("发票", "电子发票"), ("invoice-vat-special", "invoice-modify"), views=780),
    A("invoice-vat-special", "invoices", "guide", "怎么开增值税专用发票？", "VAT special invoices for companies",
      ("公司报销要专票", "开专票需要什么资料", "增值税专票"),
      "企业用户可申请**增值税专用发票**，需提供：单位名称、纳税人识别号、注册地址、电话、开户银行及账号。"
      "首次开专票需在“发票管理”提交资质审核，审核通过后纸质专票随货寄出或单独邮寄。",
      "Companies can request a VAT special invoice after submitting their tax details once for review.",
      ("增值税专用发票", "专票", "报销"), ("invoice-how-to",), views=350),
    A("invoice-modify", "invoices", "faq", "发票抬头开错了能重开吗？", "Reissue an invoice with the wrong title",
      ("发票信息写错了", "换发票抬头", "发票重开"),
      "电子发票开具后可在订单详情点击**换开发票**，修改抬头或税号，原发票作废后重新开具，每个订单可换开 1 次。"
      "纸质专票需先将原发票寄回。",
      "E-invoices can be reissued once with a corrected title or tax number; paper VAT invoices must be returned "
      "first.",
      ("发票", "重开", "抬头"), ("invoice-how-to",), views=290),
    A("invoice-after-return", "invoices", "faq", "退货后发票怎么处理？", "Invoices when you return an item",
      ("退货要退发票吗", "部分退货发票怎么办", "退款后发票作废"),
      "全部退货时，电子发票将自动**红冲作废**，无需操作；纸质发票需随商品一起寄回。部分退货的，"
      "原发票作废后按实际金额重新开具。",
      "A full return cancels the e-invoice automatically; partial returns get a new invoice for the remaining "
      "amount.",
      ("发票", "退货"), ("invoice-how-to", "return-how-to-apply"), views=200),
    # ---- 账户与安全 ----
    A("account-verification-code", "account", "faq", "收不到短信验证码怎么办？", "No SMS verification code",
      ("验证码收不到", "登录没有验证码", "短信一直不来"),
      "请确认手机号填写正确、信号正常，检查短信是否被**拦截**到垃圾箱。同一号码 1 小时内最多获取 5 次验证码。"
      "仍收不到可尝试语音验证码，或用账号密码登录。",
      "Check the number, signal and spam filter; at most 5 codes an hour; try a voice code.",
      ("验证码", "登录"), ("account-password-reset",), views=450),
    A("account-change-phone", "account", "guide", "如何更换绑定的手机号？", "Change the linked phone number",
      ("手机号换了", "换绑手机", "原来的号码不用了"),
      "进入**账户设置 → 安全中心 → 手机号**，原手机号可用时验证旧号后绑定新号；原号码已停用的，"
      "需上传身份证照片进行人工审核，1–2 个工作日完成。",
      "Security centre → Phone: verify the old number, or if it is gone, submit ID for a manual check.",
      ("绑定手机", "换绑"), ("account-stolen",), views=310),
    A("account-password-reset", "account", "guide", "忘记登录密码怎么办？", "Forgot the sign-in password",
      ("密码忘了", "重置密码", "登录不上去"),
      "在登录页点击**忘记密码**，通过绑定手机号接收验证码后设置新密码。新密码需 8 位以上并包含字母和数字。",
      "Use 'Forgot password' on the sign-in page and verify by SMS; new passwords need 8+ characters with letters "
      "and digits.",
      ("密码", "登录"), ("account-verification-code", "payment-password"), views=520),
    A("account-stolen", "account", "faq", "账号被盗或有异常登录怎么办？", "Account hacked or strange sign-ins",
      ("账号被别人登录了", "账户被盗", "有陌生订单"),
      "请立即**修改登录密码和支付密码**，在安全中心“登录设备管理”中退出陌生设备。发现非本人下单的，"
      "立即联系客服冻结账户并取消订单，平台将协助追回损失。官方客服不会索要验证码。",
      "Change both passwords at once, sign out unknown devices, and contact us to freeze the account. We never "
      "ask for your codes.",
      ("账号安全", "被盗"), ("account-change-phone", "payment-password"), views=280),
    A("account-close", "account", "process", "如何注销账号？", "Close my account",
      ("注销账户", "删除账号", "不想用了怎么注销"),
      "进入**账户设置 → 安全中心 → 注销账号**。注销前需满足：无未完成订单和售后、无未使用的余额。"
      "注销后账户信息、积分、优惠券将被清除且**无法恢复**，有 15 天冷静期。",
      "Security centre → Close account, once no orders or refunds are open; there is a 15-day cooling-off period.",
      ("注销账号",), ("account-stolen",), views=160),
    A("real-name", "account", "faq", "为什么要实名认证？怎么认证？", "Real-name verification",
      ("实名认证怎么做", "一定要实名吗", "身份证认证"),
      "依据相关法规，提现、购买跨境商品或开通分期时需要**实名认证**。在安全中心填写姓名和身份证号，"
      "并完成人脸识别即可。您的证件信息加密保存，仅用于身份核验。",
      "Real-name verification is required for withdrawals, cross-border goods and instalments; ID data is "
      "stored encrypted.",
      ("实名认证", "身份证"), ("account-stolen",), views=180),
    # ---- 优惠券与积分 ----
    A("coupon-how-to-use", "coupons", "guide", "优惠券怎么使用？", "How to use coupons",
      ("优惠券怎么用不了", "结算时怎么用券", "领的券在哪"),
      "领到的优惠券在**我的 → 优惠券**查看。结算时系统会自动选择最优的券，也可手动更换。"
      "每张券有使用门槛（如满 199 减 20）、适用商品和有效期，不满足条件时无法使用。",
      "Coupons are in Me → Coupons and applied automatically at checkout when their threshold and scope are met.",
      ("优惠券",), ("coupon-refund", "full-reduction"), views=690),
    A("coupon-refund", "coupons", "faq", "退款后优惠券会退还吗？", "Are coupons returned after a refund?",
      ("退货后券还能用吗", "优惠券过期了能退吗", "用了券退款怎么算"),
      "整单退款时，未过期的优惠券**自动退回**账户；已过期的券不再退还。部分退款时优惠券不退，"
      "退款金额按优惠分摊后的实付金额计算。",
      "On a full refund an unexpired coupon comes back; partial refunds keep the coupon and refund the "
      "discounted price.",
      ("优惠券", "退款"), ("coupon-how-to-use", "full-reduction"), views=410),
    A("full-reduction", "coupons", "policy", "满减活动规则与退货计算", "Spend-and-save rules",
      ("满减怎么算", "满300减50退一件怎么退", "跨店满减"),
      "**满减**按订单中参与活动商品的总价计算，优惠金额按商品价格比例分摊。退货时按分摊后的实付金额退款；"
      "退货后剩余商品不再满足门槛的，不会追扣优惠。跨店满减可与店铺优惠券叠加使用。",
      "Spend-and-save discounts are shared across items by price; returns refund each item's discounted price.",
      ("满减", "退货"), ("coupon-refund",), views=370),
    A("points", "coupons", "faq", "积分怎么获得和使用？", "Earning and using points",
      ("积分有什么用", "积分怎么赚", "积分会过期吗"),
      "确认收货后按实付金额获得**积分**（1 元 = 1 积分），评价晒单另有奖励。积分可在结算时抵扣现金（100 积分 = 1 元）"
      "或兑换优惠券。积分有效期至次年 12 月 31 日。",
      "Earn one point per yuan on delivery; 100 points are worth 1 yuan at checkout; points last until the end of "
      "the next year.",
      ("积分",), ("coupon-how-to-use", "membership-benefits"), views=250),
    # ---- 会员 ----
    A("membership-benefits", "membership", "faq", "付费会员有哪些权益？", "Paid membership benefits",
      ("会员有什么好处", "开会员值不值", "PLUS会员权益"),
      "付费会员年费 99 元，权益包括：每月**免运费券** 5 张、会员专享价、每月 1 张 20 元无门槛券、"
      "退货免费上门取件、专属客服通道。",
      "The 99-yuan annual membership brings free-shipping coupons, member prices, a monthly coupon, free return "
      "pickups and a priority support line.",
      ("会员", "权益"), ("membership-renewal", "vip-levels"), views=330),
    A("membership-renewal", "membership", "guide", "如何取消会员自动续费？", "Turn off membership auto-renewal",
      ("会员自动扣费", "关闭自动续费", "会员退费"),
      "进入**我的 → 会员中心 → 管理自动续费**关闭即可；也可在微信或支付宝的“自动扣款”中解约。"
      "已扣费且未使用任何权益的，7 天内可申请退还会员费。",
      "Member centre → Manage auto-renewal, or cancel the direct debit in WeChat/Alipay; unused renewals are "
      "refundable within 7 days.",
      ("会员", "自动续费"), ("membership-benefits",), views=290),
    A("vip-levels", "membership", "faq", "会员等级怎么升级？", "How member levels work",
      ("怎么升级会员等级", "成长值是什么", "金牌会员"),
      "会员等级按近 12 个月的**成长值**评定：普通、银牌、金牌、钻石。购物、评价、签到可获得成长值。"
      "等级越高，专属折扣和客服优先级越高。",
      "Levels (regular, silver, gold, diamond) follow growth points from the last 12 months of shopping and "
      "reviews.",
      ("会员等级", "成长值"), ("membership-benefits", "points"), views=200),
    # ---- 客服内部 ----
    A("desk-refund-escalation", "service-desk", "process", "退款异常升级流程（客服内部）", "Escalating refund problems (internal)",
      ("退款超时未到账升级", "退款异常怎么处理"),
      "退款超过承诺时效 **3 个工作日**仍未到账：\n\n1. 在工单中核对支付流水号；\n2. 转“支付组”并将优先级设为高；\n"
      "3. 向客户承诺 24 小时内回电，不得承诺具体到账日期。",
      "Refunds 3 working days overdue: check the payment reference, transfer to the payments team at high "
      "priority, promise a call-back within 24 hours.",
      ("退款", "升级"), ("refund-timeline",), audience="internal", views=90),
    A("desk-compensation", "service-desk", "policy", "客诉补偿标准（客服内部）", "Compensation guidelines (internal)",
      ("补偿券发多少", "客户要求赔偿"),
      "- 延迟发货：订单金额 5%，上限 50 元优惠券；\n- 物流破损补发延误：10 元无门槛券；\n- 客服过错：20 元无门槛券，需主管审批。\n\n"
      "补偿一律以优惠券形式发放，不发现金。",
      "Late shipping 5% up to 50 yuan as a coupon; damaged-parcel delays 10 yuan; agent mistakes 20 yuan with "
      "supervisor approval. Never cash.",
      ("补偿", "赔偿"), ("urge-shipment",), audience="internal", views=80),
    A("desk-fraud-signs", "service-desk", "guide", "识别恶意退货与薅羊毛（客服内部）", "Spotting return abuse (internal)",
      ("恶意退款怎么识别", "职业索赔"),
      "警示信号：同一地址多账号频繁仅退款、退回商品与原商品不符（调包）、要求线下转账。"
      "发现可疑情况请在工单添加“风控”标签并转风控组，不要直接拒绝客户。",
      "Warning signs: many refund-only claims from one address, swapped items, requests for off-platform "
      "payment. Tag 'risk' and transfer; do not refuse outright.",
      ("风控", "恶意退货"), ("refund-only-not-received",), audience="internal", views=60),
)

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("退款", "退钱", "返款", "退费"),
    ("快递", "物流", "包裹", "运单"),
    ("运费", "邮费", "快递费", "运费险"),
    ("发票", "开票", "专票", "普票"),
    ("退货", "退回", "寄回", "退还"),
    ("换货", "调换", "更换"),
    ("维修", "修理", "保修", "返修", "报修", "送修"),
    ("优惠券", "券", "红包", "折扣券"),
    ("发货", "出库", "寄出"),
    ("签收", "收货", "收到"),
    ("投诉", "举报", "不满意"),
    ("密码", "口令"),
    ("账号", "账户", "帐号"),
    ("会员", "vip", "plus"),
    ("破损", "压坏", "摔坏", "碎了"),
    ("坏", "故障", "瑕疵", "质量问题"),
    ("手机号", "手机", "号码"),
    ("分期", "花呗", "白条"),
    ("付款", "支付", "扣款", "付钱"),
    ("地址", "收货地址"),
    ("多久", "多长时间", "几天", "时间"),
    ("价保", "保价", "差价", "降价", "便宜"),
    ("少件", "少了", "少发", "漏发", "只收到"),
    ("错发", "发错", "不一样", "不对"),
)

