from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.workflow import TransitionNotAllowed
from profiles.models import User
from tickets import services
from tickets.models import CannedResponse, Notification, Status, Ticket


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Assertions below read the English messages; pages default to Chinese.
    with translation.override("en"):
        yield



def test_merge_moves_messages_and_closes_source_with_link(make_ticket: Callable[..., Ticket],
                                                          make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    source = make_ticket(subject="快递丢了", tags=["物流"])
    target = make_ticket(subject="包裹没收到")
    services.ticket_merge(source=source, target=target, actor=agent)
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.status == Status.CLOSED and source.merged_into == target
    assert source.messages.count() == 0
    assert target.messages.filter(kind="reply").count() == 2 and target.messages.filter(kind="note").count() == 1
    assert target.tags == ["物流"]
    assert source.history.latest().history_change_reason == f"merged into {target.number}"
    with pytest.raises(ValidationError):
        services.ticket_merge(source=source, target=target, actor=agent)
    late = services.ticket_reply(ticket=source, author=source.customer, body="补充一张照片")
    assert late.ticket_id == target.pk
    source.refresh_from_db()
    assert source.status == Status.CLOSED


def test_merge_refuses_other_customers_ticket(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                              make_user: Callable[..., User]) -> None:
    with pytest.raises(ValidationError, match="same customer"):
        services.ticket_merge(source=make_ticket(), target=make_ticket(customer=make_user("customer")),
                              actor=make_agent())


def test_open_child_blocks_solving_parent_unless_supervisor_overrides(
    make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], supervisor: User
) -> None:
    agent = make_agent()
    parent = make_ticket()
    child = services.ticket_create_child(parent=parent, actor=agent, subject="请仓库核实", body="核实出库记录")
    assert child.parent == parent and child.customer_id == parent.customer_id
    with pytest.raises(TransitionNotAllowed, match="sub-tickets") as caught:
        services.ticket_transition(ticket=parent, target=Status.SOLVED, actor=agent)
    assert Status.SOLVED not in caught.value.allowed
    with pytest.raises(services.NotAllowed):
        services.ticket_transition(ticket=parent, target=Status.SOLVED, actor=agent, override=True)
    assert services.ticket_transition(ticket=parent, target=Status.SOLVED, actor=supervisor,
                                      override=True).status == Status.SOLVED
    other = make_ticket()
    child2 = services.ticket_create_child(parent=other, actor=agent, subject="子工单", body="内容")
    services.ticket_transition(ticket=child2, target=Status.SOLVED, actor=agent)
    assert services.ticket_transition(ticket=other, target=Status.SOLVED, actor=agent).status == Status.SOLVED
    with pytest.raises(ValidationError):
        services.ticket_create_child(parent=child2, actor=agent, subject="孙工单", body="内容")


def test_link_and_unlink(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    first, second = make_ticket(), make_ticket()
    services.ticket_link(ticket=first, other=second, actor=agent)
    assert list(second.linked.all()) == [first]
    services.ticket_link(ticket=second, other=first, actor=agent, unlink=True)
    assert not first.linked.exists()


def test_note_mentions_notify_desk_users_only(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                             customer: User, django_capture_on_commit_callbacks: Any) -> None:
    author = make_agent(user__username="lina")
    colleague = make_agent(user__username="wangfang")
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        note = services.ticket_add_note(ticket=ticket, author=author,
                                        body=f"@wangfang 帮忙看下 @lina @{customer.username} @nobody")
    assert note.is_note
    assert list(Notification.objects.values_list("recipient", "kind")) == [(colleague.pk, "mention")]
    with pytest.raises(services.NotAllowed):
        services.ticket_add_note(ticket=ticket, author=customer, body="我也想写备注")


def test_canned_response_variables_render_safely(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                                 customer: User) -> None:
    agent = make_agent()
    ticket = make_ticket(order_number="DD8812")
    shared = CannedResponse.objects.create(
        title="催发货", body="{{ customer.name }}您好，工单{{ticket.number}}对应订单{{ order.number }}已催仓库。"  # noqa: RUF001
                             "{{ customer.user.password }}{% load x %}",
    )
    text = services.canned_response_render(response=shared, ticket=ticket, user=agent)
    assert text == (f"{customer}您好，工单{ticket.number}对应订单DD8812已催仓库。"  # noqa: RUF001
                    "{{ customer.user.password }}{% load x %}")
    personal = CannedResponse.objects.create(title="mine", body="{{ agent.name }}", owner=make_agent())
    with pytest.raises(services.NotAllowed):
        services.canned_response_render(response=personal, ticket=ticket, user=agent)
