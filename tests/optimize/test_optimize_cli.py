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
              "min-cost-flow": (102.0, 228.0)}  # arcs at s and t are uncosted here, so nothing changed
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


def test_issue13_optimiser_inputs_exit_2(tmp_path, caribbean):
    """Negative or non-finite interdiction costs (through --nodes or the CSV), a non-UTF-8 CSV and a
    demand or penalty beyond the documented range give one message and exit 2, never a plan."""
    p = tmp_path / "net.csv"
    p.write_text(CSV)
    bad_nodes = tmp_path / "nodes.csv"
    cases = []
    for cost in ("-4", "inf", "nan", "-inf"):
        bad_nodes.write_text(f"id,interdiction_cost\nport_main,{cost}\n")
        cases.append((["caribbean", "--budget", "1", "--nodes", str(bad_nodes), "--json"], "interdiction_cost"))
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("from,to,capacity\ns,t,1\ns,caf\xe9,2\n".encode("latin-1"))
    cases.append(([str(latin), "--source", "s", "--sink", "t"], "UTF-8"))
    neg = tmp_path / "neg.csv"
    neg.write_text("from,to,capacity,interdiction_cost\ns,a,1,-1\na,t,1,1\n")
    cases.append(([str(neg), "--source", "s", "--sink", "t"], "interdiction_cost"))
    for flag in ("--demand", "--penalty"):
        args = [str(p), "--source", "s", "--sink", "t", "--objective", "min-cost-flow", "--demand", "5",
                "--penalty", "5"]
        args[args.index(flag) + 1] = "1e308"
        cases.append((args, flag.removeprefix("--")))
    for budget in ("inf", "1e308", "nan"):
        cases.append(([str(p), "--source", "s", "--sink", "t", "--budget", budget], "budget"))
    for args, word in cases:
        res = CliRunner().invoke(app, ["optimize", *args])
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output and word in res.output, (args, res.output)
    assert "line 3" in CliRunner().invoke(app, ["optimize", str(latin), "--source", "s", "--sink", "t"]).output


def test_method_option(tmp_path):
    """--method picks the algorithm per objective (the JSON says which ran), auto picks an exact one,
    and a method that does not belong to the objective is refused with exit 2."""
    p = tmp_path / "net.csv"
    p.write_text(CSV)
    base = [str(p), "--source", "s", "--sink", "t", "--json", "--budget", "2"]
    runs = {("min-cost-flow", "auto"): "search", ("min-cost-flow", "milp"): "milp",
            ("shortest-path", "auto"): "cover", ("shortest-path", "milp"): "milp",
            ("expected-max-flow", "auto"): "patterns", ("expected-max-flow", "enumerate"): "enumerate",
            ("max-flow", "auto"): "milp"}
    values = {}
    for (obj, method), ran in runs.items():
        extra = ["--demand", "12", "--penalty", "30"] if obj == "min-cost-flow" else []
        code, out = _run(*base, "--objective", obj, "--method", method, *extra)
        assert code == 0, out
        d = json.loads(out)
        assert d["method"] == ran and d["status"] == "optimal"
        values.setdefault(obj, set()).add(d["value_after"])
    assert all(len(v) == 1 for v in values.values())
    code, out = _run(*base, "--objective", "expected-max-flow", "--method", "saa", "--samples", "5",
                     "--replications", "10", "--eval-samples", "100")
    d = json.loads(out)
    assert code == 0 and d["status"] == "saa" and d["saa"]["replications"] == 10
    res = CliRunner().invoke(app, ["optimize", *base, "--method", "search"])
    assert res.exit_code == 2 and "--method for max-flow" in res.output
