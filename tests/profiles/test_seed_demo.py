"""seed_demo runs every app's hook in one transaction (the demo data itself: tests/test_seed_demo.py)."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from profiles.models import User


def test_other_apps_seed_through_their_app_config_in_the_same_transaction(db: None, monkeypatch: Any) -> None:
    from django.apps import apps

    seen: list[int] = []

    def seed_tickets(stdout: Any) -> None:
        # Runs after the profiles data exists, so an app can build on it.
        seen.append(User.objects.filter(username="agent1").count())
        raise RuntimeError("tickets demo failed")

    monkeypatch.setattr(apps.get_app_config("tickets"), "seed_demo", seed_tickets, raising=False)
    with pytest.raises(RuntimeError):
        call_command("seed_demo", force=True, stdout=StringIO())
    assert seen == [1]
    assert not User.objects.exists()  # nothing half-written
