"""After-sales fixtures: reference data, the fake gateway reset per test, Celery run inline."""

from collections.abc import Callable, Iterator

import pytest

from aftersales import payments
from aftersales.services import setup
from profiles.models import Store, User
from tests.factories import StoreFactory


@pytest.fixture(autouse=True)
def _celery_inline(celery_eager: None) -> None:
    """Refund execution is queued on commit; it runs in-process so a test sees the outcome."""


@pytest.fixture
def gateway() -> Iterator[payments.FakeGateway]:
    fake = payments.gateway()
    assert isinstance(fake, payments.FakeGateway)
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def reference(db: None) -> None:
    setup.reference_data_ensure()


@pytest.fixture
def customer(make_user: Callable[..., User], reference: None) -> User:
    return make_user("customer")


@pytest.fixture
def store_and_staff(make_user: Callable[..., User], reference: None) -> tuple[Store, User]:
    staff = make_user("merchant_staff")
    store = staff.stores.get()
    setup.return_address_ensure(store=store, recipient="售后仓 王师傅", phone="13900001111",
                                address="浙江省杭州市余杭区仓前街道文一西路 998 号 3 号仓")
    return store, staff


@pytest.fixture
def other_store(reference: None) -> Store:
    return StoreFactory.create()
