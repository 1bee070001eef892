"""Helpers for the API tests: JSON requests, the error-shape check, a valid upsert body."""

import json
from typing import Any

from django.test import Client

from core.errors import ERROR_CODES

API_ROLES = ["anonymous", "customer", "agent", "supervisor", "qa", "merchant_staff", "admin", "integrator"]
CUSTOMERS_URL = "/api/v1/customers/"


def customer_url(pk: int) -> str:
    return f"{CUSTOMERS_URL}{pk}/"


def post_json(client: Client, url: str, body: Any, **headers: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the API's one error shape with this status and code; returns the error object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert code in ERROR_CODES, f"{code} is not in the error registry (core/errors.py)"
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


def upsert_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "external_id": "SHOP-1001",
        "display_name": "张三",
        "phone": "13812345678",
        "email": "zhangsan@example.com",
        "vip_level": 2,
        "tags": ["复购", "大促"],
        "address": "浙江省杭州市西湖区文三路 100 号 3 单元 501",
    }
    body.update(overrides)
    return body
