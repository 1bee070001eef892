"""Throttles: per-user for every call, a tighter `integrations` budget for the upsert; 429 in the error shape."""

from typing import Any

import pytest
from django.core.cache import cache

from core.throttling import UserRateThrottle
from tests.api.helpers import CUSTOMERS_URL, assert_error, post_json, upsert_body

pytestmark = pytest.mark.django_db


def set_rates(settings: Any, **rates: str) -> None:
    current = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {**current, "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates}}
    cache.clear()


def test_the_integrations_scope_limits_the_upsert_only(client_for: Any, settings: Any) -> None:
    client = client_for("integrator")
    set_rates(settings, integrations="2/min", user="100/min")
    statuses = [post_json(client, CUSTOMERS_URL, upsert_body(display_name=f"客户{n}")).status_code for n in range(3)]
    assert statuses == [201, 200, 429]
    throttled = post_json(client, CUSTOMERS_URL, upsert_body(display_name="不会写入"))
    assert_error(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert client.get(CUSTOMERS_URL).status_code == 200  # reads are not charged to the integrations budget


def test_the_user_rate_applies_to_every_endpoint(client_for: Any, settings: Any) -> None:
    client = client_for("agent")
    set_rates(settings, user="3/min")
    statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert_error(client.get(CUSTOMERS_URL), 429, "throttled")


def test_users_have_separate_budgets(client_for: Any, settings: Any) -> None:
    first, second = client_for("agent"), client_for("agent")
    set_rates(settings, user="1/min")
    assert first.get("/api/v1/me/").status_code == 200
    assert first.get("/api/v1/me/").status_code == 429
    assert second.get("/api/v1/me/").status_code == 200


def test_the_anonymous_rate_applies_to_public_api_views(client_for: Any, settings: Any) -> None:
    client = client_for("anonymous")
    set_rates(settings, anon="1/min")
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 200
    assert_error(client.get("/api/schema/", HTTP_ACCEPT="application/json"), 429, "throttled")


def test_the_window_slides_and_retry_after_is_drfs(client_for: Any, settings: Any, monkeypatch: Any) -> None:
    """The window lives in Redis (core.throttling): a request leaves it `duration` seconds after it was made, a
    refused one is not counted, and Retry-After is DRF's (the oldest request's remaining time over the room)."""
    client = client_for("agent")
    set_rates(settings, user="2/min")
    clock = [1000.0]
    monkeypatch.setattr(UserRateThrottle, "timer", lambda _self: clock[0])

    def status_at(now: float) -> Any:
        clock[0] = now
        return client.get("/api/v1/me/")

    assert [status_at(1000.0).status_code, status_at(1030.0).status_code] == [200, 200]
    refused = status_at(1050.0)
    assert refused.status_code == 429 and refused["Retry-After"] == "10"
    assert status_at(1060.5).status_code == 200  # the request at 1000 has left the window
    assert status_at(1070.0)["Retry-After"] == "20"  # 1030 and 1060.5 are in it; the refusal at 1050 is not
