"""Invented people and shops for `manage.py seed_demo`: a small Chinese e-commerce marketplace.

Every name, phone number, e-mail, address and ID number here is made up; e-mail domains are the
reserved example.com / example.cn so nothing can reach a real mailbox.
"""

from typing import NamedTuple

DEMO_PASSWORD = "demo12345"  # noqa: S105 (documented demo login, refused outside DEBUG)


class DemoStore(NamedTuple):
    merchant: str
    name: str
    code: str
    staff_username: str
    staff_name: str


class DemoAgent(NamedTuple):
    username: str
    name: str
    team: str
    skills: tuple[str, ...]
    capacity: int


class DemoCustomer(NamedTuple):
    name: str
    phone: str
    email: str
    vip_level: int
    tags: tuple[str, ...]
    address: str
    id_number: str = ""


STORES = [
    DemoStore("米果数码", "米果数码官方旗舰店", "migo-digital", "merchant1_staff", "米果客服主管 钱晨"),
    DemoStore("优织服饰", "优织服饰旗舰店", "youzhi-apparel", "merchant2_staff", "优织店长 吴倩"),
    DemoStore("良味小铺", "良味小铺零食专营店", "liangwei-snacks", "merchant3_staff", "良味运营 郑浩"),
]

SKILLS = {
    "aftersales": "售后",
    "logistics": "物流",
    "payment": "支付",
    "product": "商品咨询",
}

TEAMS = {
    "售后一组": "退款、退货、换货与维修",
    "物流支付组": "配送进度、丢件破损、支付与发票",
    "商品咨询组": "售前咨询、规格参数与活动规则",
}

AGENTS = [
    DemoAgent("agent1", "王磊", "售后一组", ("aftersales",), 6),
    DemoAgent("agent2", "李娜", "售后一组", ("aftersales", "product"), 5),
    DemoAgent("agent3", "张伟", "售后一组", ("aftersales", "logistics"), 8),
    DemoAgent("agent4", "刘洋", "物流支付组", ("logistics",), 6),
    DemoAgent("agent5", "陈静", "物流支付组", ("payment",), 5),
    DemoAgent("agent6", "杨帆", "物流支付组", ("logistics", "payment"), 4),
    DemoAgent("agent7", "赵敏", "商品咨询组", ("product",), 8),
    DemoAgent("agent8", "周婷", "商品咨询组", ("product", "aftersales"), 6),
]

# username -> display name, for the desk roles that are not agents.
SUPERVISOR = ("supervisor", "孙主管")
QA = ("qa", "质检 林悦")
ADMIN = ("admin", "系统管理员")

CUSTOMERS = [
    DemoCustomer("张小明", "13812345678", "zhang.xiaoming@example.com", 3, ("高价值", "复购"),
                 "北京市朝阳区建国路88号SOHO现代城2号楼1203室", "110105199003071234"),
    DemoCustomer("李静怡", "13922334455", "li.jingyi@example.cn", 2, ("复购",),
                 "上海市浦东新区世纪大道100号环球金融中心36层"),
    DemoCustomer("王建国", "13700001111", "wangjianguo@example.com", 0, ("新客",),
                 "广东省深圳市南山区科技园南区高新南七道18号"),
    DemoCustomer("陈雨婷", "13611112222", "chen.yuting@example.com", 4, ("高价值", "会员日活跃"),
                 "浙江省杭州市西湖区文三路259号昌地火炬大厦", "330106199512120028"),
    DemoCustomer("刘子豪", "13533334444", "liuzihao@example.cn", 1, ("价格敏感",),
                 "四川省成都市武侯区天府大道中段666号"),
    DemoCustomer("杨思琪", "18655556666", "yang.siqi@example.com", 2, ("复购", "好评达人"),
                 "江苏省南京市鼓楼区中山北路30号"),
    DemoCustomer("赵一鸣", "18777778888", "zhaoyiming@example.com", 0, (),
                 "湖北省武汉市洪山区珞喻路1037号"),
    DemoCustomer("黄佳慧", "18899990000", "huang.jiahui@example.cn", 3, ("高价值",),
                 "福建省厦门市思明区环岛南路3088号"),
    DemoCustomer("周文博", "15012340001", "zhou.wenbo@example.com", 1, ("售后频繁",),
                 "山东省青岛市市南区香港中路10号"),
    DemoCustomer("吴欣然", "15123450002", "wu.xinran@example.com", 2, ("复购",),
                 "陕西省西安市雁塔区高新路52号"),
    DemoCustomer("徐浩然", "15234560003", "xu.haoran@example.cn", 0, ("新客",),
                 "河南省郑州市金水区花园路39号"),
    DemoCustomer("孙梦瑶", "15345670004", "sun.mengyao@example.com", 4, ("高价值", "复购"),
                 "天津市和平区南京路219号", "120101199808086543"),
    DemoCustomer("马俊杰", "15856780005", "ma.junjie@example.com", 1, (),
                 "重庆市渝中区解放碑民族路188号"),
    DemoCustomer("朱晓婷", "15967890006", "zhu.xiaoting@example.cn", 2, ("会员日活跃",),
                 "湖南省长沙市岳麓区麓山南路932号"),
    DemoCustomer("胡志强", "17712349007", "hu.zhiqiang@example.com", 0, ("价格敏感",),
                 "安徽省合肥市蜀山区长江西路130号"),
    DemoCustomer("郭雅琳", "17823458008", "guo.yalin@example.com", 3, ("好评达人",),
                 "辽宁省大连市中山区人民路50号"),
    DemoCustomer("何嘉伟", "18934567009", "he.jiawei@example.cn", 1, ("售后频繁", "价格敏感"),
                 "云南省昆明市五华区东风西路11号"),
    DemoCustomer("高诗涵", "13145678010", "gao.shihan@example.com", 2, ("复购",),
                 "广西壮族自治区南宁市青秀区民族大道136号"),
    DemoCustomer("林子轩", "13256789011", "lin.zixuan@example.com", 0, ("新客",),
                 "江西省南昌市红谷滩区赣江中大道1218号"),
    DemoCustomer("罗晓雪", "13367890012", "luo.xiaoxue@example.cn", 1, (),
                 "黑龙江省哈尔滨市南岗区西大直街92号"),
]


def customer_username(number: int) -> str:
    return f"customer{number}"


def customer_external_id(number: int) -> str:
    # The id the shop knows the customer by, as an integrator would push it.
    return f"SHOP-C{number:05d}"
