"""上门维修: the customer books one of the store's visit slots, the store assigns a technician and repairs."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from aftersales.models import RepairSlot, Status
from aftersales.services import repairs, requests
from core.api import ApplicationError
from tests.aftersales.factories import apply, make_order
from tests.clients import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_repair(customer: Any, store_and_staff: Any) -> Any:
    store, staff = store_and_staff
    request = apply(make_order(customer=customer, store=store, signed_days_ago=90), request_type="repair",
                    reason="fault")
    return requests.request_approve(request=request, user=staff)


def slot(store: Any, *, hours: int = 24, capacity: int = 1) -> RepairSlot:
    start = timezone.now() + timedelta(hours=hours)
    return RepairSlot.objects.create(store=store, starts_at=start, ends_at=start + timedelta(hours=3),
                                     capacity=capacity)



def test_on_site_repair_through_the_pages(approved_repair: Any, customer: Any, store_and_staff: Any) -> None:
    store, staff = store_and_staff
    visit_slot = slot(store)
    path = f"/aftersales/requests/{approved_repair.number}/"
    client = logged_in(customer)
    text = client.get(path).content.decode()
    assert 'data-action="book_visit"' in text and f'value="{visit_slot.pk}"' in text
    client.post(f"{path}action/", {"action": "book_visit", "slot": visit_slot.pk,
                                   "address": "北京市朝阳区建国路 88 号 2 号楼 1203"})
    approved_repair.refresh_from_db()
    assert approved_repair.status == Status.VISIT_SCHEDULED and approved_repair.due_at is None
    visit_slot.refresh_from_db()
    assert visit_slot.booked == 1
    merchant = logged_in(staff)
    merchant_path = f"/merchant/requests/{approved_repair.number}/"
    assert 'data-action="assign_technician"' in merchant.get(merchant_path).content.decode()
    merchant.post(f"{merchant_path}action/", {"action": "assign_technician", "technician": "李师傅"})
    merchant.post(f"{merchant_path}action/", {"action": "mark_repaired", "note": "更换电机"})
    approved_repair.refresh_from_db()
    assert approved_repair.status == Status.REPAIRED and approved_repair.visit.technician == "李师傅"
    timeline = list(approved_repair.events.values_list("to_status", "note"))
    assert any(status == "visit_scheduled" and "李师傅" in note for status, note in timeline)
    assert "李师傅" in client.get(path).content.decode()


def test_a_full_slot_or_another_stores_slot_is_refused(approved_repair: Any, customer: Any, other_store: Any,
                                                        make_user: Any, store_and_staff: Any) -> None:
    full = slot(store_and_staff[0], capacity=1)
    second = apply(make_order(customer=customer, store=store_and_staff[0], signed_days_ago=30),
                   request_type="repair", reason="screen")
    second = requests.request_approve(request=second, user=store_and_staff[1])
    repairs.visit_book(request=second, user=customer, slot_id=full.pk, address="上海市浦东新区世纪大道 100 号")
    with pytest.raises(ApplicationError) as caught:
        repairs.visit_book(request=approved_repair, user=customer, slot_id=full.pk,
                           address="上海市浦东新区世纪大道 100 号")
    assert "slot" in caught.value.fields
    with pytest.raises(ApplicationError):
        repairs.visit_book(request=approved_repair, user=customer, slot_id=slot(other_store).pk,
                           address="上海市浦东新区世纪大道 100 号")
    approved_repair.refresh_from_db()
    assert approved_repair.status == Status.AWAITING_RETURN
    assert list(repairs.open_slots(store_and_staff[0])) == []
