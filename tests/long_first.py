"""The suite's longest tests start first, so pytest-xdist's work stealing spreads the rest around them.

Started in random order (pytest-randomly), a 90-second test that comes up last leaves one worker running it
alone at the end; started first, the other worker takes the short tests meanwhile. The order among the long
tests and among the rest stays as pytest-randomly shuffled it.
"""

from typing import Any

import pytest

# Test files whose tests take 10 s or more each on the CI machine (`--durations=25` in CI prints them).
LONG_RUNNING = (
    "tests/test_make_run_layout.py",
    "tests/e2e/test_role_journeys.py",
    "tests/api/test_contract.py",
    "tests/pages/test_walk_every_page.py",
    "tests/core/test_beat_leader.py",
    "tests/reports/test_browser.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[Any]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_RUNNING))
