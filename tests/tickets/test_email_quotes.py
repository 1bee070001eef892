"""Quote stripping and HTML-to-text for inbound mail, in the forms real mail clients write."""

# ruff: noqa: RUF001  (Chinese mail clients write full-width punctuation)

import pytest

from tickets.channels.email.parsing import html_to_text
from tickets.channels.email.quotes import strip_quotes


@pytest.mark.parametrize(("text", "reply"), [
    # Gmail, one line and wrapped over two.
    ("Still nothing.\n\nOn Sun, Nov 22, 2026 at 10:00 AM Support <support@shop.example> wrote:\n> Any news?",
     "Still nothing."),
    ("Still nothing.\n\nOn Sun, Nov 22, 2026 at 10:00 AM Customer Service Center <support@shop.example>\nwrote:\n"
     "> Any news?", "Still nothing."),
    # Outlook.
    ("Thanks!\n\n-----Original Message-----\nFrom: Support\nSent: Sunday\nSubject: Re: order", "Thanks!"),
    ("Thanks!\n________________________________\nFrom: Support <support@shop.example>\nSent: 22 November 2026\n"
     "To: me", "Thanks!"),
    # QQ Mail, NetEase, Foxmail.
    ("收到了，谢谢\n\n在 2026年11月22日 10:00，客服中心 <support@shop.example> 写道：\n> 请提供订单号", "收到了，谢谢"),
    ("好的\n\n------------------ 原始邮件 ------------------\n发件人: 客服中心\n发送时间: 2026年11月22日", "好的"),
    ("好的\n发件人：客服中心 <support@shop.example>\n发送时间：2026年11月22日\n收件人：我\n主题：回复", "好的"),
    # Inline "> " lines between the customer's own lines are dropped; the rest stays.
    ("> Which order?\nOrder 123\n> And the address?\nBeijing", "Order 123\nBeijing"),
])
def test_quoted_history_is_cut(text: str, reply: str) -> None:
    assert strip_quotes(text) == reply


@pytest.mark.parametrize("text", [
    "From: the warehouse, the parcel left on Monday.",
    "On Monday I ordered two.\nIt wrote: nothing",
    "我在北京写道路名。",
])
def test_ordinary_lines_that_look_like_markers_are_kept(text: str) -> None:
    assert strip_quotes(text) == text


def test_a_mail_that_is_only_a_quote_keeps_its_text() -> None:
    assert strip_quotes("> only quoted") == "> only quoted"


def test_html_to_text_keeps_blocks_drops_scripts_and_unescapes_entities() -> None:
    html = ("<div>你好<br>第二行</div><ul><li>一</li><li>二</li></ul><style>.x{}</style>"
            "<script>alert('x')</script><p>&lt;b&gt;not bold&lt;/b&gt; &amp; more</p>")

    assert html_to_text(html) == "你好\n第二行\n\n一\n\n二\n\n<b>not bold</b> & more"
