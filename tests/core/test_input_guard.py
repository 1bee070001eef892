"""The input guard: control characters, oversized or deeply nested JSON and impossible dates are a 4xx
naming the field, on HTML pages and in the API's error shape, never a 500."""

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from profiles.models import User
from tests.api.helpers import assert_error, post_json
from tests.clients import logged_in
from tests.factories import CustomerProfileFactory, StoreFactory

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("url", [
    "/admin/tickets/ticket/?status=a%00b",
    "/admin/tickets/ticket/?number=a%00b",
    "/admin/tickets/ticket/add/?team=1%00",
    "/desk/tickets/?q=a%00b",
])
def test_nul_in_a_query_parameter_is_a_plain_400_naming_it(client_for: Callable[[str], Client], url: str) -> None:
    response = client_for("admin").get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    name = url.split("?")[1].split("=")[0]
    assert name.encode() in response.content


def test_other_control_characters_in_a_query_are_refused_but_tab_passes(client_for: Callable[[str], Client]) -> None:
    client = client_for("agent")
    assert client.get("/desk/tickets/", {"q": "a\x1bb"}).status_code == 400
    assert client.get("/desk/tickets/", {"q": "a\tb"}).status_code == 200


def test_a_control_character_in_a_parameter_name_or_the_path_is_refused(client_for: Callable[[str], Client]) -> None:
    client = client_for("admin")
    assert client.get("/desk/tickets/", {"q\x00": "x"}).status_code == 400
    assert client.get("/aftersales/requests/AS%00X/").status_code == 400


def test_nul_in_a_form_field_is_a_400_but_newlines_in_text_pass(client_for: Callable[[str], Client]) -> None:
    client = client_for("customer")
    response = client.post("/help/chat/message/", {"description": "a\x00b", "priority": "normal",
                                                   "contact": "phone"})
    assert response.status_code == 400
    assert b"description" in response.content
    ok = client.post("/help/chat/message/", {"description": "第一行\r\n第二行\t", "priority": "normal",
                                             "contact": "phone"})
    assert ok.status_code in (200, 302)


def test_api_query_parameter_with_nul_is_400_in_the_error_shape(client_for: Callable[[str], Client]) -> None:
    error = assert_error(client_for("agent").get("/api/v1/tickets/", {"status": "open\x00"}), 400, "invalid")
    assert list(error["fields"]) == ["status"]
    assert error["message"].startswith("status: ")


def test_nul_in_a_json_string_is_400_naming_its_path(client_for: Callable[[str], Client]) -> None:
    body = {"external_id": "SHOP-1", "display_name": "张三", "tags": ["ok", "bad\x00tag"]}
    error = assert_error(post_json(client_for("integrator"), "/api/v1/customers/", body), 400, "invalid")
    assert list(error["fields"]) == ["tags.1"]
    assert error["message"].startswith("tags.1: ")
    assert_error(post_json(client_for("integrator"), "/api/v1/customers/", {"ext\x00": 1}), 400, "invalid")


def test_newlines_and_tabs_in_json_strings_pass_the_guard(client_for: Callable[[str], Client]) -> None:
    body = {"external_id": "SHOP-2", "display_name": "张三", "address": "第一行\r\n\t第二行"}
    assert post_json(client_for("integrator"), "/api/v1/customers/", body).status_code == 201


@pytest.mark.parametrize("url", ["/api/v1/customers/", "/api/v1/orders/", "/api/v1/calls/",
                                 "/api/v1/knowledge/articles/suggestions/"])
def test_json_nested_thousands_deep_is_400_not_a_recursion_error(client_for: Callable[[str], Client],
                                                                  url: str) -> None:
    client = client_for("admin")
    for body in (_nested(5000), '{"a":' * 5000 + "1" + "}" * 5000):
        response = client.post(url, data=body, content_type="application/json")
        error = assert_error(response, 400, "too_deep")
        assert "32" in error["message"]


def test_brackets_inside_json_strings_do_not_count_as_depth(client_for: Callable[[str], Client]) -> None:
    body = {"external_id": "SHOP-3", "display_name": "[" * 20 + "{" * 20 + "]" * 40}
    assert post_json(client_for("integrator"), "/api/v1/customers/", body).status_code == 201


def test_ten_megabyte_json_body_is_413_in_the_error_shape(client_for: Callable[[str], Client]) -> None:
    body = json.dumps({"external_id": "SHOP-4", "display_name": "x" * (10 * 1024 * 1024)})
    response = client_for("integrator").post("/api/v1/customers/", data=body, content_type="application/json")
    assert_error(response, 413, "too_large")


def test_year_one_is_400_naming_the_field_on_calls(client_for: Callable[[str], Client]) -> None:
    client = client_for("integrator")
    for started in ("0001-01-01T00:00:00", "0001-01-01T00:00:00+08:00", "0001-01-01", "9999-12-31T23:59:59-10:00"):
        body = {"call_id": "C-1", "phone": "13900139000", "started_at": started}
        error = assert_error(post_json(client, "/api/v1/calls/", body), 400, "invalid")
        assert list(error["fields"]) == ["started_at"], started


def test_year_one_is_400_naming_the_field_on_orders(client_for: Callable[[str], Client]) -> None:
    CustomerProfileFactory.create(external_id="SHOP-C1")
    StoreFactory.create(code="s1")
    body = {"external_id": "TB-1", "number": "1", "customer_external_id": "SHOP-C1", "store_code": "s1",
            "amount_fen": 100, "status": "paid", "created_at": "0001-01-01T00:00:00", "items": [
                {"sku": "A", "product_name": "A", "category_code": "digital", "quantity": 1,
                 "unit_price_fen": 100, "paid_fen": 100}]}
    error = assert_error(post_json(client_for("integrator"), "/api/v1/orders/", body), 400, "invalid")
    assert "created_at" in error["fields"]


def test_nul_in_a_multipart_field_is_400_naming_it(client_for: Callable[[str], Client]) -> None:
    response = client_for("integrator").post("/api/v1/calls/", {"call_id": "C\x00", "phone": "13900139000",
                                                                "started_at": "2026-11-23T10:00:00+08:00"})
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["call_id"]


def _cursor(*key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


@pytest.mark.parametrize("cursor", [_cursor("0001-01-01T00:00:00+14:00", 1), _cursor("2026-13-45T00:00:00", 1),
                                    _cursor("2026-01-01T00:00:00+08:00", 99999999999999999999),
                                    _cursor("2026-01-01T00:00:00", 1), _cursor(1), "garbage",
                                    "2026-01-01T00:00:00+08:00,1"])
def test_merchant_queue_cursor_is_validated(make_user: Callable[..., User], cursor: str) -> None:
    response = logged_in(make_user("merchant_staff")).get("/merchant/", {"after": cursor})
    assert response.status_code == 400
    assert b"after" in response.content


def test_a_valid_merchant_cursor_still_pages(make_user: Callable[..., User]) -> None:
    staff = make_user("merchant_staff")
    response = logged_in(staff).get("/merchant/", {"after": _cursor("2026-01-01T00:00:00+08:00", 1)})
    assert response.status_code == 200


def test_header_with_a_control_character_is_refused(client_for: Callable[[str], Client]) -> None:
    response: Any = client_for("agent").get("/api/v1/me/", HTTP_X_REQUEST_NOTE="a\x00b")
    assert_error(response, 400, "invalid")
