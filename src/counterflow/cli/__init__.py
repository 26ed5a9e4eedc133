"""The ``counterflow`` command line (Typer). Thin: every command calls the library.

The command modules import only light modules at the top; numpy, pandas, numba, the solvers
and the web stack load inside the command that needs them. The command table is lazy: the
top-level help is printed from :data:`COMMANDS` (each command's module and the first paragraph
of its help), and a command's module is imported only when that command runs, so
``counterflow --help`` and ``counterflow --version`` start at once.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

import typer
import typer.core
import typer.main

from .. import __version__


def _clean_type(self, ctx) -> str | None:
    """Help shows NAME/N/FILE-style metavars, never Python types such as ``<bool>`` or ``<str>``."""
    if self.metavar is not None:
        return self.metavar
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None
    desc = getattr(self, "type_descriptor", None)
    if desc is None:
        return None
    if getattr(desc, "is_choice", False):
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    if getattr(desc, "is_path", False):
        return "PATH"
    ann = getattr(desc, "annotation", None)
    names: dict[object, str | None] = {int: "N", float: "X", str: "TEXT", bool: None}
    return names.get(ann, "VALUE")


def _argument_usage(self) -> str:
    """``SCENARIO`` and ``[STRATEGY]...`` in the usage line (not ``{scenario}``)."""
    name = self.metavar or self.name.upper()
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


if hasattr(typer.core.TyperOption, "display_type_rich"):
    typer.core.TyperOption.display_type_rich = _clean_type  # type: ignore[method-assign]
if hasattr(typer.core.TyperArgument, "display_type_rich"):
    typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]  # the name says it
if hasattr(typer.core.TyperArgument, "_usage_display_name"):
    typer.core.TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]

# Every command: the module of this package that defines it, and the first paragraph of its help,
# in the order help lists them. `counterflow --help` is printed from this table without importing
# the command modules; a test checks it against the commands themselves (names, modules, help).
COMMANDS: dict[str, tuple[str, str]] = {
    "scenarios": ("run", "List the built-in scenarios."),
    "validate": ("run", "Check a scenario or strategy file."),
    "run": ("run", "Run replications of strategies on a scenario."),
    "compare": ("compare", "Compare strategies with a baseline (paired runs)."),
    "sweep": ("sweep", "Run an experiment into a resumable store."),
    "analyze": ("sweep", "Summarise a sweep store per strategy."),
    "sensitivity": ("sweep", "Sensitivity indices of a sweep store."),
    "calibrate": ("sweep", "Fit parameters to observed series."),
    "search": ("search", "Search lever portfolios for the robust Pareto front of the file's objectives, under its "
                         "constraints."),
    "front": ("search", "The robust Pareto front of a search store: values with 95% intervals, out-of-sample "
                        "survival, in words."),
    "optimize": ("optimize", "Find the best interdiction plan within a budget."),
    "import": ("io", "Import a network into a runnable scenario."),
    "export": ("io", "Export a scenario to GraphML, GeoJSON, CSV or YAML."),
    "generate": ("io", "Generate a synthetic network."),
    "schema": ("schema", "Print the JSON Schema of a file format."),
    "serve": ("serve", "Serve the web app on a local port."),
    "facts": ("facts", "Check the five stylised facts and the seed claims on a scenario: PASS when the paired "
                       "95 % interval lies on the claimed side. What is struck, interdicted and blockaded is read "
                       "from the network (see docs/model.md)."),
}


def _command_modules() -> list[str]:
    """Every command module of this package: the table's first, in its order, then any other (a new command)."""
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")} - {"common"}
    ordered = list(dict.fromkeys(module for module, _ in COMMANDS.values()))
    return [*(m for m in ordered if m in found), *sorted(found - set(ordered))]


def load_all_commands() -> None:
    """Import every command module (each registers its commands on :data:`app`)."""
    for name in _command_modules():
        importlib.import_module(f".{name}", __name__)


class LazyGroup(typer.core.TyperGroup):
    """The top-level command group: a command's module is imported when that command is asked for.

    Asking for ``commands`` (every command, as tools and tests do) imports them all.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._peek = False
        super().__init__(*args, **kwargs)

    @property
    def commands(self):
        load_all_commands()
        self._sync()
        return self._commands

    @commands.setter
    def commands(self, value) -> None:
        self._commands = value

    def _sync(self) -> None:
        """Build the click command of every command registered on :data:`app` since the group was made."""
        for info in app.registered_commands:
            if info.callback is None:  # every command here is a decorated function
                continue
            name = info.name or typer.main.get_command_name(info.callback.__name__)
            if name not in self._commands:
                self._commands[name] = typer.main.get_command_from_info(
                    info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)

    def add_command(self, cmd, name: str | None = None) -> None:
        self._commands[name or cmd.name] = cmd

    def list_commands(self, ctx) -> list[str]:
        return [*COMMANDS, *(n for n in self._commands if n not in COMMANDS)]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self._commands:
            if self._peek and cmd_name in COMMANDS:  # listing in help: the table's words, no import
                return typer.core.TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1])
            if cmd_name in COMMANDS:
                importlib.import_module(f".{COMMANDS[cmd_name][0]}", __name__)
            else:
                load_all_commands()
            self._sync()
        return self._commands.get(cmd_name)

    def format_commands(self, ctx, formatter) -> None:
        self._peek = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._peek = False


app = typer.Typer(
    name="counterflow",
    cls=LazyGroup,
    help="Simulate illicit supply networks under counter-narcotics strategies, compare them, optimise interdiction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"counterflow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Simulate illicit supply networks under counter-narcotics strategies, compare them, optimise interdiction."""


class ResultsShown(SystemExit):
    """Raised by a command whose results are out and that has nothing left to do (``run``): exit status 0.

    It is the command's explicit "done": the ``counterflow`` entry point (:mod:`counterflow.__main__`)
    then ends the process without the interpreter's teardown (about a second after a large run, and
    nothing to show for it): the exit handlers run and the output is flushed first. Anywhere else
    (``CliRunner``, ``app()`` called from Python) it is an ordinary ``SystemExit(0)``.
    """

    def __init__(self) -> None:
        super().__init__(0)


def main() -> None:
    """Console-script entry point.

    Click ends with status 1 when stdout was closed while it wrote outside the commands' own handling
    (``counterflow --help | head -1``: it exits while handling the ``BrokenPipeError``, and quiets
    the stream's later flushes). The reader took what it wanted, so that ends with status 0 here, as
    the commands do (``handles_errors``).
    """
    try:
        app()
    except SystemExit as stop:
        if stop.code == 1 and isinstance(stop.__context__, BrokenPipeError):
            raise SystemExit(0) from None
        raise
