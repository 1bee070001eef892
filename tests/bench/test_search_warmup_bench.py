"""The first knowledge search after a start against the second (issue 18: 2.9 s, then milliseconds).

Each figure comes from a fresh Python process, as after a boot: Django set up, then, as the web server
and the workers do (core.segmentation.warm_up), the segmentation loaded, or not. The
query is parsed the way every search parses it (segmentation, synonyms left out: no database here).
Prints one JSON line.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.bench

PROBE = """
import json, time, django
django.setup()
from core import segmentation
warm = {warm}
started = time.perf_counter()
if warm:
    segmentation.warm_up()
warm_ms = (time.perf_counter() - started) * 1000
timings = []
for query in ("退款多久到账", "快递破损怎么换货"):
    started = time.perf_counter()
    segmentation.segment(query)
    timings.append((time.perf_counter() - started) * 1000)
print(json.dumps({{"warm_up_ms": round(warm_ms, 1), "first_ms": round(timings[0], 1),
                   "second_ms": round(timings[1], 1)}}))
"""


def _fresh_process(*, warm: bool) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(warm=warm)], capture_output=True, text=True,
                          check=True, cwd=settings.BASE_DIR, timeout=120)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_first_search_after_start_is_as_fast_as_the_next() -> None:
    cold, warmed = _fresh_process(warm=False), _fresh_process(warm=True)
    print(json.dumps({"bench": "search_first_query_after_start", "without_warm_up": cold,
                      "with_warm_up": warmed}))
    # Warmed, the first query is no longer the one that loads the dictionary.
    assert warmed["first_ms"] < cold["first_ms"]
