"""No import circles between modules, counting imports written inside functions as well as at the top.

grimp (import-linter's graph) records every import statement in a module, including those inside function
bodies, so a circle that is only closed by a deferred `import` still fails here. Import-linter's contracts
(pyproject.toml) hold the layering; this test holds what they cannot express: no circle at all.
"""

from collections.abc import Iterable

import grimp
import pytest

PACKAGES = ("core", "service_center", "profiles", "tickets", "chat", "aftersales", "knowledge", "quality", "reports",
            "desk")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph has ~1,000 modules): each group of modules reaching each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.find_modules_directly_imported_by(target)))))
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == module:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    circles = strongly_connected(graph)
    assert circles == [], "import circles (each list is modules that import each other, directly or not): " + "; ".join(
        " ↔ ".join(group) for group in circles)


def test_imports_inside_functions_are_counted(graph: grimp.ImportGraph) -> None:
    # outbox_task imports queueing only inside OutboxTask.__call__: the graph must still see that arrow,
    # or the test above would miss circles closed by a deferred import.
    assert "core.queueing" in graph.find_modules_directly_imported_by("core.outbox_task")


def test_the_circle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(module)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.one")
    graph.add_import(importer="a.two", imported="a.three")
    assert strongly_connected(graph) == [["a.one", "a.two"]]
