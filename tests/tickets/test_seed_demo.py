from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Min

from chat.models import Conversation
from tickets.apps import TicketsConfig
from tickets.models import (
    CannedResponse,
    KeywordRule,
    RoutingRule,
    SatisfactionSurvey,
    SlaPolicy,
    Ticket,
    TicketMessage,
)

COUNTED = [Ticket, TicketMessage, SlaPolicy, RoutingRule, KeywordRule, CannedResponse, SatisfactionSurvey]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in [*COUNTED, Ticket.history.model]}


@pytest.mark.django_db
def test_seed_twice_creates_nothing_the_second_time() -> None:
    call_command("seed_demo", force=True, stdout=StringIO())
    first = _counts()
    # Forty of the desk's own; the after-sales demo requests open theirs too.
    assert Ticket.objects.filter(aftersales_request__isnull=True).count() == 40 and first["SlaPolicy"] == 16
    assert Ticket.objects.filter(channel="phone").exists() and Ticket.objects.filter(status="solved").exists()
    assert Ticket.objects.filter(assignee__isnull=False).count() >= 20
    phone = SlaPolicy.objects.get(channel="phone", priority="normal").first_response_minutes
    chat = SlaPolicy.objects.get(channel="chat", priority="normal").first_response_minutes
    email = SlaPolicy.objects.get(channel="email", priority="normal").first_response_minutes
    assert phone < chat < email
    # The second run of this app's hook alone: the other apps' hooks have their own tests.
    config = apps.get_app_config("tickets")
    assert isinstance(config, TicketsConfig)
    config.seed_demo(StringIO())
    assert _counts() == first


@pytest.mark.django_db
def test_the_demo_happens_in_causal_order() -> None:
    """created < first response < solved < rated, for every demo ticket, message and chat (issue 18)."""
    call_command("seed_demo", force=True, stdout=StringIO())
    tickets = list(Ticket.objects.all())
    assert tickets
    for ticket in tickets:
        moments = [ticket.created_at, ticket.first_responded_at, ticket.solved_at, ticket.closed_at]
        known = [moment for moment in moments if moment is not None]
        assert known == sorted(known), (ticket.number, moments)
    for message in TicketMessage.objects.select_related("ticket"):
        assert message.created_at >= message.ticket.created_at, message.ticket.number
    for ticket_id, first_reply in (TicketMessage.objects.filter(kind="reply", from_customer=False)
                                   .values_list("ticket_id").annotate(first=Min("created_at"))):
        assert Ticket.objects.get(pk=ticket_id).first_responded_at == first_reply
    for survey in SatisfactionSurvey.objects.select_related("ticket").exclude(submitted_at=None):
        assert survey.ticket.solved_at is not None and survey.submitted_at is not None
        assert survey.submitted_at >= survey.ticket.solved_at
    for chat in Conversation.objects.all():
        moments = [chat.started_at, chat.assigned_at, chat.ended_at]
        known = [moment for moment in moments if moment is not None]
        assert known == sorted(known) and (chat.rating is None or chat.ended_at is not None)
