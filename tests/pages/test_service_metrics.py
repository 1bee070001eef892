"""/metrics carries the service's own figures: open tickets and those past due, SLA events, agents
by presence, and the Celery queue depth."""

import re
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.test import Client
from django.utils import timezone

from profiles.models import AgentProfile
from tests.factories import AgentProfileFactory, CustomerProfileFactory, TeamFactory
from tickets.models import SlaEvent, Ticket

pytestmark = pytest.mark.django_db


def metric(text: str, name: str, **labels: str) -> float | None:
    label_text = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}{re.escape('{' + label_text + '}') if labels else ''} (\S+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else None


@pytest.fixture(autouse=True)
def _scrape_token(settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-token"


def scrape() -> str:
    response = Client(HTTP_AUTHORIZATION="Bearer scrape-token").get("/metrics")
    assert response.status_code == 200
    return response.content.decode()


def test_ticket_queues_sla_events_and_agents_are_exported() -> None:
    from tickets import services

    team = TeamFactory.create(name="售后一组")
    customer = CustomerProfileFactory.create().user
    tickets = [services.ticket_create(customer=customer, subject=f"问题{i}", body="物流没有更新", channel="email",
                                      team=team) for i in range(3)]
    Ticket.objects.filter(pk=tickets[0].pk).update(due_at=timezone.now() - timedelta(hours=1))
    SlaEvent.objects.create(ticket=tickets[0], target=SlaEvent.Target.FIRST_RESPONSE, kind=SlaEvent.Kind.BREACH,
                            due_at=timezone.now())
    AgentProfileFactory.create(presence=AgentProfile.Presence.ONLINE)
    AgentProfileFactory.create_batch(2, presence=AgentProfile.Presence.OFFLINE)

    text = scrape()
    status = tickets[0].status
    assert metric(text, "service_center_tickets_open", status=status, team="售后一组") == 3
    assert metric(text, "service_center_tickets_past_due", status=status, team="售后一组") == 1
    assert metric(text, "service_center_sla_events_total", target="first_response", kind="breach") == 1
    assert metric(text, "service_center_agents", presence="online") == 1
    assert metric(text, "service_center_agents", presence="offline") == 2


def test_celery_queue_depth_is_read_from_the_broker_per_queue(settings: Any) -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*settings.TASK_QUEUES)
    client.rpush("bulk", "one", "two")
    try:
        text = scrape()
        assert metric(text, "service_center_celery_queue_depth", queue="bulk") == 2
        assert metric(text, "service_center_celery_queue_depth", queue="realtime") == 0
    finally:
        client.delete(*settings.TASK_QUEUES)


def test_a_broker_outage_drops_the_figure_not_the_page(settings: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    text = scrape()
    assert metric(text, "service_center_celery_queue_depth", queue="bulk") is None
    assert "service_center_agents" in text
