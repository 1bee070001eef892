"""The one retry rule: exponential backoff and the row lease every retry loop shares."""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from core.backoff import exponential_backoff, lease
from core.models import WebhookDelivery, WebhookEndpoint


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    waits = [exponential_backoff(attempts, base_seconds=60, max_seconds=600).total_seconds() for attempts in range(6)]
    assert waits == [60, 60, 120, 240, 480, 600]
    assert exponential_backoff(10_000, base_seconds=60, max_seconds=3600) == timedelta(hours=1)


@pytest.mark.django_db
def test_a_lease_counts_the_attempt_and_holds_the_row_until_the_hold_runs_out() -> None:
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(name="ERP", url="http://127.0.0.1:9/", secret="s" * 32, events=["*"])
    row = WebhookDelivery.objects.create(endpoint=endpoint, event="ticket.created", payload={}, next_attempt_at=now)
    rows = WebhookDelivery.objects.all()

    def due_at(moment: object) -> Q:
        return Q(next_attempt_at__lte=moment)

    leased = lease(rows, row.pk, due=due_at(now), now=now, hold=timedelta(minutes=2))
    assert leased is not None and leased.attempts == 1 and leased.next_attempt_at == now + timedelta(minutes=2)
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (1, now + timedelta(minutes=2))
    # Held: a second worker or the sweep finds nothing to do until the hold runs out.
    assert lease(rows, row.pk, due=due_at(now + timedelta(minutes=1)), now=now, hold=timedelta(minutes=2)) is None
    later = now + timedelta(minutes=3)
    again = lease(rows, row.pk, due=due_at(later), now=later, hold=timedelta(minutes=2))
    assert again is not None and again.attempts == 2
    assert lease(rows.exclude(pk=row.pk), row.pk, due=due_at(later), now=later, hold=timedelta(0)) is None
