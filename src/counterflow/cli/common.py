"""Shared pieces of the command-line fronts: the option grammar, consoles, error handling,
progress bars and table output.

Every command uses the same words for the same things (import the aliases below rather
than declaring the option again):

* ``-s/--strategy NAME|FILE`` chooses strategies (repeatable),
* ``-m/--metric NAME`` chooses metrics or outcomes (``--outcome`` is an alias),
* ``-o/--out PATH`` is always the data output, ``--report FILE.html`` always the HTML report,
* ``--store DIR`` always a sweep store,
* ``--format table|csv|markdown|json`` wherever a table is printed (``--json`` = ``--format json``),
* ``--runs``, ``--seed``, ``--steps`` as in ``run`` and ``compare``.

This module stays light (no numpy, pandas or numba at import) so that ``counterflow --help``
starts at once; heavy modules are imported inside the commands.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError

__all__ = [
    "out", "err", "handles_errors", "progress_bar", "print_json", "summary_table",
    "StrategyOpt", "StoredStrategyOpt", "MetricOpt", "OutFileOpt", "OutDirOpt", "ReportOpt", "StoreOpt", "FormatOpt", "JsonOpt", "ExecutorOpt", "WorkersOpt", "AddressOpt",
    "RunsOpt", "SeedOpt", "StepsOpt", "ScenarioArg", "TableFormat", "TableData", "emit_table",
    "output_format", "check_out_is_not_outcome", "check_report_path", "require_extra", "MissingExtra", "check_executor",
    "json_doc", "resumable", "console", "reader_gone",
]


def console(**options: Any):
    """A Rich console whose closed output (``counterflow run ... | head -1``) raises :class:`BrokenPipeError`.

    Rich's own consoles exit with status 1 there; :func:`handles_errors` ends the command with status 0
    instead, as for any other write to a closed stdout.
    """
    import errno
    import os

    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True  # drop what is left to print
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return _Console(**options)


class _LazyConsole:
    """A Rich console created on first use (keeps ``import`` and ``--help`` light)."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console = None

    def _get(self):
        if self._console is None:
            self._console = console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


out = _LazyConsole(stderr=False)
err = _LazyConsole(stderr=True)


# ---------------------------------------------------------------- the option grammar

#: the longest horizon a scenario may declare (``counterflow.scenario.MAX_STEPS``; a test checks they agree;
#: not imported from there so that ``counterflow --help`` does not load the scenario module)
MAX_STEPS = 2000


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    markdown = "markdown"
    json = "json"


ScenarioArg = Annotated[str, typer.Argument(metavar="SCENARIO",
                                            help="Built-in scenario name or scenario YAML path.")]
StrategyOpt = Annotated[list[str] | None, typer.Option(
    "--strategy", "-s", metavar="NAME|FILE",
    help="Strategy carried by the scenario, or a strategy YAML file; repeatable. Default: all the scenario carries.")]
StoredStrategyOpt = Annotated[list[str] | None, typer.Option(
    "--strategy", "-s", metavar="NAME",
    help="Show only this strategy of the store; repeatable. Default: every strategy the store holds.")]
MetricOpt = Annotated[list[str] | None, typer.Option(
    "--metric", "-m", "--outcome", metavar="NAME", help="Metric (outcome) to show; repeatable. Default: all.")]
OutFileOpt = Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE",
                                                 help="Write the data (.json or .csv) to this file.")]
OutDirOpt = Annotated[Path | None, typer.Option("--out", "-o", metavar="DIR",
                                                help="Write the data (Parquet tables and a JSON summary) here.")]
ReportOpt = Annotated[Path | None, typer.Option("--report", metavar="FILE.html",
                                                help="Also write the HTML report here, and its figures as Vega-Lite "
                                                     "specs in FILE_figures/*.vl.json next to it.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", metavar="DIR", help="Sweep store directory.")]
FormatOpt = Annotated[TableFormat, typer.Option(
    "--format", metavar="table|csv|markdown|json", case_sensitive=False,
    help="How to print the result: a table (default), CSV, Markdown, or the JSON document.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json.")]
ExecutorOpt = Annotated[str, typer.Option(metavar="local|dask|sequential",
                                          help="local (process pool), dask, or sequential.")]
WorkersOpt = Annotated[int | None, typer.Option(min=1, metavar="N",
                                                help="Worker processes (default: CPU count; dask: 2).")]
AddressOpt = Annotated[str | None, typer.Option(metavar="URL", help="Dask scheduler address, e.g. tcp://HOST:8786.")]
RunsOpt = Annotated[int, typer.Option(min=1, metavar="N",
                                      help="Replications per strategy (paired: the same seeds for every strategy).")]
SeedOpt = Annotated[int, typer.Option(min=0, metavar="SEED",
                                      help="Experiment seed (replication i uses the same seed under every strategy).")]
StepsOpt = Annotated[int | None, typer.Option(min=1, max=MAX_STEPS, metavar="N", help="Horizon in steps (default: the scenario's).")]


def output_format(fmt: TableFormat | str, as_json: bool) -> TableFormat:
    """The effective ``--format`` (``--json`` wins)."""
    return TableFormat.json if as_json else TableFormat(fmt)


def json_doc(scenario: str | None, strategies: Sequence[str] | dict | None, runs: Any, seed: Any,
             **rest: Any) -> dict:
    """A JSON document with the keys every command's JSON carries first: scenario, strategies, runs, seed."""
    return {"scenario": scenario, "strategies": strategies, "runs": runs, "seed": seed, **rest}


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_out_is_not_outcome(value: Path | None, known: Sequence[str] | None = None) -> None:
    """``-o`` used to name an outcome in ``analyze``/``sensitivity``; it now means the output.

    Exit 2 with a clear message when ``-o`` is given a bare name that is a known outcome
    (kept for one release so that old command lines fail loudly instead of writing a file).
    """
    if value is None:
        return
    text = str(value)
    if not _IDENT.match(text):
        return
    if known is None:
        from ..outcomes import OUTCOMES

        known = tuple(OUTCOMES)
    if text in known:
        raise InputError(f"-o/--out now names the output file; '{text}' is an outcome: use -m {text} "
                         f"(--metric) to choose it", path="-o")


def check_report_path(report: Path | None) -> None:
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--report should name an .html file, got '{report}'", path="--report")


# ---------------------------------------------------------------- optional dependencies

class MissingExtra(InputError):
    """A command needs an optional dependency that is not installed."""


def require_extra(extra: str, *modules: str) -> None:
    """Exit 2 naming the extra to install when one of ``modules`` cannot be imported."""
    import importlib.util

    def absent(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except (ImportError, ValueError):  # a missing parent package, or a broken install
            return True

    missing = [m for m in modules if absent(m)]
    if missing:
        raise MissingExtra(f"this needs the optional dependencies '{extra}' ({', '.join(missing)} missing); "
                           f"install them with: pip install 'counterflow[{extra}]'")


def check_executor(executor: str, workers: int | None, address: str | None) -> None:
    """The one check of ``--executor/--workers/--address`` (``sweep``, ``search``, ``calibrate``):
    a known executor, ``--address`` only with Dask, ``--workers`` only where it sets the workers, and
    the ``dask`` extra installed for Dask. Each refusal is an :class:`InputError` (exit 2).

    Whether a Dask scheduler answers at ``--address`` is checked once, by
    :func:`counterflow.experiments.open_executor`; a command opens its executor before it makes
    anything (a store), so a refused address leaves nothing behind."""
    from ..experiments.execute import EXECUTORS

    if executor not in EXECUTORS:
        raise InputError(f"unknown executor '{executor}'; expected one of: {', '.join(EXECUTORS)}")
    if address and executor != "dask":
        raise InputError("--address needs --executor dask")
    if workers is not None and executor == "sequential":
        raise InputError("--workers needs --executor local or dask (sequential runs in this process)")
    if workers is not None and address:
        raise InputError("--workers does not apply with --address: the cluster at the address has its own workers")
    if executor == "dask":
        require_extra("dask", "dask", "distributed")


# ---------------------------------------------------------------- errors, progress, JSON

def handles_errors(fn: Callable) -> Callable:
    """Turn bad input into one clear message on stderr and exit status 2 (no traceback); end a command
    whose reader closed its output (``| head -1``) quietly with status 0 (:func:`reader_gone`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            sys.stderr.write(f"error: {exc}\n")
            raise typer.Exit(2) from None
        except BrokenPipeError as exc:
            if not output_closed():  # a pipe of the command's own (a worker, a FIFO given as a path) broke
                sys.stderr.write(f"error: {exc.filename or 'a pipe'}: {exc.strerror or 'broken pipe'}\n")
                raise typer.Exit(2) from None
            reader_gone()
            return None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            sys.stderr.write(f"error: {exc.filename}: {exc.strerror}\n")
            raise typer.Exit(2) from None

    return wrapper


def output_closed() -> bool:
    """Whether the reader of this process's stdout or stderr has gone (a pipe whose read end is closed
    reports an error condition to ``poll``); streams without a file descriptor count as open."""
    import select

    for stream in (sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            if any(ev & select.POLLERR for _, ev in poller.poll(0)):
                return True
        except (AttributeError, ValueError, OSError):
            continue
    return False


def reader_gone() -> None:
    """After a write to a closed pipe: point the closed stream(s) at the null device.

    The reader took what it wanted (``counterflow run ... | head -1``) and nothing more can be shown;
    that is not a failure, so the command ends with status 0 and no traceback. What is still buffered
    for the closed stream goes to the null device, so the last flush at exit cannot fail either.
    """
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
                os.close(devnull)
            except (OSError, ValueError):  # not a real file (a test's capture): nothing to redirect
                pass
        except (OSError, ValueError):  # closed, or not writable: nothing more will be written to it
            pass


@contextmanager
def resumable(stored: Callable[[], str]) -> Iterator[None]:
    """Stop a resumable command (``sweep``, ``search``) cleanly when it is cut short.

    Ctrl-C exits with status 130 and a worker process that died exits with status 1, each with
    one line on stderr saying what the store holds (``stored()``, e.g. ``"3 of 10 chunks are
    stored"``) and that the same command resumes. Whatever is stored stays stored.
    """
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield
    except KeyboardInterrupt:
        err.print(f"interrupted: {stored()}; run the same command to resume", highlight=False)
        raise typer.Exit(130) from None
    except BrokenProcessPool:
        err.print(f"[bold red]error:[/] a worker process died; {stored()}; run the same command to resume",
                  highlight=False)
        raise typer.Exit(1) from None


def no_progress(n: int = 1) -> None:
    """The ``advance`` of a hidden progress bar: does nothing."""


@contextmanager
def progress_bar(total: int, description: str, enabled: bool = True, *, done: int = 0,
                 unit: str = "runs") -> Iterator[Callable[[int], None]]:
    """The progress bar of every command: Rich, on stderr, hidden when stderr is not a terminal.

    Yields an ``advance(n)`` callable. ``done``: how many of ``total`` were finished before (a
    resumed sweep); the rate counts only those finished now. ``unit``: what is counted.
    """
    if not enabled or not err.is_terminal:
        yield no_progress
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn(unit), TaskProgressColumn(), TextColumn(f"{{task.fields[rate]}} {unit}/s"),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=err._get(), transient=False) as prog:
        task = prog.add_task(description, total=total, completed=done, rate="-")
        start = prog.get_time()

        def advance(n: int = 1) -> None:
            elapsed = prog.get_time() - start
            ran = prog.tasks[task].completed + n - done
            prog.update(task, advance=n, rate=f"{ran / elapsed:.2f}" if elapsed > 0 else "-")

        yield advance


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    if hasattr(x, "to_dict"):
        return x.to_dict()
    return str(x)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def dumps_json(obj: Any) -> str:
    """JSON text (non-finite numbers become null)."""
    return json.dumps(_finite(obj), default=_json_default, indent=2)


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (non-finite numbers become null)."""
    sys.stdout.write(dumps_json(obj) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- tables

@dataclass
class TableData:
    """A printed table independent of its rendering: header, rows of text cells, a title and notes.

    Cells may hold several lines (``\\n``); CSV and Markdown join them with ``; ``.
    """

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str = ""
    notes: list[str] = field(default_factory=list)
    align_first_left: bool = True

    def add_row(self, *cells: Any) -> None:
        self.rows.append(["" if c is None else str(c) for c in cells])


def _flat(cell: str) -> str:
    return "; ".join(part for part in cell.split("\n") if part)


def _rich_table(data: TableData, title: bool = True):
    from rich.table import Table
    from rich.text import Text

    table = Table(title=(data.title or None) if title else None, title_justify="left")
    for i, c in enumerate(data.columns):
        table.add_column(Text(c), justify="left" if (i == 0 and data.align_first_left) else "right",
                         style="bold" if i == 0 else None)
    for row in data.rows:  # cells are data, not markup: "[inf, inf]" or "[bold]" are shown as written
        table.add_row(*(Text(cell) for cell in row))
    return table


def _print_records(console, data: TableData) -> None:
    """Narrow terminals: one block per row, ``column: value`` lines (nothing is cut)."""
    if data.title:
        console.print(data.title, style="bold", highlight=False)
    for row in data.rows:
        console.print(row[0], style="bold", highlight=False)
        for name, cell in zip(data.columns[1:], row[1:], strict=False):
            if cell:
                console.print(f"  {name}: {_flat(cell)}", highlight=False, soft_wrap=True)


def render_table(data: TableData, fmt_: TableFormat | str) -> str | None:
    """Render ``data`` as CSV or Markdown text (returns it); other formats are :func:`emit_table`'s."""
    fmt_ = TableFormat(fmt_)
    if fmt_ == TableFormat.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(data.columns)
        w.writerows([[_flat(c) for c in row] for row in data.rows])
        return buf.getvalue()
    if fmt_ == TableFormat.markdown:
        def esc(c: str) -> str:
            return _flat(c).replace("|", "\\|")
        lines = [f"**{esc(data.title)}**", ""] if data.title else []
        lines.append("| " + " | ".join(esc(c) for c in data.columns) + " |")
        lines.append("|" + "|".join([":---"] + ["---:"] * (len(data.columns) - 1)) + "|")
        lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in data.rows]
        lines += [""] + [f"_{esc(n)}_" for n in data.notes] if data.notes else []
        return "\n".join(lines) + "\n"
    raise ValueError(fmt_)


def emit_table(data: TableData | Sequence[TableData], fmt_: TableFormat | str, doc: Any = None) -> None:
    """Print one or more tables in the chosen format; ``json`` prints ``doc`` instead.

    ``table`` on a terminal: a Rich table, or one block per row when the terminal is too narrow
    for it. ``table`` into a pipe or file: the full-width table (never cut to 80 columns).
    """
    fmt_ = TableFormat(fmt_)
    tables = [data] if isinstance(data, TableData) else list(data)
    if fmt_ == TableFormat.json:
        print_json(doc)
        return
    if fmt_ in (TableFormat.csv, TableFormat.markdown):
        texts = [render_table(t, fmt_) or "" for t in tables]  # CSV and Markdown always return text
        sys.stdout.write(("\n" if fmt_ == TableFormat.csv else "\n").join(texts))
        sys.stdout.flush()
        return
    from rich.measure import Measurement

    con = out._get()
    if not con.is_terminal:
        con = console(width=100_000, soft_wrap=True, force_terminal=False)
    for t in tables:
        table = _rich_table(t)
        if con.is_terminal:
            needed = Measurement.get(con, con.options, table).minimum
            if needed > con.width:
                _print_records(con, t)
            else:
                con.print(table)
        else:
            table = _rich_table(t, title=False)
            if t.title:
                con.print(t.title, highlight=False, markup=False)
            width = Measurement.get(con, con.options, table).maximum
            console(width=max(width, 20), force_terminal=False).print(table)
        for note in t.notes:
            con.print(note, style="dim", highlight=False, markup=False, soft_wrap=True)


#: the note under a table whose cost per kg averted is undefined in some runs (``summary_table``)
UNDEFINED_COST_NOTE = ("Cost per kg averted: a run that averted nothing has no finite cost per kg. The median and "
                       "the 5–95 % range rank such runs above every other, '-' marks a median or an end that falls "
                       "among them, and the cell says in how many runs nothing was averted.")


def _cost_per_kg_cell(e: dict, nothing: tuple[int, int] | None) -> str:
    """The cost per kg averted of one strategy: 'median [5%, 95%]' over all runs, a run that averted nothing
    counting as undefined ('-'), then how many runs averted nothing; 'nothing averted' when none averted anything
    (the report's and the page's words)."""
    from ..report.words import NOTHING_AVERTED, median_and_range

    def defined(x: float | None) -> float | None:
        return x if x is not None and math.isfinite(x) else None

    k, n = nothing if nothing is not None else (0, 0)
    lo, mid, hi = defined(e["p05"]), defined(e["p50"]), defined(e["p95"])
    if lo is None:  # no quantile can be stated: more than 95 % of the runs averted nothing
        return NOTHING_AVERTED if k in (0, n) else f"{NOTHING_AVERTED} in {k} of {n} runs"
    text = median_and_range(mid, lo, hi, "-")
    return text + f"\n{NOTHING_AVERTED} in {k} of {n} runs" if k else text


def summary_table(summary: dict, metrics: list[str], title: str, *, paired: bool = False,
                  labels: dict | None = None, averted_nothing: dict[str, tuple[int, int]] | None = None) -> TableData:
    """Rows are metrics, columns strategies; cells 'median [5%, 95%]' (and the paired difference).

    ``averted_nothing``: per strategy, the runs that averted nothing and all runs, said in the cost per kg
    averted's cell (whose value is undefined in those runs); add :data:`UNDEFINED_COST_NOTE` under the table.
    """
    from ..report.words import delta, median_and_range, recovery_words

    if labels is None:
        from ..outcomes import LABELS

        labels = dict(LABELS)
    data = TableData(["metric", *summary], title=title)
    for m in metrics:
        cells = []
        for name, per in summary.items():
            e = per.get(m)
            if e is None:
                cells.append("")
                continue
            if name == "baseline" and m in ("recovery_steps", "cost_per_kg_averted"):
                # paired outcomes are 0 for the baseline by definition (outcomes registry), but a baseline
                # neither recovers from an action nor averts anything: the table says so
                cells.append("n/a")
                continue
            none = "never" if m == "recovery_steps" else "-"
            if m == "recovery_steps" and e.get("recovery"):  # how runs recovered, not a range mixing
                text = recovery_words(e["recovery"])            # unaffected runs (0) with runs never back
            elif m == "cost_per_kg_averted":
                text = _cost_per_kg_cell(e, (averted_nothing or {}).get(name))
            else:
                text = median_and_range(e["p50"], e["p05"], e["p95"], none)
            if paired and e.get("diff_mean") is not None and name != "baseline" and "recovery" not in e:
                text += "\n" + delta(e["diff_mean"], e["diff_lo"], e["diff_hi"])
            cells.append(text)
        data.add_row(labels.get(m, m), *cells)
    return data


def write_data(path: Path, doc: Any, rows: list[dict] | None = None) -> Path:
    """``-o/--out FILE``: the JSON document (``.json``) or the flat rows (``.csv``); the folder is created."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InputError(f"-o/--out should name a .json or .csv file, got '{path}'", path="--out")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json" or rows is None:
        path.write_text(dumps_json(doc) + "\n", encoding="utf-8")
    else:
        cols = list(dict.fromkeys(k for r in rows for k in r))
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(_finite(rows))
    return path


def pick_store(positional: Path | None, option: Path | None) -> Path:
    """A store given as ``STORE`` (as before) or as ``--store STORE``, not both."""
    if positional is not None and option is not None and positional != option:
        raise InputError("give the store once: as STORE or as --store", path="--store")
    store = positional or option
    if store is None:
        raise InputError("which store? give it as --store DIR", path="--store")
    return store
