"""A ticket that names an order offers that order's store and courier mailboxes to its side conversations
(aftersales registers the provider in core.side_contacts; tickets never imports aftersales)."""

# ruff: noqa: RUF001  (Chinese text is written with full-width punctuation)

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from aftersales.models import ContactMailbox, Courier
from profiles.models import User
from tests.aftersales.factories import make_order
from tests.clients import logged_in
from tests.factories import StoreFactory
from tickets import services
from tickets.models import SideConversation

pytestmark = pytest.mark.django_db


def test_the_start_form_offers_the_orders_store_and_courier(make_user: Callable[..., User], customer: User) -> None:
    store = StoreFactory.create(name="数码旗舰店")
    order = make_order(customer=customer, store=store)  # shipped with SF
    ContactMailbox.objects.create(store=store, email="aftersales@digital-shop.cn")
    ContactMailbox.objects.create(courier=Courier.SF, email="kefu@sf-example.cn")
    ContactMailbox.objects.create(courier=Courier.ZTO, email="kefu@zto-example.cn")  # not this order's courier
    ContactMailbox.objects.create(store=StoreFactory.create(), email="other@shop.cn")  # another store
    agent = make_user("supervisor")
    client = logged_in(agent)
    ticket = services.ticket_create(customer=customer, subject="签收了但没收到", body="快递说签收了，我没收到。",
                                    order_number=order.number)

    panel = client.get(f"/desk/tickets/{ticket.pk}/side/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-side-address="aftersales@digital-shop.cn"' in panel and "店铺：数码旗舰店" in panel
    assert 'data-side-address="kefu@sf-example.cn"' in panel and "快递：顺丰速运" in panel
    assert "kefu@zto-example.cn" not in panel and "other@shop.cn" not in panel

    # A pick posts like a typed address; a typed one still works; a bad one names the field and writes nothing.
    for address in ("kefu@sf-example.cn", "ops@partner-team.cn"):
        sent = client.post(f"/desk/tickets/{ticket.pk}/side/new/", {"counterpart": address, "subject": "核实签收",
                                                                    "body": "请提供签收底单。"})
        assert sent.status_code == 302
    refused = client.post(f"/desk/tickets/{ticket.pk}/side/new/", {"counterpart": "顺丰客服", "subject": "核实签收",
                                                                   "body": "请提供签收底单。"})
    assert refused.status_code == 400 and list(refused.context["side_form"].errors) == ["counterpart"]
    assert sorted(SideConversation.objects.values_list("counterpart", flat=True)) == [
        "kefu@sf-example.cn", "ops@partner-team.cn"]

    plain = services.ticket_create(customer=customer, subject="没有订单号", body="咨询一下。")
    assert "data-side-address" not in client.get(f"/desk/tickets/{plain.pk}/side/",
                                                 HTTP_HX_REQUEST="true").content.decode()


def test_a_contact_mailbox_is_for_a_store_or_a_courier(reference: None) -> None:
    for neither_or_both in ({}, {"store": StoreFactory.create(), "courier": Courier.SF}):
        with pytest.raises(ValidationError):
            ContactMailbox(email="x@example.com", **neither_or_both).full_clean()
