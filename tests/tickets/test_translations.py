from django.utils import translation

from tickets.models import Priority, Status


def test_ticket_strings_have_chinese() -> None:
    with translation.override("zh-hans"):
        assert str(Status.PENDING.label) == "待客户回复"
        assert str(Priority.URGENT.label) == "紧急"
        assert translation.gettext("Another agent has already taken this ticket.") == "该工单已被其他客服领取。"
