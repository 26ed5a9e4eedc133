"""The ``counterflow`` command line (Typer). Thin: every command calls the library."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="counterflow",
    help="Simulate illicit supply networks under counter-narcotics strategies, compare them, optimise interdiction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from . import compare as _compare  # noqa: E402,F401
from . import io as _io  # noqa: E402,F401
from . import optimize as _optimize  # noqa: E402,F401
from . import run as _run  # noqa: E402,F401  (registers commands)
from . import search as _search  # noqa: E402,F401
from . import serve as _serve  # noqa: E402,F401
from . import sweep as _sweep  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    app()
