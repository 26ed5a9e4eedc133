"""The ``counterflow`` command line (Typer). Thin: every command calls the library.

The command modules import only light modules at the top; numpy, pandas, numba, the solvers
and the web stack load inside the command that needs them, so ``counterflow --help`` and
``counterflow --version`` start at once.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

import typer
import typer.core

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
    return {int: "N", float: "X", str: "TEXT", bool: None}.get(ann, "VALUE")


def _argument_usage(self) -> str:
    """``SCENARIO`` and ``[STRATEGY]...`` in the usage line (not ``{scenario}``)."""
    name = self.metavar or self.name.upper()
    if not self.required:
        name = f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


if hasattr(typer.core.TyperOption, "display_type_rich"):
    typer.core.TyperOption.display_type_rich = _clean_type
if hasattr(typer.core.TyperArgument, "display_type_rich"):
    typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # the name says it
if hasattr(typer.core.TyperArgument, "_usage_display_name"):
    typer.core.TyperArgument._usage_display_name = _argument_usage

app = typer.Typer(
    name="counterflow",
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


# The command modules register their commands on import. These come first, in this order, in
# help; any other module of this package (a new command) is registered after them.
COMMAND_MODULES = ("run", "compare", "sweep", "search", "optimize", "io", "schema", "serve")


def _register() -> None:
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    found -= {"common"}
    for name in [*(m for m in COMMAND_MODULES if m in found), *sorted(found - set(COMMAND_MODULES))]:
        importlib.import_module(f".{name}", __name__)


_register()


def main() -> None:
    """Console-script entry point."""
    app()
