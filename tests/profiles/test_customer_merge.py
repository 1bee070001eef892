"""Merging duplicate customers: every app's rows move through the core registry, tags union, the most
recent consent wins, the duplicate is deactivated and kept, one audit entry; refusals change nothing."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from aftersales.models import AfterSalesRequest, Order
from aftersales.services import setup as aftersales_setup
from chat.models import Conversation
from core import customer_merge
from core.api import ApplicationError
from profiles import customers
from profiles.identities import customer_for_contact
from profiles.models import AuditEntry, ChannelIdentity, CustomerProfile, User
from tests.aftersales.factories import apply, make_order
from tests.chat.factories import start_chat
from tests.clients import logged_in
from tickets import services as ticket_services
from tickets.models import SatisfactionSurvey, Ticket
from tickets.services.surveys import survey_create

pytestmark = pytest.mark.django_db


def _customer_foreign_keys() -> set[str]:
    """Every `customer` foreign key to the user model, outside simple-history's copies."""
    found = set()
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if (isinstance(field, models.ForeignKey) and field.name == "customer"
                    and field.related_model._meta.label == settings.AUTH_USER_MODEL):
                found.add(f"{model._meta.label}.{field.name}")
    return found


def test_every_customer_foreign_key_has_a_merge_handler() -> None:
    keys = _customer_foreign_keys()
    assert {"tickets.Ticket.customer", "chat.Conversation.customer", "aftersales.Order.customer"} <= keys
    assert keys - customer_merge.covered_fields() == set(), "models whose customer rows a merge would leave behind"


def _history_of(customer: User) -> dict[str, int]:
    aftersales_setup.reference_data_ensure()
    ticket = ticket_services.ticket_create(customer=customer, subject="重复账号", body="我有两个账号")
    survey_create(ticket=ticket)
    start_chat(customer)
    apply(make_order(customer=customer))
    return {"tickets": Ticket.objects.filter(customer=customer).count()}


def test_merge_moves_every_row_and_keeps_the_duplicate_for_audit(make_user: Callable[..., User]) -> None:
    keeper, duplicate, supervisor = make_user("customer"), make_user("customer"), make_user("supervisor")
    _history_of(duplicate)
    CustomerProfile.objects.filter(user=keeper).update(tags=["老客户"], marketing_consent=False,
                                                       marketing_consent_at=timezone.now() - timedelta(days=3))
    CustomerProfile.objects.filter(user=duplicate).update(tags=["老客户", "爱退货"], vip_level=3,
                                                          marketing_consent=True, marketing_consent_at=timezone.now())
    ChannelIdentity.objects.create(customer=duplicate, kind="wechat", account="wx1", external_id="openid-dup")
    counts = {model: model.objects.filter(customer=duplicate).count()
              for model in (Ticket, SatisfactionSurvey, Conversation, Order, AfterSalesRequest, ChannelIdentity)}
    assert all(counts.values())

    merged = customers.customer_merge(source=duplicate, target=keeper, actor=supervisor)

    for model, count in counts.items():
        assert model.objects.filter(customer=duplicate).count() == 0, model
        assert model.objects.filter(customer=keeper).count() == count, model
    assert merged.tags == ["爱退货", "老客户"] and merged.vip_level == 3
    assert merged.marketing_consent is True  # the duplicate's choice was the more recent one
    duplicate.refresh_from_db()
    assert not duplicate.is_active
    assert CustomerProfile.objects.get(user=duplicate).merged_into == merged
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CUSTOMER_MERGED)
    assert entry.actor == supervisor and entry.detail["moved"]["tickets.Ticket.customer"] == counts[Ticket]
    assert customers.marketing_audience().filter(user=duplicate).count() == 0
    # The duplicate's WeChat id now brings its messages to the customer it was merged into.
    assert customer_for_contact(kind="wechat", account="wx1", external_id="openid-dup") == (keeper, False)


@pytest.mark.parametrize("case", ["self", "already_merged", "staff", "open_chats"])
def test_merge_refusals_change_nothing(make_user: Callable[..., User], case: str) -> None:
    keeper, duplicate, supervisor = make_user("customer"), make_user("customer"), make_user("supervisor")
    source, target = duplicate, keeper
    if case == "self":
        target = duplicate
    elif case == "already_merged":
        customers.customer_merge(source=make_user("customer"), target=duplicate, actor=supervisor)
        source, target = keeper, duplicate
        CustomerProfile.objects.filter(user=duplicate).update(merged_into=CustomerProfile.objects.get(user=keeper))
    elif case == "staff":
        target = make_user("agent")
    else:
        start_chat(keeper)
        start_chat(duplicate)
    before = AuditEntry.objects.filter(action=AuditEntry.Action.CUSTOMER_MERGED).count()
    with pytest.raises(ApplicationError):
        customers.customer_merge(source=source, target=target, actor=supervisor)
    source.refresh_from_db()
    assert source.is_active
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CUSTOMER_MERGED).count() == before
    if case == "open_chats":
        assert Conversation.objects.filter(customer=duplicate).count() == 1


def test_supervisor_merges_from_the_desk_page_and_agents_may_not(make_user: Callable[..., User]) -> None:
    keeper, duplicate = make_user("customer"), make_user("customer")
    url = f"/desk/customers/{duplicate.pk}/merge/"
    assert logged_in(make_user("agent")).post(url, {"target": keeper.username, "confirm": "on"}).status_code == 403
    supervisor = logged_in(make_user("supervisor"))
    unconfirmed = supervisor.post(url, {"target": keeper.username})
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.context["merge_form"].errors
    unknown = supervisor.post(url, {"target": "nobody-like-this", "confirm": "on"})
    assert unknown.status_code == 400 and "target" in unknown.context["merge_form"].errors
    itself = supervisor.post(url, {"target": duplicate.username, "confirm": "on"})
    assert itself.status_code == 400 and "target" in itself.context["merge_form"].errors
    done = supervisor.post(url, {"target": keeper.username, "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == f"/desk/customers/{keeper.pk}/"
    assert CustomerProfile.objects.get(user=duplicate).merged_into_id == CustomerProfile.objects.get(user=keeper).pk
