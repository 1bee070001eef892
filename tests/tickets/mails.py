"""Raw test mails built with the standard library, as mail clients and servers would send them."""

import io
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.utils import timezone
from PIL import Image

MAILBOX = "support@shop.example"


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def mail(*, sender: str = "张伟 <zhangwei@example.com>", to: str = MAILBOX, subject: str = "订单一直没有发货",
         body: str = "我三天前下的单，还没有发货。", html: str | None = None, message_id: str | None = None,  # noqa: RUF001
         in_reply_to: str = "", references: str = "", headers: dict[str, str] | None = None,
         attachments: tuple[tuple[str, bytes, str], ...] = ()) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    if html is None:
        message.set_content(body)
    else:
        message.set_content(html, subtype="html")
    for filename, data, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def raw(**kwargs: Any) -> bytes:
    return mail(**kwargs).as_bytes()


def bounce_for(message_id: str, *, recipient: str = "zhangwei@example.com") -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes it, about our mail `message_id`."""
    return (
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        f"To: {MAILBOX}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.com')}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n\r\n'
        "--B1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be "
        "delivered.\r\n"
        "--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <zhangwei@example.com>: Recipient address rejected\r\n"
        "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {MAILBOX}\r\nTo: {recipient}\r\nSubject: Re: x\r\nMessage-ID: <{message_id}>\r\n"
        "--B1--\r\n"
    ).encode()
