import gc
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from core.gc_tuning import tune_after_startup
from core.segmentation import warm_up


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


@pytest.fixture
def serving_process() -> Iterator[None]:
    """As a web process serves (service_center/asgi.py): jieba's dictionary loaded and the start-up objects frozen
    out of the collector's way (core.gc_tuning). Without that, full collections of the test process's heap, with
    jieba's dictionary in it, landed inside the creates: about a tenth of their CPU."""
    threshold = gc.get_threshold()
    warm_up()
    tune_after_startup()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
