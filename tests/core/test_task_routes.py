"""The task-route table (settings.TASK_QUEUES): every task of ours is routed to a named queue that the workers
of `make run` consume, and nothing is routed that does not exist."""

import re

from django.conf import settings

from service_center.celery import app
from tests.test_embedded_launcher import REPO_ROOT

QUEUES = {"realtime", "intake", "notify", "sla", "bulk"}
OUR_PACKAGES = {"core", "service_center", "profiles", "tickets", "chat", "aftersales", "knowledge", "quality",
                "reports", "desk"}


def _our_tasks() -> set[str]:
    app.loader.import_default_modules()
    # Celery's own, libraries' (django-elasticsearch-dsl's unused signal tasks) and tests' are not ours to route.
    return {name for name in app.tasks if name.split(".", 1)[0] in OUR_PACKAGES}


def test_every_task_has_a_route_and_every_route_a_task() -> None:
    routed = set(settings.CELERY_TASK_ROUTES)
    tasks = _our_tasks()
    assert tasks - routed == set(), "tasks without a queue in settings.TASK_QUEUES"
    assert routed - tasks == set(), "routes to tasks that no longer exist"


def test_the_router_sends_each_task_to_its_queue() -> None:
    assert set(settings.TASK_QUEUES) == QUEUES
    for queue, names in settings.TASK_QUEUES.items():
        for name in names:
            assert app.amqp.router.route({}, name)["queue"].name == queue, name


def test_make_runs_worker_consumes_every_queue() -> None:
    procfile = (REPO_ROOT / "Procfile").read_text()
    worker = re.search(r"^worker: celery .* -Q (\S+)", procfile, re.M)
    assert worker is not None, procfile
    assert set(worker.group(1).split(",")) == QUEUES
