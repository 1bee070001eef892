from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _chat_media(settings: Any, tmp_path: Any) -> Iterator[None]:
    # Uploads land in a per-test folder, never in the checkout's var/ (the storage reads the setting per use).
    settings.CHAT_MEDIA_ROOT = str(tmp_path / "chat-media")
    yield


# The realtime fixtures (fresh channel layer per test, logged-in session cookies) apply here too.
from tests.realtime.conftest import _channel_layer_per_test, login_as  # noqa: E402, F401
