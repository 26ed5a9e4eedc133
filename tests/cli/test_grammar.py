"""One command-line grammar: the same option means the same thing in every command.

-s/--strategy chooses strategies, -m/--metric (alias --outcome) metrics, -o/--out is the data
output, --report the HTML report, --store a store, --format how a table is printed; every
JSON document starts with scenario, strategies, runs and seed; help shows no Python types.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from counterflow import __version__
from counterflow.cli import app
from counterflow.cli.common import MissingExtra, require_extra
from tests.experiments.conftest import write_experiment

SRC = str(Path(__file__).resolve().parents[2] / "src")
runner = CliRunner()
COMMANDS = sorted(get_command(app).commands)
JSON_KEYS = ["scenario", "strategies", "runs", "seed"]


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_version():
    r = invoke("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"counterflow {__version__}"
    r = subprocess.run([sys.executable, "-m", "counterflow", "-V"], capture_output=True, text=True,
                       env={"PYTHONPATH": SRC}, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"counterflow {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_python_types(command):
    """No ``<bool>``/``<str>``/``{scenario}`` clutter; every command has help."""
    r = invoke(command, "--help")
    assert r.exit_code == 0, r.output
    for junk in ("<bool>", "<str>", "<int", "<float", "<path>", "<list", "{scenario}", "<Path>"):
        assert junk not in r.stdout, (command, junk)
    assert r.stdout.count("Usage:") == 1


def test_the_same_option_names_everywhere():
    """Strategy, metric, output, report, store and format options have one spelling each."""
    cmds = get_command(app).commands
    opts = {name: {o for p in c.params for o in (*p.opts, *p.secondary_opts)} for name, c in cmds.items()}
    for name in ("run", "compare", "analyze", "sensitivity", "calibrate", "export"):
        assert {"-s", "--strategy"} <= opts[name], name
    for name in ("compare", "analyze", "sensitivity"):
        assert {"-m", "--metric", "--outcome"} <= opts[name], name
    for name in ("run", "compare", "analyze", "sensitivity", "calibrate", "optimize", "import", "export",
                 "generate"):
        assert {"-o", "--out"} <= opts[name], name
    for name in ("run", "compare", "analyze", "sensitivity", "calibrate", "optimize", "scenarios"):
        assert {"--format", "--json"} <= opts[name], name
    for name in ("analyze", "sensitivity", "sweep", "calibrate", "serve"):
        assert "--store" in opts[name], name
    assert "--report" in opts["compare"]
    # -o never names an outcome, -m never an output
    for name, o in opts.items():
        if "-o" in o:
            assert "--outcome" not in [p for c in cmds[name].params if "-o" in c.opts for p in c.opts], name


def test_compare_takes_strategies_with_s_or_positionally():
    base = ("--runs", "2", "--steps", "6", "--seed", "4", "--json", "-m", "delivered_kg")
    a = invoke("compare", "caribbean", "-s", "port-strike", *base)
    b = invoke("compare", "caribbean", "port-strike", *base)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    da, db = json.loads(a.stdout), json.loads(b.stdout)
    assert da == db
    assert list(da)[:4] == JSON_KEYS
    assert da["scenario"] == "caribbean" and da["runs"] == 2 and da["seed"] == 4
    assert list(da["strategies"]) == ["baseline", "port-strike"]
    assert da["units"]["delivered_kg"] == "kg"


def test_compare_formats_and_library_agree():
    """--format csv/markdown print the table; the JSON is what counterflow.compare() returns."""
    import counterflow

    args = ("compare", "caribbean", "-s", "port-strike", "--runs", "2", "--steps", "6", "-m", "delivered_kg",
            "-m", "civilian_harm")
    rows = list(csv.reader(io.StringIO(invoke(*args, "--format", "csv").stdout)))
    assert rows[0] == ["metric", "baseline", "port-strike"] and len(rows) == 3
    assert rows[1][0] == "Delivered to markets (kg)" and "Δ" in rows[1][2]
    md = invoke(*args, "--format", "markdown").stdout
    assert "| metric | baseline | port-strike |" in md
    doc = json.loads(invoke(*args, "--format", "json").stdout)
    c = counterflow.compare("caribbean", ["port-strike"], runs=2, seed=0, steps=6,
                            metrics=["delivered_kg", "civilian_harm"])
    assert json.loads(json.dumps(c.to_dict())) == doc
    frame = c.to_frame()
    assert set(frame.strategy) == {"baseline", "port-strike"} and len(frame) == 4
    row = frame[(frame.strategy == "port-strike") & (frame.metric == "delivered_kg")].iloc[0]
    assert row["diff_mean"] == doc["strategies"]["port-strike"]["delivered_kg"]["diff_mean"]
    assert row["unit"] == "kg"
    assert len(repr(c)) < 200 and "<table>" in c._repr_html_()


def test_table_into_a_file_is_not_cut_to_80_columns():
    """Piped output keeps every column and the whole title on one line."""
    r = invoke("compare", "caribbean", "--runs", "1", "--steps", "4", "-m", "delivered_kg")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("caribbean: 1 paired replications") and "[95 % CI])" in lines[0]
    assert max(len(x) for x in lines[1:5]) > 80  # all strategies side by side, not wrapped
    assert "…" not in r.stdout


def test_run_out_says_where_and_writes_a_wide_step_table(tmp_path):
    out = tmp_path / "res"
    r = invoke("run", "caribbean", "-s", "port-strike", "--runs", "2", "--steps", "5", "--seed", "7", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert str(out / "steps.parquet") in r.stderr and str(out / "runs.parquet") in r.stderr
    steps = pd.read_parquet(out / "steps.parquet")
    assert len(steps) == 2 * 2 * 5  # one row per strategy, replication and step
    assert (steps.seed == 7).all()
    assert {"strategy", "replication", "seed", "step", "seized_kg", "cost_usd"} <= set(steps.columns)
    assert any(c.startswith("delivered_kg[") for c in steps.columns)
    assert any(c.startswith("price_usd_per_kg[") for c in steps.columns)
    doc = json.loads((out / "summary.json").read_text())
    assert list(doc)[:4] == JSON_KEYS and doc["seed"] == 7


def test_json_documents_carry_scenario_strategies_runs_and_seed(tmp_path):
    r = invoke("run", "caribbean", "-s", "port-strike", "--runs", "1", "--steps", "4", "--json")
    assert list(json.loads(r.stdout))[:4] == JSON_KEYS
    r = invoke("optimize", "caribbean", "--budget", "1", "--json")
    doc = json.loads(r.stdout)
    assert list(doc)[:4] == JSON_KEYS and doc["scenario"] == "caribbean"
    assert doc["units"] == {"value": "kg/step", "budget": "interdictions"}


def test_optimize_prints_units():
    r = invoke("optimize", "caribbean", "--budget", "2")
    assert r.exit_code == 0, r.output
    assert "kg/step" in r.stdout and "interdictions" in r.stdout and " s" in r.stdout


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grammar")
    exp = write_experiment(tmp, samples=2, replications=1, steps=4, outcomes=["delivered_kg", "cost_usd"])
    st = tmp / "st"
    r = invoke("sweep", str(exp), "--store", str(st), "--executor", "sequential", "--json")
    assert r.exit_code == 0, r.output
    assert list(json.loads(r.stdout))[:4] == JSON_KEYS
    return st


def test_analyze_store_as_option_metric_and_out(store, tmp_path):
    a = invoke("analyze", "--store", str(store), "-m", "cost_usd", "--json")
    b = invoke("analyze", str(store), "--outcome", "cost_usd", "--json")
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    da = json.loads(a.stdout)
    assert da == json.loads(b.stdout)
    assert list(da["strategies"]["baseline"]) == ["cost_usd"]
    assert {"scenario", "strategies", "runs", "seed"} <= set(da)
    out = tmp_path / "a.csv"
    r = invoke("analyze", "--store", str(store), "-o", str(out), "--format", "csv")
    assert r.exit_code == 0, r.output
    assert {"strategy", "outcome", "p50"} <= set(pd.read_csv(out).columns)


@pytest.mark.parametrize("command", ["analyze", "sensitivity"])
def test_o_given_an_outcome_exits_2_saying_it_now_means_output(store, command):
    r = invoke(command, str(store), "-o", "delivered_kg")
    assert r.exit_code == 2
    assert "-o/--out now names the output file" in r.stderr and "-m delivered_kg" in r.stderr


def test_import_narcologic_from_two_files(tmp_path):
    from counterflow.io.narcologic import narcologic_dir

    d = narcologic_dir()
    nodes, edges = tmp_path / "n.csv", tmp_path / "e.csv"
    nodes.write_bytes((d / "NodeTable.csv").read_bytes())
    edges.write_bytes((d / "EdgeTable.csv").read_bytes())
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    r1 = invoke("import", "narcologic", str(nodes), str(edges), "-o", str(a))
    r2 = invoke("import", "narcologic", str(d), "--out", str(b))
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    strip = [ln for ln in a.read_text().splitlines() if not ln.startswith("#")]
    assert strip == [ln for ln in b.read_text().splitlines() if not ln.startswith("#")]
    r = invoke("import", "narcologic", str(nodes), "-o", str(a))
    assert r.exit_code == 2 and "NODES.csv EDGES.csv" in r.stderr


def test_a_missing_extra_is_named():
    with pytest.raises(MissingExtra, match=r"pip install 'counterflow\[web\]'"):
        require_extra("web", "counterflow_no_such_module")
    require_extra("web", "json")  # present: no error


def test_starting_the_cli_loads_no_heavy_library():
    """``import counterflow`` and ``counterflow --help`` load neither numba, pandas, matplotlib,
    OR-Tools, dask nor fastapi (they load in the commands that use them)."""
    code = ("import sys, counterflow, counterflow.cli\n"
            "from typer.main import get_command\n"
            "get_command(counterflow.cli.app)\n"
            "heavy = ['numba', 'pandas', 'matplotlib', 'ortools', 'dask', 'fastapi', 'scipy', 'pyarrow', 'duckdb',"
            " 'numpy', 'counterflow.scenario']\n"
            "print(','.join(m for m in heavy if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": SRC},
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_help_imports_no_command_module():
    """``counterflow --help`` is printed from the command table: no command module, no rich, no library module."""
    code = ("import sys, counterflow.__main__ as m\n"
            "sys.argv = ['counterflow', '--help']\n"
            "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', ','.join(sorted(x for x in sys.modules if x == 'rich' or x.startswith('counterflow.')"
            " and x not in ('counterflow.__main__', 'counterflow.cli'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": SRC},
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Commands:" in r.stdout and r.stdout.strip().splitlines()[-1] == "LOADED", r.stdout[-500:]


def test_the_command_table_is_the_commands():
    """The lazy table names every command, its module and the first paragraph of its help, in help's order;
    the help printed from it equals the help of the fully loaded command line."""
    import inspect

    from counterflow.cli import COMMANDS

    lazy = subprocess.run([sys.executable, "-m", "counterflow", "--help"], capture_output=True, text=True,
                          env={"PYTHONPATH": SRC, "COLUMNS": "80"}, timeout=60)
    group = get_command(app)
    assert set(group.commands) == set(COMMANDS)  # every command module loaded: the table names them all
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        module, first = COMMANDS[name]
        assert info.callback.__module__ == f"counterflow.cli.{module}", name
        assert " ".join(inspect.getdoc(info.callback).split("\n\n")[0].split()) == first, name
    full = runner.invoke(app, ["--help"], prog_name="python -m counterflow", terminal_width=80)
    assert lazy.returncode == 0 and full.exit_code == 0
    assert lazy.stdout == full.stdout


def test_the_cli_step_bound_is_the_scenario_bound():
    from counterflow.cli.common import MAX_STEPS
    from counterflow.scenario import MAX_STEPS as SCENARIO_MAX_STEPS

    assert MAX_STEPS == SCENARIO_MAX_STEPS


def test_network_commands_json_keys(tmp_path):
    r = invoke("generate", "--nodes", "20", "--seed", "3", "-o", str(tmp_path / "g.yaml"), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert list(doc)[:4] == JSON_KEYS and doc["seed"] == 3 and doc["nodes"] == 20
    r = invoke("import", "narcologic", "-o", str(tmp_path / "n.yaml"), "--json")
    assert r.exit_code == 0, r.output
    assert list(json.loads(r.stdout))[:4] == JSON_KEYS
    r = invoke("export", "caribbean", "-o", str(tmp_path / "c.graphml"), "--json")
    assert r.exit_code == 0, r.output
    assert list(json.loads(r.stdout))[:4] == JSON_KEYS
