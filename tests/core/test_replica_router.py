"""The read-replica router (core/replica.py): marked reads go to a healthy replica; writes,
transactions, a lagging or unreachable replica, and a user who has just written stay on the primary."""

import logging
from collections.abc import Iterator
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from core import replica
from core.replica import PRIMARY, REPLICA, ReplicaHealth, ReplicaReadsMiddleware, ReplicaRouter
from profiles.models import User


class FakeReplica:
    def __init__(self) -> None:
        self.lag: float | Exception = 0.0
        self.now = 1000.0
        self.probes = 0
        self.connection = SimpleNamespace(close=self.close_connection)
        self.closed = 0

    def close_connection(self) -> None:
        self.closed += 1

    def probe(self) -> float:
        self.probes += 1
        if isinstance(self.lag, Exception):
            raise self.lag
        return self.lag


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeReplica]:
    fake = FakeReplica()
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "health", ReplicaHealth(probe=fake.probe, clock=lambda: fake.now))
    # The router closes a replica connection opened before the replica went away; no server stands behind it here.
    monkeypatch.setattr(replica, "connections", {PRIMARY: connections[PRIMARY], REPLICA: fake.connection})
    with override_settings(REPLICA_MAX_LAG_S=5.0, REPLICA_CHECK_INTERVAL_S=2.0, REPLICA_STICKY_S=5):
        yield fake


def _fallbacks(reason: str) -> float:
    # This counter alone: the whole registry also holds report gauges that query the database.
    samples = [sample for family in replica.FALLBACKS.collect() for sample in family.samples
               if sample.name.endswith("_total") and sample.labels == {"reason": reason}]
    return samples[0].value if samples else 0.0


def _read_db() -> str:
    return ReplicaRouter().db_for_read(User)


def test_without_a_replica_everything_reads_the_primary() -> None:
    with replica.replica_reads():
        assert _read_db() == PRIMARY


def test_only_marked_reads_go_to_a_healthy_replica(fake: FakeReplica) -> None:
    assert _read_db() == PRIMARY
    with replica.replica_reads():
        assert _read_db() == REPLICA
        from django.contrib.sessions.models import Session
        assert ReplicaRouter().db_for_read(Session) == PRIMARY  # read right after its own write
    router = ReplicaRouter()
    assert router.db_for_write(User) == PRIMARY
    assert router.allow_migrate(PRIMARY, "profiles") and not router.allow_migrate(REPLICA, "profiles")


@pytest.mark.django_db
def test_a_transaction_reads_its_own_rows_on_the_primary(fake: FakeReplica) -> None:
    with replica.replica_reads(), transaction.atomic():
        assert _read_db() == PRIMARY


def test_lag_beyond_the_limit_falls_back_logged_and_counted_then_returns(fake: FakeReplica,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    fake.lag = 9.0
    before = _fallbacks("lag")
    with replica.replica_reads(), caplog.at_level(logging.WARNING, logger=replica.__name__):
        assert _read_db() == PRIMARY
        assert _read_db() == PRIMARY
        assert fake.probes == 1  # checked at most every REPLICA_CHECK_INTERVAL_S
        fake.lag, fake.now = 0.5, fake.now + 2.0
        assert _read_db() == REPLICA
        assert fake.closed == 1  # the connection from before it went away is not reused
        assert _read_db() == REPLICA and fake.closed == 1
    assert _fallbacks("lag") == before + 2
    assert "9.0 s behind" in caplog.text and "reads return to it" in caplog.text


def test_an_unreachable_replica_costs_one_probe_per_interval_not_one_per_request(
        fake: FakeReplica, caplog: pytest.LogCaptureFixture) -> None:
    fake.lag = psycopg.OperationalError("connection refused")
    before = _fallbacks("unreachable")
    with replica.replica_reads(), caplog.at_level(logging.ERROR, logger=replica.__name__):
        for _ in range(20):
            assert _read_db() == PRIMARY
    assert fake.probes == 1
    assert _fallbacks("unreachable") == before + 20
    assert caplog.text.count("replica unreachable") == 1


def test_a_misconfigured_replica_url_fails_fast_not_hung() -> None:
    # A port nothing listens on: refused at once; connect_timeout bounds a host that never answers.
    with pytest.raises(psycopg.OperationalError):
        replica.measure_lag({"HOST": "127.0.0.1", "PORT": 1, "NAME": "x", "USER": "x",
                             "OPTIONS": {"connect_timeout": 1}})


@pytest.mark.django_db
def test_a_primary_given_as_replica_is_refused() -> None:
    from django.conf import settings
    assert replica.measure_lag(settings.DATABASES[PRIMARY]) == float("inf")


def _through_middleware(request: HttpRequest) -> tuple[HttpResponse, bool]:
    seen: dict[str, bool] = {}

    def view(_: HttpRequest) -> HttpResponse:
        seen["replica"] = replica._replica_reads.get()
        return HttpResponse()

    response = ReplicaReadsMiddleware(view)(request)
    return response, seen["replica"]


def test_middleware_marks_report_reads_and_pins_a_writer_to_the_primary(fake: FakeReplica) -> None:
    factory = RequestFactory()
    response, on_replica = _through_middleware(factory.get("/reports/agents/"))
    assert on_replica and replica.STICKY_COOKIE not in response.cookies
    assert not _through_middleware(factory.get("/desk/"))[1]
    assert not _through_middleware(factory.post("/reports/builder/"))[1]

    response, _ = _through_middleware(factory.post("/desk/tickets/1/reply/"))
    assert response.cookies[replica.STICKY_COOKIE]["max-age"] == 5
    just_wrote = factory.get("/reports/agents/")
    just_wrote.COOKIES[replica.STICKY_COOKIE] = "1"
    before = _fallbacks("sticky_after_write")
    assert not _through_middleware(just_wrote)[1]
    assert _fallbacks("sticky_after_write") == before + 1


def test_middleware_does_nothing_without_a_replica() -> None:
    response, on_replica = _through_middleware(RequestFactory().post("/desk/tickets/1/reply/"))
    assert not on_replica and replica.STICKY_COOKIE not in response.cookies
