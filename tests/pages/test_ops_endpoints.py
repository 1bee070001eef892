"""Health check and Prometheus metrics."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_and_redis_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.fixture
def scraper(settings: Any) -> Client:
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    return Client(HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")


@pytest.mark.django_db
def test_metrics_are_prometheus_text(scraper: Client) -> None:
    Client().get("/help/")
    response = scraper.get("/metrics")
    text = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "# TYPE django_http_requests_before_middlewares_total counter" in text
    assert "django_http_responses_total_by_status_total" in text


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "customer", "agent", "admin"])
def test_metrics_refuse_anyone_without_the_token_or_an_allowed_address(
        client_for: Callable[[str], Client], settings: Any, role: str) -> None:
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    client = client_for(role)
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Token s3cret-scrape-token").status_code == 403


@pytest.mark.django_db
def test_metrics_refuse_everyone_when_nothing_is_configured(settings: Any) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(("allowed", "peer", "status"), [
    (["10.0.0.0/8"], "10.1.2.3", 200), (["10.0.0.0/8"], "192.168.1.1", 403), (["192.168.1.7/32"], "192.168.1.7", 200),
    (["::1/128"], "::1", 200), (["10.0.0.0/8"], "not-an-address", 403),
])
def test_metrics_allow_listed_addresses(settings: Any, allowed: list[str], peer: str, status: int) -> None:
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", allowed
    response = Client(REMOTE_ADDR=peer).get("/metrics")
    assert response.status_code == status
    if status == 200:
        assert "no-store" in response["Cache-Control"]
