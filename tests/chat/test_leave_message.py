"""Off hours or nobody free: the widget offers a message, which becomes a chat ticket due in business time."""

import io
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from chat import selectors
from chat.selectors import Availability
from profiles.models import AgentProfile, User
from tests.chat.factories import chat_with_agent, say, start_chat
from tests.clients import logged_in
from tests.conftest import ALL_ROLES
from tests.pages.conftest import Outcome, assert_outcome, page_text
from tests.tickets.factories import SlaPolicyFactory, make_calendar
from tickets import services as ticket_services
from tickets.models import BusinessCalendar, CalendarOverride, Ticket, TicketAttachment

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WIDGET = "/help/chat/"
LEAVE = "/help/chat/message/"
FIRST_RESPONSE = {"low": 240, "normal": 60, "high": 30, "urgent": 15}
NATIONAL_DAY = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)
WEDNESDAY_EVENING = datetime(2026, 10, 14, 20, 0, tzinfo=SHANGHAI)
WEDNESDAY_MORNING = datetime(2026, 10, 14, 10, 0, tzinfo=SHANGHAI)
MAKE_UP_SATURDAY = datetime(2026, 10, 10, 10, 0, tzinfo=SHANGHAI)  # 调休: worked for the National Day week
ORDINARY_SATURDAY = datetime(2026, 10, 17, 10, 0, tzinfo=SHANGHAI)
POST_OUTCOME: dict[str, Outcome] = {
    "anonymous": "login", "customer": "ok", "agent": "forbidden", "supervisor": "forbidden", "qa": "forbidden",
    "merchant_staff": "forbidden", "admin": "forbidden",
}


@pytest.fixture
def chat_hours(db: None) -> BusinessCalendar:
    """Chat is served Monday to Friday 9:00-18:00 on China's calendar, with first-response targets per priority."""
    calendar = make_calendar(name="在线客服")
    for priority, minutes in FIRST_RESPONSE.items():
        SlaPolicyFactory.create(channel="chat", priority=priority, first_response_minutes=minutes, calendar=calendar)
    return calendar


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    def at(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return at


@pytest.fixture
def online_agent(make_user: Callable[..., User]) -> User:
    return make_user("agent", presence=AgentProfile.Presence.ONLINE, capacity=1)



def png_upload(name: str = "damage.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(SHANGHAI) if moment else None


# --- When the desk is open ---


@pytest.mark.usefixtures("chat_hours", "online_agent")
@pytest.mark.parametrize(("moment", "expected"), [
    (NATIONAL_DAY, Availability(is_open=False, reason="off_hours")),
    (WEDNESDAY_EVENING, Availability(is_open=False, reason="off_hours")),
    (ORDINARY_SATURDAY, Availability(is_open=False, reason="off_hours")),
    (MAKE_UP_SATURDAY, Availability(is_open=True)),
    (WEDNESDAY_MORNING, Availability(is_open=True)),
])
def test_open_follows_the_chinese_business_calendar(moment: datetime, expected: Availability) -> None:
    assert selectors.desk_availability(moment) == expected


def test_an_admin_override_closes_an_ordinary_workday(chat_hours: BusinessCalendar, online_agent: User) -> None:
    CalendarOverride.objects.create(calendar=chat_hours, date=WEDNESDAY_MORNING.date(), is_open=False, note="团建")
    assert selectors.desk_availability(WEDNESDAY_MORNING) == Availability(is_open=False, reason="off_hours")
    override = CalendarOverride.objects.get(calendar=chat_hours)
    override.is_open, override.opens_at, override.closes_at = True, time(19), time(22)
    override.save()  # as the admin saves it: the calendar's cached copy is dropped
    assert selectors.desk_availability(WEDNESDAY_EVENING).is_open


@pytest.mark.usefixtures("chat_hours")
def test_in_hours_it_needs_an_online_agent_with_room(make_user: Callable[..., User], online_agent: User) -> None:
    assert selectors.desk_availability(WEDNESDAY_MORNING).is_open
    chat_with_agent(make_user("customer"), online_agent)  # capacity 1: now full
    assert selectors.desk_availability(WEDNESDAY_MORNING) == Availability(is_open=False, reason="no_agent")
    make_user("agent", presence=AgentProfile.Presence.AWAY)
    assert selectors.desk_availability(WEDNESDAY_MORNING).reason == "no_agent"
    inactive = make_user("agent", presence=AgentProfile.Presence.ONLINE)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    assert selectors.desk_availability(WEDNESDAY_MORNING).reason == "no_agent"
    make_user("agent", presence=AgentProfile.Presence.ONLINE)
    assert selectors.desk_availability(WEDNESDAY_MORNING).is_open


def test_without_any_calendar_only_agents_decide(make_user: Callable[..., User]) -> None:
    assert selectors.desk_availability(NATIONAL_DAY).reason == "no_agent"
    make_user("agent", presence=AgentProfile.Presence.ONLINE)
    assert selectors.desk_availability(NATIONAL_DAY).is_open


def test_the_default_calendar_decides_when_chat_has_no_policy(online_agent: User) -> None:
    calendar = make_calendar(name="默认日历")
    BusinessCalendar.objects.filter(pk=calendar.pk).update(is_default=True)
    assert selectors.desk_availability(NATIONAL_DAY).reason == "off_hours"
    assert selectors.desk_availability(MAKE_UP_SATURDAY).is_open


# --- The widget ---


@pytest.mark.usefixtures("chat_hours", "online_agent")
def test_on_a_holiday_the_widget_becomes_the_message_form(
    make_user: Callable[..., User], freeze: Callable[[datetime], None]
) -> None:
    freeze(NATIONAL_DAY)
    text = page_text(logged_in(make_user("customer")).get(WIDGET))
    assert 'id="leave-message-form"' in text and "我们现在下班了" in text
    for field in ("category", "priority", "contact", "description", "attachments"):
        assert f'name="{field}"' in text
    # The assistant still answers at once.
    assert 'id="chat-start"' in text and "也可以先问问智能助手" in text


@pytest.mark.usefixtures("chat_hours", "online_agent")
def test_a_conversation_with_the_assistant_stays_first_with_the_form_below(
    make_user: Callable[..., User], freeze: Callable[[datetime], None]
) -> None:
    customer = make_user("customer")
    start_chat(customer)
    freeze(WEDNESDAY_EVENING)
    text = page_text(logged_in(customer).get(WIDGET))
    assert 0 < text.index("data-chat-socket") < text.index('id="leave-message-form"')


@pytest.mark.usefixtures("chat_hours", "online_agent")
@pytest.mark.parametrize("words", [["转人工"], ["你们支持火星配送吗", "那月球呢"]], ids=["asked", "unanswered"])
def test_out_of_hours_a_hand_off_points_to_the_form_and_never_queues(
    make_user: Callable[..., User], freeze: Callable[[datetime], None], words: list[str]
) -> None:
    customer = make_user("customer")
    conversation = start_chat(customer)
    freeze(WEDNESDAY_EVENING)
    for text in words:
        say(conversation, customer, text)

    conversation.refresh_from_db()
    assert (conversation.status, conversation.waiting_since, conversation.agent_id) == ("bot", None, None)
    lines = list(conversation.messages.order_by("seq").values_list("body", flat=True))
    assert "/help/chat/#leave-message" in lines[-1] and "下一个工作日" in lines[-1]
    assert not any("排队" in line or "正在为您转接" in line for line in lines)
    assert selectors.queue_positions() == {}
    page = page_text(logged_in(customer).get(WIDGET))
    assert 'id="leave-message-form"' in page and 'id="chat-handoff"' not in page


@pytest.mark.usefixtures("chat_hours", "online_agent")
def test_in_hours_with_an_agent_there_is_no_form(
    make_user: Callable[..., User], freeze: Callable[[datetime], None]
) -> None:
    freeze(MAKE_UP_SATURDAY)
    text = page_text(logged_in(make_user("customer")).get(WIDGET))
    assert "leave-message-form" not in text and 'id="chat-start"' in text


@pytest.mark.usefixtures("chat_hours")
def test_in_hours_with_no_agent_online_the_widget_offers_the_form(
    make_user: Callable[..., User], freeze: Callable[[datetime], None]
) -> None:
    freeze(WEDNESDAY_MORNING)
    make_user("agent")  # offline
    text = page_text(logged_in(make_user("customer")).get(WIDGET))
    assert 'id="leave-message-form"' in text and "暂时没有空闲的客服" in text


@pytest.mark.usefixtures("chat_hours")
def test_a_chat_already_with_an_agent_is_not_interrupted(
    make_user: Callable[..., User], freeze: Callable[[datetime], None]
) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    chat_with_agent(customer, agent)
    freeze(WEDNESDAY_EVENING)
    text = page_text(logged_in(customer).get(WIDGET))
    assert "leave-message-form" not in text and "data-chat-socket" in text


def test_the_widget_with_the_form_has_a_constant_query_count(
    chat_hours: BusinessCalendar, make_user: Callable[..., User], freeze: Callable[[datetime], None],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    freeze(NATIONAL_DAY)
    client = logged_in(make_user("customer", user__phone="13812345678", user__email="li@example.com"))
    client.get(WIDGET)
    with django_assert_max_num_queries(14):  # type: ignore[attr-defined]
        assert client.get(WIDGET).status_code == 200


# --- Leaving a message ---


def test_a_message_left_on_national_day_is_due_on_the_first_workday(
    chat_hours: BusinessCalendar, make_user: Callable[..., User], freeze: Callable[[datetime], None], settings: object,
    tmp_path: object,
) -> None:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    freeze(NATIONAL_DAY)
    customer = make_user("customer", user__phone="13812345678")
    client = logged_in(customer)
    response = client.post(LEAVE, {
        "priority": "urgent", "contact": "phone", "description": "快递显示签收但我没收到\n请尽快核实",
        "attachments": [png_upload()],
    })
    ticket = Ticket.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == f"/help/chat/message/{ticket.pk}/"
    assert (ticket.channel, ticket.source, ticket.priority) == ("chat", "leave_message", "urgent")
    assert ticket.subject == "在线留言：快递显示签收但我没收到"  # noqa: RUF001
    # The first workday after the National Day week is Thursday 8 October; 15 business minutes from 9:00.
    assert local(ticket.first_response_due_at) == datetime(2026, 10, 8, 9, 15, tzinfo=SHANGHAI)
    assert ticket.sla_policy is not None and ticket.sla_policy.priority == "urgent"
    message = ticket.messages.get()
    assert "快递显示签收但我没收到" in message.body and "138****5678" in message.body
    assert "13812345678" not in message.body  # ticket text is not encrypted, so the number stays masked
    attachment = TicketAttachment.objects.get(message=message)
    assert (attachment.filename, attachment.content_type) == ("damage.png", "image/png")

    reply = page_text(client.get(response["Location"]))
    assert 'id="auto-reply"' in reply and ticket.number in reply
    assert "2026-10-08 09:15" in reply and "北京时间" in reply


def test_a_message_left_on_a_weekday_evening_is_due_next_morning(
    chat_hours: BusinessCalendar, make_user: Callable[..., User], freeze: Callable[[datetime], None]
) -> None:
    freeze(WEDNESDAY_EVENING)
    customer = make_user("customer")
    client = logged_in(customer)
    response = client.post(LEAVE, {"priority": "high", "contact": "ticket", "description": "发票抬头写错了"})
    assert response.status_code == 302
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.priority == "high"
    assert local(ticket.first_response_due_at) == datetime(2026, 10, 15, 9, 30, tzinfo=SHANGHAI)
    assert local(ticket.due_at) == datetime(2026, 10, 15, 9, 30, tzinfo=SHANGHAI)
    assert "2026-10-15 09:30" in page_text(client.get(response["Location"]))


def test_without_an_sla_policy_the_reply_names_the_next_opening(
    make_user: Callable[..., User], freeze: Callable[[datetime], None]
) -> None:
    BusinessCalendar.objects.filter(pk=make_calendar(name="默认").pk).update(is_default=True)
    freeze(NATIONAL_DAY)
    client = logged_in(make_user("customer"))
    response = client.post(LEAVE, {"priority": "normal", "contact": "ticket", "description": "想咨询开票"})
    assert response.status_code == 302
    assert "2026-10-08 09:00" in page_text(client.get(response["Location"]))


@pytest.mark.usefixtures("chat_hours")
@pytest.mark.parametrize(("data", "field", "error"), [
    ({"priority": "normal", "contact": "ticket", "description": "  "}, "description", "该字段是必填项。"),
    ({"priority": "whenever", "contact": "ticket", "description": "你好"}, "priority", "选择一个有效的选项"),
    # No e-mail on file: the choice is not offered, and a forged one is refused.
    ({"priority": "normal", "contact": "email", "description": "你好"}, "contact", "选择一个有效的选项"),
    ({"priority": "normal", "contact": "ticket", "description": "你好", "category": "999999"}, "category",
     "选择一个有效的选项"),
    ({"priority": "normal", "contact": "ticket", "description": "你好",
      "attachments": [SimpleUploadedFile("x.png", b"\x00\x01 not an image")]}, "attachments", "x.png"),
])
def test_bad_input_names_the_field_and_writes_nothing(
    make_user: Callable[..., User], freeze: Callable[[datetime], None], data: dict[str, object], field: str,
    error: str,
) -> None:
    freeze(NATIONAL_DAY)
    response = logged_in(make_user("customer", user__email="")).post(LEAVE, data)
    assert response.status_code == 400
    text = page_text(response)
    errors = text.split(f'id="id_{field}_errors"', 1)
    assert len(errors) == 2, f"no error on {field}"
    assert error in errors[1].split("</ul>", 1)[0]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("role", ALL_ROLES)
def test_leaving_a_message_is_for_customers(client_for: Callable[[str], Client], role: str) -> None:
    response = client_for(role).post(LEAVE, {"priority": "normal", "contact": "ticket", "description": "你好"})
    if POST_OUTCOME[role] == "ok":
        assert response.status_code == 302 and Ticket.objects.get().source == "leave_message"
    else:
        assert_outcome(response, POST_OUTCOME[role], LEAVE)
        assert not Ticket.objects.exists()
    assert client_for("customer").get(LEAVE).status_code == 405


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_auto_reply_page_is_the_customers_own(
    client_for: Callable[[str], Client], make_user: Callable[..., User], role: str
) -> None:
    owner = make_user("customer")
    logged_in(owner).post(LEAVE, {"priority": "normal", "contact": "ticket", "description": "你好"})
    path = f"/help/chat/message/{Ticket.objects.get().pk}/"
    response = client_for(role).get(path)
    if role == "customer":
        assert response.status_code == 404  # another customer's ticket
    else:
        assert_outcome(response, "login" if role == "anonymous" else "forbidden", path)
    assert logged_in(owner).get(path).status_code == 200


def test_a_help_center_ticket_is_not_shown_as_a_left_message(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    ticket = ticket_services.ticket_create(customer=customer, subject="咨询", body="你好", source="help_center")
    assert logged_in(customer).get(f"/help/chat/message/{ticket.pk}/").status_code == 404


def test_the_auto_reply_page_has_a_constant_query_count(
    chat_hours: BusinessCalendar, make_user: Callable[..., User], freeze: Callable[[datetime], None],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    freeze(NATIONAL_DAY)
    client = logged_in(make_user("customer"))
    location = client.post(LEAVE, {"priority": "low", "contact": "ticket", "description": "你好"})["Location"]
    with django_assert_max_num_queries(8):  # type: ignore[attr-defined]
        assert client.get(location).status_code == 200
