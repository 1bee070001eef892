"""The customer's ticket pages: my tickets, contact form with checked attachments, ticket page, survey."""

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from profiles.models import User
from tests.clients import logged_in as login
from tests.tickets.factories import CategoryFactory
from tickets import services
from tickets.models import SatisfactionSurvey, Ticket, TicketMessage

pytestmark = pytest.mark.django_db
BASE = "/help/tickets/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32



@pytest.fixture
def ticket(make_ticket: Callable[..., Ticket]) -> Ticket:
    return make_ticket()


@pytest.mark.parametrize("role", ["anonymous", "customer", "agent", "supervisor", "qa", "merchant_staff", "admin"])
def test_someone_elses_ticket_is_404_for_every_role(role: str, client_for: Callable[[str], Client],
                                                    ticket: Ticket) -> None:
    client = client_for(role)
    response = client.get(f"{BASE}{ticket.pk}/")
    assert response.status_code == (302 if role == "anonymous" else 404)
    assert client.post(f"{BASE}{ticket.pk}/reply/", {"body": "插话"}).status_code in {302, 404}
    assert client.get(BASE).status_code == (302 if role == "anonymous" else 200)
    assert ticket.messages.count() == 1


def test_my_tickets_lists_only_mine(ticket: Ticket, customer: User, make_user: Callable[..., User]) -> None:
    assert ticket.number in login(customer).get(BASE).content.decode()
    assert ticket.number not in login(make_user("customer")).get(BASE).content.decode()


def test_my_tickets_query_count_is_constant(make_ticket: Callable[..., Ticket], customer: User,
                                            django_assert_max_num_queries: object) -> None:
    client = login(customer)
    make_ticket()
    with django_assert_max_num_queries(12) as few:  # type: ignore[operator]
        client.get(BASE)
    for n in range(10):
        make_ticket(subject=f"问题{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        client.get(BASE)


def test_contact_form_creates_a_ticket(customer: User) -> None:
    category = CategoryFactory.create(name="物流配送")
    client = login(customer)
    assert client.get(f"{BASE}new/").status_code == 200
    response = client.post(f"{BASE}new/", {
        "category": category.pk, "subject": "快递三天没更新", "order_number": "DD1001",
        "description": "物流信息三天没有更新了，请帮忙查一下。",  # noqa: RUF001
        "attachments": [SimpleUploadedFile("面单.png", PNG, content_type="image/png")],
    })
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}{ticket.pk}/"
    assert ticket.customer == customer and ticket.category == category and ticket.source == "help_center"
    assert ticket.messages.get().attachments.get().content_type == "image/png"


def test_contact_form_offers_the_active_categories_of_each_request(customer: User) -> None:
    """The form's categories are read per request (the queryset is built once, at import): a category added or
    retired since shows at once, and a retired one is refused."""
    client = login(customer)
    client.get(f"{BASE}new/")
    CategoryFactory.create(name="B 售后")
    retired = CategoryFactory.create(name="A 退货", is_active=False)
    CategoryFactory.create(name="A 物流")
    page = client.get(f"{BASE}new/").content.decode()
    assert page.index("A 物流") < page.index("B 售后") and "A 退货" not in page
    assert client.post(f"{BASE}new/", {"category": retired.pk, "subject": "退货", "description": "退货"}
                       ).status_code == 400
    assert not Ticket.objects.exists()


def test_contact_form_refuses_bad_input_and_fake_files(customer: User, settings: object) -> None:
    client = login(customer)
    empty = client.post(f"{BASE}new/", {"subject": "", "description": ""})
    assert empty.status_code == 400 and empty.content.decode().count("errorlist") >= 2
    fake = client.post(f"{BASE}new/", {
        "subject": "附件", "description": "见附件",
        "attachments": [SimpleUploadedFile("photo.jpg", b"MZ\x90\x00binary\x00", content_type="image/jpeg")],
    })
    assert fake.status_code == 400 and "photo.jpg" in fake.content.decode()
    settings.TICKETS_ATTACHMENT_MAX_BYTES = 10  # type: ignore[attr-defined]
    big = client.post(f"{BASE}new/", {"subject": "附件", "description": "见附件",
                                      "attachments": [SimpleUploadedFile("big.png", PNG)]})
    assert big.status_code == 400
    assert not Ticket.objects.exists()


def test_customer_replies_and_never_sees_notes(ticket: Ticket, customer: User, make_agent: Callable[..., User]
                                               ) -> None:
    agent = make_agent()
    services.ticket_add_note(ticket=ticket, author=agent, body="内部：客户是老客户")  # noqa: RUF001
    services.ticket_reply(ticket=ticket, author=agent, body="您好，已经在处理。")  # noqa: RUF001
    client = login(customer)
    html = client.get(f"{BASE}{ticket.pk}/").content.decode()
    assert "已经在处理" in html and "老客户" not in html
    assert client.post(f"{BASE}{ticket.pk}/reply/", {"body": "好的谢谢"}).status_code == 302
    assert client.post(f"{BASE}{ticket.pk}/reply/", {"body": ""}).status_code == 400
    assert TicketMessage.objects.filter(ticket=ticket, from_customer=True).count() == 2


def test_nudge_button(ticket: Ticket, customer: User) -> None:
    assert login(customer).post(f"{BASE}{ticket.pk}/nudge/").status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).nudge_count == 1


def _solved_survey(ticket: Ticket, supervisor: User) -> str:
    services.ticket_transition(ticket=ticket, target="solved", actor=supervisor)
    return services.survey_token(SatisfactionSurvey.objects.get(ticket=ticket))


def test_survey_answered_once(ticket: Ticket, customer: User, supervisor: User) -> None:
    token = _solved_survey(ticket, supervisor)
    # The page links its own signed token (signed at another second, so not the same string).
    assert f'href="{BASE}survey/' in login(customer).get(f"{BASE}{ticket.pk}/").content.decode()
    client = Client()
    assert client.get(f"{BASE}survey/{token}/").status_code == 200
    bad = client.post(f"{BASE}survey/{token}/", {"attitude": "9", "speed": "5", "result": "5"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    done = client.post(f"{BASE}survey/{token}/", {"attitude": "5", "speed": "4", "result": "5",
                                                  "suggestion": "回复很快"})
    assert done.status_code == 200 and 'id="survey-thanks"' in done.content.decode()
    survey = SatisfactionSurvey.objects.get()
    assert (survey.attitude, survey.speed, survey.result, survey.suggestion) == (5, 4, 5, "回复很快")
    reused = client.get(f"{BASE}survey/{token}/")
    assert reused.status_code == 410 and 'id="survey-refused"' in reused.content.decode()
    assert client.post(f"{BASE}survey/{token}/", {"attitude": "1", "speed": "1", "result": "1"}).status_code == 410
    assert SatisfactionSurvey.objects.get().attitude == 5


def test_forged_survey_token_is_refused(client_for: Callable[[str], Client]) -> None:
    response = client_for("anonymous").get(f"{BASE}survey/not-a-real-token/")
    assert response.status_code == 410 and 'id="survey-refused"' in response.content.decode()
