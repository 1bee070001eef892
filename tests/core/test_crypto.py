import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from core import crypto
from profiles import services
from profiles.models import CustomerProfile, User
from tests.core.pii import PII_TABLES, ciphertext_pattern, new_key, raw_column, raw_rows
from tests.factories import UserFactory

PHONE = "13812345678"
EMAIL = "zhang.san@example.com"
ID_NUMBER = "110105199003071234"
ADDRESS = "北京市朝阳区建国路88号SOHO现代城2号楼1203室"


@pytest.fixture
def customer(db: None) -> CustomerProfile:
    profile, _ = services.customer_upsert(
        external_id="C-1", display_name="张三", phone=PHONE, email=EMAIL, address=ADDRESS,
    )
    services.customer_profile_set(user=profile.user, external_id="C-1", address=ADDRESS, id_number=ID_NUMBER)
    return CustomerProfile.objects.select_related("user").get(pk=profile.pk)


def test_no_plaintext_pii_in_any_table_or_history_table(customer: CustomerProfile) -> None:
    for table, columns in PII_TABLES.items():
        rows = raw_rows(table)
        assert rows, f"{table} should hold the customer"
        for row in rows:
            for secret in (PHONE, EMAIL, ID_NUMBER, ADDRESS, "5678", "example.com", "建国路"):
                assert secret not in row, f"{secret!r} in clear in {table}"
        for column in columns:
            stored = raw_column(table, column)
            assert stored, f"{table}.{column} is empty"
            assert all(ciphertext_pattern("dev1").match(value) for value in stored), stored


def test_orm_round_trips_and_each_save_uses_a_fresh_nonce(customer: CustomerProfile) -> None:
    assert (customer.user.phone, customer.user.email) == (PHONE, EMAIL)
    assert (customer.id_number, customer.address) == (ID_NUMBER, ADDRESS)
    ring = crypto.key_ring()
    assert ring.encrypt(PHONE) != ring.encrypt(PHONE)
    assert User.objects.values_list("phone", flat=True).get(pk=customer.user_id) == PHONE


def test_tampered_ciphertext_raises_decryption_error(customer: CustomerProfile) -> None:
    stored = raw_column("profiles_user", "phone")[0]
    key_id, payload = stored.split("$")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    tampered = f"{key_id}${base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError, match="failed authentication"):
        crypto.key_ring().decrypt(tampered)
    with pytest.raises(crypto.DecryptionError):
        crypto.key_ring().decrypt(f"{key_id}$not base64!!")
    with pytest.raises(crypto.DecryptionError, match="not '<key_id>"):
        crypto.key_ring().decrypt(PHONE)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE profiles_user SET phone = %s WHERE id = %s", [tampered, customer.user_id])
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=customer.user_id)


def test_relabelled_or_unknown_key_id_raises(settings: object) -> None:
    ring = crypto.parse_key_ring([new_key("a"), new_key("b")])
    sealed_by_a = ring.encrypt("secret")
    relabelled = "b" + sealed_by_a[1:]
    with pytest.raises(crypto.DecryptionError, match="failed authentication"):
        ring.decrypt(relabelled)
    with pytest.raises(crypto.DecryptionError, match="unknown PII key id 'zz'"):
        ring.decrypt("zz" + sealed_by_a[1:])


@pytest.mark.parametrize(
    ("phone", "email"),
    [
        ("13812345678", "zhang@example.com"),
        (" 138 1234 5678 ", "Zhang@Example.com "),
        ("+86 138-1234-5678", "ZHANG@EXAMPLE.COM"),
        ("0086 13812345678", " zhang@example.com"),
    ],
)
def test_lookup_by_blind_index_normalises(db: None, phone: str, email: str) -> None:
    user = UserFactory.create(phone="13812345678", email="zhang@example.com")
    UserFactory.create(phone="13912345678", email="li@example.com")
    assert User.objects.get_by_phone(phone) == user
    assert User.objects.get_by_email(email) == user


def test_partial_save_keeps_blind_index_in_step(db: None) -> None:
    user = UserFactory.create(phone="13812345678")
    user.phone = "13900001111"
    user.save(update_fields=["phone"])
    assert User.objects.get_by_phone("13900001111") == user
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_phone("13812345678")


@pytest.mark.parametrize("lookup", ["phone", "phone__exact", "phone__icontains", "phone__in", "email__startswith"])
def test_filtering_encrypted_field_raises_clear_type_error(db: None, lookup: str) -> None:
    value: object = ["x"] if lookup.endswith("__in") else "x"
    with pytest.raises(TypeError, match=r"Encrypted field User\.(phone|email) cannot be filtered .*blind index"):
        list(User.objects.filter(**{lookup: value}))


def test_isnull_is_the_one_lookup_allowed(db: None) -> None:
    UserFactory.create()
    assert User.objects.filter(phone__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "empty"),
        (["nokey"], "is not 'key_id:base64key'"),
        (["a$b:" + base64.b64encode(b"x" * 32).decode()], "is not 'key_id:base64key'"),
        (["short:" + base64.b64encode(b"x" * 16).decode()], "is 16 bytes; it must be 32"),
        (["bad:***notbase64***"], "not valid base64"),
        ([new_key("dup"), new_key("dup")], "twice"),
    ],
)
def test_bad_keys_fail_with_a_clear_message(entries: list[str], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_key_ring(entries)


def test_primary_key_is_the_first_and_blank_entries_are_ignored() -> None:
    ring = crypto.parse_key_ring(["", new_key("new"), new_key("old"), " "])
    assert ring.primary_id == "new"
    assert set(ring.keys) == {"new", "old"}
