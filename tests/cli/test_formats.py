"""The formats reference and the JSON Schemas follow the validator's declarations."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.docgen import (
    KINDS,
    formats_markdown,
    json_schema,
    missing_meanings,
    sections,
    unused_meanings,
)
from counterflow.yamlio import load_yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "counterflow" / "data"


def test_the_formats_page_is_current():
    """docs/formats.md is what the declarations give (regenerate: python -m counterflow.docgen docs/formats.md)."""
    assert (ROOT / "docs" / "formats.md").read_text(encoding="utf-8") == formats_markdown()


def test_no_meaning_is_written_for_a_field_that_does_not_read_it():
    """A field with its own ``doc`` shadows its MEANINGS entry; a shadowed entry is dead text."""
    assert unused_meanings() == []


def test_every_declared_key_has_a_meaning_and_appears_on_the_page():
    assert missing_meanings() == []
    page = formats_markdown()
    for kind in KINDS:
        for s in sections(kind):
            for f in s.fields:
                assert f"| `{f.name}` |" in page, (kind, s.key, f.name)


def test_ranges_on_the_page_come_from_the_declarations():
    from counterflow.scenario import EDGE_FIELDS

    risk = next(f for f in EDGE_FIELDS if f.name == "risk")
    row = next(line for line in formats_markdown().splitlines() if line.startswith("| `risk` |"))
    assert risk.describe_range() in row


@pytest.mark.parametrize("path", sorted(DATA.glob("*.yaml")), ids=lambda p: p.name)
def test_built_in_scenarios_satisfy_the_scenario_schema(path):
    jsonschema.validate(load_yaml(path)[0], json_schema("scenario"))


@pytest.mark.parametrize("path", sorted((ROOT / "docs" / "strategies").glob("*.yaml")), ids=lambda p: p.name)
def test_strategy_files_satisfy_the_strategy_schema(path):
    jsonschema.validate(load_yaml(path)[0], json_schema("strategy"))


def test_the_schema_refuses_what_the_validator_refuses():
    """An out-of-range number, an unknown key and an unknown lever type are refused by both."""
    from counterflow.errors import InputError
    from counterflow.scenario import Scenario

    doc = load_yaml(DATA / "caribbean.yaml")[0]
    schema = json_schema("scenario")
    bad = []
    d = copy.deepcopy(doc)
    d["edges"][0]["risk"] = 1.5
    bad.append(d)
    d = copy.deepcopy(doc)
    d["nodes"][0]["colour"] = "red"
    bad.append(d)
    d = copy.deepcopy(doc)
    name = next(iter(d["strategies"]))
    d["strategies"][name]["levers"][0]["type"] = "no-such-lever"
    bad.append(d)
    for d in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(d, schema)
        with pytest.raises(InputError):
            Scenario.from_dict(d)


def test_experiment_example_satisfies_its_schema(tmp_path):
    from tests.experiments.conftest import write_experiment

    doc = load_yaml(write_experiment(tmp_path, sampler="sobol", common_seeds=True))[0]
    jsonschema.validate(doc, json_schema("experiment"))
    doc["samples"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema("experiment"))


@pytest.mark.parametrize("kind", KINDS)
def test_schema_command_prints_json_schema(kind, tmp_path):
    r = CliRunner().invoke(app, ["schema", kind])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    jsonschema.Draft202012Validator.check_schema(doc)
    out = tmp_path / "s.json"
    assert CliRunner().invoke(app, ["schema", kind, "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == doc


def test_schema_command_refuses_an_unknown_kind():
    r = CliRunner().invoke(app, ["schema", "recipe"])
    assert r.exit_code == 2 and "expected one of" in r.stderr


def test_no_document_or_message_sends_the_reader_outside_the_repository():
    """No page, docstring or message mentions the design notes (DESIGN, STYLE.md, ANCHORS), the shared
    folder, or an issue ("issue 16", "the issue") a reader of the repository cannot see."""
    pattern = re.compile(r"\bDESIGN\b|STYLE\.md|\bANCHORS\b|shared/|\b[Ii]ssue #?\d+|\b[Tt]he issue\b")
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md"),
             *(ROOT / "src").rglob("*.py"), *(ROOT / "docs").rglob("*.ipynb"),
             *(p for ext in ("*.html", "*.js") for p in (ROOT / "src").rglob(ext) if "vendor" not in p.parts)]
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in files if p.is_file()
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert hits == []
    # the tests too name no document outside the repository (this test's own pattern aside)
    notes = re.compile(r"DESIGN\.md|STYLE\.md|ANCHORS\.md|\.\./shared|\"shared\"")
    here = Path(__file__).resolve()
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / "tests").rglob("*.py") if p.resolve() != here
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if notes.search(line)]
    assert hits == []


def test_the_benchmarks_page_names_every_benchmark_run_all_runs():
    """docs/benchmarks.md lists the NAMEs `benchmarks/run_all.py NAME` accepts: one per bench_*.py."""
    names = sorted(p.stem[len("bench_"):] for p in (ROOT / "benchmarks").glob("bench_*.py"))
    line = next(t for t in (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8").splitlines()
                if "run_all.py NAME" in t)
    assert line.split("# one of:")[1].strip().split(", ") == names
