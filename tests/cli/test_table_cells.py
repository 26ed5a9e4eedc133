"""Table cells are data, not Rich markup: brackets in a value are shown exactly as written."""

import io

from rich.console import Console

from counterflow.cli.common import TableData, _rich_table


def _render(data: TableData) -> str:
    buf = io.StringIO()
    Console(file=buf, width=200, color_system=None).print(_rich_table(data))
    return buf.getvalue()


def test_bracketed_cells_are_shown_literally():
    data = TableData(columns=["metric [unit]", "value"])
    data.add_row("interval", "[inf, inf]")
    data.add_row("styled", "[bold]x[/bold]")
    data.add_row("numbers", "2.7 [2.71, 2.74]")
    text = _render(data)
    for literal in ("metric [unit]", "[inf, inf]", "[bold]x[/bold]", "2.7 [2.71, 2.74]"):
        assert literal in text, (literal, text)
