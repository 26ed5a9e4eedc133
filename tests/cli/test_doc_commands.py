"""The commands the README and the docs show a reader parse, and the cheap ones run as the text says.

Every ``counterflow ...`` line of a shell code block (and every inline ```counterflow ...``` span)
in README.md, CONTRIBUTING.md and docs/ is checked against the command line itself: the command
exists, every option it uses is an option of that command, and a file of the repository it names
(``examples/...``, ``docs/...``) exists. Placeholders (``FILE``, ``[--json]``, ``a|b``) are
allowed: only the option names are checked. The Quick start's and the tour's first steps are run.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from counterflow.cli import app

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console"}
COMMANDS = get_command(app).commands
runner = CliRunner()


def _shell_lines(text: str):
    """(line number, command) for each command line of a shell code block, continuations joined."""
    block, lang, pending, start = False, "", "", 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            block, lang = (not block), stripped[3:].strip().lower()
            pending = ""
            continue
        if not block or lang not in SHELL_BLOCKS:
            continue
        if not pending:
            start = number
        stripped = stripped.removeprefix("$ ")
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        yield start, pending + stripped
        pending = ""


def _inline_commands(text: str):
    """(line number, command) for each inline code span that is a counterflow command."""
    for number, line in enumerate(text.splitlines(), 1):
        for span in re.findall(r"`(counterflow [a-z][^`]*)`", line):
            yield number, span


def documented_commands():
    """Every counterflow command the pages show: (page:line, command text)."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, line in [*_shell_lines(text), *_inline_commands(text)]:
            # a shell line may hold several commands (`a && b`, `a; b`) or a pipe
            for part in re.split(r"&&|;|\|\s", line):
                part = part.strip()
                if part.startswith("counterflow "):
                    found.append((f"{page.relative_to(ROOT)}:{number}", part))
    return sorted(set(found))


DOCUMENTED = documented_commands()


def _options(command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}


def test_the_pages_show_commands():
    """The extraction finds the README's commands and those of every workflow page."""
    pages = {where.split(":")[0] for where, _ in DOCUMENTED}
    assert {"README.md", "docs/tour.md", "docs/compare.md", "docs/data.md", "docs/experiments.md",
            "docs/search.md", "docs/optimize.md", "docs/web.md", "docs/install.md"} <= pages
    assert len(DOCUMENTED) > 60


@pytest.mark.parametrize(("where", "text"), DOCUMENTED, ids=[w for w, _ in DOCUMENTED])
def test_documented_command_parses(where, text):
    """The command exists, every option it shows is one of its options, repository files exist."""
    tokens = shlex.split(text, comments=True)
    assert tokens[0] == "counterflow"
    if len(tokens) == 1 or tokens[1] in ("--version", "-V", "--help"):
        return
    name = tokens[1]
    assert name in COMMANDS, f"{where}: no command {name!r} in `{text}`"
    known = _options(COMMANDS[name])
    for token in tokens[2:]:
        token = token.strip("[]")
        if re.fullmatch(r"-{1,2}[A-Za-z][\w-]*(=.*)?", token):
            option = token.split("=", 1)[0]
            assert option in known, f"{where}: `{text}`: {name} has no option {option} (it has {sorted(known)})"
        elif re.match(r"(examples|docs)/[\w./-]+\.(ya?ml|csv)$", token):
            assert (ROOT / token).is_file(), f"{where}: `{text}` names {token}, which is not in the repository"


def test_every_command_is_in_the_command_table():
    """docs/concepts.md's command table lists every command of the command line."""
    table = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8").split("| command | does |", 1)[1]
    listed = set(re.findall(r"`([a-z]+)`", table.split("\n\n", 1)[0]))
    assert set(COMMANDS) <= listed, sorted(set(COMMANDS) - listed)


def test_the_tour_first_steps_run_as_written(tmp_path, monkeypatch):
    """Quick start's `counterflow scenarios`, and the tour's export, validate and schema steps."""
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["scenarios"])
    assert r.exit_code == 0 and "caribbean" in r.stdout
    r = runner.invoke(app, ["export", "caribbean", "-o", "caribbean.yaml"])
    assert r.exit_code == 0 and (tmp_path / "caribbean.yaml").is_file()
    r = runner.invoke(app, ["validate", "caribbean.yaml"])
    assert r.exit_code == 0 and r.stdout.startswith("ok: scenario 'caribbean' (")
    r = runner.invoke(app, ["schema", "scenario", "-o", "scenario.schema.json"])
    assert r.exit_code == 0
    assert json.loads((tmp_path / "scenario.schema.json").read_text())["type"] == "object"
    r = runner.invoke(app, ["export", "caribbean", "-o", "tables.csv"])
    assert r.exit_code == 0 and {p.name for p in (tmp_path / "tables").iterdir()} >= {"nodes.csv", "edges.csv"}
    r = runner.invoke(app, ["import", "csv", "tables/nodes.csv", "tables/edges.csv", "-o", "mine.yaml"])
    assert r.exit_code == 0 and (tmp_path / "mine.yaml").is_file()


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_file_loads(path):
    """The files in examples/ that the pages run are valid experiment or search files."""
    import yaml

    if "levers" in yaml.safe_load(path.read_text(encoding="utf-8")):
        from counterflow.search.spec import load_search

        assert load_search(path).evaluations >= 1
    else:
        from counterflow.experiments import load_experiment

        assert load_experiment(path).samples >= 1


def test_every_option_is_named_in_the_docs():
    """Each option of the command line is written (by one of its spellings) somewhere in the pages."""
    text = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
    missing = [f"{name} {'/'.join(opts)}" for name, command in sorted(COMMANDS.items()) for p in command.params
               if (opts := [o for o in (*p.opts, *p.secondary_opts) if o.startswith("-")])
               and not any(re.search(re.escape(o) + r"(?![\w-])", text) for o in opts)]
    assert missing == []
