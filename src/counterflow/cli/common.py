"""Shared pieces of the command-line fronts: consoles, error handling, progress, tables."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..errors import InputError
from ..outcomes import LABELS

out = Console()
err = Console(stderr=True)

__all__ = ["out", "err", "handles_errors", "progress_bar", "print_json", "summary_table", "fmt"]


def handles_errors(fn: Callable) -> Callable:
    """Turn bad input into one clear message on stderr and exit status 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            sys.stderr.write(f"error: {exc}\n")
            raise typer.Exit(2) from None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            sys.stderr.write(f"error: {exc.filename}: {exc.strerror}\n")
            raise typer.Exit(2) from None

    return wrapper


@contextmanager
def progress_bar(total: int, description: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr (hidden when stderr is not a terminal); yields an ``advance(n)`` callable."""
    if not enabled or not err.is_terminal:
        yield lambda n=1: None
        return
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("runs"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as prog:
        task = prog.add_task(description, total=total)
        yield lambda n=1: prog.advance(task, n)


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (non-finite numbers become null)."""
    sys.stdout.write(json.dumps(_finite(obj), default=_json_default, indent=2) + "\n")
    sys.stdout.flush()


def fmt(x: float | None, none: str = "-") -> str:
    """Compact number for tables; ``none`` is shown for a missing value (e.g. 'never' for recovery)."""
    if x is None:
        return none
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.2f}B"
    if ax >= 1e6:
        return f"{x / 1e6:.2f}M"
    if ax >= 1e4:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 1:
        return f"{x:.1f}"
    return f"{x:.3f}"


def summary_table(summary: dict, metrics: list[str], title: str, *, paired: bool = False) -> Table:
    """Rows are metrics, columns strategies; cells 'median [5%, 95%]' (and the paired difference)."""
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("metric", style="bold")
    for name in summary:
        table.add_column(name, justify="right")
    for m in metrics:
        cells = []
        for name, per in summary.items():
            e = per.get(m)
            if e is None:
                cells.append("")
                continue
            none = "never" if m == "recovery_steps" else ("inf" if m == "cost_per_kg_averted" else "-")
            text = f"{fmt(e['p50'], none)} [{fmt(e['p05'], none)}, {fmt(e['p95'], none)}]"
            if paired and e.get("diff_mean") is not None and name != "baseline":
                text += f"\nΔ {fmt(e['diff_mean'])} ({fmt(e['diff_lo'])}..{fmt(e['diff_hi'])})"
            cells.append(text)
        table.add_row(LABELS.get(m, m), *cells)
    return table
