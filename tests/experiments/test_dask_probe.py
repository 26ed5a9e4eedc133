"""A command with ``--executor dask --address`` checks the scheduler once (in ``open_executor``, before any
store is made), not once in the option check and again when it connects."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from counterflow.cli import app

from .conftest import write_experiment


def test_a_dask_address_is_probed_once_per_command(tmp_path, monkeypatch):
    """A real scheduler (in this process, no workers: the sweep is already stored, so nothing is submitted);
    the probe is counted by wrapping the real one."""
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from counterflow.experiments import execute

    exp = write_experiment(tmp_path, samples=1, replications=1, steps=4)
    store = tmp_path / "st"
    first = CliRunner().invoke(app, ["sweep", str(exp), "--store", str(store), "--executor", "sequential", "--json"])
    assert first.exit_code == 0, first.output

    probes: list[str] = []
    real = execute.check_dask_address

    def counted(address: str) -> None:
        probes.append(address)
        real(address)

    monkeypatch.setattr(execute, "check_dask_address", counted)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        again = CliRunner().invoke(app, ["sweep", str(exp), "--store", str(store), "--executor", "dask",
                                         "--address", cluster.scheduler_address, "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["ran_now"] == 0
    assert probes == [cluster.scheduler_address]
