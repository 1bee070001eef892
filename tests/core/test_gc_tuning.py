"""The web and worker processes freeze their start-up objects and run with the configured GC thresholds."""

import gc
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from celery.signals import worker_process_init
from django.conf import settings

PROBE = "import gc, service_center.asgi; print(gc.get_freeze_count(), *gc.get_threshold())"


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_web_process_is_frozen_after_startup() -> None:
    env = {**os.environ, "GC_THRESHOLDS": "40000,15,15"}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120,
                            check=True, cwd=settings.BASE_DIR)
    frozen, *threshold = (int(part) for part in result.stdout.split())
    assert frozen > 10_000  # Django, the apps and their dependencies
    assert threshold == [40000, 15, 15]


def test_worker_process_is_frozen_when_it_starts(restored_gc: None) -> None:
    import service_center.celery  # noqa: F401  (connects the signal, as the worker does)

    gc.unfreeze()
    worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == tuple(settings.GC_THRESHOLDS)
