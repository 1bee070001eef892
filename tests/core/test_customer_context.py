"""The customer-facts registry: providers merged newest first, capped, and registered once."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from core import customer_context
from core.customer_context import CustomerFacts, OrderFact, RequestFact

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.get_fixed_timezone(480))


def order(number: str, days_ago: int) -> OrderFact:
    return OrderFact(number=number, status="paid", status_label="Paid", created_at=NOW - timedelta(days=days_ago))


def request(number: str, days_ago: int) -> RequestFact:
    return RequestFact(number=number, request_type="refund_only", type_label="Refund only", status="submitted",
                       status_label="Submitted", is_refund=True, updated_at=NOW - timedelta(days=days_ago))


def shop_a(customer_id: int, limit: int) -> CustomerFacts:
    return CustomerFacts(orders=(order(f"A{customer_id}-1", 1), order(f"A{customer_id}-2", 5))[:limit],
                         requests=(request("ASA", 3),))


def shop_b(customer_id: int, limit: int) -> CustomerFacts:
    return CustomerFacts(orders=(order(f"B{customer_id}-1", 2),), requests=(request("ASB", 0),))


@pytest.fixture
def only_test_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The real after-sales provider is registered at start-up; these tests look at the merging alone.
    monkeypatch.setattr(customer_context, "_providers", [])
    yield


def test_no_provider_means_no_facts(only_test_providers: None) -> None:
    assert customer_context.facts_for(7) == CustomerFacts()


def test_providers_are_merged_newest_first_and_capped(only_test_providers: None) -> None:
    customer_context.register(shop_a)
    customer_context.register(shop_b)

    facts = customer_context.facts_for(7, limit=2)

    assert [o.number for o in facts.orders] == ["A7-1", "B7-1"]
    assert [r.number for r in facts.requests] == ["ASB", "ASA"]


def test_a_provider_registers_once(only_test_providers: None) -> None:
    customer_context.register(shop_b)
    customer_context.register(shop_b)
    assert [o.number for o in customer_context.facts_for(1).orders] == ["B1-1"]


def test_after_sales_registers_its_provider_at_start_up() -> None:
    from aftersales.customer_facts import customer_facts

    assert customer_facts in customer_context._providers
