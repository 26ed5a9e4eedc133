"""What `front` says about a path that is not a search store: one line, exit 2, and the right reason."""

from __future__ import annotations

from typer.testing import CliRunner

from counterflow.cli import app


def test_front_on_a_path_that_does_not_exist_says_so(tmp_path):
    missing = tmp_path / "no-such-store"
    r = CliRunner().invoke(app, ["front", str(missing)])
    assert r.exit_code == 2, r.output
    assert "does not exist" in r.stderr and "metadata.json" not in r.stderr, r.stderr
    assert not missing.exists()
    (tmp_path / "empty").mkdir()  # a folder that is there but holds no search: the other message
    r = CliRunner().invoke(app, ["front", str(tmp_path / "empty")])
    assert r.exit_code == 2 and "is not a search store (no metadata.json)" in r.stderr, r.stderr
