# ruff: noqa: RUF001  (Chinese text in mails, with full-width punctuation)
"""The mail parser on hostile and real-world shapes: bounds, odd headers, charsets, the whole MIME tree."""

import base64
from email.message import EmailMessage as MimeMessage

import pytest

from tests.tickets.mails import png_bytes, raw
from tickets.channels.email.charsets import decode_bytes, decode_header_text
from tickets.channels.email.mime import safe_filename
from tickets.channels.email.parsing import MailLimitExceeded, MalformedEmail, NotAMail, ParseLimits, parse


def mail(headers: str, body: bytes = b"hello") -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


def nested_multipart(depth: int) -> bytes:
    head = b"From: a@example.com\r\n"
    parts = b""
    for level in range(depth):
        parts += f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
    parts += b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    for level in reversed(range(depth)):
        parts += f"--b{level}--\r\n".encode()
    return head + parts


def gb(text: str) -> str:
    return base64.b64encode(text.encode("gb18030")).decode()


# Bounds: every limit refuses with its name; what used to raise elsewhere is read.

def test_a_from_with_hundreds_of_nested_parentheses_is_read() -> None:
    parsed = parse(mail("From: " + "(" * 600 + "x" + ")" * 600 + " <a@example.com>\nSubject: hi"))

    assert parsed.sender == "a@example.com"


@pytest.mark.parametrize("depth", [31, 500])
def test_mime_nested_too_deep_is_refused_naming_the_limit(depth: int) -> None:
    with pytest.raises(MailLimitExceeded) as refused:
        parse(nested_multipart(depth))

    assert refused.value.limit == "nesting depth" and "nesting depth" in refused.value.reason


def test_mime_nested_within_the_limit_is_read() -> None:
    assert parse(nested_multipart(20)).text == "deep"


@pytest.mark.parametrize(("limits", "message", "limit"), [
    (ParseLimits(parts=50), raw(attachments=tuple((f"{n}.png", png_bytes(), "image/png") for n in range(60))),
     "part count"),
    (ParseLimits(), mail("From: a@example.com\nSubject: " + "x" * 300_000), "header length"),
    (ParseLimits(headers=100), mail("From: a@example.com\n" + "X-Spam: 1\n" * 200), "header count"),
    (ParseLimits(decoded_bytes=1000), raw(attachments=(("a.bin", b"x" * 5000, "application/octet-stream"),)),
     "decoded size"),
    (ParseLimits(seconds=0), raw(), "parse time"),
    # Bombs refused from the raw bytes, before the standard library's parser spends seconds building them.
    (ParseLimits(), mail("From: a@example.com\nContent-Type: multipart/mixed; boundary=B",
                         b"--B\r\n\r\nx\r\n" * 100_000 + b"--B--\r\n"), "part count"),
    (ParseLimits(), mail("From: a@example.com" + "\nX-A: b" * 200_000), "header count"),
])
def test_each_parse_limit_refuses_naming_itself(limits: ParseLimits, message: bytes, limit: str) -> None:
    with pytest.raises(MailLimitExceeded) as refused:
        parse(message, limits=limits)

    assert refused.value.limit == limit and isinstance(refused.value, MalformedEmail)


@pytest.mark.parametrize("message_id", ["<@>", "<[>", "<a@[>", "<>", "(comment) <x@y>", "<" * 300, "no brackets"])
def test_odd_message_ids_are_read_or_replaced_by_a_content_id(message_id: str) -> None:
    parsed = parse(mail(f"From: a@example.com\nMessage-ID: {message_id}"))

    assert parsed.message_id and len(parsed.message_id) <= 500


def test_a_group_address_in_from_falls_back_to_the_sender_header_and_in_to_is_no_recipient() -> None:
    parsed = parse(mail("From: undisclosed-recipients:;\nSender: Li Na <li.na@example.com>\n"
                        "To: undisclosed-recipients:;, support@shop.example"))

    assert (parsed.sender, parsed.sender_name) == ("li.na@example.com", "Li Na")
    assert parsed.recipients == ["support@shop.example"]


@pytest.mark.parametrize(("header", "expected"), [
    ("Reply-To: r@example.com", "r@example.com"),
    ("Return-Path: <p@example.com>", "p@example.com"),
])
def test_without_a_from_the_reply_address_is_the_sender(header: str, expected: str) -> None:
    assert parse(mail(f"Subject: hi\n{header}")).sender == expected


@pytest.mark.parametrize("message", [b"", b"   \r\n", b"no header here at all", b"\x00\x01\x02 binary"])
def test_bytes_without_a_header_block_are_not_a_mail(message: bytes) -> None:
    with pytest.raises(NotAMail):
        parse(message)


def test_nul_and_control_characters_are_stripped_from_stored_text() -> None:
    parsed = parse(mail("From: =?utf-8?q?Li=00Na?= <a@example.com>\nSubject: =?utf-8?q?a=00b?=", b"hel\x00lo\x07"))

    assert (parsed.sender_name, parsed.subject, parsed.text) == ("LiNa", "ab", "hello")


# Charsets: the declared one through its superset, then detection; never U+FFFD when a clean reading exists.

@pytest.mark.parametrize(("label", "text", "codec"), [
    ("gb2312", "张喆的订单还没有发货", "gb18030"),
    ("GBK", "张喆的订单还没有发货", "gb18030"),
    ("x-gbk", "张喆的订单还没有发货", "gb18030"),
    ("big5", "佢嘅訂單仲未發貨", "big5hkscs"),
    ("iso-8859-1", "“quoted” – café", "cp1252"),
    ("us-ascii", "“quoted” – café", "cp1252"),
    ("us-ascii", "mislabelled UTF-8 – 张伟", "utf-8"),
    ("unicodebig", "张伟 says hi", "utf-16-be"),
    ("x-unknown", "订单没有发货，请尽快处理，谢谢。我的订单号是 DD0001。", "gb18030"),
    (None, "订单没有发货，请尽快处理，谢谢。我的订单号是 DD0001。", "gb18030"),
])
def test_bodies_are_read_through_the_charset_that_covers_their_label(label: str | None, text: str,
                                                                      codec: str) -> None:
    charset = f"; charset={label}" if label else ""
    parsed = parse(mail(f"From: a@example.com\nContent-Type: text/plain{charset}\nContent-Transfer-Encoding: 8bit",
                        text.encode(codec)))

    assert parsed.text == text


def test_gb2312_encoded_words_carrying_gbk_names_are_read_whole() -> None:
    # 喆 is GBK, not GB2312; a client labels it gb2312 anyway, and may split a character across two words.
    name = "张喆".encode("gb18030")
    header = f"=?gb2312?B?{base64.b64encode(name[:3]).decode()}?= =?gb2312?B?{base64.b64encode(name[3:]).decode()}?="
    parsed = parse(mail(f"From: {header} <zz@example.com>\nSubject: =?gb2312?B?{gb('喆的订单')}?="))

    assert (parsed.sender_name, parsed.subject) == ("张喆", "喆的订单")


def test_raw_8bit_headers_are_read_in_the_charset_of_the_body() -> None:
    message = (b"From: \xd5\xc5\xce\xb0 <zw@example.com>\r\nSubject: \xd3\xca\xbc\xfe\xb4\xab\xca\xe4\r\n"
               b"Content-Type: text/plain; charset=gb2312\r\n\r\nbody")

    parsed = parse(message)

    assert (parsed.sender_name, parsed.subject) == ("张伟", "邮件传输")


def test_a_few_broken_bytes_keep_the_declared_charset_rather_than_a_wrong_detection() -> None:
    text = ("Профессионалы.ru — ведущая деловая сеть. " * 40).encode()
    broken = text[:500] + b"\xd1" + text[500:]

    assert decode_bytes(broken, "utf-8").count("\ufffd") == 1 and "Профессионалы" in decode_bytes(broken, "utf-8")


def test_encoded_words_in_an_unknown_charset_are_still_decoded() -> None:
    assert decode_header_text("=?x-unknown?q?caf=C3=A9?=") == "café"
    assert decode_header_text("=?utf-8*en?q?caf=C3=A9?=") == "café"


# Nothing dropped: the whole tree, forwarded mails, nested and inline files, names decoded and made safe.

def test_a_forwarded_mail_is_a_quoted_block_and_an_eml_attachment_with_its_files() -> None:
    inner = MimeMessage()
    inner["From"] = "Shop <orders@shop.example>"
    inner["Subject"] = "订单确认"
    inner.set_content("您的订单 DD0001 已确认。\n\nOn Mon, Shop wrote:\n> old")
    inner.add_attachment(png_bytes(), maintype="image", subtype="png", filename="invoice.png")
    outer = MimeMessage()
    outer["From"] = "张伟 <zw@example.com>"
    outer["Subject"] = "Fwd: 订单确认"
    outer.set_content("请看下面的确认邮件")
    outer.add_attachment(inner)

    parsed = parse(outer.as_bytes())

    assert parsed.text == "请看下面的确认邮件"
    assert "> From: Shop <orders@shop.example>" in parsed.forwarded and "> 您的订单 DD0001 已确认。" in parsed.forwarded
    assert parsed.reply_text.startswith("请看下面的确认邮件\n\n---------- Forwarded message ----------")
    assert [attachment.filename for attachment in parsed.attachments] == ["订单确认.eml", "invoice.png"]
    assert parse(parsed.attachments[0].data).subject == "订单确认"


def test_a_signed_mail_keeps_its_nested_images_and_the_signature() -> None:
    signed = MimeMessage()
    signed["From"] = "a@example.com"
    body = MimeMessage()
    body.set_content("three photos")
    for n in range(3):
        body.add_attachment(png_bytes(), maintype="image", subtype="png", filename=f"photo{n}.png")
    signed.make_mixed()
    signed.attach(body)
    signed.add_attachment(b"-----BEGIN PGP SIGNATURE-----", maintype="application", subtype="pgp-signature",
                          filename="signature.asc")
    signed.replace_header("Content-Type", 'multipart/signed; protocol="application/pgp-signature"; '
                          f'boundary="{signed.get_boundary()}"')

    parsed = parse(signed.as_bytes())

    assert parsed.text == "three photos"
    assert [a.filename for a in parsed.attachments] == ["photo0.png", "photo1.png", "photo2.png", "signature.asc"]


def test_inline_cid_images_of_the_html_alternative_are_kept() -> None:
    message = MimeMessage()
    message["From"] = "a@example.com"
    message.set_content("plain version")
    message.add_alternative('<p>html <img src="cid:logo"></p>', subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, MimeMessage)
    html_part.add_related(png_bytes(), maintype="image", subtype="png", cid="<logo>", filename="logo.png")

    parsed = parse(message.as_bytes())

    assert parsed.text == "plain version" and [a.filename for a in parsed.attachments] == ["logo.png"]


@pytest.mark.parametrize(("disposition", "expected"), [
    ("attachment; filename*=gb2312''%D5%C5%86%B4.pdf", "张喆.pdf"),
    ("attachment; filename*0*=utf-8''%E5%8F%91; filename*1*=%E7%A5%A8.pdf", "发票.pdf"),
    ('attachment; filename="=?utf-8?B?5Y+R56WoLnBkZg==?="', "发票.pdf"),
    ('attachment; filename="../../etc/passwd"', "passwd"),
    ('attachment; filename="C:\\\\Users\\\\x\\\\report.pdf"', "report.pdf"),
    ('attachment; filename="invoice\u202egnp.exe"', "invoicegnp.exe"),
])
def test_attachment_names_are_decoded_and_made_safe(disposition: str, expected: str) -> None:
    message = mail("From: a@example.com\nContent-Type: multipart/mixed; boundary=B",
                   b"--B\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--B\r\nContent-Type: application/pdf\r\n"
                   b"Content-Disposition: " + disposition.encode() + b"\r\n\r\n%PDF-1.4\r\n--B--\r\n")

    assert [attachment.filename for attachment in parse(message).attachments] == [expected]


def test_long_names_keep_their_extension() -> None:
    assert safe_filename("长" * 300 + ".pdf") == "长" * 196 + ".pdf"


def test_calendar_and_tnef_parts_are_kept_as_attachments() -> None:
    message = mail("From: a@example.com\nContent-Type: multipart/mixed; boundary=B",
                   b"--B\r\nContent-Type: text/plain\r\n\r\ninvite\r\n"
                   b"--B\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
                   b"--B\r\nContent-Type: application/ms-tnef\r\n"
                   b"Content-Transfer-Encoding: base64\r\n\r\neJ8+IgAA\r\n--B--\r\n")

    parsed = parse(message)

    assert [attachment.filename for attachment in parsed.attachments] == ["invite.ics", "winmail.dat"]
    assert parsed.attachments[0].data.startswith(b"BEGIN:VCALENDAR")


def test_an_attachment_only_mail_is_read_with_its_file_and_no_text() -> None:
    message = mail("From: a@example.com\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n"
                   "Content-Disposition: attachment; filename=scan.png", base64.b64encode(png_bytes()))

    parsed = parse(message)

    assert parsed.text == "" and [(a.filename, a.data) for a in parsed.attachments] == [("scan.png", png_bytes())]
