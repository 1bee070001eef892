from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from core import masking
from profiles.models import User

TEMPLATE = Template(
    '{% load pii %}{% pii phone "phone" owner_id=owner %}|{% pii email "email" owner_id=owner %}|'
    '{% pii id_number "id_number" %}|{% pii address "address" %}|{% pii name "name" %}'
)
VALUES = {
    "phone": "13812345678",
    "email": "zhang@example.com",
    "id_number": "110101199001011234",
    "address": "北京市朝阳区建国路88号1203室",
    "name": "张小明",
}
CLEAR = "|".join(VALUES.values())
MASKED = "138****5678|z***@example.com|1101**********1234|北京市朝阳区****|张**"


@pytest.mark.parametrize(
    ("masker", "value", "expected"),
    [
        (masking.mask_phone, "13812345678", "138****5678"),
        (masking.mask_phone, "021-1234", "021*1234"),
        (masking.mask_phone, "12345", "*****"),
        (masking.mask_email, "zhang@example.com", "z***@example.com"),
        (masking.mask_email, " Li.Na@Example.CN ", "L***@Example.CN"),
        (masking.mask_id_number, "110101199001011234", "1101**********1234"),
        (masking.mask_id_number, "11010119900101123X", "1101**********123X"),
        (masking.mask_id_number, "1234567", "*******"),
        (masking.mask_address, "上海市浦东新区世纪大道100号", "上海市浦东新****"),
        (masking.mask_address, "北京", "北****"),
        (masking.mask_name, "张小明", "张**"),
        (masking.mask_name, "欧阳娜娜", "欧***"),
        (masking.mask_name, "李", "李"),
    ],
)
def test_maskers(masker: Callable[[str], str], value: str, expected: str) -> None:
    assert masker(value) == expected


def _render(viewer: Any, owner: int | None = None) -> str:
    request = RequestFactory().get("/")
    request.user = viewer
    return TEMPLATE.render(Context({"request": request, "owner": owner, **VALUES}))


@pytest.mark.parametrize(("role", "sees_clear"), [
    ("supervisor", True), ("admin", True), ("agent", False), ("qa", False),
    ("merchant_staff", False), ("customer", False),
])
def test_pii_tag_by_role(make_user: Callable[..., User], role: str, sees_clear: bool) -> None:
    viewer = make_user(role)
    assert _render(viewer) == (CLEAR if sees_clear else MASKED)


def test_pii_tag_shows_the_owner_their_own_contact_details(make_user: Callable[..., User]) -> None:
    customer, other = make_user("customer"), make_user("customer")
    own = _render(customer, owner=customer.pk).split("|")
    assert own[:2] == ["13812345678", "zhang@example.com"]
    assert own[2:] == MASKED.split("|")[2:]  # tags without owner_id stay masked
    assert _render(other, owner=customer.pk) == MASKED


def test_pii_tag_masks_for_anonymous_and_without_request() -> None:
    assert _render(AnonymousUser()) == MASKED
    assert TEMPLATE.render(Context({**VALUES, "owner": None})) == MASKED


def test_empty_values_render_empty(make_user: Callable[..., User]) -> None:
    assert masking.display_pii("", "phone", viewer=make_user("agent")) == ""
    assert masking.display_pii(None, "email", viewer=None) == ""


def test_pii_tag_shows_a_dash_for_an_empty_value(make_user: Callable[..., User]) -> None:
    # On a page an empty fact reads "—", as the address and team lines already did.
    request = RequestFactory().get("/")
    request.user = make_user("agent")
    rendered = Template('{% load pii %}{% pii phone "phone" %}|{% pii email "email" %}').render(
        Context({"request": request, "phone": "", "email": None}))
    assert rendered == "—|—"
