"""core.segmentation cuts text block by block with a cache of each block's words; the tokens must be exactly those
of jieba's own cut of the whole text, or stored search documents and new queries would stop matching."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from core.segmentation import STOPWORDS, _tokenizer, segment

# Ideographs and domain words, ASCII words and the symbols jieba keeps inside a block, other letters (one token per
# character), full-width forms, CJK punctuation, whitespace of every kind, an ideograph outside jieba's block range.
_PIECES = st.sampled_from(["退货运费", "7天无理由", "订单", "发货", "没有", "order", "DD0001", "c++", "a.b", "50%",
                           "x-y", "é", "ü", "かな", "한글", "\uff21\uff11", "\uff0c", "。", "!", " ", "\n", "\r\n",
                           "\t", "\u3000",
                           "\U00020000", "🙂", "the", "我"])


def _whole_text(text: str) -> list[str]:
    """What segment() gave before the cache: jieba over the whole text, words only, stop words left out."""
    tokens = (token.strip() for token in _tokenizer().cut_for_search(text.lower(), HMM=False))
    return [token for token in tokens if re.fullmatch(r"\w+", token) and token not in STOPWORDS]


def test_mail_text_is_cut_as_jieba_cuts_it() -> None:
    text = "您好，订单DD00001234还没有发货！Where is my order? 退货运费 7天无理由 c++ 50% é\r\n谢谢"  # noqa: RUF001
    assert segment(text) == _whole_text(text)
    assert segment(text) == segment(text)  # the second time from the cache


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_any_mix_of_scripts_is_cut_as_jieba_cuts_it(text: str) -> None:
    assert segment(text) == _whole_text(text)
