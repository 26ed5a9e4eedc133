"""The YAML loader refuses what it cannot afford: alias bombs, recursive aliases, deep nesting, large uploads."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from counterflow import InputError
from counterflow.cli import app
from counterflow.yamlio import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    UPLOAD_MAX_BYTES,
    check_document_size,
    load_yaml_text,
)

runner = CliRunner()

# the 417-byte "billion laughs" document of the report: 9 ** 9 strings when expanded
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))


def cli_refuses(tmp_path, text: str, needle: str) -> str:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    r = runner.invoke(app, ["validate", str(f)])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and str(f) in lines[0]
    return lines[0]


def test_alias_bomb_is_refused_fast(tmp_path):
    """The alias bomb is refused before anything is expanded (not a time limit: the count of values decides)."""
    assert len(BOMB) < 500
    t0 = time.process_time()
    cli_refuses(tmp_path, BOMB, f"more than {MAX_ALIAS_NODES:,} values")
    assert time.process_time() - t0 < 60  # generous; expanding it would take minutes and gigabytes


def test_recursive_alias_is_a_message_not_recursion_error(tmp_path):
    msg = cli_refuses(tmp_path, "name: &a [1, *a]\n", "recursive alias")
    assert "line 1" in msg
    cli_refuses(tmp_path, "name: x\nnodes: &n {a: {b: *n}}\n", "recursive alias")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 999, 100_000])
def test_deep_flow_nesting_is_refused(tmp_path, depth):
    cli_refuses(tmp_path, "x: " + "[" * depth + "]" * depth + "\n", "nesting")


def test_deep_block_nesting_is_refused(tmp_path):
    text = "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 2)) + " " * (MAX_DEPTH + 2) + "v: 1\n"
    cli_refuses(tmp_path, text, "nesting")


def test_alias_into_depth_counts_the_expanded_depth():
    deep = "[" * (MAX_DEPTH - 2) + "1" + "]" * (MAX_DEPTH - 2)
    with pytest.raises(InputError, match="through the alias"):
        load_yaml_text(f"a: &d {deep}\nb: [[[[*d]]]]\n")


def test_small_aliases_still_load():
    """Aliases within the budget keep working (users may reuse a block)."""
    data, _ = load_yaml_text("base: &b {cost: 10, risk: 0.1}\nx: [*b, *b, *b]\n")
    assert data["x"] == [{"cost": 10, "risk": 0.1}] * 3
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    load_yaml_text(f"x: {nested[1:-1]}\n")


def test_upload_size_bound_is_available_and_cli_files_are_not_bound():
    big = "name: x\ndescription: '" + "y" * (UPLOAD_MAX_BYTES + 10) + "'\n"
    with pytest.raises(InputError, match="uploads are limited"):
        check_document_size(big, "upload.yaml")
    with pytest.raises(InputError, match="uploads are limited"):
        load_yaml_text(big, "upload.yaml", max_bytes=UPLOAD_MAX_BYTES)
    data, _ = load_yaml_text(big, "big.yaml")  # no bound unless asked
    assert len(data["description"]) > UPLOAD_MAX_BYTES
    check_document_size(b"x" * 10, limit=10)
