"""``counterflow schema``: the JSON Schema of each file format (for editors that complete and check)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from . import app
from .common import err, handles_errors

__all__ = ["schema"]


@app.command()
@handles_errors
def schema(
    kind: Annotated[str, typer.Argument(metavar="scenario|strategy|experiment|search",
                                        help="Which file format.")],
    out_file: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE.json",
                                                  help="Write the schema here instead of printing it.")] = None,
) -> None:
    """Print the JSON Schema of a file format.

    Point your editor's YAML support at it to complete keys and check values while you type, e.g. a first line `# yaml-language-server: $schema=scenario.schema.json`. The formats reference page in the documentation describes the same keys.
    """
    from ..docgen import KINDS, dumps_schema

    if kind not in KINDS:
        raise InputError(f"unknown file kind '{kind}'; expected one of: {', '.join(KINDS)}", path="KIND")
    text = dumps_schema(kind) + "\n"
    if out_file is None:
        typer.echo(text, nl=False)
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text, encoding="utf-8")
    err.print(f"wrote {out_file}", highlight=False, markup=False, soft_wrap=True)
