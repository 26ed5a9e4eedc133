"""No import cycles in ``src/counterflow``, imports inside functions included.

The import-linter contract in ``.importlinter`` (run by ``make lint``) checks
the layers; this test walks the syntax tree of every module itself, so that
an import hidden inside a function cannot close a cycle either. Imports under
``if TYPE_CHECKING:`` are left out (they never run), and so is a package's
``__init__`` importing its own submodules (the package is their namespace).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def module_files(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is_package)}`` of every module of ``package`` under ``root``."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).split(".")[-1] == "TYPE_CHECKING":
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return skip


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> modules of ``package`` it imports, anywhere in its body (functions included)."""
    modules = module_files(root, package)

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, (path, is_pkg) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skip = _type_checking_only(tree)
        here = mod if is_pkg else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                for alias in node.names:  # `from pkg import submodule` imports the submodule
                    sub = f"{origin}.{alias.name}"
                    targets.append(sub if sub in modules else origin)
            for t in targets:
                if t != package and not t.startswith(package + "."):
                    continue
                dst = owner(t)
                if dst is None or dst == mod:
                    continue
                if is_pkg and dst.startswith(mod + "."):
                    continue  # a package's __init__ importing its own submodules
                graph[mod].add(dst)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    for start in sorted(graph):
        if start in index:
            continue
        # iterative depth-first search: (node, iterator over its successors)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, succ = work[-1]
            advanced = False
            for w in succ:
                if w not in graph:
                    continue
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return sorted(found)


def describe(graph: dict[str, set[str]], comp: list[str]) -> str:
    inside = set(comp)
    edges = [f"  {a} -> {b}" for a in comp for b in sorted(graph[a] & inside)]
    return f"{len(comp)} modules import each other:\n" + "\n".join(edges)


def test_no_import_cycle_in_counterflow():
    graph = import_graph(SRC, "counterflow")
    assert len(graph) > 50, "the walk found too few modules"
    found = cycles(graph)
    assert not found, "\n\n".join(describe(graph, c) for c in found)


# ------------------------------------------------------------ the finder can fail
def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def test_the_walk_finds_a_cycle_hidden_in_a_function(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "from . import a, b\n",
        "pkg/a.py": "from .b import g\n\ndef f():\n    return g()\n",
        "pkg/b.py": "def g():\n    from .sub.c import h\n    return h()\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "def h():\n    import pkg.a\n    return pkg.a\n",
        "pkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n",
    })
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.sub.c"} and graph["pkg.sub.c"] == {"pkg.a"}
    assert graph["pkg.d"] == set(), "TYPE_CHECKING imports never run"
    assert graph["pkg"] == set(), "a package importing its own submodules is not a cycle"
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c"]]


@pytest.mark.parametrize(("graph", "want"), [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}}, [["a", "b", "c"], ["d", "e"]]),
    ({"a": {"a"}}, []),
])
def test_cycles_are_the_strongly_connected_components(graph, want):
    assert cycles(graph) == want


def test_cycles_agree_with_networkx_on_random_graphs():
    import networkx as nx
    import numpy as np

    rng = np.random.default_rng(11)
    for _ in range(50):
        n = int(rng.integers(2, 12))
        g = nx.gnp_random_graph(n, float(rng.uniform(0.05, 0.4)), seed=int(rng.integers(1 << 30)), directed=True)
        graph = {str(v): {str(w) for w in g.successors(v)} for v in g.nodes}
        want = sorted(sorted(str(v) for v in c) for c in nx.strongly_connected_components(g) if len(c) > 1)
        assert cycles(graph) == want
