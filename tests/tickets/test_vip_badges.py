"""The VIP / high-value badge on the desk queue rows and the ticket header, in both languages, without a
query per row."""

from collections.abc import Callable
from typing import Any

import pytest

from profiles.models import CustomerProfile, User
from profiles.templatetags.profile_tags import vip_badge
from tests.clients import logged_in as login
from tests.factories import CustomerProfileFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
QUEUE = "/desk/tickets/"


def vip_customer(level: int = CustomerProfile.VipLevel.GOLD, **kwargs: Any) -> User:
    return CustomerProfileFactory.create(vip_level=level, **kwargs).user


def badges(html: str) -> int:
    return html.count('class="badge badge--vip vip-badge"')


def test_queue_rows_show_the_vip_badge_only_for_vip_and_high_value_customers(
        make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]) -> None:
    make_ticket(customer=vip_customer(), subject="金卡客户")
    make_ticket(customer=vip_customer(CustomerProfile.VipLevel.REGULAR, segment="high_value"), subject="高价值")
    make_ticket(customer=vip_customer(CustomerProfile.VipLevel.REGULAR), subject="普通客户")
    client = login(make_agent())

    html = client.get(QUEUE).content.decode()
    assert badges(html) == 2
    assert '<span class="badge badge--vip vip-badge" data-vip="2" title="会员等级">黄金会员</span>' in html
    assert '<span class="badge badge--vip vip-badge" data-vip="high_value">高价值客户</span>' in html

    client.post("/i18n/setlang/", {"language": "en", "next": QUEUE})
    english_html = client.get(QUEUE).content.decode()
    assert "VIP · Gold" in english_html and "High-value customer" in english_html


def test_queue_query_count_stays_constant_with_vip_customers(
        make_ticket: Callable[..., Ticket], make_agent: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    client = login(make_agent())
    make_ticket(customer=vip_customer())
    client.get(QUEUE)
    with django_assert_max_num_queries(30) as few:
        client.get(QUEUE)
    for level in [1, 2, 3, 4, 0, 1]:
        make_ticket(customer=vip_customer(level), subject=f"等级{level}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(QUEUE).content.decode()
    assert badges(html) == 6


def test_ticket_header_shows_the_vip_badge(make_ticket: Callable[..., Ticket],
                                           make_agent: Callable[..., User]) -> None:
    ticket = make_ticket(customer=vip_customer(CustomerProfile.VipLevel.DIAMOND))
    html = login(make_agent()).get(f"{QUEUE}{ticket.pk}/").content.decode()
    header = html.split('<div class="page-header">', 1)[1].split("</div>", 1)[0]
    assert '<span class="badge badge--vip vip-badge" data-vip="4" title="会员等级">' in header


def test_ticket_header_has_no_badge_for_a_regular_customer(make_ticket: Callable[..., Ticket],
                                                          make_agent: Callable[..., User]) -> None:
    ticket = make_ticket(customer=vip_customer(CustomerProfile.VipLevel.REGULAR))
    html = login(make_agent()).get(f"{QUEUE}{ticket.pk}/").content.decode()
    assert badges(html) == 0


@pytest.mark.parametrize("missing", [None, ""])
def test_a_customer_without_a_profile_gets_no_badge_and_no_error(missing: Any) -> None:
    """`{% vip_badge chat.customer.customer_profile %}` resolves a missing profile to "" (Django's value for a
    lookup that raised), and the included template it replaced rendered nothing for it."""
    assert vip_badge(missing) == ""
