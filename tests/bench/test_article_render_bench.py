"""Article rendering over the pathological Markdown set (issue 16; goal: at most 100 ms, or refused at save).

Each source goes through `render_markdown`, what the saving service runs: the figure per source is the time
to its outcome, rendered or refused, and the worst of them is the bound a save can take.
"""

import time

import pytest

from knowledge.rendering import MarkdownRefused, render_markdown
from tests.knowledge.pathological_markdown import PATHOLOGICAL

pytestmark = pytest.mark.bench


def test_worst_article_render_over_the_pathological_set(report) -> None:
    outcomes: dict[str, dict[str, object]] = {}
    for name, source in PATHOLOGICAL.items():
        started = time.perf_counter()
        try:
            render_markdown(source)
            outcome = "rendered"
        except MarkdownRefused:
            outcome = "refused"
        outcomes[name] = {"outcome": outcome, "ms": round((time.perf_counter() - started) * 1000, 1)}
    rendered = [figures["ms"] for figures in outcomes.values() if figures["outcome"] == "rendered"]
    report(
        "article_render_pathological",
        sources=len(outcomes),
        refused=sum(figures["outcome"] == "refused" for figures in outcomes.values()),
        worst_ms=max(float(str(figures["ms"])) for figures in outcomes.values()),
        worst_rendered_ms=max((float(str(ms)) for ms in rendered), default=0.0),
        per_source=outcomes,
    )
