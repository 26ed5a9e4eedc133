"""Helpers for search tests: small search files and a synthetic evaluator with a known answer."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "caribbean-search.yaml"


def write_search(folder: Path, name: str = "search.yaml", **fields) -> Path:
    """The issue's caribbean search, shortened (steps, futures, evaluations), with ``fields`` overriding."""
    body = yaml.safe_load(EXAMPLE.read_text())
    body.update(steps=12, futures=2, replications=1, evaluations=8, population=4)
    body.update(fields)
    path = Path(folder) / name
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path
