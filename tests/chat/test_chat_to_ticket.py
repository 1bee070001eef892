"""An agent turns a chat into a ticket, or adds it to the customer's ticket, with the transcript; once."""

import io
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from chat import services
from chat.errors import ChatError
from chat.models import Conversation
from profiles.models import AgentProfile, Team, User
from tests.chat.factories import chat_with_agent, say
from tests.clients import logged_in
from tests.conftest import ALL_ROLES
from tests.factories import TeamFactory
from tests.pages.conftest import Outcome, assert_outcome, page_text
from tickets import services as ticket_services
from tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ticket_media(settings: object, tmp_path: object) -> None:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture
def team(db: None) -> Team:
    return TeamFactory.create()


@pytest.fixture
def customer(make_user: Callable[..., User]) -> User:
    return make_user("customer", user__display_name="周小芸")


@pytest.fixture
def agent(make_user: Callable[..., User], team: Team) -> User:
    user = make_user("agent", user__display_name="王磊")
    user.agent_profile.teams.add(team)
    return user


@pytest.fixture
def conversation(customer: User, agent: User) -> Conversation:
    """A chat with text, an image, an edited and a recalled message."""
    conversation = chat_with_agent(customer, agent)
    say(conversation, customer, "我的快递三天没更新了")
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buffer, "PNG")
    image = services.attachment_upload(conversation_id=conversation.pk, user=customer, kind="image",
                                       upload=SimpleUploadedFile("waybill.png", buffer.getvalue()))
    services.message_send(conversation_id=conversation.pk, author=customer, attachment_id=image.pk)
    typo = say(conversation, agent, "马上帮您查询一下")
    services.message_edit(message_id=typo.pk, user=agent, body="马上帮您查询物流")
    oops = say(conversation, customer, "我的手机号是13800000000")
    services.message_recall(message_id=oops.pk, user=customer)
    return conversation


def notes(ticket: Ticket) -> list[str]:
    return list(TicketMessage.objects.filter(ticket=ticket, kind="note").order_by("pk").values_list("body", flat=True))



def test_a_new_ticket_gets_the_transcript_and_the_chat_keeps_the_link(
    conversation: Conversation, agent: User, customer: User
) -> None:
    link = services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, subject="物流三天未更新",
                                           priority="high")
    ticket = link.ticket
    assert (link.created, link.linked_now) == (True, True)
    assert (ticket.customer_id, ticket.channel, ticket.source, ticket.priority) == (customer.pk, "chat", "chat", "high")
    assert ticket.subject == "物流三天未更新"
    first = ticket.messages.get(kind="reply")
    # The customer's own words open the ticket; the recalled message is left out.
    assert first.from_customer and first.body == "我的快递三天没更新了"
    assert Conversation.objects.get(pk=conversation.pk).ticket_id == ticket.pk
    assert ticket.assignee_id is None  # the agent is offline, so routing's choice (the queue) stands

    [transcript] = notes(ticket)
    image = conversation.attachments.get()
    lines = transcript.splitlines()
    assert lines[0] == f"与 周小芸 的聊天记录 #{conversation.pk}（第 1/1 部分）"  # noqa: RUF001
    speakers = [line.split("] ", 1)[1].split(": ", 1)[0] for line in lines[1:]]
    assert speakers[0] == "智能助手" and "系统" in speakers  # the greeting, then "王磊 is here"
    assert any("周小芸 (客户): 我的快递三天没更新了" in line for line in lines)
    assert any(f"周小芸 (客户): [图片：{image.original_name}，/help/chat/attachments/{image.pk}/]" in line  # noqa: RUF001
               for line in lines)
    assert any("王磊 (客服): 马上帮您查询物流 （已编辑）" in line for line in lines)  # noqa: RUF001
    assert any("周小芸 (客户): （消息已撤回）" in line for line in lines)  # noqa: RUF001
    assert "13800000000" not in transcript
    # Every line carries its time, in order.
    times = [line[1:20] for line in lines[1:]]
    assert all(len(moment) == 19 and moment[4] == "-" for moment in times) and times == sorted(times)
    assert TicketMessage.objects.filter(ticket=ticket, kind="note").get().author_id == agent.pk


def test_an_online_agent_with_room_keeps_the_ticket(conversation: Conversation, agent: User, team: Team) -> None:
    AgentProfile.objects.filter(user=agent).update(presence=AgentProfile.Presence.ONLINE)
    ticket = services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, subject="物流").ticket
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk
    assert Ticket.objects.get(pk=ticket.pk).team_id == team.pk


def test_a_second_request_returns_the_first_ticket_and_writes_nothing(conversation: Conversation, agent: User,
                                                                      customer: User) -> None:
    first = services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, subject="物流")
    other = ticket_services.ticket_create(customer=customer, subject="另一个问题", body="你好")
    again = services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, subject="物流")
    attach = services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, ticket_id=other.pk)
    assert again.ticket.pk == attach.ticket.pk == first.ticket.pk
    assert not again.linked_now and not attach.linked_now
    assert Ticket.objects.filter(source="chat").count() == 1
    assert len(notes(first.ticket)) == 1 and notes(other) == []


def test_the_chat_joins_an_existing_ticket_of_the_same_customer(
    conversation: Conversation, agent: User, customer: User, team: Team
) -> None:
    existing = ticket_services.ticket_create(customer=customer, subject="快递问题", body="物流不动了", team=team)
    link = services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, ticket_id=existing.pk)
    assert (link.ticket.pk, link.created, link.linked_now) == (existing.pk, False, True)
    assert Ticket.objects.count() == 1
    assert "我的快递三天没更新了" in notes(existing)[0]
    assert Conversation.objects.get(pk=conversation.pk).ticket_id == existing.pk


def test_another_customers_ticket_is_refused_and_nothing_is_written(
    conversation: Conversation, agent: User, make_user: Callable[..., User], team: Team
) -> None:
    stranger = ticket_services.ticket_create(customer=make_user("customer"), subject="别人的", body="你好", team=team)
    with pytest.raises(ValidationError) as refused:
        services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, ticket_id=stranger.pk)
    assert "ticket" in refused.value.message_dict
    assert notes(stranger) == [] and Conversation.objects.get(pk=conversation.pk).ticket_id is None
    with pytest.raises(ValidationError) as empty:
        services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, subject="  ")
    assert "subject" in empty.value.message_dict
    assert Ticket.objects.count() == 1


def test_only_the_chats_agent_and_supervisors_may(
    conversation: Conversation, customer: User, make_user: Callable[..., User]
) -> None:
    for outsider in (customer, make_user("agent"), make_user("qa"), make_user("merchant_staff")):
        with pytest.raises(ChatError) as refused:
            services.conversation_to_ticket(conversation_id=conversation.pk, user=outsider, subject="物流")
        assert refused.value.code == "not_found"
    assert not Ticket.objects.exists()
    link = services.conversation_to_ticket(conversation_id=conversation.pk, user=make_user("supervisor"),
                                           subject="物流")
    assert link.created


def test_a_long_chat_is_split_into_notes_within_the_ticket_limit(customer: User, agent: User) -> None:
    conversation = chat_with_agent(customer, agent)
    for index in range(12):
        say(conversation, agent if index % 2 else customer, f"{index:02d}" + "很长的说明" * 399)
    ticket = services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, subject="长会话").ticket
    parts = notes(ticket)
    assert len(parts) == 2 and all(len(part) <= 20000 for part in parts)
    assert "（第 1/2 部分）" in parts[0] and "（第 2/2 部分）" in parts[1]  # noqa: RUF001
    joined = "\n".join(parts)
    assert all(f"{index:02d}很长的说明" in joined for index in range(12))


# --- The page /desk/chats/<id>/ticket/ ---


# "agent" is another agent than the chat's; a chat one may not ticket is indistinguishable from none.
PAGE_OUTCOME: dict[str, Outcome | int] = {
    "anonymous": "login", "customer": "forbidden", "merchant_staff": "forbidden", "agent": 404, "qa": 404,
    "supervisor": 200, "admin": 200,
}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_page_permissions_across_roles(client_for: Callable[[str], Client], conversation: Conversation,
                                       role: str) -> None:
    path = f"/desk/chats/{conversation.pk}/ticket/"
    client = client_for(role)
    expected = PAGE_OUTCOME[role]
    for response in (client.get(path), client.post(path, {"subject": "物流"})):
        if isinstance(expected, int):
            assert response.status_code in ((expected, 302) if expected == 200 else (expected,))
        else:
            assert_outcome(response, expected, path)
    assert Ticket.objects.count() == (1 if expected == 200 else 0)


def test_the_agent_converts_from_the_console_once(conversation: Conversation, agent: User) -> None:
    client = logged_in(agent)
    console = page_text(client.get(f"/desk/chats/?c={conversation.pk}"))
    assert f'href="/desk/chats/{conversation.pk}/ticket/"' in console and "转工单" in console
    path = f"/desk/chats/{conversation.pk}/ticket/"
    page = page_text(client.get(path))
    assert 'id="chat-ticket-form"' in page and "我的快递三天没更新了" in page and 'id="transcript-1"' in page

    first = client.post(path, {"subject": "物流三天未更新", "priority": ""})
    second = client.post(path, {"subject": "物流三天未更新", "priority": ""})
    assert first.status_code == second.status_code == 302 and first["Location"] == path
    ticket = Ticket.objects.get()
    assert len(notes(ticket)) == 1
    done = page_text(client.get(path))
    assert 'id="chat-ticket-linked"' in done and ticket.number in done and "chat-ticket-form" not in done
    assert f"工单 {ticket.number}" in page_text(client.get(f"/desk/chats/?c={conversation.pk}"))


def test_bad_choices_come_back_as_field_errors(conversation: Conversation, agent: User, make_user: Callable[..., User],
                                               team: Team) -> None:
    stranger = ticket_services.ticket_create(customer=make_user("customer"), subject="别人的", body="你好", team=team)
    client = logged_in(agent)
    path = f"/desk/chats/{conversation.pk}/ticket/"
    for data, field in (({"ticket": str(stranger.pk)}, "ticket"), ({"subject": " "}, "subject"),
                        ({"subject": "物流", "priority": "asap"}, "priority"), ({"ticket": "abc"}, "ticket")):
        response = client.post(path, data)
        assert response.status_code == 400
        assert f'id="id_{field}_errors"' in page_text(response), data
    assert Ticket.objects.count() == 1 and notes(stranger) == []


def test_page_query_count_does_not_grow_with_the_chat(
    conversation: Conversation, agent: User, customer: User, django_assert_max_num_queries: Callable[[int], object]
) -> None:
    client = logged_in(agent)
    path = f"/desk/chats/{conversation.pk}/ticket/"
    client.get(path)
    with django_assert_max_num_queries(16) as few:  # type: ignore[attr-defined]
        client.get(path)
    for index in range(20):
        say(conversation, customer, f"补充说明 {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[attr-defined]
        assert client.get(path).status_code == 200


def test_attachments_open_for_the_desk_that_sees_the_ticket(conversation: Conversation, agent: User,
                                                            make_user: Callable[..., User], team: Team) -> None:
    image = conversation.attachments.get()
    path = f"/help/chat/attachments/{image.pk}/"
    teammate = make_user("agent")
    teammate.agent_profile.teams.add(team)
    assert logged_in(teammate).get(path).status_code == 404
    existing = ticket_services.ticket_create(customer=conversation.customer, subject="快递", body="物流", team=team)
    services.conversation_to_ticket(conversation_id=conversation.pk, user=agent, ticket_id=existing.pk)
    assert logged_in(teammate).get(path).status_code == 200
    assert logged_in(make_user("agent")).get(path).status_code == 404  # another team's agent
    assert logged_in(make_user("qa")).get(path).status_code == 200  # QA reads every chat
    assert logged_in(make_user("customer")).get(path).status_code == 404
