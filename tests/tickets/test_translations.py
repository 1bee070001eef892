from django.utils import translation

from tickets.models import Priority, Status


def test_ticket_strings_have_chinese() -> None:
    with translation.override("zh-hans"):
        assert str(Status.PENDING.label) == "待客户回复"
        assert str(Priority.URGENT.label) == "紧急"
        assert translation.gettext("Another agent has already taken this ticket.") == "该工单已被其他客服领取。"


def test_email_channel_strings_have_chinese() -> None:
    from tickets.models import EmailMessage, Mailbox

    with translation.override("zh-hans"):
        assert str(EmailMessage.Outcome.SENT.label) == "已发送"  # not the chat catalog's delivery tick
        assert str(Mailbox._meta.get_field("address").verbose_name) == "邮箱地址"
        assert translation.gettext("E-mail bounced") == "邮件被退回"
        assert translation.gettext("Automatic reply from %(sender)s:\n\n%(body)s") == (
            "%(sender)s 的自动回复：\n\n%(body)s")  # noqa: RUF001
        assert translation.gettext("Attachments not kept (type not accepted): %(names)s") == (
            "未保留的附件（类型不受支持）：%(names)s")  # noqa: RUF001
