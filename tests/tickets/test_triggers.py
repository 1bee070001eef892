"""Triggers: each event fires them after the commit through the task path (created, customer replied, status
changed, survey received, after-sales request moved), each condition narrows them as it narrows automations,
the loop guard and the chain bound, a refusal recorded without a change, one firing per event, the admin's
dry run and who may open the admin."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from aftersales.services import setup as aftersales_setup
from core.models import OutboxMessage
from profiles.models import CustomerProfile, Team, User
from tests.aftersales.factories import apply, make_order
from tests.clients import logged_in
from tests.factories import TeamFactory
from tickets import services
from tickets.models import (
    Channel,
    Macro,
    MacroAction,
    Priority,
    Status,
    Ticket,
    TicketMessage,
    Trigger,
    TriggerRun,
)
from tickets.services.surveys import survey_create, survey_submit, survey_token
from tickets.services.triggers import MAX_CHAIN, triggers_run

pytestmark = pytest.mark.django_db
Event = Trigger.Event
Kind = MacroAction.Kind


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Run a block's on-commit work as a real commit would: events, the outbox relay, the (eager) task, and
    whatever that task's own commits publish in turn."""

    @contextmanager
    def block() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block


def _macro(title: str, *steps: dict[str, Any]) -> Macro:
    macro = Macro.objects.create(title=title)
    for position, step in enumerate(steps):
        MacroAction.objects.create(macro=macro, position=position, **step)
    return macro


def _trigger(event: str, *steps: dict[str, Any], **conditions: Any) -> Trigger:
    conditions.setdefault("confirmed_broad", True)
    name = conditions.pop("name", f"{event} trigger")
    return Trigger.objects.create(name=name, event=event, macro=_macro(name, *steps), **conditions)


def _note(text: str) -> dict[str, Any]:
    return {"kind": Kind.NOTE, "text": text}


def _notes(ticket: Ticket, text: str) -> int:
    return TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.NOTE, body=text).count()


def test_ticket_created(make_ticket: Callable[..., Ticket], after_commit: Callable[[], Any]) -> None:
    _trigger(Event.CREATED, {"kind": Kind.ADD_TAGS, "tags": ["新单"]})
    with after_commit():
        ticket = make_ticket()
    ticket.refresh_from_db()
    assert "新单" in ticket.tags
    run = TriggerRun.objects.get(ticket=ticket)
    assert (run.error, run.chain) == ("", 0)
    # It came through the task path: an outbox row for the run, done.
    row = OutboxMessage.objects.get(task_name="tickets.tasks.run_triggers")
    assert row.kwargs["ticket_id"] == ticket.pk and row.kwargs["event"] == Event.CREATED


def test_customer_replied_and_not_the_desk(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                          customer: User, after_commit: Callable[[], Any]) -> None:
    ticket = make_ticket()
    agent = make_agent()
    _trigger(Event.CUSTOMER_REPLIED, _note("客户追问"))
    with after_commit():
        services.ticket_reply(ticket=ticket, author=agent, body="您好，正在处理")  # noqa: RUF001
    assert _notes(ticket, "客户追问") == 0
    with after_commit():
        services.ticket_reply(ticket=ticket, author=customer, body="还没好吗")
    assert _notes(ticket, "客户追问") == 1


def test_status_changed_to_a_listed_status(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                           after_commit: Callable[[], Any]) -> None:
    ticket = make_ticket()
    agent = make_agent()
    _trigger(Event.STATUS_CHANGED, _note("等待客户"), statuses=[Status.PENDING], confirmed_broad=False)
    with after_commit():
        services.ticket_transition(ticket=ticket, target=Status.ON_HOLD, actor=agent)
    assert _notes(ticket, "等待客户") == 0
    with after_commit():
        services.ticket_transition(ticket=ticket, target=Status.PENDING, actor=agent)
    assert _notes(ticket, "等待客户") == 1


def test_survey_received(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                         after_commit: Callable[[], Any]) -> None:
    ticket = make_ticket()
    services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=make_agent())
    survey, _created = survey_create(ticket=ticket)
    _trigger(Event.SURVEY_RECEIVED, {"kind": Kind.ADD_TAGS, "tags": ["已评价"]})
    with after_commit():
        survey_submit(token=survey_token(survey), attitude=1, speed=1, result=1, suggestion="太慢")
    ticket.refresh_from_db()
    assert "已评价" in ticket.tags


def test_aftersales_request_changed(make_user: Callable[..., User], after_commit: Callable[[], Any]) -> None:
    """The after-sales app publishes `aftersales.request_changed` with the request's ticket; tickets hears it by
    name (it does not import after-sales)."""
    aftersales_setup.reference_data_ensure()
    buyer = make_user("customer")
    store = make_user("merchant_staff").stores.get()
    _trigger(Event.AFTERSALES_CHANGED, {"kind": Kind.PRIORITY, "priority": Priority.HIGH})
    with after_commit():
        request = apply(make_order(customer=buyer, store=store))
    assert request.ticket is not None
    request.ticket.refresh_from_db()
    assert request.ticket.priority == Priority.HIGH
    assert TriggerRun.objects.filter(ticket=request.ticket, error="").exists()


CONDITIONS: list[tuple[str, dict[str, Any]]] = [
    ("statuses", {"statuses": [Status.OPEN]}),
    ("priority", {"priority": Priority.HIGH}),
    ("channel", {"channel": Channel.EMAIL}),
    ("team", {}),  # set in the test: the matching ticket's team
    ("tag", {"tag": "退款"}),
    ("vip_only", {"vip_only": True}),
    ("untouched", {"untouched": True}),
]


@pytest.mark.parametrize(("condition", "values"), CONDITIONS, ids=[name for name, _values in CONDITIONS])
def test_each_condition_narrows(condition: str, values: dict[str, Any], make_ticket: Callable[..., Ticket],
                                make_agent: Callable[..., User], customer: User, team: Team) -> None:
    agent = make_agent()
    other_customer = CustomerProfile.objects.create(user=User.objects.create(username="lisi")).user
    other_team = TeamFactory.create()
    # The matching ticket meets every condition; the other misses exactly this one.
    matching = make_ticket(priority=Priority.HIGH, channel=Channel.EMAIL, tags=["退款"])
    services.ticket_transition(ticket=matching, target=Status.OPEN, actor=agent)
    CustomerProfile.objects.filter(user=customer).update(vip_level=CustomerProfile.VipLevel.GOLD)
    misses: dict[str, dict[str, Any]] = {
        "statuses": {}, "priority": {"priority": Priority.LOW}, "channel": {"channel": Channel.WEB},
        "team": {"team": other_team}, "tag": {"tags": ["咨询"]}, "vip_only": {"customer": other_customer},
        "untouched": {}}
    miss = misses[condition]
    other = make_ticket(**{"priority": Priority.HIGH, "channel": Channel.EMAIL, "tags": ["退款"], **miss})
    if condition != "statuses":
        services.ticket_transition(ticket=other, target=Status.OPEN, actor=agent)
    if condition == "untouched":
        services.ticket_reply(ticket=other, author=agent, body="您好")
    if condition == "team":
        values = {"team": team}
    _trigger(Event.CREATED, _note("命中"), confirmed_broad=False, **values)
    for ticket in (matching, other):
        triggers_run(event=Event.CREATED, ticket_id=ticket.pk, chain=[], event_id=str(uuid.uuid4()))
    assert (_notes(matching, "命中"), _notes(other, "命中")) == (1, 0)


def test_a_trigger_does_not_fire_on_its_own_change(make_ticket: Callable[..., Ticket],
                                                   make_agent: Callable[..., User],
                                                   after_commit: Callable[[], Any]) -> None:
    ticket = make_ticket()
    agent = make_agent()
    services.ticket_transition(ticket=ticket, target=Status.OPEN, actor=agent)
    # On any status change, move the ticket to pending: its own move must not fire it again.
    reopen = _trigger(Event.STATUS_CHANGED, _note("状态变了"), {"kind": Kind.STATUS, "status": Status.PENDING})
    with after_commit():
        services.ticket_transition(ticket=ticket, target=Status.ON_HOLD, actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert TriggerRun.objects.filter(trigger=reopen).count() == 1
    assert _notes(ticket, "状态变了") == 1


def test_two_triggers_ping_pong_once_each(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                          after_commit: Callable[[], Any]) -> None:
    ticket = make_ticket()
    agent = make_agent()
    services.ticket_transition(ticket=ticket, target=Status.OPEN, actor=agent)
    to_open = _trigger(Event.STATUS_CHANGED, {"kind": Kind.STATUS, "status": Status.OPEN}, name="回到处理中",
                       statuses=[Status.PENDING], confirmed_broad=False)
    to_pending = _trigger(Event.STATUS_CHANGED, {"kind": Kind.STATUS, "status": Status.PENDING}, name="回到待回复",
                          statuses=[Status.OPEN], confirmed_broad=False)
    with after_commit():
        services.ticket_transition(ticket=ticket, target=Status.PENDING, actor=agent)
    runs = list(TriggerRun.objects.order_by("pk").values_list("trigger", "chain", "error"))
    assert runs == [(to_open.pk, 0, ""), (to_pending.pk, 1, "")]
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_a_chain_is_bounded(make_ticket: Callable[..., Ticket]) -> None:
    ticket = make_ticket()
    trigger = _trigger(Event.CREATED, _note("链太长"))
    chain = [trigger.pk + 1000 + n for n in range(MAX_CHAIN)]
    assert triggers_run(event=Event.CREATED, ticket_id=ticket.pk, chain=chain,
                        event_id=str(uuid.uuid4())) == {"applied": 0, "refused": 1}
    run = TriggerRun.objects.get(trigger=trigger)
    assert run.chain == MAX_CHAIN and str(MAX_CHAIN) in run.error
    assert _notes(ticket, "链太长") == 0


def test_a_refusal_is_recorded_and_the_ticket_kept(make_ticket: Callable[..., Ticket],
                                                   make_agent: Callable[..., User],
                                                   after_commit: Callable[[], Any]) -> None:
    """Solved cannot move to pending: the whole macro (its note too) is rolled back, the run says why."""
    ticket = make_ticket()
    agent = make_agent()
    _trigger(Event.STATUS_CHANGED, _note("自动备注"), {"kind": Kind.STATUS, "status": Status.PENDING},
             name="坏触发器", statuses=[Status.SOLVED], confirmed_broad=False)
    with after_commit():
        services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
    run = TriggerRun.objects.get(ticket=ticket)
    assert run.error.startswith("坏触发器")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    assert _notes(ticket, "自动备注") == 0


def test_one_firing_per_event(make_ticket: Callable[..., Ticket]) -> None:
    """A task the broker delivers twice finds the run row and changes nothing more."""
    ticket = make_ticket()
    _trigger(Event.CREATED, _note("只一次"))
    event_id = str(uuid.uuid4())
    assert triggers_run(event=Event.CREATED, ticket_id=ticket.pk, chain=[], event_id=event_id)["applied"] == 1
    assert triggers_run(event=Event.CREATED, ticket_id=ticket.pk, chain=[], event_id=event_id)["applied"] == 0
    assert _notes(ticket, "只一次") == 1


def test_no_trigger_no_task(make_ticket: Callable[..., Ticket], after_commit: Callable[[], Any]) -> None:
    _trigger(Event.CREATED, _note("关着"), active=False)
    with after_commit():
        make_ticket()
    assert not OutboxMessage.objects.filter(task_name="tickets.tasks.run_triggers").exists()


def test_a_broad_trigger_needs_confirmation_and_a_shared_macro(make_user: Callable[..., User]) -> None:
    personal = Macro.objects.create(title="我的", owner=make_user("agent"))
    trigger = Trigger(name="全部", event=Event.CREATED, macro=personal)
    with pytest.raises(ValidationError) as refused:
        trigger.full_clean()
    assert set(refused.value.message_dict) == {"confirmed_broad", "macro"}


def test_admin_shows_the_dry_run(make_ticket: Callable[..., Ticket], make_user: Callable[..., User]) -> None:
    ticket = make_ticket(tags=["退款"])
    other = make_ticket(tags=["咨询"])
    trigger = _trigger(Event.CREATED, _note("x"), tag="退款", confirmed_broad=False)
    page = logged_in(make_user("supervisor")).get(f"/admin/tickets/trigger/{trigger.pk}/change/").content.decode()
    assert f"当前有 1 张工单符合条件，最新的：{ticket.number}" in page  # noqa: RUF001
    assert other.number not in page


ADMIN_EXPECTED = {"anonymous": 302, "customer": 302, "agent": 302, "merchant_staff": 302, "integrator": 302,
                  "qa": 200, "supervisor": 200, "admin": 200}


@pytest.mark.parametrize("role", list(ADMIN_EXPECTED))
def test_admin_permission_matrix(role: str, make_user: Callable[..., User]) -> None:
    """Supervisors and admins edit triggers and read their runs, QA reads the triggers (as it reads automations);
    everyone else is sent to sign in as staff."""
    trigger = _trigger(Event.CREATED, _note("x"))
    client = Client() if role == "anonymous" else logged_in(make_user(role))
    expected = ADMIN_EXPECTED[role]
    pages = {
        "/admin/tickets/trigger/": expected,
        f"/admin/tickets/trigger/{trigger.pk}/change/": expected,
        "/admin/tickets/trigger/add/": 403 if role == "qa" else expected,
        "/admin/tickets/triggerrun/": 403 if role == "qa" else expected,
    }
    assert {url: client.get(url).status_code for url in pages} == pages
