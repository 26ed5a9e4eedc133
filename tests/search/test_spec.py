"""Search files: the issue's file loads as written; decoding; bad input gives one message and exit 2."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.errors import InputError
from counterflow.search.spec import load_search

from .conftest import EXAMPLE, write_search

ISSUE_TEXT = """\
scenario: caribbean
budget_usd: 6.0e7                      # total over the horizon; portfolios above it are infeasible
levers:                                # the decision space: a list is a choice, {low, high} a range
  - {type: strike, damage: {low: 0.0, high: 1.0}, targets: {rule: [top_throughput, betweenness], k: [1, 2]},
     schedule: {start: 4, every: [4, 8, 12]}, unit_cost: 2.0e6}
  - {type: maritime_interdiction, intensity: {low: 0.0, high: 0.5}, zone: {mode: sea}, lethal: [false, true],
     schedule: {start: 4}, unit_cost: 1.0e5}
  - {type: humanitarian_aid, intensity: {low: 0.0, high: 1.0}, jurisdiction: VE, schedule: {start: 4}, unit_cost: 2.0e5}
objectives:
  - {outcome: flow_reduction_pct, direction: max, robustness: mean}
  - {outcome: civilian_harm, direction: min, robustness: p90}
  - {outcome: cost_usd, direction: min}
constraints:
  - {outcome: civilian_harm, max: 200}
uncertainties:
  - {path: parameters.learning_rate, low: 0.05, high: 0.5}
futures: 4
replications: 2
evaluations: 60
seed: 1
"""


def test_issue_file_loads_as_written(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(ISSUE_TEXT)
    s = load_search(f)
    assert EXAMPLE.read_text() == ISSUE_TEXT
    assert [g.kind for g in s.genes] == ["on", "real", "choice", "choice", "choice", "on", "real", "choice",
                                         "on", "real"]
    assert s.budget_usd == 6.0e7 and s.futures == 4 and s.replications == 2 and s.evaluations == 60
    assert [o.robustness for o in s.objectives] == ["mean", "p90", "max"]  # cost: the largest over cells
    assert s.constraints[0].robustness == "mean" and s.algorithm == "nsga2"
    assert s.future_values().shape == (4, 1)


def test_off_or_zero_intensity_levers_drop_out():
    s = load_search(EXAMPLE)
    lo, hi = s.bounds
    assert len(s.decode(hi)) == 3
    x = hi.copy()
    x[0] = 0  # strike off
    assert [lv["type"] for lv in s.decode(x)] == ["maritime_interdiction", "humanitarian_aid"]
    x[6] = 0.0  # maritime at intensity 0
    assert [lv["type"] for lv in s.decode(x)] == ["humanitarian_aid"]
    # genes of a lever that is off do not make another portfolio
    y = x.copy()
    y[1:5] = lo[1:5]
    assert s.key(x) == s.key(y)
    assert s.decode(lo) == []
    # every decoded portfolio is a valid strategy
    rng = np.random.default_rng(0)
    for _ in range(20):
        s.strategy(s.decode(lo + rng.random(len(lo)) * (hi - lo)))


@pytest.mark.parametrize("fields, where, words", [
    ({"levers": [{"type": "airstrike", "schedule": {"start": 1}}]}, "levers[0].type", "unknown value"),
    ({"levers": [{"type": "strike", "damage": {"low": 0.9, "high": 0.1}, "targets": {"rule": "top_throughput"},
                  "schedule": {"start": 1}}]}, "levers[0].damage", "above high"),
    ({"levers": [{"type": "strike", "damage": {"low": 0.0, "high": 1.5}, "targets": {"rule": "top_throughput"},
                  "schedule": {"start": 1}}]}, "levers[0].damage", "1.5"),
    ({"objectives": [{"outcome": "happiness"}]}, "objectives[0].outcome", "unknown outcome"),
    ({"objectives": [{"outcome": "civilian_harm", "robustness": "p900"}]}, "objectives[0].robustness", "unknown robustness"),
    ({"objectives": [{"outcome": "civilian_harm", "robustness": "satisficing"}]}, "objectives[0]", "threshold"),
    ({"constraints": [{"outcome": "civilian_harm"}]}, "constraints[0]", "'max' or 'min'"),
    ({"futures": 0}, "futures", ">= 1"),
    ({"uncertainties": [{"path": "parameters.nope", "low": 0, "high": 1}]}, "uncertainties[0].path", "nope"),
    ({"out_of_sample": {"futures": 3}}, "out_of_sample.futures", ">= 8"),
    ({"budget": 5}, "budget", "did you mean 'budget_usd'"),
    ({"sampler": "sobol"}, "sampler", "sobol"),
    ({"steps": 5000}, "steps", "2000"),
    ({"sampler": "grid", "futures": 5, "uncertainties": [{"path": "parameters.learning_rate", "low": 0.1, "high": 0.5},
                                                         {"path": "parameters.forget_rate", "low": 0.1, "high": 0.5}]},
     "futures", "try 4 or 9"),
])
def test_bad_search_files_name_field_and_line(tmp_path, fields, where, words):
    f = write_search(tmp_path, **fields)
    with pytest.raises(InputError) as exc:
        load_search(f)
    assert exc.value.path.startswith(where) and words in exc.value.message, exc.value
    assert exc.value.line is not None
    r = CliRunner().invoke(app, ["search", str(f), "--store", str(tmp_path / "st"), "--executor", "sequential"])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output
    assert not (tmp_path / "st").exists()


def test_missing_extra_exits_2_naming_it(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pymoo", None)  # what an environment without the extra looks like
    f = write_search(tmp_path)
    r = CliRunner().invoke(app, ["search", str(f), "--store", str(tmp_path / "st")])
    assert r.exit_code == 2 and "counterflow[search]" in r.output and "pymoo" in r.output


def test_front_of_a_non_store_exits_2(tmp_path):
    r = CliRunner().invoke(app, ["front", str(tmp_path)])
    assert r.exit_code == 2 and "not a search store" in r.output


@pytest.mark.parametrize("uncertainty", [
    {"path": "parameters.nope", "low": 0, "high": 1},
    {"path": "parameters.learning_rate", "low": 0.5, "high": 0.1},
    {"path": "parameters.learning_rate", "low": -3, "high": 0.1},
    {"path": "parameters.learning_rate"},
])
def test_uncertainties_get_the_experiment_files_checks_and_messages(tmp_path, uncertainty):
    """One set of checks: a bad uncertainty gets the same message, field and line in either file."""
    import yaml

    from counterflow.experiments.spec import load_experiment

    exp = tmp_path / "exp.yaml"
    exp.write_text(yaml.safe_dump({"scenario": "caribbean", "uncertainties": [uncertainty], "samples": 4},
                                  sort_keys=False))
    with pytest.raises(InputError) as e_exp:
        load_experiment(exp)
    with pytest.raises(InputError) as e_search:
        load_search(write_search(tmp_path, uncertainties=[uncertainty]))
    assert e_search.value.message == e_exp.value.message
    assert e_search.value.path == e_exp.value.path
