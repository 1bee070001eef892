"""Service figures for Prometheus, read from the database and the broker at scrape time.

A collector (not counters bumped in code) because the database is the truth: every web, worker and
beat process would otherwise keep its own partial count. django-prometheus serves them on /metrics
beside its request metrics.
"""

from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from core import backups, quarantine, queueing
from profiles import selectors as profile_selectors
from tickets import selectors as ticket_selectors


def celery_queue_depths() -> dict[str, int] | None:
    """Messages waiting in each named Celery queue (Redis lists), or None if the broker is down."""
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
        with client.pipeline(transaction=False) as pipe:
            for queue in settings.TASK_QUEUES:
                pipe.llen(queue)
            return {queue: int(depth) for queue, depth in zip(settings.TASK_QUEUES, pipe.execute(), strict=True)}
    except redis.RedisError:
        return None


class ServiceCollector(Collector):
    def describe(self) -> Iterator[Any]:
        # Without describe() the registry would call collect() at registration, querying the
        # database while Django is still starting.
        yield GaugeMetricFamily("service_center_tickets_open", "", labels=["status", "team"])
        yield GaugeMetricFamily("service_center_tickets_past_due", "", labels=["status", "team"])
        yield CounterMetricFamily("service_center_sla_events", "", labels=["target", "kind"])
        yield GaugeMetricFamily("service_center_agents", "", labels=["presence"])
        yield GaugeMetricFamily("service_center_celery_queue_depth", "", labels=["queue"])
        yield GaugeMetricFamily("service_center_backup_last_run_timestamp_seconds", "", labels=["outcome"])
        yield GaugeMetricFamily("service_center_outbox_messages", "", labels=["state"])
        yield GaugeMetricFamily("service_center_quarantined_messages", "", labels=["channel", "state"])

    def collect(self) -> Iterator[Any]:
        queued = GaugeMetricFamily("service_center_tickets_open", "Open tickets by status and team.",
                                   labels=["status", "team"])
        at_risk = GaugeMetricFamily("service_center_tickets_past_due", "Open tickets past their SLA due time.",
                                    labels=["status", "team"])
        for status, team, total, breached in ticket_selectors.open_ticket_counts():
            queued.add_metric([status, team], total)
            at_risk.add_metric([status, team], breached)
        yield queued
        yield at_risk

        events = CounterMetricFamily("service_center_sla_events", "SLA warnings and breaches announced.",
                                     labels=["target", "kind"])
        for (target, kind), total in sorted(ticket_selectors.sla_event_counts().items()):
            events.add_metric([target, kind], total)
        yield events

        agents = GaugeMetricFamily("service_center_agents", "Agents by presence.", labels=["presence"])
        for presence, total in profile_selectors.agent_presence_counts().items():
            agents.add_metric([presence], total)
        yield agents

        backups_seen = GaugeMetricFamily(
            "service_center_backup_last_run_timestamp_seconds",
            "When the newest successful and the newest failed database backup started (Unix time).",
            labels=["outcome"])
        for succeeded, run in backups.latest_runs().items():
            if run is not None:
                backups_seen.add_metric(["success" if succeeded else "failure"], run.started_at.timestamp())
        yield backups_seen

        depths = celery_queue_depths()
        if depths is not None:
            waiting = GaugeMetricFamily("service_center_celery_queue_depth", "Tasks waiting, by Celery queue.",
                                        labels=["queue"])
            for queue, depth in depths.items():
                waiting.add_metric([queue], depth)
            yield waiting

        # Pending rows pile up while the broker is down; dead rows wait for a person in admin.
        outbox = GaugeMetricFamily("service_center_outbox_messages", "Outbox messages (background work) by state.",
                                   labels=["state"])
        for state, total in queueing.state_counts().items():
            outbox.add_metric([state], total)
        yield outbox

        # Inbound messages intake could not store, by channel: a growing "held" count is the alert.
        held = GaugeMetricFamily("service_center_quarantined_messages",
                                 "Quarantined inbound messages by channel and state.", labels=["channel", "state"])
        for (channel, state), total in sorted(quarantine.counts_by_channel_and_state().items()):
            held.add_metric([channel, state], total)
        yield held


_registered = False


def register() -> None:
    """Add the collector to the default registry once per process (ready() may run more than once)."""
    global _registered
    if not _registered:
        from prometheus_client import REGISTRY

        REGISTRY.register(ServiceCollector())
        _registered = True
