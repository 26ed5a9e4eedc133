"""Helpers for experiment tests: small experiment files written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ISSUE_EXAMPLE = """\
scenario: caribbean            # built-in name or path
strategies: [baseline, port-strike]
uncertainties:
  - {path: organisations.org_a.risk_aversion, low: 0.5, high: 2.0}
  - {path: strategies.port-strike.levers[0].intel_accuracy, low: 0.5, high: 1.0}
sampler: sobol
samples: 64
replications: 2
seed: 1
outcomes: [delivered_kg, flow_reduction_pct, civilian_harm]
"""


def write_experiment(folder: Path, name: str = "exp.yaml", **fields) -> Path:
    """Write a small caribbean experiment (short horizon) with ``fields`` overriding the defaults."""
    body = {
        "scenario": "caribbean",
        "strategies": ["port-strike"],
        "uncertainties": [
            {"path": "organisations.org_a.risk_aversion", "low": 0.5, "high": 2.0},
            {"path": "strategies.port-strike.levers[0].intel_accuracy", "low": 0.5, "high": 1.0},
        ],
        "sampler": "lhs",
        "samples": 4,
        "replications": 2,
        "seed": 3,
        "steps": 12,
        "outcomes": ["delivered_kg", "flow_reduction_pct", "civilian_harm", "cost_usd"],
    }
    body.update(fields)
    path = Path(folder) / name
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


@pytest.fixture
def small_experiment(tmp_path):
    return write_experiment(tmp_path)
