"""A file the command line writes (-o, --report, --plot) may sit in a folder that does not exist yet: the
folder is created, as `compare --report` always did (front --report: tests/search/test_search_cli.py)."""

from __future__ import annotations

from typer.testing import CliRunner

from counterflow import load_scenario
from counterflow.cli import app


def test_generate_and_export_create_the_output_folder(tmp_path):
    out = tmp_path / "new" / "deeper" / "g.yaml"
    r = CliRunner().invoke(app, ["generate", "--nodes", "12", "--seed", "1", "--warmup", "2", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert len(load_scenario(out).nodes) == 12
    graphml = tmp_path / "other" / "g.graphml"
    r = CliRunner().invoke(app, ["export", str(out), "-o", str(graphml)])
    assert r.exit_code == 0, r.output
    assert graphml.read_text(encoding="utf-8").lstrip().startswith("<?xml")
