"""One JSON error shape for every failure under /api/, and how callers authenticate."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token

from core.api import ApplicationError, exception_handler
from profiles.models import CustomerProfile
from tests.api.helpers import CUSTOMERS_URL, assert_error, customer_url, post_json, upsert_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/me/", CUSTOMERS_URL, customer_url(1)])
def test_anonymous_gets_401_in_the_error_shape(client_for: Any, url: str) -> None:
    response = client_for("anonymous").get(url)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_post_gets_401_and_writes_nothing(client_for: Any) -> None:
    response = post_json(client_for("anonymous"), CUSTOMERS_URL, upsert_body())
    assert_error(response, 401, "not_authenticated")
    assert not CustomerProfile.objects.filter(external_id="SHOP-1001").exists()


def test_forbidden_role_gets_403_in_the_error_shape(client_for: Any) -> None:
    assert_error(client_for("customer").get(CUSTOMERS_URL), 403, "permission_denied")


def test_missing_object_is_json_404(client_for: Any) -> None:
    assert_error(client_for("agent").get(customer_url(987654)), 404, "not_found")
    assert_error(client_for("agent").get(f"{CUSTOMERS_URL}not-a-number/"), 404, "not_found")


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing/", "/api/v1/customers/1/extra/", "/api/v2/customers/", "/api/"])
@pytest.mark.parametrize("role", ["anonymous", "agent"])
def test_unknown_api_url_is_json_404_not_the_html_page(client_for: Any, url: str, role: str) -> None:
    response = client_for(role).get(url)
    assert_error(response, 404, "not_found")
    assert b"<html" not in response.content.lower()


def test_unknown_api_url_answers_json_for_post_too(client_for: Any) -> None:
    assert_error(post_json(client_for("integrator"), "/api/v1/nothing-here/", {}), 404, "not_found")


def test_missing_trailing_slash_gets_a_hint(client_for: Any) -> None:
    error = assert_error(client_for("agent").get("/api/v1/customers"), 404, "not_found")
    assert "/api/v1/customers/" in error["message"]


def test_html_pages_outside_the_api_keep_the_html_404(client_for: Any) -> None:
    response = client_for("anonymous").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_is_405_in_the_error_shape(client_for: Any, make_user: Any) -> None:
    client = client_for("integrator")
    assert_error(client.put(CUSTOMERS_URL, data="{}", content_type="application/json"), 405, "method_not_allowed")
    profile = make_user("customer").customer_profile
    assert_error(client.delete(customer_url(profile.pk)), 405, "method_not_allowed")
    assert CustomerProfile.objects.filter(pk=profile.pk).exists()


def test_unsupported_media_type_is_415(client_for: Any) -> None:
    response = client_for("integrator").post(CUSTOMERS_URL, data="external_id=X", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    response = client_for("integrator").post(CUSTOMERS_URL, data={"external_id": "X", "display_name": "Y"})
    assert_error(response, 415, "unsupported_media_type")
    assert not CustomerProfile.objects.filter(external_id="X").exists()


def test_malformed_json_is_400_in_the_error_shape(client_for: Any) -> None:
    response = client_for("integrator").post(
        CUSTOMERS_URL, data='{"external_id": "SHOP-1", "display_name": ', content_type="application/json"
    )
    assert_error(response, 400, "parse_error")
    assert not CustomerProfile.objects.filter(external_id="SHOP-1").exists()


def test_validation_error_message_names_the_field(client_for: Any) -> None:
    response = post_json(client_for("integrator"), CUSTOMERS_URL, upsert_body(email="nope"))
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["email"]
    assert error["message"].startswith("email: ")


def test_token_auth_works_without_a_session(token_client_for: Any) -> None:
    client, user = token_client_for("integrator")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    created = post_json(client, CUSTOMERS_URL, upsert_body())
    assert created.status_code == 201, created.content
    assert "sessionid" not in client.cookies


def test_wrong_token_is_401() -> None:
    client = Client(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_session_auth_requires_csrf_on_writes(make_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("integrator"))
    assert client.get("/api/v1/me/").status_code == 200
    error = assert_error(post_json(client, CUSTOMERS_URL, upsert_body()), 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not CustomerProfile.objects.filter(external_id="SHOP-1001").exists()

    csrf_secret = "k" * 32
    client.cookies["csrftoken"] = csrf_secret
    response = post_json(client, CUSTOMERS_URL, upsert_body(), HTTP_X_CSRFTOKEN=csrf_secret)
    assert response.status_code == 201, response.content


def test_token_auth_is_exempt_from_csrf(make_user: Any) -> None:
    token = Token.objects.create(user=make_user("integrator"))
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert post_json(client, CUSTOMERS_URL, upsert_body()).status_code == 201


class TestHandler:
    """The handler maps the project's and Django's own exceptions to the shape."""

    def test_application_error(self) -> None:
        exc = ApplicationError("Refund exceeds the order.", code="refund_too_large", status_code=409,
                               fields={"amount_fen": ["Too large."]})
        response = exception_handler(exc, {})
        assert response is not None and response.status_code == 409
        assert response.data == {"error": {"code": "refund_too_large", "message": "Refund exceeds the order.",
                                           "fields": {"amount_fen": ["Too large."]}}}

    def test_django_validation_error_from_a_service(self) -> None:
        response = exception_handler(DjangoValidationError({"capacity": ["Too many."]}), {})
        assert response is not None and response.status_code == 400
        assert response.data["error"]["fields"] == {"capacity": ["Too many."]}
        assert response.data["error"]["message"] == "capacity: Too many."

    def test_nested_list_errors_point_at_the_item(self) -> None:
        class Tagged(serializers.Serializer[Any]):
            tags = serializers.ListField(child=serializers.CharField(max_length=2))

        serializer = Tagged(data={"tags": ["a", "b", "c", "toolong"]})
        assert not serializer.is_valid()
        response = exception_handler(exceptions.ValidationError(serializer.errors), {})
        assert response is not None
        fields = response.data["error"]["fields"]
        assert list(fields) == ["tags"] and list(fields["tags"]) == ["3"]
        assert response.data["error"]["message"].startswith("tags.3: ")

    def test_non_field_errors(self) -> None:
        response = exception_handler(exceptions.ValidationError(["Dates overlap."]), {})
        assert response is not None
        assert response.data["error"] == {"code": "invalid", "message": "Dates overlap.",
                                          "fields": {"non_field_errors": ["Dates overlap."]}}


def test_not_acceptable_is_406_in_the_error_shape(client_for: Any) -> None:
    assert_error(client_for("agent").get("/api/v1/me/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


def test_wechat_endpoint_refusals_are_in_the_error_shape(client: Client) -> None:
    # WeChat's protocol fixes only the answers to verified calls ("success", echostr); refusals are ours.
    url = "/api/v1/channels/wechat/wx-unknown/"
    assert_error(client.get(url), 403, "bad_signature")
    response = client.put(url, data="", content_type="text/xml")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, POST"
