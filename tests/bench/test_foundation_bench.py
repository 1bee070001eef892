"""Foundation figures: PII crypto throughput, blind-index lookup and the customers API at 10k rows."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from core import crypto
from profiles.models import CustomerProfile, User
from tests.bench.timing import percentiles, timed

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

CUSTOMERS = 10_000
BATCH = 1_000




def _seed_customers() -> None:
    for start in range(0, CUSTOMERS, BATCH):
        users = User.objects.bulk_create(
            User(username=f"bench{i}", display_name=f"客户{i}", phone=f"139{i:08d}", email=f"b{i}@example.com")
            for i in range(start, start + BATCH)
        )
        CustomerProfile.objects.bulk_create(
            CustomerProfile(user=user, external_id=f"B{user.username}", vip_level=i % 5)
            for i, user in enumerate(users)
        )


def test_pii_crypto_throughput(report: Any) -> None:
    ring = crypto.key_ring()
    values = [f"138{i:08d}" for i in range(20_000)]
    started = time.perf_counter()
    sealed = [ring.encrypt(value) for value in values]
    encrypt_s = time.perf_counter() - started
    started = time.perf_counter()
    for value in sealed:
        ring.decrypt(value)
    decrypt_s = time.perf_counter() - started
    report(
        "pii_crypto",
        values=len(values),
        encrypt_per_s=round(len(values) / encrypt_s),
        decrypt_per_s=round(len(values) / decrypt_s),
    )


def test_customer_lookup_and_api_at_10k(report: Any, make_user: Callable[..., User]) -> None:
    started = time.perf_counter()
    _seed_customers()
    seed_s = time.perf_counter() - started

    lookups = timed(200, lambda: User.objects.get_by_phone("13900004321"))

    client = Client()
    client.force_login(make_user("admin"))
    first_page = timed(50, lambda: client.get("/api/v1/customers/?page_size=50"))
    response = client.get("/api/v1/customers/?page_size=50")
    assert response.status_code == 200
    next_url = response.json()["next"]
    deep_page = timed(50, lambda: client.get(next_url))
    by_phone = timed(50, lambda: client.get("/api/v1/customers/?phone=13900004321"))

    report("customers_10k_seed", rows=CUSTOMERS, seconds=round(seed_s, 2))
    report("blind_index_lookup", rows=CUSTOMERS, **percentiles(lookups))
    report("api_customers_first_page", rows=CUSTOMERS, page_size=50, **percentiles(first_page))
    report("api_customers_next_page", rows=CUSTOMERS, page_size=50, **percentiles(deep_page))
    report("api_customers_filter_phone", rows=CUSTOMERS, **percentiles(by_phone))
