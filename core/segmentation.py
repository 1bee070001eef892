"""Chinese word segmentation with jieba, shared by the knowledge and ticket search indexes, their queries and
the FAQ drafts: one function, so a word is cut the same way wherever it is stored or looked up.

PostgreSQL's parsers treat a run of Chinese characters as one word, so text is segmented here
and stored as space-joined tokens under the 'simple' configuration (no stemming, no stop list).
"""

import re
from functools import lru_cache

import jieba
from jieba import re_han_default as _JIEBA_BLOCK

# Words of this trade jieba's general dictionary splits wrongly ("退货运费" → 退/货运/运费).
DOMAIN_WORDS = (
    "退货", "退款", "退钱", "换货", "运费", "运费险", "催发货", "发货", "到账", "原路退回", "7天无理由",
    "无理由退货", "价保", "保价", "保修", "维修", "以旧换新", "优惠券", "满减", "红包", "积分", "会员",
    "发票", "增值税专用发票", "电子发票", "花呗", "白条", "分期", "免息", "快递", "物流", "签收", "拒收",
    "收货地址", "支付密码", "实名认证", "绑定手机", "注销账号", "投诉", "客服", "售后", "质量问题", "破损",
    "少件", "错发", "漏发", "自提", "上门取件", "运单号", "换绑", "验证码", "国补", "补差价",
    "货到付款", "代付", "提现", "限额", "对公转账", "抬头", "税号", "纳税人识别号", "专票", "纸质发票",
    "当日达", "次日达", "送货上门", "送货上楼", "上门安装", "丢件", "确认收货", "延长收货", "追评", "差评", "好评",
    "缺货", "违约金", "吊牌", "赠品", "验货", "撤销", "部分退款", "正品", "假货", "高仿", "防伪码", "鉴定",
    "自营", "翻新机", "延迟发货", "描述不符", "先行赔付", "平台介入", "隐私面单", "虚拟号", "异地登录", "冻结",
    "营销短信", "人工客服", "客服电话", "回电", "留言", "秒杀", "拼团", "新人礼包", "礼品卡", "购物卡", "礼品包装",
    "海外购", "跨境", "清关", "保税仓", "直邮", "预售", "定金", "尾款", "到货通知", "库存", "坏果", "话费",
    "充值", "快递柜", "驿站", "取件码", "过保", "入驻", "保证金", "余额", "包邮", "转人工", "真人", "没收到", "未收到",
    "收到货",
)
_STOPWORDS_TEXT = (
    "的 了 吗 呢 吧 啊 呀 么 嘛 我 你 他 她 它 我们 你们 是 在 有 和 与 或 就 都 也 还 又 要 想 请问 请 问 问下 "
    "一下 下 个 这 那 这个 那个 怎么 怎么办 怎样 如何 什么 为什么 为何 哪 哪里 哪儿 多少 几 能 能不能 可以 可不可以 "
    "会 会不会 吗 么 呢 得 地 着 过 给 被 把 让 对 从 到 自己 一个 现在 已经 还是 没有 没 不 a an the is are of to "
    "i my me do does can how what why when where for on in it"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
MAX_QUERY_CHARS = 200
_WORD = re.compile(r"^\w+$")


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    # A tokenizer of our own, so domain words never leak into other users of jieba's global one.
    tokenizer = jieba.Tokenizer()
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word, freq=200_000)
    return tokenizer


def warm_up() -> None:
    """Load jieba's dictionary now rather than in the first search after a start (it took 2.9 s there):
    called as the web server and the workers start (service_center/asgi.py, service_center/celery.py),
    not in AppConfig.ready, which every management command and test process would pay for."""
    segment("退款多久到账")


def segment(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """Search tokens of `text`, lower-cased, without punctuation or `stopwords`, in order."""
    tokens = []
    # Cut block by block as jieba's own cut does (runs of CJK ideographs, ASCII letters and digits; anything
    # else is one token per character), so the result is the same, but each block's words are remembered: mail and
    # messages repeat their words, and a cached block costs a dictionary look-up instead of a DAG search.
    for number, block in enumerate(_JIEBA_BLOCK.split(text.lower())):
        words = _block_words(block) if number % 2 else tuple(char for char in block if _WORD.match(char))
        tokens += [word for word in words if word not in stopwords]
    return tokens


@lru_cache(maxsize=65536)
def _block_words(block: str) -> tuple[str, ...]:
    # HMM off: unknown words fall apart into characters the same way in articles and in queries,
    # and segmentation runs over twice as fast, which is what bounds the index build.
    words = (word.strip() for word in _tokenizer().cut_for_search(block, HMM=False))
    return tuple(word for word in words if word and _WORD.match(word))


@lru_cache(maxsize=65536)
def cut_words(block: str) -> tuple[str, ...]:
    """jieba's precise cut of a run of Chinese characters (HMM off: a run jieba does not know falls apart into
    single characters), whatever it holds."""
    return tuple(_tokenizer().cut(block, HMM=False))


def is_dictionary_word(word: str) -> bool:
    """Whether jieba's dictionary (with the domain words) knows `word`."""
    tokenizer = _tokenizer()
    tokenizer.check_initialized()
    return bool(tokenizer.FREQ.get(word))


def index_text(*parts: str) -> str:
    return " ".join(token for part in parts for token in segment(part))
