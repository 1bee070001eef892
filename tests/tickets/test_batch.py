"""The set-based path (services.batch) behind the automation sweep and bulk jobs: the same tickets, history,
messages, events, run rows and outbox rows as the ticket services one ticket at a time; a refused ticket kept
as it was; a ticket someone holds left for the next run; a sweep's queries constant in the number of tickets."""

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import events, queueing
from core.models import OutboxMessage
from profiles.models import Team, User
from tests.tickets.factories import SlaPolicyFactory
from tickets import services
from tickets.models import (
    Automation,
    AutomationRun,
    BulkJob,
    Macro,
    MacroAction,
    Priority,
    SatisfactionSurvey,
    Status,
    Ticket,
    TicketMessage,
    TicketSearch,
)
from tickets.realtime import TICKET_EVENTS
from tickets.services import automations, bulk, search_index
from tickets.services.rules import automation_account

pytestmark = pytest.mark.django_db
Kind = MacroAction.Kind
TAG = "批处理"
TICKET_FIELDS = ("status", "priority", "tags", "team_id", "assignee_id", "sla_policy_id", "first_response_due_at",
                 "next_response_due_at", "resolution_due_at", "due_at", "first_responded_at", "solved_at",
                 "closed_at", "sla_paused_at", "sla_paused_seconds", "next_sla_check_at")
HISTORY_FIELDS = {field.name for field in Ticket.history.model.tracked_fields}
# Ids and tokens the database or the signer hands out afresh on each run.
FRESH = {"message_id", "survey_id", "token", "delivery_id", "outbound_id", "event_id"}


@pytest.fixture(autouse=True)
def _policies(db: None) -> None:
    for priority, minutes in ((Priority.NORMAL, 240), (Priority.HIGH, 60)):
        SlaPolicyFactory.create(priority=priority, first_response_minutes=minutes, resolution_minutes=minutes * 10)


def _rule(*steps: MacroAction, notify_team: bool = True) -> Automation:
    Automation.objects.update(active=False)  # the shipped rules: only this one runs
    macro = Macro.objects.create(title="批量提醒")
    for position, step in enumerate(steps):
        step.macro, step.position = macro, position
        step.save()
    return Automation.objects.create(name="带标签 1 小时", statuses=[Status.NEW, Status.OPEN, Status.PENDING],
                                     anchor="created_at", hours=1, tag=TAG, macro=macro, notify_team=notify_team)


def _scenario(make_ticket: Callable[..., Ticket], agent: User) -> list[Ticket]:
    """A new ticket (a reply opens it), an open one, a pending one (its SLA resumes), a parent with an open
    sub-ticket (solving it is refused), and one without the rule's tag."""
    fresh = make_ticket(tags=[TAG], subject="新工单")
    opened = make_ticket(tags=[TAG], subject="处理中")
    services.ticket_transition(ticket=opened, target=Status.OPEN, actor=agent)
    pending = make_ticket(tags=[TAG], subject="待回复")
    services.ticket_transition(ticket=pending, target=Status.PENDING, actor=agent)
    parent = make_ticket(tags=[TAG], subject="有子工单")
    services.ticket_create_child(parent=parent, actor=agent, subject="子工单", body="还在处理")
    untagged = make_ticket(subject="无标签")
    tickets = [fresh, opened, pending, parent, untagged]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        created_at=timezone.now() - timedelta(hours=3), sla_paused_at=timezone.now() - timedelta(hours=2))
    Ticket.objects.filter(pk__in=[fresh.pk, opened.pk, parent.pk, untagged.pk]).update(sla_paused_at=None)
    return tickets


def _full_macro() -> list[MacroAction]:
    return [
        MacroAction(kind=Kind.REPLY, text="{{ customer.name }} 您好: 工单 {{ ticket.number }} 已处理。"),
        MacroAction(kind=Kind.NOTE, text="自动备注"),
        MacroAction(kind=Kind.PRIORITY, priority=Priority.HIGH),
        MacroAction(kind=Kind.ADD_TAGS, tags=["已提醒"]),
        MacroAction(kind=Kind.REMOVE_TAGS, tags=[TAG]),
        MacroAction(kind=Kind.STATUS, status=Status.SOLVED),
    ]


@pytest.fixture
def heard() -> Iterator[list[events.DomainEvent]]:
    got: list[events.DomainEvent] = []
    names = (*TICKET_EVENTS, "ticket.survey_sent", "ticket.mentioned")
    for name in names:
        events.subscribe(name, got.append)
    yield got
    for name in names:
        events.unsubscribe(name, got.append)


def _plain(value: Any) -> Any:
    """Values to compare: ids handed out afresh dropped."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in sorted(value.items()) if key not in FRESH}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _same(first: Any, second: Any, key: str = "") -> bool:
    """Equal, times within a few seconds of each other (each path reads the clock at its own moment), and so are
    spans counted up to that moment (sla_paused_seconds: 903 on one path, 904 on the other when a second ticks
    between them)."""
    if isinstance(first, datetime) and isinstance(second, datetime):
        return abs(first - second) <= timedelta(seconds=5)
    if key.endswith("_seconds") and isinstance(first, int) and isinstance(second, int):
        return abs(first - second) <= 5
    if isinstance(first, dict) and isinstance(second, dict):
        return first.keys() == second.keys() and all(_same(first[key], second[key], key) for key in first)
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(_same(a, b) for a, b in zip(first, second, strict=True))
    return bool(first == second)


def _observe(ticket_ids: list[int], heard: list[events.DomainEvent]) -> dict[str, Any]:
    tickets = Ticket.objects.filter(pk__in=ticket_ids).order_by("pk")
    history = Ticket.history.filter(id__in=ticket_ids).order_by("id", "history_id")
    return _plain({
        "tickets": list(tickets.values(*TICKET_FIELDS)),
        "history": list(history.values("id", "history_type", "history_change_reason", "history_user_id",
                                       *(name for name in TICKET_FIELDS if name in HISTORY_FIELDS))),
        "messages": list(TicketMessage.objects.filter(ticket_id__in=ticket_ids).order_by("ticket_id", "pk")
                         .values("ticket_id", "kind", "author_id", "from_customer", "body")),
        "surveys": sorted(SatisfactionSurvey.objects.filter(ticket_id__in=ticket_ids)
                          .values_list("ticket_id", flat=True)),
        "runs": list(AutomationRun.objects.filter(ticket_id__in=ticket_ids).order_by("ticket_id")
                     .values("ticket_id", "anchor_at", "error")),
        "outbox": sorted([row.task_name, sorted(_plain(row.kwargs).items())] for row in OutboxMessage.objects.all()),
        # A tag step appends the tags' words to the head (search_index.append_tags) where the services rebuild it.
        "search": list(TicketSearch.objects.filter(ticket_id__in=ticket_ids).order_by("ticket_id")
                       .values_list("ticket_id", "head")),
        "events": sorted(([event.name, sorted(_plain(event.payload).items())] for event in heard), key=repr),
    })


def _both_paths(run_one_by_one: Callable[[], Any], run_batch: Callable[[], Any], ticket_ids: list[int],
                heard: list[events.DomainEvent], capture: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    observed = []
    for run in (run_one_by_one, run_batch):
        heard.clear()
        with transaction.atomic():
            with capture(execute=True):
                run()
            observed.append(_observe(ticket_ids, heard))
            transaction.set_rollback(True)  # the next path starts from the same tickets
    return observed[0], observed[1]


def test_the_sweep_gives_what_the_services_give_one_by_one(
        make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], heard: list[events.DomainEvent],
        django_capture_on_commit_callbacks: Any) -> None:
    agent = make_agent()
    tickets = _scenario(make_ticket, agent)
    rule = _rule(*_full_macro())
    actor = automation_account()
    now = timezone.now()
    OutboxMessage.objects.all().delete()

    def one_by_one() -> None:
        for ticket in automations.candidates(rule, now=now):
            automations._fire(rule, ticket, actor)

    ids = [ticket.pk for ticket in tickets]
    services_result, batch_result = _both_paths(one_by_one, lambda: automations.automations_sweep(now=now), ids,
                                                heard, django_capture_on_commit_callbacks)
    for part in services_result:
        assert _same(batch_result[part], services_result[part]), (part, batch_result[part], services_result[part])
    # The scenario does what it says: three tickets solved with a reply, the parent refused and kept.
    assert [row["status"] for row in batch_result["tickets"]] == [
        Status.SOLVED, Status.SOLVED, Status.SOLVED, Status.NEW, Status.NEW]
    assert len(batch_result["surveys"]) == 3 and len(batch_result["runs"]) == 4
    assert batch_result["runs"][3]["error"].startswith(rule.name)


def test_a_bulk_job_gives_what_the_services_give(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                                 heard: list[events.DomainEvent],
                                                 django_capture_on_commit_callbacks: Any, team: Team) -> None:
    agent = make_agent()
    assignee = make_agent(capacity=2)
    tickets = _scenario(make_ticket, agent)
    ids = [ticket.pk for ticket in tickets]
    OutboxMessage.objects.all().delete()
    for action, params in (("status", {"status": Status.SOLVED}), ("priority", {"priority": Priority.HIGH}),
                           ("tag", {"tag": "批量"}), ("assign", {"assignee_id": assignee.pk})):
        job = BulkJob.objects.create(actor=agent, action=action, params=params, ticket_ids=ids)

        def one_by_one(job: BulkJob = job) -> None:
            for pk in ids:
                bulk._one(job, pk)

        def batched(job: BulkJob = job) -> None:
            services.bulk_job_run(job_id=job.pk)

        services_result, batch_result = _both_paths(one_by_one, batched, ids, heard,
                                                    django_capture_on_commit_callbacks)
        assert _same(batch_result, services_result), (action, batch_result, services_result)


@pytest.mark.django_db(transaction=True)
def test_a_held_ticket_is_skipped_then_done(make_ticket: Callable[..., Ticket],
                                            make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    opened = _scenario(make_ticket, agent)[1]
    _rule(MacroAction(kind=Kind.ADD_TAGS, tags=["已提醒"]))
    holding, release = threading.Event(), threading.Event()

    def agent_holds() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=opened.pk)
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=agent_holds)
    holder.start()
    try:
        assert holding.wait(30)
        assert automations.automations_sweep() == {"applied": 3, "refused": 0}
    finally:
        release.set()
        holder.join()
    assert "已提醒" not in Ticket.objects.get(pk=opened.pk).tags
    assert not AutomationRun.objects.filter(ticket=opened).exists()
    assert automations.automations_sweep() == {"applied": 1, "refused": 0}
    assert "已提醒" in Ticket.objects.get(pk=opened.pk).tags


def _tagged_tickets(count: int, team: Team, customer: User) -> list[int]:
    """`count` open tickets with the rule's tag, three hours old (bulk-created: the sweep is what is counted)."""
    now = timezone.now()
    Ticket.objects.bulk_create([
        Ticket(number=f"B{n:08d}", customer=customer, subject=f"批量 {n}", team=team, status=Status.OPEN,
               tags=[TAG]) for n in range(count)])
    Ticket.objects.filter(number__startswith="B").update(created_at=now - timedelta(hours=3))
    return list(Ticket.objects.filter(number__startswith="B").values_list("pk", flat=True))


def test_the_sweep_runs_a_constant_number_of_queries(make_agent: Callable[..., User], customer: User, team: Team,
                                                     django_capture_on_commit_callbacks: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """With what runs after the commit (events, outbox relay) counted; the workers' own part is not the sweep's."""
    monkeypatch.setattr(queueing, "_send", lambda message, now: True)
    make_agent()
    rule = _rule(*_full_macro()[:5], MacroAction(kind=Kind.STATUS, status=Status.PENDING))
    automation_account()
    counts = []
    for count in (1, 1, 200):
        Ticket.objects.filter(number__startswith="B").delete()
        ids = _tagged_tickets(count, team, customer)
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            totals = automations.automations_sweep()
        assert totals == {"applied": count, "refused": 0}
        assert Ticket.objects.filter(pk__in=ids, status=Status.PENDING).count() == count
        counts.append(len(queries))
    # The first run fills the configuration caches (SLA policies, webhook endpoints, triggers) as on any
    # running system; then 1 ticket and 200 cost the same.
    assert counts[1] == counts[2], counts
    assert rule.macro.usage_count == 0 and Macro.objects.get(pk=rule.macro_id).usage_count == 202


def test_a_ticket_without_a_search_row_gets_its_whole_head(make_agent: Callable[..., User], customer: User,
                                                           team: Team) -> None:
    """A ticket from before the search backfill has no row to append the new tag's words to: it gets the head
    `refresh_heads` computes (number, subject, customer and every tag)."""
    make_agent()
    _rule(MacroAction(kind=Kind.ADD_TAGS, tags=["已提醒"]))
    ids = _tagged_tickets(2, team, customer)
    assert not TicketSearch.objects.filter(ticket_id__in=ids).exists()
    assert automations.automations_sweep() == {"applied": 2, "refused": 0}
    swept = dict(TicketSearch.objects.filter(ticket_id__in=ids).values_list("ticket_id", "head"))
    search_index.refresh_heads(ids)
    assert swept == dict(TicketSearch.objects.filter(ticket_id__in=ids).values_list("ticket_id", "head"))
    assert all("'提醒'" in head and "'批量'" in head for head in swept.values()), swept  # the tag and the subject
