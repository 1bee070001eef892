"""Marketing consent (help-center page, API, history, the marketing audience) and customer tags (manual on
the desk page, rule-based by the nightly run, taken back when a rule stops matching)."""

from collections.abc import Callable

import pytest
from django.test import Client

from aftersales.services import setup as aftersales_setup
from profiles import customers
from profiles.models import CustomerProfile, TagRule, User
from profiles.tasks import apply_tag_rules
from tests.aftersales.factories import apply, make_order
from tests.clients import logged_in

pytestmark = pytest.mark.django_db


def test_customer_sets_consent_on_the_help_center_page_with_history(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    client = logged_in(customer)
    assert client.get("/accounts/preferences/").status_code == 200
    assert client.post("/accounts/preferences/", {"marketing_consent": "on"}).status_code == 302
    assert client.post("/accounts/preferences/", {}).status_code == 302
    profile = CustomerProfile.objects.get(user=customer)
    assert (profile.marketing_consent, profile.marketing_consent_source) == (False, "help_center")
    changes = list(profile.history.order_by("history_date").values_list("marketing_consent", flat=True))
    assert changes[-2:] == [True, False]


@pytest.mark.parametrize(("role", "expected"), [("agent", 403), ("supervisor", 403), ("merchant_staff", 403)])
def test_only_customers_have_preferences(make_user: Callable[..., User], role: str, expected: int) -> None:
    assert logged_in(make_user(role)).get("/accounts/preferences/").status_code == expected
    assert "/accounts/login/" in Client().get("/accounts/preferences/")["Location"]


def test_customer_api_reads_and_changes_consent(make_user: Callable[..., User]) -> None:
    customer = make_user("customer")
    client = logged_in(customer)
    assert client.get("/api/v1/me/").json()["marketing_consent"] is None
    changed = client.patch("/api/v1/me/", {"marketing_consent": True}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["marketing_consent"] is True
    bad = client.patch("/api/v1/me/", {"marketing_consent": "maybe"}, content_type="application/json")
    assert bad.status_code == 400 and "marketing_consent" in bad.json()["error"]["fields"]
    assert CustomerProfile.objects.get(user=customer).marketing_consent_source == "api"
    staff = logged_in(make_user("agent")).patch("/api/v1/me/", {"marketing_consent": True},
                                                content_type="application/json")
    assert staff.status_code == 403


def test_marketing_audience_never_includes_a_customer_who_did_not_agree(make_user: Callable[..., User]) -> None:
    agreed, declined, never_asked, deactivated = (make_user("customer") for _n in range(4))
    customers.customer_set_marketing_consent(customer=agreed, consent=True, source="api")
    customers.customer_set_marketing_consent(customer=declined, consent=True, source="api")
    customers.customer_set_marketing_consent(customer=declined, consent=False, source="help_center")
    customers.customer_set_marketing_consent(customer=deactivated, consent=True, source="api")
    User.objects.filter(pk=deactivated.pk).update(is_active=False)
    audience = set(customers.marketing_audience().values_list("user_id", flat=True))
    assert agreed.pk in audience
    assert audience.isdisjoint({declined.pk, never_asked.pk, deactivated.pk})


def test_agent_adds_and_removes_manual_tags(make_user: Callable[..., User]) -> None:
    customer, agent = make_user("customer"), make_user("agent")
    client = logged_in(agent)
    url = f"/desk/customers/{customer.pk}/tags/"
    assert client.post(url, {"tag": "  爱退货  "}).status_code == 302
    assert client.post(url, {"tag": "爱退货"}).status_code == 302  # once only
    too_long = client.post(url, {"tag": "长" * 31})
    assert too_long.status_code == 400 and "tag" in too_long.context["tag_form"].errors
    assert CustomerProfile.objects.get(user=customer).tags == ["爱退货"]
    assert client.post(url, {"tag": "爱退货", "remove": "on"}).status_code == 302
    assert CustomerProfile.objects.get(user=customer).tags == []
    assert logged_in(make_user("merchant_staff")).post(url, {"tag": "x"}).status_code == 403


def test_rule_tags_follow_the_facts_and_leave_manual_tags_alone(make_user: Callable[..., User]) -> None:
    aftersales_setup.reference_data_ensure()
    refunder, gold, plain = make_user("customer"), make_user("customer"), make_user("customer")
    CustomerProfile.objects.filter(user=gold).update(vip_level=2, tags=["手工标签"])
    CustomerProfile.objects.filter(user=refunder).update(segment="high_value")
    TagRule.objects.create(tag="常退款", kind="refund_requests_90d", threshold=2)
    TagRule.objects.create(tag="金卡以上", kind="vip_level", threshold=2)
    TagRule.objects.create(tag="高价值", kind="segment", value="high_value")
    TagRule.objects.create(tag="停用", kind="vip_level", threshold=0, active=False)
    for _n in range(2):
        apply(make_order(customer=refunder, signed_days_ago=None), request_type="refund_only", reason="not-received")

    assert apply_tag_rules() == 2
    tags = dict(CustomerProfile.objects.values_list("user_id", "rule_tags"))
    assert sorted(tags[refunder.pk]) == ["常退款", "高价值"] and tags[gold.pk] == ["金卡以上"] and tags[plain.pk] == []
    assert apply_tag_rules() == 0  # nothing more to change

    CustomerProfile.objects.filter(user=gold).update(vip_level=1)
    assert apply_tag_rules() == 1
    gold_profile = CustomerProfile.objects.get(user=gold)
    assert (gold_profile.rule_tags, gold_profile.tags) == ([], ["手工标签"])
