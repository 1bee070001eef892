"""The Celery app: broker on Redis, settings from Django's `CELERY_*`, schedules in the database.

Late acks, reject-on-worker-lost and prefetch 1 (settings/base.py) mean a task that dies mid-run
is redelivered, so every task must be idempotent. Beat reads its schedule from
django-celery-beat (`CELERY_BEAT_SCHEDULER`); periodic tasks are rows registered by migrations.
"""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "service_center.settings.base")

# Every task claims its outbox row before it runs (a string: the class loads once Django is set up).
app = Celery("service_center", task_cls="core.outbox_task:OutboxTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_gc(**_kwargs: Any) -> None:
    """Each worker process, once it has loaded Django and the tasks, freezes them out of the collector's way."""
    from core.gc_tuning import tune_after_startup

    tune_after_startup()


@worker_init.connect
def _warm_search(**kwargs: Any) -> None:
    """Tasks index and search text too (ticket and article indexes): load the segmentation once as the
    worker starts, before it forks its pool, rather than in the first task."""
    from core.segmentation import warm_up

    warm_up()
