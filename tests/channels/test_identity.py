"""One customer across channels: found by channel id, phone or e-mail, with their history beside every chat."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Conversation
from profiles.identities import customer_for_contact
from profiles.models import ChannelIdentity, CustomerProfile, User
from tests.clients import logged_in
from tests.factories import CustomerProfileFactory
from tickets import services
from tickets.channels.inbound import CONTINUE_DAYS, inbound_message
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db


def test_a_channel_id_seen_before_finds_its_customer_without_asking_for_more() -> None:
    first, created = customer_for_contact(kind="wechat", account="wx1", external_id="openid-1")
    again, created_again = customer_for_contact(kind="wechat", account="wx1", external_id="openid-1")
    assert (created, created_again, again) == (True, False, first)
    assert CustomerProfile.objects.filter(user=first).exists() and not first.has_usable_password()
    # Openids are per Official Account: the same id on another account is another person.
    other, _created = customer_for_contact(kind="wechat", account="wx2", external_id="openid-1")
    assert other != first


def test_phone_and_email_find_the_known_customer_and_link_the_new_channel_id() -> None:
    known = CustomerProfileFactory.create(user__phone="13600136000", user__email="li@example.com").user
    by_phone, created = customer_for_contact(kind="weibo", account="weibo", external_id="u1", phone="13600136000")
    by_email, _ = customer_for_contact(email="LI@example.com")
    assert (by_phone, by_email, created) == (known, known, False)
    assert ChannelIdentity.objects.get(external_id="u1").customer == known


def test_staff_sharing_a_phone_number_are_never_taken_for_the_customer(make_user: Callable[..., User]) -> None:
    agent = make_user("agent", user__phone="13500135000")
    customer, created = customer_for_contact(phone="13500135000")
    assert created and customer != agent


def test_a_customer_needs_something_to_be_found_by() -> None:
    with pytest.raises(ValueError, match="needed"):
        customer_for_contact(display_name="nobody")


def test_an_old_or_closed_ticket_is_not_continued(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    first, _ = inbound_message(channel=Channel.SMS, account="sms", external_id="1", customer=customer, body="你好")
    later = timezone.now() + timedelta(days=CONTINUE_DAYS + 1)
    second, _ = inbound_message(channel=Channel.SMS, account="sms", external_id="2", customer=customer, body="在吗",
                                now=later)
    Ticket.objects.filter(pk=first.ticket_id).update(updated_at=timezone.now() - timedelta(days=CONTINUE_DAYS + 1))
    third, _ = inbound_message(channel=Channel.SMS, account="sms", external_id="3", customer=customer, body="?")
    assert third.ticket_id == second.ticket_id != first.ticket_id
    services.ticket_transition(ticket=Ticket.objects.get(pk=second.ticket_id), target="solved",
                               actor=make_user("supervisor"))
    Ticket.objects.filter(pk=second.ticket_id).update(status="closed")
    fourth, _ = inbound_message(channel=Channel.SMS, account="sms", external_id="4", customer=customer, body="!")
    assert fourth.ticket_id not in (first.ticket_id, second.ticket_id)


def test_a_phone_ticket_is_shown_beside_the_same_customers_chat(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    phone_ticket = services.ticket_create(customer=customer, subject="来电 退款进度", body="客户来电",
                                          channel=Channel.PHONE)
    agent = make_user("agent")
    Conversation.objects.create(customer=customer, agent=agent, status=Conversation.Status.ACTIVE)
    page = logged_in(agent).get("/desk/chats/").content.decode()
    assert 'id="customer-tickets"' in page and phone_ticket.number in page and "tk-channel--phone" in page
