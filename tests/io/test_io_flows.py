"""A run's flows export per edge and per node to GraphML and GeoJSON, matching the trajectory."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np

from counterflow import load_scenario, resolve_strategies, simulate
from counterflow.io import export_flows, read_geojson, read_graphml


def test_flows_match_the_run_and_the_network_still_imports(tmp_path):
    """Per-edge flow_kg equals the run's summed edge flows, per-node flow_kg its node totals; re-import ignores flows."""
    s = load_scenario("caribbean")
    strat = resolve_strategies(s, ["port-strike"])[1]
    traj = simulate(s, strat, seed=4, steps=12, record_flows=True)
    export_flows(s, tmp_path / "f.graphml", traj)
    export_flows(s, tmp_path / "f.geojson", traj)
    g = nx.read_graphml(tmp_path / "f.graphml")
    want = traj.edge_flow.astype(float).sum(axis=0)
    got = np.zeros(len(s.edges))
    for _, _, d in g.edges(data=True):
        got[d["index"]] = d["flow_kg"]
        assert d["flow_steps"] <= 12 and d["flow_peak_kg"] <= d["flow_kg"] + 1e-6
    np.testing.assert_allclose(got, want, atol=1e-3)
    fc = json.loads((tmp_path / "f.geojson").read_text())
    nodes = {f["properties"]["id"]: f["properties"]["flow_kg"] for f in fc["features"] if f["geometry"]["type"] == "Point"}
    np.testing.assert_allclose([nodes[v] for v in traj.node_ids], traj.node_flow_total, atol=1e-3)
    lines = [f["properties"]["flow_kg"] for f in fc["features"] if f["geometry"]["type"] == "LineString"]
    np.testing.assert_allclose(lines, want, atol=1e-3)
    assert want.sum() > 0
    for back in (read_graphml(tmp_path / "f.graphml")[0], read_geojson(tmp_path / "f.geojson")[0]):
        assert back.to_dict()["edges"] == s.to_dict()["edges"]


def test_export_flows_without_a_strategy_exports_the_baseline(tmp_path):
    """`export --flows` without -s exports the baseline (no action), as its --help and --json say: the same file as
    `-s baseline`, another than `-s balanced` (the scenario's last strategy, which it used to take)."""
    from typer.testing import CliRunner

    from counterflow.cli import app

    def export(name: str, *strategy: str) -> str:
        out = tmp_path / f"{name}.geojson"
        r = CliRunner().invoke(app, ["export", "caribbean", "-o", str(out), "--flows", "--steps", "6", *strategy])
        assert r.exit_code == 0, r.output
        return out.read_text(encoding="utf-8")

    default = export("default")
    assert default == export("baseline", "-s", "baseline")
    assert default != export("balanced", "-s", "balanced")
