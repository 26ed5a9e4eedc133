"""Bad scenario and strategy files get one clear message (file, field, line) and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from counterflow import InputError, load_scenario
from counterflow.scenario import Scenario
from counterflow.yamlio import load_yaml_text

GOOD = Path(__file__).parent / "data" / "good.yaml"


def _good_text() -> str:
    return GOOD.read_text()


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _validate(path: Path) -> _Result:
    """Run ``counterflow validate`` in-process (the subprocess form is tested once below)."""
    from typer.testing import CliRunner

    from counterflow.cli import app

    r = CliRunner().invoke(app, ["validate", str(path)])
    return _Result(r.exit_code, r.stdout, r.stderr)


def test_validate_as_a_process(tmp_path):
    """The installed command exits 2 with one line on stderr and nothing on stdout for a bad file."""
    p = _write(tmp_path, "name: x\nnodes: 3\n")
    r = subprocess.run([sys.executable, "-m", "counterflow", "validate", str(p)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {p}, line ") and r.stderr.count("\n") == 1


def test_good_file_validates(tmp_path):
    """The reference file is valid (so each bad case below fails for its own reason)."""
    r = _validate(GOOD)
    assert r.returncode == 0, r.stderr
    assert "ok: scenario" in r.stdout


# (replace old text, with new text, expected words in the message, expected line or None)
CASES = {
    "empty": (None, "", ["empty"], None),
    "not_yaml": (None, "name: [unclosed\n  nodes: {", ["not valid YAML"], 2),
    "not_mapping": (None, "- just\n- a list\n", ["mapping"], None),
    "missing_nodes": ("nodes:\n", "nodez:\n", ["unknown field 'nodez'", "did you mean 'nodes'"], 8),
    "missing_required": ("{id: port, kind: hub, jurisdiction: B,", "{id: port, jurisdiction: B,",
                         ["required field 'kind'", "nodes[1]"], 10),
    "wrong_type": ("capacity: 5000, storage", "capacity: lots, storage", ["capacity", "text 'lots'"], 10),
    "unknown_kind": ("kind: hub", "kind: harbour", ["unknown value 'harbour'", "source, hub, transit, market"], 10),
    "unknown_mode": ("mode: sea", "mode: submarine", ["unknown value 'submarine'"], 14),
    "duplicate_id": ("{id: mkt,", "{id: port,", ["duplicate id 'port'"], 11),
    "edge_unknown_node": ("{from: port, to: mkt", "{from: port, to: nowhere", ["unknown node 'nowhere'",
                          "edges[1].to"], 14),
    "org_unknown_node": ("production: {src: 1000}", "production: {ghost: 1000}", ["unknown node 'ghost'"], 18),
    "market_unknown_node": ("- {node: mkt,", "- {node: nope,", ["unknown node 'nope'"], 22),
    "negative_capacity": ("capacity: 5000, storage", "capacity: -5, storage", ["capacity", "in [0, 1e+09]"], 10),
    "negative_cost": ("cost: 900", "cost: -1", ["cost", "in [0, 1e+06]"], 14),
    "zero_time": ("time: 2", "time: 0", ["time", "in [1, 104]"], 14),
    "corruption_range": ("corruption: 0.6", "corruption: 1.6", ["corruption", "[0, 1]"], 6),
    "enforcement_range": ("enforcement: 0.01", "enforcement: -0.2", ["enforcement"], 10),
    "risk_range": ("risk: 0.04", "risk: 2", ["risk", "[0, 1]"], 14),
    "nan": ("cost: 900", "cost: .nan", ["NaN"], 14),
    "infinite": ("cost: 900", "cost: .inf", ["infinite"], 14),
    "unreachable_market": ("- {from: port, to: mkt, mode: sea", "- {from: mkt, to: port, mode: sea",
                           ["market 'mkt' cannot be reached"], 22),
    "no_production": ("production: {src: 1000}", "production: {}", ["production"], 18),
    "production_at_hub": ("production: {src: 1000}", "production: {port: 1000}", ["must be at a source"], 18),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_clear_error(case, tmp_path):
    """Each bad file is rejected with its file, field and line, exit status 2 and no traceback."""
    old, new, words, line = CASES[case]
    text = new if old is None else _good_text().replace(old, new, 1)
    if old is not None:
        assert text != _good_text(), f"case {case} did not change the file"
    path = _write(tmp_path, text)
    r = _validate(path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    msg = r.stderr.strip()
    assert msg.count("\n") <= 1, msg
    assert str(path) in msg
    for w in words:
        assert w in msg, msg
    if line is not None:
        assert f"line {line}" in msg, msg


def test_missing_file_and_directory(tmp_path):
    """A missing path or a directory is a clear error too."""
    for p in (tmp_path / "nope.yaml", tmp_path):
        r = _validate(p)
        assert r.returncode == 2 and "Traceback" not in r.stderr and str(p) in r.stderr


def test_bad_strategy_file(tmp_path):
    """Strategy files get the same treatment: unknown lever type, bad schedule, out-of-range parameter."""
    bad = {
        "type: strike": ("type: nuke", "unknown value 'nuke'"),
        "{at: 4}": ("{every: 4}", "needs 'at' or 'start'"),
        "intel_accuracy: 0.8": ("intel_accuracy: 1.8", "intel_accuracy"),
    }
    good = "name: s\nlevers:\n  - type: strike\n    targets: {nodes: [port]}\n    schedule: {at: 4}\n    intel_accuracy: 0.8\n"
    for old, (new, word) in bad.items():
        p = tmp_path / "strat.yaml"
        p.write_text(good.replace(old, new))
        r = _validate(p)
        assert r.returncode == 2 and word in r.stderr and "Traceback" not in r.stderr, r.stderr
    p = tmp_path / "strat.yaml"
    p.write_text(good)
    assert _validate(p).returncode == 0


def test_round_trip_to_dict(caribbean):
    """A scenario written back with to_dict validates to an equal scenario."""
    again = Scenario.from_dict(yaml.safe_load(yaml.safe_dump(caribbean.to_dict())))
    assert again.nodes == caribbean.nodes and again.edges == caribbean.edges
    assert again.organisations == caribbean.organisations and again.markets == caribbean.markets
    assert again.parameters == caribbean.parameters


def test_unknown_builtin():
    """An unknown built-in name lists the built-ins."""
    with pytest.raises(InputError, match="caribbean"):
        load_scenario("atlantis")


def test_line_numbers_of_nested_fields():
    """Line numbers point at the offending value, not the start of the file."""
    _, lines = load_yaml_text("a: 1\nb:\n  - {x: 1}\n  - {x: 2, y: 3}\n")
    assert lines.line("b[1].y") == 4 and lines.line("b[0].x") == 3 and lines.line("b[1].zzz") == 4


def test_an_infinite_number_says_what_leaving_the_field_out_means():
    """`.inf` is refused everywhere; the hint says 'leave the field out for unlimited' only where the field's
    default is unlimited (a capacity), and that leaving it out gives the default where it is not
    (protection_share, protection_half_cost)."""
    from counterflow.errors import InputError
    from counterflow.params import PARAMETER_FIELDS
    from counterflow.scenario import NODE_FIELDS
    from counterflow.schema import Checker

    def message(field) -> str:
        with pytest.raises(InputError) as exc:
            Checker().value(float("inf"), field, field.name)
        return str(exc.value)

    fields = {f.name: f for f in (*PARAMETER_FIELDS, *NODE_FIELDS)}
    assert "leave the field out for 'unlimited'" in message(fields["capacity"])
    for name, default in (("protection_share", "0"), ("protection_half_cost", "1e+06")):
        msg = message(fields[name])
        assert "infinite" in msg and "unlimited'" not in msg, msg
        assert f"leaving the field out gives its default ({default}), not unlimited" in msg, msg


def test_validate_on_a_search_file_names_the_command_that_checks_it(tmp_path):
    """`validate` checks scenario and strategy files; on a search file it says so and names `counterflow search`."""
    from typer.testing import CliRunner

    from counterflow.cli import app

    search = Path(__file__).parents[1] / "examples" / "caribbean-search.yaml"
    r = CliRunner().invoke(app, ["validate", str(search)])
    assert r.exit_code == 2, r.output
    assert "is a search file" in r.stderr and "counterflow search FILE" in r.stderr, r.stderr
    assert "unknown field" not in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
