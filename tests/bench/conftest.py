import json
import logging
from typing import Any

import pytest


@pytest.fixture
def report() -> Any:
    """Print one JSON line of figures, the output `make bench` is read by."""

    def emit(name: str, **figures: Any) -> None:
        print(json.dumps({"bench": name, **figures}, ensure_ascii=False), flush=True)

    return emit


@pytest.fixture(autouse=True)
def _quiet_axes_logins() -> Any:
    """django-axes logs every login at INFO; the benches log in thousands of users and their output is JSON."""
    logger = logging.getLogger("axes")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)
