"""The NarcoLogic tables import into a runnable two-organisation scenario; baseline and strikes run from the CLI."""

from __future__ import annotations

import hashlib
from collections import deque

import numpy as np
import pytest
from typer.testing import CliRunner

from counterflow import load_scenario, resolve_strategies, simulate
from counterflow.cli import app
from counterflow.io import narcologic_dir, read_narcologic

#: SHA-256 of the published NarcoLogic tables as shipped (an edit to the copy changes them).
PUBLISHED_SHA256 = {
    "NodeTable.csv": "ab879fcec58fc1eae110a1c8d41a43806cf3ee9bca3745c4f816fa14d95cdfcd",
    "EdgeTable.csv": "818a90a344292ee0765fb126c416987190eca7c2d02322520b8b5a4798043187",
}


@pytest.fixture(scope="module")
def narco():
    return read_narcologic()


def test_shipped_tables_are_the_published_ones():
    """The copy shipped in the package is byte-identical to the published tables (pinned by hash)."""
    for f, digest in PUBLISHED_SHA256.items():
        assert hashlib.sha256((narcologic_dir() / f).read_bytes()).hexdigest() == digest, f


def test_structure_matches_the_tables(narco):
    """163 nodes, 1,017 edges; one producer; the main end node and three extra end nodes are markets."""
    s, report = narco
    assert len(s.nodes) == 163 and len(s.edges) == 1017
    kinds = {n.id: n.kind for n in s.nodes}
    assert [k for k, v in kinds.items() if v == "source"] == ["n0"]
    assert sorted(m.node for m in s.markets) == ["n155", "n160", "n161", "n162"]
    assert {kinds[f"n{i}"] for i in range(156, 160)} == {"transit"}
    assert max(m.reference_demand for m in s.markets) == next(m.reference_demand for m in s.markets if m.node == "n155")
    # capacity: 32,000 kg per month as kg per week
    assert {e.capacity for e in s.edges} == {round(32000 * 12 / 52, 3)}
    assert report.defaulted["nodes.capacity"] == 163
    assert any("pintcpt" in line for line in report.lines())


def test_dto_splits_the_network(narco):
    """Each DTO becomes an organisation whose nodes are its side plus the shared producer and main end node,
    and each can reach a market through its own nodes (checked by breadth-first search)."""
    s, _ = narco
    raw = np.genfromtxt(narcologic_dir() / "NodeTable.csv", delimiter=",", names=True)
    dto = {f"n{int(i)}": int(d) for i, d in zip(raw["ID"], raw["DTO"], strict=True)}
    assert [o.id for o in s.organisations] == ["dto_1", "dto_2"]
    for o, side in zip(s.organisations, (1, 2), strict=True):
        assert set(o.nodes) == {v for v, d in dto.items() if d in (0, side)}
        allowed = set(o.nodes)
        adj: dict[str, list[str]] = {}
        for e in s.edges:
            if e.src in allowed and e.dst in allowed:
                adj.setdefault(e.src, []).append(e.dst)
        seen, queue = {"n0"}, deque(["n0"])
        while queue:
            for w in adj.get(queue.popleft(), []):
                if w not in seen:
                    seen.add(w)
                    queue.append(w)
        assert "n155" in seen


def test_baseline_and_strike_strategy_run(narco):
    """A baseline run delivers; the strike strategy strikes, harms and reduces delivery relative to baseline."""
    s, _ = narco
    base_s, strike_s = resolve_strategies(s, ["hub-strikes"])
    base = simulate(s, base_s, seed=3, steps=30, record_flows=False)
    strike = simulate(s, strike_s, seed=3, steps=30, record_flows=False)
    assert base.delivered_total.sum() > 0.5 * 30 * 2000 * 0.5
    assert len(strike.reports) >= 6
    assert strike.delivered_total.sum() < base.delivered_total.sum()
    assert strike.series["harm"].sum() > 0 and base.series["harm"].sum() == 0
    b = strike.balance[-1]
    assert abs(b[0] - b[1] - b[2] - b[3] - b[4] - b[5]) < 1e-6 * b[0]


def test_cli_imports_runs_and_exports_narcologic(tmp_path):
    """`counterflow import narcologic`, `run` with a strike strategy and `export --flows` all succeed."""
    runner = CliRunner()
    out = tmp_path / "nl.yaml"
    res = runner.invoke(app, ["import", "narcologic", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "defaulted" in res.output and out.read_text().startswith("# Imported by")
    assert load_scenario(out).name == "narcologic"
    res = runner.invoke(app, ["run", str(out), "-s", "hub-strikes", "--runs", "2", "--steps", "12", "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["export", str(out), "-o", str(tmp_path / "f.geojson"), "--flows", "--steps", "8",
                              "-s", "hub-strikes"])
    assert res.exit_code == 0, res.output
    assert '"flow_kg"' in (tmp_path / "f.geojson").read_text()
