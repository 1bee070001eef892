"""Chinese word segmentation with jieba, shared by the knowledge and ticket search indexes, their queries and
the FAQ drafts: one function, so a word is cut the same way wherever it is stored or looked up.

PostgreSQL's parsers treat a run of Chinese characters as one word, so text is segmented here
and stored as space-joined tokens under the 'simple' configuration (no stemming, no stop list).
"""

import re
from functools import lru_cache

import jieba

# Words of this trade jieba's general dictionary splits wrongly ("退货运费" → 退/货运/运费).
DOMAIN_WORDS = (
    "退货", "退款", "退钱", "换货", "运费", "运费险", "催发货", "发货", "到账", "原路退回", "7天无理由",
    "无理由退货", "价保", "保价", "保修", "维修", "以旧换新", "优惠券", "满减", "红包", "积分", "会员",
    "发票", "增值税专用发票", "电子发票", "花呗", "白条", "分期", "免息", "快递", "物流", "签收", "拒收",
    "收货地址", "支付密码", "实名认证", "绑定手机", "注销账号", "投诉", "客服", "售后", "质量问题", "破损",
    "少件", "错发", "漏发", "自提", "上门取件", "运单号", "换绑", "验证码", "国补", "补差价",
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


def segment(text: str) -> list[str]:
    """Search tokens of `text`, lower-cased, without punctuation or stop words, in order."""
    tokens = []
    # HMM off: unknown words fall apart into characters the same way in articles and in queries,
    # and segmentation runs over twice as fast, which is what bounds the index build.
    for token in _tokenizer().cut_for_search(text.lower(), HMM=False):
        token = token.strip()
        if token and _WORD.match(token) and token not in STOPWORDS:
            tokens.append(token)
    return tokens


def index_text(*parts: str) -> str:
    return " ".join(token for part in parts for token in segment(part))
