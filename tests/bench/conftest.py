import json
from typing import Any

import pytest


@pytest.fixture
def report() -> Any:
    """Print one JSON line of figures, the output `make bench` is read by."""

    def emit(name: str, **figures: Any) -> None:
        print(json.dumps({"bench": name, **figures}, ensure_ascii=False), flush=True)

    return emit
