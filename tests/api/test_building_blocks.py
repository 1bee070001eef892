"""The reusable API pieces on their own: PiiField and the per-method permission class."""

from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core.permissions import MethodPermission
from core.serializers import PiiField

pytestmark = pytest.mark.django_db


class ContactSerializer(serializers.Serializer[Any]):
    phone = PiiField(kind="phone", owner_source="owner.pk")
    email = PiiField(kind="email")


def contact(owner: Any) -> SimpleNamespace:
    return SimpleNamespace(phone="13812345678", email="zhangsan@example.com", owner=owner)


def render(instance: Any, viewer: Any) -> Any:
    request = SimpleNamespace(user=viewer) if viewer is not None else None
    return ContactSerializer(instance, context={"request": request} if request else {}).data


def test_pii_field_masks_for_a_viewer_without_permission(make_user: Any) -> None:
    data = render(contact(make_user("customer")), make_user("agent"))
    assert data == {"phone": "138****5678", "email": "z***@example.com"}


def test_pii_field_is_clear_for_view_pii(make_user: Any) -> None:
    data = render(contact(make_user("customer")), make_user("supervisor"))
    assert data == {"phone": "13812345678", "email": "zhangsan@example.com"}


def test_pii_field_is_clear_for_the_owner_only_where_an_owner_is_declared(make_user: Any) -> None:
    owner = make_user("customer")
    data = render(contact(owner), owner)
    assert data == {"phone": "13812345678", "email": "z***@example.com"}


def test_pii_field_masks_without_a_request(make_user: Any) -> None:
    assert render(contact(make_user("customer")), None)["phone"] == "138****5678"


def test_pii_field_renders_empty_values_as_empty(make_user: Any) -> None:
    data = render(SimpleNamespace(phone=None, email="", owner=None), make_user("agent"))
    assert data == {"phone": "", "email": ""}


def test_pii_field_is_read_only() -> None:
    serializer = ContactSerializer(data={"phone": "13812345678"})
    assert serializer.is_valid()
    assert serializer.validated_data == {}


class ReportPermission(MethodPermission):
    required = {"GET": ("profiles.view_reports",), "POST": ("profiles.view_reports", "profiles.view_pii")}


class ReportView(APIView):
    permission_classes = [ReportPermission]

    def get(self, request: Any) -> Any:
        return Response({"ok": True})

    def post(self, request: Any) -> Any:
        return Response({"ok": True})

    def delete(self, request: Any) -> Any:
        raise AssertionError("DELETE is not declared and must never run")


@pytest.mark.parametrize(
    ("role", "method", "status"),
    [
        ("qa", "get", 200),
        ("qa", "head", 200),
        ("qa", "options", 200),
        ("qa", "post", 403),  # holds view_reports but not view_pii: needs all of them
        ("supervisor", "post", 200),
        ("agent", "get", 403),
        ("admin", "delete", 403),  # a handled method nobody declared is closed, even for superusers
        ("admin", "put", 405),  # a method the view does not handle is DRF's 405
    ],
)
def test_method_permission(make_user: Any, role: str, method: str, status: int) -> None:
    request = getattr(APIRequestFactory(), method)("/reports/")
    force_authenticate(request, user=make_user(role))
    assert ReportView.as_view()(request).status_code == status


def test_method_permission_sends_anonymous_callers_to_401() -> None:
    class TokenReportView(ReportView):
        authentication_classes = [TokenAuthentication]

    response = TokenReportView.as_view()(APIRequestFactory().get("/reports/"))
    assert response.status_code == 401
