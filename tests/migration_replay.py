"""Replaying a schedule migration's data step, as `migrate` runs it: a transactional test's flush
truncates data rows under --reuse-db, so tests that look at beat entries put them back this way."""

import importlib
from typing import Any

from django.db import migrations


def replay_schedule(module: str, apps: Any, *, reverse: bool = False) -> None:
    operation = next(operation for operation in importlib.import_module(module).Migration.operations
                     if isinstance(operation, migrations.RunPython))
    step: Any = operation.reverse_code if reverse else operation.code
    step(apps, None)  # the schedule steps never touch the schema editor
