"""`Idempotency-Key` on POST: replay for a retry, 422 for a reused key, nothing stored for failures."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.models import IdempotencyRecord
from profiles.models import CustomerProfile
from tests.api.helpers import CUSTOMERS_URL, assert_error, post_json, upsert_body
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def post(client: Client, body: dict[str, Any], key: str | None = "key-1") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return post_json(client, CUSTOMERS_URL, body, **headers)


def test_a_retry_replays_the_first_response(client_for: Any) -> None:
    client = client_for("integrator")
    first = post(client, upsert_body())
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first

    CustomerProfile.objects.filter(external_id="SHOP-1001").update(vip_level=0)  # changed since, elsewhere
    again = post(client, upsert_body())
    assert again.status_code == 201  # a fresh upsert would have said 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CustomerProfile.objects.get(external_id="SHOP-1001").vip_level == 0  # the handler did not run again
    assert IdempotencyRecord.objects.count() == 1


def test_same_body_with_keys_in_another_order_is_the_same_request(client_for: Any) -> None:
    client = client_for("integrator")
    body = upsert_body()
    first = post(client, body)
    again = post(client, dict(reversed(list(body.items()))))
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_reused_key_with_another_body_is_422(client_for: Any) -> None:
    client = client_for("integrator")
    post(client, upsert_body())
    error = assert_error(post(client, upsert_body(display_name="别人")), 422, "idempotency_key_reused")
    assert "Idempotency-Key" in error["fields"]
    assert CustomerProfile.objects.select_related("user").get(external_id="SHOP-1001").user.display_name == "张三"


def test_keys_belong_to_the_caller(client_for: Any) -> None:
    first = post(client_for("integrator"), upsert_body())
    other = post(client_for("integrator"), upsert_body())
    assert (first.status_code, other.status_code) == (201, 200)
    assert "Idempotent-Replayed" not in other
    assert IdempotencyRecord.objects.count() == 2


def test_without_a_key_every_request_runs(client_for: Any) -> None:
    client = client_for("integrator")
    assert [post(client, upsert_body(), key=None).status_code for _ in range(2)] == [201, 200]
    assert not IdempotencyRecord.objects.exists()


def test_an_expired_key_runs_the_request_again(client_for: Any) -> None:
    client = client_for("integrator")
    post(client, upsert_body())
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = post(client, upsert_body(display_name="王五"))
    assert again.status_code == 200
    assert "Idempotent-Replayed" not in again
    record = IdempotencyRecord.objects.get()
    assert record.status_code == 200 and record.expires_at > timezone.now() + timedelta(hours=23)


def test_a_rejected_request_does_not_use_up_the_key(client_for: Any) -> None:
    client = client_for("integrator")
    assert_error(post(client, upsert_body(phone="1")), 400, "invalid")
    assert not IdempotencyRecord.objects.exists()
    assert post(client, upsert_body()).status_code == 201


def test_a_refused_caller_stores_nothing(client_for: Any) -> None:
    assert_error(post(client_for("agent"), upsert_body()), 403, "permission_denied")
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "ключ"])
def test_a_malformed_key_is_400_naming_the_header(client_for: Any, key: str) -> None:
    error = assert_error(post(client_for("integrator"), upsert_body(), key=key), 400, "invalid")
    assert list(error["fields"]) == ["Idempotency-Key"]
    assert not CustomerProfile.objects.filter(external_id="SHOP-1001").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_write_once() -> None:
    """Two identical requests at the same moment: one runs, the other waits on the key and replays."""
    user = UserFactory.create(roles=("integrator",), password=None)
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(2)
    responses: list[Any] = []

    def send(client: Client) -> None:
        try:
            barrier.wait()
            responses.append(post(client, upsert_body()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(response.status_code for response in responses) == [201, 201]
    assert sorted(response.get("Idempotent-Replayed", "") for response in responses) == ["", "true"]
    assert responses[0].json() == responses[1].json()
    assert CustomerProfile.objects.filter(external_id="SHOP-1001").count() == 1


def test_the_stored_response_is_encrypted_at_rest(client_for: Any) -> None:
    first = post(client_for("admin"), upsert_body())  # an admin's response carries PII in clear
    assert first.json()["phone"] == "13812345678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_body FROM core_idempotencyrecord")
        (stored,) = cursor.fetchone()
    assert "13812345678" not in stored and "zhangsan" not in stored
    assert IdempotencyRecord.objects.get().response_body.startswith("{")  # decrypts to the JSON body
