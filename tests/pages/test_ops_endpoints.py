"""Health check and Prometheus metrics."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_and_redis_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_metrics_are_prometheus_text() -> None:
    client = Client()
    client.get("/help/")
    response = client.get("/metrics")
    text = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "# TYPE django_http_requests_before_middlewares_total counter" in text
    assert "django_http_responses_total_by_status_total" in text
