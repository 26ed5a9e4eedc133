"""docs/levers.md stays in step with the lever declarations."""

from __future__ import annotations

from pathlib import Path

from counterflow.levers import LEVERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "levers.md"


def test_every_lever_and_parameter_is_documented():
    """Each lever has a section and each of its parameters a row with its declared range and default."""
    text = DOC.read_text(encoding="utf-8")
    for name, cls in LEVERS.items():
        assert f"### `{name}`" in text, name
        for f in cls.params:
            row = f"| `{f.name}` | {f.kind} | {f.describe_range() or '-'} | {f.default} |"
            assert row in text, (name, row)
