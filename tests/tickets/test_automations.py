"""Automations: the default rules (remind after 48 h pending, close 7 days after solved, raise an untouched VIP
ticket after one business hour), once per ticket per window, refusals recorded without a change, the cap
per run, the confirmation a broad rule needs, and the admin's dry run."""

from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from core.models import OutboxMessage
from profiles.models import CustomerProfile, Team, User
from tests.clients import logged_in as login
from tests.tickets.factories import SlaPolicyFactory
from tickets import services
from tickets.models import (
    Automation,
    AutomationRun,
    Macro,
    MacroAction,
    Notification,
    Priority,
    Status,
    Ticket,
    TicketMessage,
)
from tickets.services.automations import automations_sweep

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULTS_MIGRATION = "0018_default_automations"


@pytest.fixture(autouse=True)
def default_rules(db: None) -> None:
    """The rules the data migration ships; a transactional test elsewhere on this worker may have flushed them."""
    migration = import_module(f"tickets.migrations.{DEFAULTS_MIGRATION}")
    migration.create(django_apps, None)


def _rule(name: str) -> Automation:
    return Automation.objects.get(name=name)


def _age(ticket: Ticket, **fields: object) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(**fields)


def test_pending_48_hours_reminds_once_per_window(make_ticket: Callable[..., Ticket],
                                                  make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    ticket = make_ticket()
    services.ticket_transition(ticket=ticket, target=Status.PENDING, actor=agent)
    now = datetime.now(SHANGHAI)
    _age(ticket, sla_paused_at=now - timedelta(hours=47))
    assert automations_sweep(now=now) == {"applied": 0, "refused": 0}
    _age(ticket, sla_paused_at=now - timedelta(hours=49))
    assert automations_sweep(now=now)["applied"] == 1
    reminder = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.REPLY).latest("pk")
    assert ticket.number in reminder.body and "是否已经解决" in reminder.body
    assert automations_sweep(now=now + timedelta(minutes=1))["applied"] == 0
    # Pending again from a later time: a new window, a new reminder.
    _age(ticket, sla_paused_at=now - timedelta(hours=60), status=Status.PENDING)
    assert automations_sweep(now=now)["applied"] == 1
    assert AutomationRun.objects.filter(ticket=ticket).count() == 2


def test_solved_7_days_closes(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    old, recent = make_ticket(), make_ticket()
    for ticket in (old, recent):
        services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
    now = datetime.now(SHANGHAI)
    _age(old, solved_at=now - timedelta(days=7, minutes=1))
    automations_sweep(now=now)
    assert Ticket.objects.get(pk=old.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=recent.pk).status == Status.SOLVED


def test_untouched_vip_after_one_business_hour(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                               customer: User, team: Team) -> None:
    for priority in Priority.values:  # a VIP's ticket may be raised above normal at creation
        SlaPolicyFactory.create(priority=priority, first_response_minutes=240, resolution_minutes=2400)
    teammate = make_agent()
    CustomerProfile.objects.filter(user=customer).update(vip_level=CustomerProfile.VipLevel.GOLD)
    # Created on Saturday 10:00: two calendar hours later no business hour has passed (Mon to Fri, 9:00 to 18:00).
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    ticket = make_ticket(now=saturday)
    _age(ticket, created_at=saturday)
    ticket.refresh_from_db()
    assert ticket.sla_policy is not None, "the business-hours check needs the ticket's calendar"
    assert automations_sweep(now=saturday + timedelta(hours=2))["applied"] == 0, list(
        AutomationRun.objects.values_list("automation__name", "ticket__number", "anchor_at"))
    monday = datetime(2026, 11, 30, 10, 5, tzinfo=SHANGHAI)
    assert automations_sweep(now=monday)["applied"] == 1
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.NOTE, body__contains="VIP").exists()
    # The team's notice goes out through the outbox (delivered after commit by the worker).
    notice = OutboxMessage.objects.get(task_name="tickets.tasks.deliver_notifications")
    assert teammate.pk in notice.kwargs["recipient_ids"] and notice.kwargs["ticket_id"] == ticket.pk
    assert notice.kwargs["kind"] == Notification.Kind.AUTOMATION
    # Answered tickets and regular customers are not touched.
    answered = make_ticket(now=saturday)
    services.ticket_reply(ticket=answered, author=teammate, body="您好")
    _age(answered, created_at=saturday)
    assert automations_sweep(now=monday)["applied"] == 0


def test_a_refused_change_is_recorded_once_and_the_ticket_kept(make_ticket: Callable[..., Ticket],
                                                              make_agent: Callable[..., User]) -> None:
    Automation.objects.update(active=False)
    agent = make_agent()
    ticket = make_ticket(tags=["卡住"])
    services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
    macro = Macro.objects.create(title="改成待回复")
    MacroAction.objects.create(macro=macro, kind=MacroAction.Kind.NOTE, text="自动备注")
    MacroAction.objects.create(macro=macro, kind=MacroAction.Kind.STATUS, status=Status.PENDING)
    Automation.objects.create(name="坏规则", statuses=[Status.SOLVED], anchor="solved_at", hours=1, tag="卡住",
                              macro=macro)
    now = datetime.now(SHANGHAI) + timedelta(hours=2)
    assert automations_sweep(now=now) == {"applied": 0, "refused": 1}
    run = AutomationRun.objects.get(ticket=ticket)
    assert run.error.startswith("坏规则")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.SOLVED
    assert not TicketMessage.objects.filter(ticket=ticket, body="自动备注").exists()
    assert automations_sweep(now=now) == {"applied": 0, "refused": 0}


def test_cap_per_run(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    agent = make_agent()
    tickets = [make_ticket() for _ in range(3)]
    now = datetime.now(SHANGHAI)
    for ticket in tickets:
        services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
        _age(ticket, solved_at=now - timedelta(days=8))
    Automation.objects.filter(anchor="solved_at").update(max_per_run=2)
    assert automations_sweep(now=now)["applied"] == 2
    assert automations_sweep(now=now)["applied"] == 1


def test_a_broad_rule_needs_confirmation_and_a_shared_macro(make_user: Callable[..., User]) -> None:
    personal = Macro.objects.create(title="我的", owner=make_user("agent"))
    rule = Automation(name="全部", statuses=[Status.OPEN], anchor="created_at", hours=1, macro=personal)
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert set(refused.value.message_dict) == {"confirmed_broad", "macro"}


def test_admin_shows_the_dry_run(make_ticket: Callable[..., Ticket], make_agent: Callable[..., User],
                                 make_user: Callable[..., User]) -> None:
    agent = make_agent()
    ticket = make_ticket()
    services.ticket_transition(ticket=ticket, target=Status.SOLVED, actor=agent)
    _age(ticket, solved_at=datetime.now(SHANGHAI) - timedelta(days=9))
    rule = _rule("已解决 7 天自动关闭")
    page = login(make_user("supervisor")).get(f"/admin/tickets/automation/{rule.pk}/change/").content.decode()
    assert ticket.number in page
