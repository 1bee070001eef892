"""先行赔付: the platform refunds quality and logistics claims first, within the limit, and records the claim."""

from typing import Any

import pytest

from aftersales.models import AdvanceCompensation, CompensationRule, Refund, Status
from aftersales.services import compensation, requests
from core.api import ApplicationError
from core.workflow import TransitionNotAllowed
from tests.aftersales.factories import apply, make_order, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_user: Any) -> Any:
    return make_user("agent")


def test_quality_claim_is_paid_first_and_the_store_is_liable(
    customer: Any, store_and_staff: Any, agent: Any, gateway: Any, django_capture_on_commit_callbacks: Any
) -> None:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store), reason="quality", images=[photo()],
                    amount_fen=19_900)
    with django_capture_on_commit_callbacks(execute=True):
        claim = compensation.compensate_in_advance(request=request, user=agent, note="质量问题属实")
    assert (claim.liable, claim.liable_store, claim.amount_fen) == ("merchant", store, 19_900)
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert Refund.objects.get(request=request).status == Refund.Status.SUCCEEDED and len(gateway.calls) == 1
    # The store can no longer approve and pay a second time.
    with pytest.raises(TransitionNotAllowed):
        requests.request_approve(request=request, user=staff)


def test_logistics_claim_is_charged_to_the_courier(customer: Any, store_and_staff: Any, agent: Any) -> None:
    request = apply(make_order(customer=customer, store=store_and_staff[0]), reason="damaged", images=[photo()],
                    amount_fen=5_000)
    claim = compensation.compensate_in_advance(request=request, user=agent, note="运输破损")
    assert (claim.liable, claim.liable_courier, claim.liable_store) == ("courier", "SF", None)


def test_above_the_limit_or_not_a_quality_claim_is_refused(customer: Any, store_and_staff: Any, agent: Any) -> None:
    store = store_and_staff[0]
    CompensationRule.objects.filter(cause="product").update(max_amount_fen=10_000)
    big = apply(make_order(customer=customer, store=store, paid_fen=20_000), reason="quality", images=[photo()])
    with pytest.raises(ApplicationError) as caught:
        compensation.compensate_in_advance(request=big, user=agent, note="超过限额")
    assert caught.value.code == "over_compensation_limit"
    no_reason = apply(make_order(customer=customer, store=store))
    with pytest.raises(ApplicationError) as caught:
        compensation.compensate_in_advance(request=no_reason, user=agent, note="无理由")
    assert caught.value.code == "not_compensable"
    assert not AdvanceCompensation.objects.exists()
    big.refresh_from_db()
    assert big.status == Status.MERCHANT_REVIEW and not Refund.objects.exists()


def test_agents_compensate_from_the_arbitration_page(customer: Any, store_and_staff: Any, make_user: Any,
                                                     client_for: Any) -> None:
    from django.test import Client

    request = apply(make_order(customer=customer, store=store_and_staff[0]), reason="quality", images=[photo()])
    agent = Client()
    agent.force_login(make_user("agent"))
    path = f"/aftersales/arbitration/{request.number}/"
    assert 'data-action="compensate"' in agent.get(path).content.decode()
    agent.post(f"{path}action/", {"action": "compensate", "note": "先行赔付"})
    request.refresh_from_db()
    assert request.status == Status.REFUNDING and request.compensation.liable == "merchant"
    # Merchant staff see no such step on their page.
    staff = Client()
    staff.force_login(store_and_staff[1])
    assert 'data-action="compensate"' not in staff.get(f"/merchant/requests/{request.number}/").content.decode()
