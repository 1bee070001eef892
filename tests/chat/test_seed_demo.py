from io import StringIO

import pytest
from django.core.management import call_command

from chat.models import ChatMessage, Conversation, ReadReceipt

pytestmark = pytest.mark.django_db

COUNTED = [Conversation, ChatMessage, ReadReceipt, Conversation.history.model, ChatMessage.history.model]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seed_makes_realistic_chats_and_a_second_run_changes_nothing() -> None:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    assert "Chat: 4 new demo conversation(s)." in out.getvalue()
    first = counts()
    statuses = dict(Conversation.objects.values_list("customer__username", "status"))
    assert statuses == {"customer1": "ended", "customer2": "active", "customer3": "waiting", "customer4": "waiting"}
    assert Conversation.objects.get(customer__username="customer1").rating == 5
    assert ChatMessage.objects.filter(body__contains="杭州转运中心").exists()

    call_command("seed_demo", force=True, stdout=StringIO())

    assert counts() == first
