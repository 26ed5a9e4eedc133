"""``counterflow optimize``: JSON contract, scenario and CSV inputs, clear errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from counterflow.cli import app

CSV = ("from,to,capacity,cost,interdiction_cost,interdiction_delta,success_prob\n"
       "s,a,10,1,,,\na,b,6,1,1,5,0.7\nb,t,10,1,,,\ns,c,10,2,,,\nc,d,4,2,1,,0.9\nd,t,10,2,,,\n")
KEYS = {"objective", "value_before", "value_after", "plan", "status", "gap", "seconds"}


def _run(*args):
    res = CliRunner().invoke(app, ["optimize", *args])
    return res.exit_code, res.stdout


def test_json_for_every_objective_on_a_csv(tmp_path):
    """Each objective prints the documented JSON (and nothing else) on stdout, with an optimal status."""
    p = tmp_path / "net.csv"
    p.write_text(CSV)
    expect = {"max-flow": (10.0, 4.0), "shortest-path": (3.0, 6.0), "expected-max-flow": (10.0, 5.8),
              "min-cost-flow": (102.0, 228.0)}
    for obj, (before, after) in expect.items():
        extra = ["--demand", "12", "--penalty", "30", "--budget", "2"] if obj == "min-cost-flow" else ["--budget", "1"]
        code, out = _run(str(p), "--source", "s", "--sink", "t", "--objective", obj, "--json", *extra)
        assert code == 0, out
        d = json.loads(out)
        assert KEYS <= set(d) and d["objective"] == obj and d["status"] == "optimal"
        assert abs(d["value_before"] - before) < 1e-9 and abs(d["value_after"] - after) < 1e-9
        assert set(d["plan"]) == {"edges", "nodes"}


def test_scenario_with_node_costs(tmp_path, caribbean):
    """On a scenario with --nodes, only the listed nodes (and every edge) may be interdicted."""
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("id,interdiction_cost\nport_main,1\n")
    code, out = _run("caribbean", "--budget", "1", "--nodes", str(nodes), "--json")
    assert code == 0, out
    d = json.loads(out)
    assert set(d["plan"]["nodes"]) <= {"port_main"} and d["value_before"] == 6500.0
    assert d["certificate"]["verified"]


def test_bad_input_exits_2_without_traceback(tmp_path):
    """A CSV without --source, a bad cell, or min-cost-flow without --demand give one message and status 2."""
    p = tmp_path / "net.csv"
    p.write_text(CSV)
    for args in ([str(p)], [str(p), "--source", "s", "--sink", "t", "--objective", "min-cost-flow"],
                 [str(tmp_path / "missing.csv"), "--source", "s", "--sink", "t"], ["no-such-scenario"]):
        res = CliRunner().invoke(app, ["optimize", *args])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output
    p.write_text("from,to,capacity\ns,t,x\n")
    res = CliRunner().invoke(app, ["optimize", str(p), "--source", "s", "--sink", "t"])
    assert res.exit_code == 2 and "line 2" in res.output
