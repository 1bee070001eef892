from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command

from core import crypto
from profiles import services
from profiles.models import CustomerProfile, User
from tests.core.pii import PII_TABLES, ciphertext_pattern, new_key, raw_column

OLD, NEW = new_key("old2025"), new_key("new2026")


def _make_customers(count: int) -> None:
    for number in range(count):
        profile, _ = services.customer_upsert(
            external_id=f"R{number}", display_name=f"客户{number}", phone=f"1380000{number:04d}",
            email=f"c{number}@example.com", address=f"上海市徐汇区漕溪北路{number}号",
        )
        # A second save puts a second row in each history table.
        services.customer_profile_set(
            user=profile.user, external_id=f"R{number}", address=f"上海市徐汇区漕溪北路{number}号",
            id_number=f"31010419900101{number:04d}",
        )


def _all_stored_values() -> list[str]:
    return [value for table, columns in PII_TABLES.items() for column in columns for value in raw_column(table, column)]


def test_rotation_moves_every_row_and_history_row_to_the_new_key(db: None, settings: Any) -> None:
    settings.PII_ENCRYPTION_KEYS = [OLD]
    _make_customers(5)
    before = _all_stored_values()
    assert before and all(ciphertext_pattern("old2025").match(value) for value in before)

    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    # New writes use the new primary key straight away; old rows still read.
    assert User.objects.get_by_phone("13800000003").email == "c3@example.com"
    call_command("rotate_keys", batch_size=2, stdout=StringIO())

    after = _all_stored_values()
    assert len(after) == len(before)
    assert all(ciphertext_pattern("new2026").match(value) for value in after), after

    settings.PII_ENCRYPTION_KEYS = [NEW]
    profile = CustomerProfile.objects.select_related("user").get(external_id="R4")
    assert (profile.user.phone, profile.user.email) == ("13800000004", "c4@example.com")
    assert (profile.address, profile.id_number) == ("上海市徐汇区漕溪北路4号", "310104199001010004")
    assert profile.history.count() == 2
    assert {record.address for record in profile.history.all()} == {"上海市徐汇区漕溪北路4号"}


def test_rotation_writes_no_history_and_keeps_timestamps(db: None, settings: Any) -> None:
    settings.PII_ENCRYPTION_KEYS = [OLD]
    _make_customers(1)
    profile = CustomerProfile.objects.get(external_id="R0")
    history_rows, updated_at = profile.history.count(), profile.updated_at
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    profile.refresh_from_db()
    assert (profile.history.count(), profile.updated_at) == (history_rows, updated_at)
    assert "profiles.User.phone: 1 re-encrypted" in out.getvalue()
    call_command("rotate_keys", stdout=(second := StringIO()))
    assert "0 value(s) re-encrypted" in second.getvalue()


def test_rotation_stops_on_a_value_no_key_opens(db: None, settings: Any) -> None:
    settings.PII_ENCRYPTION_KEYS = [OLD]
    _make_customers(1)
    settings.PII_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(CommandError, match=r"profiles\.\w+ pk=\d+ \w+: unknown PII key id 'old2025'"):
        call_command("rotate_keys", stdout=StringIO())


def test_key_ring_follows_setting_changes(settings: Any) -> None:
    settings.PII_ENCRYPTION_KEYS = [NEW]
    assert crypto.key_ring().primary_id == "new2026"
    settings.PII_ENCRYPTION_KEYS = [OLD]
    assert crypto.key_ring().primary_id == "old2025"


def test_system_check_reports_bad_keys(settings: Any) -> None:
    settings.PII_ENCRYPTION_KEYS = ["k1:dG9vIHNob3J0"]
    settings.PII_BLIND_INDEX_KEY = "short"
    errors = {error.id: error for error in run_checks(tags=["security"])}
    assert "k1" in errors["core.E001"].msg and "must be 32" in errors["core.E001"].msg
    assert "os.urandom(32)" in str(errors["core.E001"].hint)
    assert "core.E002" in errors
    settings.PII_ENCRYPTION_KEYS, settings.PII_BLIND_INDEX_KEY = [NEW], "a-long-enough-blind-index-key"
    assert not {"core.E001", "core.E002"} & {error.id for error in run_checks(tags=["security"])}

