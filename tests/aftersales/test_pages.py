"""After-sales pages: customers' orders, apply form, request detail; merchant queue; arbitration."""

from typing import Any

import pytest

from aftersales.models import AfterSalesRequest, Status
from aftersales.services import requests
from aftersales.workflow import Actor
from profiles.models import User
from tests.aftersales.factories import apply, make_order, photo
from tests.clients import logged_in
from tests.conftest import ALL_ROLES
from tests.pages.conftest import assert_outcome, page_text

pytestmark = pytest.mark.django_db



@pytest.fixture
def scene(customer: User, store_and_staff: Any) -> dict[str, Any]:
    store, staff = store_and_staff
    order = make_order(customer=customer, store=store)
    request = apply(order, reason="quality", images=[photo()])
    return {"customer": customer, "staff": staff, "store": store, "order": order, "request": request}


def test_customer_home_lists_orders_and_requests(scene: dict[str, Any]) -> None:
    text = page_text(logged_in(scene["customer"]).get("/aftersales/"))
    assert scene["order"].number in text and scene["request"].number in text
    assert "商家审核中" in text and "退货退款" in text


@pytest.mark.parametrize("role", ALL_ROLES)
def test_order_page_is_for_its_customer_only(client_for: Any, role: str, scene: dict[str, Any]) -> None:
    path = f"/aftersales/orders/{scene['order'].pk}/"
    response = client_for(role).get(path)
    if role == "anonymous":
        assert_outcome(response, "login", path)
    else:
        assert response.status_code == 404
    text = page_text(logged_in(scene["customer"]).get(path))
    assert scene["order"].items.get().product_name in text and "顺丰速运" in text


@pytest.mark.parametrize("role", ALL_ROLES)
def test_request_page_across_roles(client_for: Any, role: str, scene: dict[str, Any]) -> None:
    number = scene["request"].number
    path = f"/aftersales/requests/{number}/"
    response = client_for(role).get(path)
    if role == "anonymous":
        assert_outcome(response, "login", path)
    else:
        assert response.status_code == 404  # someone else's request
    text = page_text(logged_in(scene["customer"]).get(path))
    assert f"售后单 {number}" in text and "处理进度" in text and 'data-action="cancel"' in text
    assert 'data-action="approve"' not in text  # the store's step is not offered to the customer


def test_apply_form_shows_eligibility_errors_per_field(customer: User, store_and_staff: Any) -> None:
    order = make_order(customer=customer, store=store_and_staff[0], category="fresh", signed_days_ago=9)
    item = order.items.get()
    client = logged_in(customer)
    path = f"/aftersales/items/{item.pk}/apply/"
    assert "申请售后" in page_text(client.get(path))
    response = client.post(path, {"request_type": "return_refund", "reason": "return_refund:no-reason",
                                  "quantity": 1, "amount": "199.00", "confirm": "on"})
    assert response.status_code == 400
    text = page_text(response)
    assert "生鲜食品不支持七天无理由退货" in text and "无理由退货须在签收后 7 天内申请" in text
    response = client.post(path, {"request_type": "return_refund", "reason": "return_refund:quality",
                                  "quantity": 1, "amount": "199.00", "confirm": "on"})
    assert "质量问题或破损申请至少需要一张照片" in page_text(response)
    response = client.post(path, {"request_type": "repair", "reason": "return_refund:quality", "quantity": 1,
                                  "confirm": "on"})
    assert "请选择该申请类型提供的原因之一" in page_text(response)
    assert not AfterSalesRequest.objects.exists()


def test_apply_with_a_photo_creates_the_request(customer: User, store_and_staff: Any) -> None:
    order = make_order(customer=customer, store=store_and_staff[0])
    item = order.items.get()
    response = logged_in(customer).post(f"/aftersales/items/{item.pk}/apply/", {
        "request_type": "return_refund", "reason": "return_refund:damaged", "quantity": 1, "amount": "150.50",
        "description": "外壳有裂纹", "images": [photo()], "confirm": "on",
    })
    request = AfterSalesRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/aftersales/requests/{request.number}/"
    assert request.amount_fen == 15_050 and request.evidence.count() == 1


def test_someone_elses_item_cannot_be_applied_for(scene: dict[str, Any], make_user: Any) -> None:
    item = scene["order"].items.get()
    assert logged_in(make_user("customer")).get(f"/aftersales/items/{item.pk}/apply/").status_code == 404


def test_customer_enters_return_tracking_and_cancel_is_refused_after(scene: dict[str, Any]) -> None:
    request = requests.request_approve(request=scene["request"], user=scene["staff"])
    client = logged_in(scene["customer"])
    path = f"/aftersales/requests/{request.number}/"
    text = page_text(client.get(path))
    assert "浙江省杭州市余杭区" in text  # the return address
    client.post(f"{path}action/", {"action": "ship_return", "courier": "YD", "tracking_number": "YD43210987"})
    request.refresh_from_db()
    assert request.status == Status.IN_TRANSIT
    response = client.post(f"{path}action/", {"action": "cancel"}, follow=True)
    assert "无法执行此操作" in page_text(response)
    request.refresh_from_db()
    assert request.status == Status.IN_TRANSIT


def test_evidence_is_shown_to_the_parties_only(scene: dict[str, Any], make_user: Any) -> None:
    evidence = scene["request"].evidence.get()
    path = f"/aftersales/evidence/{evidence.pk}/"
    for user in (scene["customer"], scene["staff"], make_user("agent")):
        response = logged_in(user).get(path)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert logged_in(make_user("customer")).get(path).status_code == 404
    assert logged_in(make_user("merchant_staff")).get(path).status_code == 404


# --- Merchant -----------------------------------------------------------------------------------------


def test_merchant_queue_shows_own_stores_only(scene: dict[str, Any], make_user: Any) -> None:
    other = apply(make_order(customer=make_user("customer")))
    text = page_text(logged_in(scene["staff"]).get("/merchant/"))
    assert scene["request"].number in text and other.number not in text
    assert "待审核" in text


@pytest.mark.parametrize("role", ALL_ROLES)
def test_merchant_request_page_across_roles(client_for: Any, role: str, scene: dict[str, Any]) -> None:
    path = f"/merchant/requests/{scene['request'].number}/"
    response = client_for(role).get(path)
    expected = {"anonymous": 302, "merchant_staff": 404, "admin": 200}.get(role, 403)
    assert response.status_code == expected


def test_merchant_approves_rejects_receives_and_inspects(scene: dict[str, Any]) -> None:
    client = logged_in(scene["staff"])
    number = scene["request"].number
    path = f"/merchant/requests/{number}/"
    text = page_text(client.get(path))
    assert 'data-action="approve"' in text and 'data-action="reject"' in text and "凭证照片" in text
    response = client.post(f"{path}action/", {"action": "reject", "reason": ""}, follow=True)
    assert "该字段是必填项" in page_text(response)
    client.post(f"{path}action/", {"action": "approve"})
    requests.request_ship_return(request=AfterSalesRequest.objects.get(number=number), user=scene["customer"],
                                 courier="SF", tracking_number="SF5566778899")
    client.post(f"{path}action/", {"action": "receive"})
    client.post(f"{path}action/", {"action": "inspect", "passed": "fail", "notes": "人为损坏",
                                   "restock_quantity": "0"})
    request = AfterSalesRequest.objects.get(number=number)
    assert request.status == Status.REJECTED and request.inspection_notes == "人为损坏"


def test_merchant_cannot_act_on_another_stores_request(scene: dict[str, Any], make_user: Any) -> None:
    stranger = logged_in(make_user("merchant_staff"))
    response = stranger.post(f"/merchant/requests/{scene['request'].number}/action/", {"action": "approve"})
    assert response.status_code == 404
    scene["request"].refresh_from_db()
    assert scene["request"].status == Status.MERCHANT_REVIEW


def test_merchant_queue_query_count_is_constant(scene: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    client = logged_in(scene["staff"])
    client.get("/merchant/")  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(20) as before:
        client.get("/merchant/")
    for _ in range(5):
        apply(make_order(customer=scene["customer"], store=scene["store"]))
    with django_assert_max_num_queries(20) as after:
        assert page_text(client.get("/merchant/")).count("<code>AS") == 6
    assert len(after.captured_queries) == len(before.captured_queries)


def test_customer_pages_query_count_is_constant(scene: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    client = logged_in(scene["customer"])
    client.get("/aftersales/")  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(20) as before:
        client.get("/aftersales/")
    for _ in range(5):
        apply(make_order(customer=scene["customer"], skus=3), request_type="complaint", reason="fake")
    with django_assert_max_num_queries(20) as after:
        client.get("/aftersales/")
    assert len(after.captured_queries) == len(before.captured_queries)


# --- Platform arbitration --------------------------------------------------------------------------

ARBITRATION_EXPECTED = {"anonymous": 302, "customer": 403, "merchant_staff": 403}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_arbitration_queue_across_roles(client_for: Any, role: str, scene: dict[str, Any]) -> None:
    assert client_for(role).get("/aftersales/arbitration/").status_code == ARBITRATION_EXPECTED.get(role, 200)


def test_agent_arbitrates_an_appeal(scene: dict[str, Any], make_user: Any) -> None:
    request = requests.request_reject(request=scene["request"], user=scene["staff"], reason="已过质保")
    requests.request_appeal(request=request, user=scene["customer"], reason="签收第二天就坏了")
    agent = logged_in(make_user("agent"))
    assert request.number in page_text(agent.get("/aftersales/arbitration/"))
    path = f"/aftersales/arbitration/{request.number}/"
    text = page_text(agent.get(path))
    assert "签收第二天就坏了" in text and 'data-action="arbitrate_approve"' in text
    agent.post(f"{path}action/", {"action": "arbitrate_approve", "note": "照片显示开箱即损"})
    request.refresh_from_db()
    assert request.status == Status.AWAITING_RETURN


# --- Evaluation ------------------------------------------------------------------------------------


def test_customer_rates_a_closed_request_once(scene: dict[str, Any], make_user: Any) -> None:
    request = requests.request_cancel(request=scene["request"], user=scene["customer"])
    client = logged_in(scene["customer"])
    path = f"/aftersales/requests/{request.number}/"
    assert 'id="evaluation-form"' not in page_text(client.get(path))  # cancelled, not closed
    request = apply(make_order(customer=scene["customer"], store=scene["store"]), request_type="complaint",
                    reason="attitude")
    request = requests.request_approve(request=request, user=scene["staff"])
    request = requests.request_resolve(request=request, user=scene["staff"], actor=Actor.MERCHANT, note="已致歉")
    path = f"/aftersales/requests/{request.number}/"
    assert 'id="evaluation-form"' in page_text(client.get(path))
    # Someone else cannot rate it (their request is a 404 to them).
    assert logged_in(make_user("customer")).post(f"{path}evaluation/", {"attitude": 1, "speed": 1,
                                                                        "result": 1}).status_code == 404
    client.post(f"{path}evaluation/", {"attitude": 5, "speed": 4, "result": 3, "suggestion": "希望再快一点"})
    text = page_text(client.get(path))
    assert "★★★★☆" in text and "希望再快一点" in text and 'id="evaluation-form"' not in text
    response = client.post(f"{path}evaluation/", {"attitude": 1, "speed": 1, "result": 1}, follow=True)
    assert "已评价" in page_text(response)
    request.refresh_from_db()
    assert (request.evaluation.attitude, request.evaluation.result) == (5, 3)


def test_out_of_range_scores_are_refused(scene: dict[str, Any]) -> None:
    from aftersales.models import Evaluation
    from core.api import ApplicationError

    request = requests.request_approve(request=scene["request"], user=scene["staff"])
    with pytest.raises(ApplicationError):  # not closed yet
        requests.request_evaluate(request=request, user=scene["customer"], attitude=5, speed=5, result=5)
    AfterSalesRequest.objects.filter(pk=request.pk).update(status=Status.CLOSED)
    request.refresh_from_db()
    with pytest.raises(ApplicationError) as caught:
        requests.request_evaluate(request=request, user=scene["customer"], attitude=6, speed=0, result=3)
    assert set(caught.value.fields) == {"attitude", "speed"}
    assert not Evaluation.objects.exists()


def test_merchant_queue_pages_by_deadline_keyset(scene: dict[str, Any]) -> None:
    from aftersales.views import PAGE

    numbers = {scene["request"].number}
    for _ in range(PAGE + 2):
        numbers.add(apply(make_order(customer=scene["customer"], store=scene["store"])).number)
    client = logged_in(scene["staff"])
    first = client.get("/merchant/")
    more = first.context["next_after"]
    assert more and len(first.context["queue"]) == PAGE
    second = client.get("/merchant/", {"after": more})
    seen = [r.number for r in first.context["queue"]] + [r.number for r in second.context["queue"]]
    assert len(seen) == len(set(seen)) and set(seen) == numbers
    deadlines = [r.due_at for r in [*first.context["queue"], *second.context["queue"]]]
    assert deadlines == sorted(deadlines)
