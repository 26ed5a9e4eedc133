"""Strategy files holding one strategy or several named ones, everywhere a strategy file is accepted."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from counterflow import resolve_strategies
from counterflow.cli import app
from counterflow.errors import InputError
from counterflow.experiments.spec import parse_experiment
from counterflow.strategy import load_strategies, load_strategy

SEVERAL = """\
hit-port:
  description: one strike on the main port
  levers:
    - {type: strike, targets: {nodes: [port_main]}, schedule: {at: 4}}
patrol:
  levers:
    - {type: maritime_interdiction, zone: {mode: sea}, intensity: 0.2, schedule: {start: 4}}
"""
ONE = """\
levers:
  - {type: strike, targets: {nodes: [port_main]}, schedule: {at: 4}}
"""


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_a_file_of_several_strategies_loads_each_by_name(tmp_path, caribbean):
    found = load_strategies(_write(tmp_path, "set.yaml", SEVERAL), caribbean)
    assert [s.name for s in found] == ["hit-port", "patrol"]
    assert found[0].description == "one strike on the main port"
    assert found[1].levers[0].params["intensity"] == 0.2


def test_the_same_block_under_a_strategies_key_loads_the_same(tmp_path, caribbean):
    wrapped = "strategies:\n" + textwrap.indent(SEVERAL, "  ")
    a = load_strategies(_write(tmp_path, "a.yaml", SEVERAL), caribbean)
    b = load_strategies(_write(tmp_path, "b.yaml", wrapped), caribbean)
    assert a == b


def test_a_single_strategy_file_is_named_after_the_file(tmp_path, caribbean):
    st = load_strategy(_write(tmp_path, "my-strike.yaml", ONE), caribbean)
    assert st.name == "my-strike"
    assert load_strategies(tmp_path / "my-strike.yaml") == [st]


def test_resolve_strategies_takes_every_strategy_of_a_file(tmp_path, caribbean):
    p = _write(tmp_path, "set.yaml", SEVERAL)
    names = [s.name for s in resolve_strategies(caribbean, [str(p), "port-strike"])]
    assert names == ["baseline", "hit-port", "patrol", "port-strike"]


def test_an_experiment_accepts_a_file_of_several_strategies(tmp_path):
    _write(tmp_path, "set.yaml", SEVERAL)
    exp = parse_experiment({"scenario": "caribbean", "strategies": ["set.yaml"],
                            "uncertainties": [{"path": "parameters.learning_rate", "low": 0.1, "high": 0.3}],
                            "samples": 2}, file=str(tmp_path / "exp.yaml"))
    assert list(exp.strategies) == ["baseline", "hit-port", "patrol"]


@pytest.mark.parametrize(("text", "needle"), [
    ("- just a list\n", "expected a strategy file"),
    ("a: 1\nb: 2\n", "'a' is not a strategy"),
    ("name: x\nnodes: []\nedges: []\n", "looks like a scenario"),
    ("{}\n", "holds no strategy"),
])
def test_a_file_that_is_neither_names_what_was_expected(tmp_path, caribbean, text, needle):
    with pytest.raises(InputError) as e:
        load_strategies(_write(tmp_path, "bad.yaml", text), caribbean)
    msg = str(e.value)
    assert needle in msg and "several named strategies" in msg and "bad.yaml" in msg
    assert "jurisdictions" not in msg  # not the scenario's fields


def test_an_error_inside_one_of_several_names_its_path_and_line(tmp_path, caribbean):
    bad = SEVERAL.replace("intensity: 0.2", "intensity: 7")
    with pytest.raises(InputError) as e:
        load_strategies(_write(tmp_path, "set.yaml", bad), caribbean)
    assert e.value.path == "patrol.levers[0].intensity" and e.value.line == 7


def test_load_strategy_refuses_several_and_names_them(tmp_path):
    with pytest.raises(InputError, match=r"holds 2 strategies \(hit-port, patrol\)"):
        load_strategy(_write(tmp_path, "set.yaml", SEVERAL))


def test_cli_validate_and_run_accept_several(tmp_path):
    p = _write(tmp_path, "set.yaml", SEVERAL)
    runner = CliRunner()
    r = runner.invoke(app, ["validate", str(p), "--scenario", "caribbean"])
    assert r.exit_code == 0, r.output
    assert "ok: strategy 'hit-port'" in r.output and "ok: strategy 'patrol'" in r.output
    r = runner.invoke(app, ["run", "caribbean", "-s", str(p), "--runs", "1", "--steps", "6", "--json"])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.stdout)["strategies"]) == {"baseline", "hit-port", "patrol"}


def test_cli_validate_of_neither_exits_2_with_the_expected_shapes(tmp_path):
    p = _write(tmp_path, "bad.yaml", "a: 1\n")
    r = CliRunner().invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    assert "several named strategies" in r.output and "jurisdictions" not in r.output


def test_the_shipped_scenario_block_as_a_file_gives_the_same_strategies(tmp_path, caribbean):
    import yaml

    p = tmp_path / "block.yaml"
    p.write_text(yaml.safe_dump(caribbean.strategies, sort_keys=False))
    from_file = {s.name: s for s in load_strategies(p, caribbean)}
    carried = {s.name: s for s in resolve_strategies(caribbean, None)}
    for name, st in from_file.items():
        assert st == carried[name]


def test_an_out_of_range_whole_number_is_quoted_in_full(tmp_path, caribbean):
    """A whole number in a message is written as given (5000000), not as 5e+06."""
    p = tmp_path / "k.yaml"
    p.write_text("name: bad\nlevers:\n  - type: strike\n    targets: {rule: top_throughput, k: 5000000}\n"
                 "    schedule: {start: 4}\n")
    with pytest.raises(InputError, match=r"k': must be in \[1, 100000\] targets, got 5000000$"):
        load_strategy(p, caribbean)
