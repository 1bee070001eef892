from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

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
