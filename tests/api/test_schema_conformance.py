"""The schema says what the answers hold: fields a caller may not get are optional, blank enums listed."""

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.clients import logged_in
from tests.factories import TeamFactory
from tickets import services
from tickets.api import TicketSerializer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def components(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return dict(SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"])


def test_desk_only_ticket_fields_are_not_required(components: dict[str, Any]) -> None:
    for name in ("Ticket", "TicketDetail"):
        assert set(TicketSerializer.DESK_ONLY) & set(components[name]["required"]) == set(), name
        assert set(TicketSerializer.DESK_ONLY) <= set(components[name]["properties"])
        assert "number" in components[name]["required"]


def test_return_courier_may_be_blank(components: dict[str, Any]) -> None:
    for name in ("Request", "RequestDetail"):
        options = components[name]["properties"]["return_courier"]["oneOf"]
        refs = {option["$ref"].rsplit("/", 1)[1] for option in options}
        assert refs == {"CourierEnum", "BlankEnum"}
    assert components["BlankEnum"]["enum"] == [""]


def test_a_customer_ticket_answer_matches_the_relaxed_schema(make_user: Any) -> None:
    customer = make_user("customer")
    client = logged_in(customer)
    ticket = services.ticket_create(customer=customer, subject="发票", body="开发票", team=TeamFactory.create())
    body = client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert "escalation_level" not in body and "number" in body
