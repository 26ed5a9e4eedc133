"""The one progress bar of the commands, drawn by Rich on a terminal console."""

from __future__ import annotations

import io

from rich.console import Console

from counterflow.cli import common


def _draw(monkeypatch, **kwargs) -> str:
    buf = io.StringIO()
    monkeypatch.setattr(common.err, "_console", Console(file=buf, force_terminal=True, width=200,
                                                        color_system=None))
    with common.progress_bar(10, "demo", **kwargs) as advance:
        for _ in range(3):
            advance(1)
    return buf.getvalue()


def test_counts_from_where_a_resumed_run_stopped(monkeypatch):
    """A resumed sweep starts at the stored runs; the bar shows done/total, the share and a rate."""
    text = _draw(monkeypatch, done=4)
    assert "7/10" in text and "70%" in text and "runs/s" in text


def test_counts_what_it_is_told_and_hides_when_asked(monkeypatch):
    assert "3/10 steps" in _draw(monkeypatch, unit="steps")
    assert _draw(monkeypatch, enabled=False) == ""
