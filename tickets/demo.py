# ruff: noqa: RUF001  (Chinese demo text uses full-width punctuation)
"""Demo data for tickets (`manage.py seed_demo`): SLA policies, a calendar, routing and keyword rules,
canned responses, and about forty tickets with conversations. Idempotent: rows are found by name,
tickets by (customer, subject), so a second run creates nothing.
"""

from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from profiles.models import Team, User
from tickets import services
from tickets.models import (
    AgentRegions,
    BusinessCalendar,
    BusinessHours,
    CalendarOverride,
    CannedResponse,
    Category,
    DeskSettings,
    KeywordRule,
    RoutingRule,
    SlaPolicy,
    Status,
    TeamSettings,
    Ticket,
    TicketMessage,
)

CATEGORIES = {"refund": "退款售后", "logistics": "物流配送", "payment": "支付发票", "product": "商品咨询",
              "account": "账户安全"}

# First response minutes per priority (low, normal, high, urgent); phone is fastest, e-mail slowest.
FIRST_RESPONSE = {"phone": (15, 10, 5, 2), "chat": (30, 20, 10, 5), "email": (480, 240, 120, 60),
                  "": (240, 120, 60, 30)}
RESOLUTION = (4320, 2880, 1440, 480)
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNEL_NAMES = {"phone": "电话", "chat": "在线客服", "email": "邮件", "": "通用"}
PRIORITY_NAMES = {"low": "低", "normal": "普通", "high": "高", "urgent": "紧急"}

KEYWORDS = [
    ("退款退货", ["退款", "退货", "换货", "维修", "质量问题"], "aftersales", "refund", ""),
    ("物流配送", ["快递", "物流", "发货", "丢件", "没收到"], "inquiry", "logistics", ""),
    ("支付发票", ["发票", "支付", "扣款", "付款"], "inquiry", "payment", ""),
    ("投诉", ["投诉", "差评", "举报", "欺骗"], "complaint", "", "high"),
    ("建议", ["建议", "希望能"], "suggestion", "", ""),
]

CANNED = [
    ("问候", "greet", "zh-hans", "{{ customer.name }}您好，我是客服{{ agent.name }}，很高兴为您服务。"),
    ("催发货已处理", "ship", "zh-hans",
     "{{ customer.name }}您好，订单{{ order.number }}已为您联系仓库加急，预计24小时内发出，请留意物流信息。"),
    ("退款进度", "refund", "zh-hans",
     "您好，工单{{ ticket.number }}的退款已提交，原路退回一般需要1-3个工作日到账。"),
    ("补开发票", "invoice", "zh-hans", "您好，电子发票将在3个工作日内发送到您的邮箱，请注意查收。"),
    ("结束语", "bye", "zh-hans", "请问还有其他可以帮您的吗？感谢您的耐心，祝您生活愉快！"),
    ("Greeting", "greet-en", "en", "Hello {{ customer.name }}, this is {{ agent.name }}. How can I help you?"),
    ("Refund status", "refund-en", "en",
     "Hello, the refund for ticket {{ ticket.number }} has been issued and should arrive within 1-3 working days."),
    ("Closing", "bye-en", "en", "Is there anything else I can help with? Thank you for your patience."),
]


class DemoTicket(NamedTuple):
    subject: str
    body: str
    channel: str
    region: str
    order: str
    reply: str
    status: str
    agent: str


SCENARIOS = [
    DemoTicket("订单三天了还没发货", "我11月20日下的单，到现在还显示待发货，什么时候能发？", "chat", "北京",
               "DD20261120001", "您好，已联系仓库加急，今天内为您发出。", "pending", "agent4"),
    DemoTicket("耳机左耳没有声音申请退货", "收到的蓝牙耳机左耳完全没声音，重新配对也不行，想退货。", "web", "上海",
               "DD20261118023", "非常抱歉给您带来不便，已为您登记质量问题退货，上门取件时间为明天上午。",
               "open", "agent1"),
    DemoTicket("快递显示已签收但没收到", "物流显示昨天已签收，可是我家里没人收到，门卫也没有。", "phone", "广东",
               "DD20261119102", "已联系快递站点核实签收情况，24小时内给您回复。", "on_hold", "agent6"),
    DemoTicket("申请开具增值税专用发票", "公司采购需要专票，抬头和税号已经填在备注里了，请帮忙开一下。",
               "email", "浙江",
               "DD20261115007", "您好，专票已提交财务，3个工作日内寄出。", "solved", "agent5"),
    DemoTicket("重复扣款两次", "付款时网络卡了一下，结果银行卡被扣了两次钱，请尽快处理退款。", "app", "四川",
               "DD20261121044", "", "new", ""),
    DemoTicket("衣服尺码偏小想换大一码", "平时穿L，这件L明显偏小，想换XL，吊牌还在。", "wechat", "江苏",
               "DD20261117088", "可以为您换货，请在订单页提交换货申请，运费由我们承担。", "pending", "agent2"),
    DemoTicket("投诉客服态度差", "上次咨询的客服回复很敷衍，问题一直没解决，我要投诉。", "phone", "湖北",
               "", "非常抱歉给您不好的体验，已由主管跟进，今天内给您答复。", "open", "agent3"),
    DemoTicket("零食临期了", "收到的坚果礼盒生产日期是半年前，还有一个月就过期了，能退吗？", "web", "陕西",
               "DD20261116031", "", "new", ""),
    DemoTicket("双十一优惠券没有自动抵扣", "结算时满300减40的券没有用上，多付了40元。", "chat", "福建",
               "DD20261111520", "已核实，差价40元将以余额形式返还到您的账户。", "solved", "agent7"),
    DemoTicket("手机屏幕碎了申请保修维修", "手机摔了一下屏幕碎了，还在保修期内，能维修吗？费用多少？", "app", "重庆",
               "DD20261010015", "人为损坏不在免费保修范围，可享受官方维修8折优惠。", "pending", "agent8"),
    DemoTicket("建议增加夜间配送时段", "希望能增加晚上7点以后的配送时段，白天上班收不了快递。", "weibo", "天津",
               "", "感谢您的建议，已反馈给物流团队评估。", "solved", "agent4"),
    DemoTicket("账号异地登录提醒", "收到短信说我的账号在外地登录了，但不是我本人操作，担心被盗。", "sms", "山东",
               "", "已为您冻结账号并重置登录密码，请尽快修改支付密码。", "open", "agent7"),
    DemoTicket("商品页面写的包邮结果收了运费", "页面明明写着全国包邮，下单时却收了8元运费。", "web", "湖南",
               "DD20261120077", "", "new", ""),
    DemoTicket("退款一周了还没到账", "退货已经签收一周了，退款还没到账，请帮忙查一下。", "chat", "河南",
               "DD20261108019", "已加急处理，退款将在24小时内原路退回。", "open", "agent1"),
    DemoTicket("洗衣机安装师傅没按约定上门", "约好今天上午安装，等了一上午没人来，电话也打不通。", "phone", "辽宁",
               "DD20261119066", "非常抱歉，已联系服务商改约明天上午9点，并为您申请了20元补偿。", "on_hold", "agent3"),
    DemoTicket("咨询笔记本电脑能否加装内存", "想买这款轻薄本，请问内存是板载的吗？后期能加装吗？", "chat", "广西",
               "", "这款内存为板载设计，不支持加装，建议选择16G版本。", "solved", "agent7"),
    DemoTicket("包裹外箱破损里面东西摔坏了", "收到时外箱破了，里面的玻璃杯碎了两个。", "app", "云南",
               "DD20261118140", "", "new", ""),
    DemoTicket("会员积分没有到账", "上周买的东西确认收货了，积分一直没加上。", "wechat", "江西",
               "DD20261114033", "积分已为您手动补发，请刷新查看。", "closed", "agent8"),
    DemoTicket("发票抬头开错了需要重开", "发票抬头少了一个字，麻烦作废重开。", "email", "黑龙江",
               "DD20261112009", "已为您作废原发票并重新开具，新发票已发送到邮箱。", "solved", "agent5"),
    DemoTicket("预售商品什么时候发货", "预售的羽绒服说12月初发货，能提前吗？天已经冷了。", "web", "北京",
               "DD20261105090", "", "new", ""),
]


def _calendar() -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="电商客服日历", defaults={"use_statutory_holidays": True, "is_default": True}
    )
    if created:
        BusinessHours.objects.bulk_create(
            [BusinessHours(calendar=calendar, weekday=day, opens_at=time(9), closes_at=time(21)) for day in range(7)]
        )
        CalendarOverride.objects.create(calendar=calendar, date=timezone.localdate().replace(month=12, day=31),
                                        is_open=True, opens_at=time(9), closes_at=time(17), note="年终盘点，提前下班")
    return calendar


def _configuration(teams: dict[str, Team], users: dict[str, User]) -> dict[str, Category]:
    categories = {
        code: Category.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in CATEGORIES.items()
    }
    calendar = _calendar()
    for channel, minutes in FIRST_RESPONSE.items():
        for index, priority in enumerate(PRIORITIES):
            SlaPolicy.objects.get_or_create(channel=channel, priority=priority, defaults={
                "name": f"{CHANNEL_NAMES[channel]}·{PRIORITY_NAMES[priority]}",
                "first_response_minutes": minutes[index], "next_response_minutes": minutes[index] * 2,
                "resolution_minutes": RESOLUTION[index], "calendar": calendar,
            })
    for position, (name, words, ticket_type, category, priority) in enumerate(KEYWORDS, start=1):
        KeywordRule.objects.get_or_create(name=name, defaults={
            "position": position * 10, "keywords": words, "set_type": ticket_type,
            "set_category": categories.get(category), "set_priority": priority,
        })
    rules: list[tuple[str, dict[str, Any], str, tuple[Category, ...]]] = [
        ("钻石会员专席", {"min_vip_level": 4, "set_priority": "high"}, "售后一组", ()),
        ("售后与投诉", {"types": ["aftersales", "complaint"]}, "售后一组", ()),
        ("物流与支付", {}, "物流支付组", (categories["logistics"], categories["payment"])),
        ("售前咨询与其他", {}, "商品咨询组", ()),
    ]
    for position, (name, match, team_name, rule_categories) in enumerate(rules, start=1):
        rule, created = RoutingRule.objects.get_or_create(
            name=name, defaults={"position": position * 10, "team": teams[team_name], **match}
        )
        if created and rule_categories:
            rule.categories.set(rule_categories)
    strategies = {"售后一组": TeamSettings.Strategy.SKILL_LOAD, "物流支付组": TeamSettings.Strategy.ROUND_ROBIN,
                  "商品咨询组": TeamSettings.Strategy.REGION}
    for team_name, strategy in strategies.items():
        TeamSettings.objects.get_or_create(team=teams[team_name], defaults={
            "strategy": strategy, "supervisor": users["supervisor"]})
    AgentRegions.objects.get_or_create(agent=users["agent7"], defaults={"regions": ["广东", "广西", "福建"]})
    AgentRegions.objects.get_or_create(agent=users["agent8"], defaults={"regions": ["四川", "重庆", "云南"]})
    for title, shortcut, language, body in CANNED:
        CannedResponse.objects.get_or_create(title=title, owner=None,
                                             defaults={"shortcut": shortcut, "language": language, "body": body})
    CannedResponse.objects.get_or_create(title="王磊的签名", owner=users["agent1"],
                                         defaults={"body": "售后一组 王磊 工号1001", "shortcut": "sign"})
    DeskSettings.load()
    return categories


def _ticket(scenario: DemoTicket, customer: User, users: dict[str, User], hours_ago: int) -> bool:
    if Ticket.objects.filter(customer=customer, subject=scenario.subject).exists():
        return False
    created_at = timezone.now() - timedelta(hours=hours_ago)
    ticket = services.ticket_create(
        customer=customer, subject=scenario.subject, body=scenario.body, channel=scenario.channel,
        source="demo", region=scenario.region, order_number=scenario.order, now=created_at,
    )
    _backdate(ticket, created_at)
    if not scenario.agent:
        return True
    agent = users[scenario.agent]
    services.ticket_assign(ticket=ticket, assignee=agent, actor=users["supervisor"], force=True)
    reply = services.ticket_reply(ticket=ticket, author=agent, body=scenario.reply,
                                  now=created_at + timedelta(minutes=12))
    _dated(reply, created_at + timedelta(minutes=12))
    if scenario.status in (Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED):
        services.ticket_transition(ticket=ticket, target=scenario.status, actor=agent,
                                   now=created_at + timedelta(minutes=15))
    if scenario.status == Status.OPEN:
        note = services.ticket_add_note(ticket=ticket, author=agent, body="@supervisor 客户比较着急，请关注进度。")
        _dated(note, created_at + timedelta(minutes=13))
    return True


def _backdate(ticket: Ticket, created_at: datetime) -> None:
    """The demo replays the past: the ticket and its opening message were written now but happened then.

    Without this the rows say created now, answered hours ago, and every report duration is negative.
    """
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created_at)
    TicketMessage.objects.filter(ticket=ticket, from_customer=True).update(created_at=created_at)
    ticket.history.filter(history_type="+").update(history_date=created_at)


def _dated(message: TicketMessage, when: datetime) -> None:
    TicketMessage.objects.filter(pk=message.pk).update(created_at=when)


@transaction.atomic
def seed(stdout: Any) -> None:
    users = {user.username: user for user in User.objects.filter(
        username__in=["supervisor", *[f"agent{n}" for n in range(1, 9)]])}
    teams = {team.name: team for team in Team.objects.filter(name__in=["售后一组", "物流支付组", "商品咨询组"])}
    if len(users) < 9 or len(teams) < 3:
        stdout.write("Tickets: profiles demo data missing; skipped.")
        return
    _configuration(teams, users)
    customers = list(User.objects.filter(username__in=[f"customer{n}" for n in range(1, 21)]).order_by("pk"))
    created = 0
    for index, scenario in enumerate(SCENARIOS):
        for copy in range(2):
            customer = customers[(index * 2 + copy) % len(customers)]
            created += _ticket(scenario, customer, users, hours_ago=(index * 2 + copy) * 5 + 1)
    stdout.write(f"Tickets: {created} new demo ticket(s).")
