import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from core import events
from profiles.models import Team

EVENT = "test.happened"


@pytest.fixture
def received() -> Iterator[list[events.DomainEvent]]:
    seen: list[events.DomainEvent] = []
    events.subscribe(EVENT, seen.append)
    yield seen
    events.unsubscribe(EVENT, seen.append)


@pytest.mark.django_db
def test_handler_runs_only_after_commit(
    received: list[events.DomainEvent], django_capture_on_commit_callbacks: Any
) -> None:
    Team.objects.create(name="售后一组")  # outside: a team write also queues a configuration-cache drop
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        events.publish(EVENT, team="售后一组")
        assert received == []  # still inside the transaction
    assert len(callbacks) == 1
    assert received == [events.DomainEvent(name=EVENT, payload={"team": "售后一组"})]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_is_never_announced(received: list[events.DomainEvent]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        Team.objects.create(name="物流支付组")
        events.publish(EVENT, team="物流支付组")
        raise RuntimeError("the service failed after publishing")
    assert received == []
    assert not Team.objects.exists()

    with transaction.atomic():
        Team.objects.create(name="商品咨询组")
        events.publish(EVENT, team="商品咨询组")
    assert [event.payload["team"] for event in received] == ["商品咨询组"]


@pytest.mark.django_db(transaction=True)
def test_inner_savepoint_rollback_drops_only_its_events(received: list[events.DomainEvent]) -> None:
    with transaction.atomic():
        events.publish(EVENT, step="outer")
        try:
            with transaction.atomic():
                events.publish(EVENT, step="inner")
                raise ValueError
        except ValueError:
            pass
    assert [event.payload["step"] for event in received] == ["outer"]


@pytest.mark.django_db
def test_failing_handler_is_logged_and_others_still_run(
    received: list[events.DomainEvent], django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: events.DomainEvent) -> None:
        raise ValueError("webhook endpoint down")

    after_broken: list[str] = []

    def subscribed_after_the_broken_one(event: events.DomainEvent) -> None:
        after_broken.append(event.name)

    events.subscribe(EVENT, broken)
    events.subscribe(EVENT, subscribed_after_the_broken_one)
    try:
        with caplog.at_level(logging.ERROR, logger="core.events"), \
                django_capture_on_commit_callbacks(execute=True):
            events.publish(EVENT, n=1)
    finally:
        events.unsubscribe(EVENT, broken)
        events.unsubscribe(EVENT, subscribed_after_the_broken_one)
    assert len(received) == 1
    assert after_broken == [EVENT]
    [record] = caplog.records
    assert "failed for test.happened" in record.getMessage()
    assert record.exc_info and "webhook endpoint down" in str(record.exc_info[1])


@pytest.mark.django_db
def test_unsubscribe_and_duplicate_subscribe(django_capture_on_commit_callbacks: Any) -> None:
    seen: list[events.DomainEvent] = []
    events.subscribe(EVENT, seen.append)
    events.subscribe(EVENT, seen.append)  # subscribing twice delivers once
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(EVENT)
    assert len(seen) == 1
    events.unsubscribe(EVENT, seen.append)
    events.unsubscribe(EVENT, seen.append)  # unsubscribing again is harmless
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(EVENT)
    assert len(seen) == 1


@pytest.mark.django_db
def test_other_events_do_not_reach_the_handler(
    received: list[events.DomainEvent], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("test.something_else")
    assert received == []


@pytest.mark.django_db
def test_a_cause_is_taken_when_published_not_when_dispatched(
    received: list[events.DomainEvent], django_capture_on_commit_callbacks: Any
) -> None:
    """What the publisher was doing (a trigger's change) rides on the event, however late the commit hands it
    out, and stays out of the payload webhooks forward."""
    with django_capture_on_commit_callbacks(execute=True):
        with events.cause(triggers=[7]), events.cause(depth=1):
            events.publish(EVENT, team="售后一组")
        events.publish(EVENT, team="物流支付组")
    assert [(event.payload, event.cause) for event in received] == [
        ({"team": "售后一组"}, {"triggers": [7], "depth": 1}), ({"team": "物流支付组"}, {})]
