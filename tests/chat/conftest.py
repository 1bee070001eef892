from collections.abc import Iterator
from typing import Any

import pytest
from django.utils.functional import empty

from chat.models import chat_storage


@pytest.fixture(autouse=True)
def _chat_media(settings: Any, tmp_path: Any) -> Iterator[None]:
    # Uploads land in a per-test folder, never in the checkout's var/; the lazy storage re-reads the root.
    settings.CHAT_MEDIA_ROOT = str(tmp_path / "chat-media")
    chat_storage._wrapped = empty
    yield
    chat_storage._wrapped = empty


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The realtime fixtures (fresh channel layer per test, logged-in session cookies) apply here too.
from tests.realtime.conftest import _channel_layer_per_test, login_as  # noqa: E402, F401
