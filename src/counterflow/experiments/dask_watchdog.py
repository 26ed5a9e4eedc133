"""The die-with-the-sweep watchdog for the Dask workers of a ``LocalCluster`` a sweep starts itself.

Kept apart from :mod:`counterflow.experiments.execute` because it imports
``distributed`` (the ``[dask]`` extra), which a sweep on the local process
pool never needs.
"""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from .watchdog import die_with_parent

__all__ = ["DieWithSweep"]


class DieWithSweep(WorkerPlugin):
    """Installs :func:`~counterflow.experiments.watchdog.die_with_parent` in every worker, restarted ones too.

    A worker of a local cluster is a child of the sweep's process (its nanny
    lives there), and would otherwise keep computing its task for a minute or
    more after the sweep was killed.
    """

    name = "counterflow-die-with-sweep"

    def __init__(self, sweep_pid: int) -> None:
        self.sweep_pid = sweep_pid

    def setup(self, worker) -> None:
        die_with_parent(self.sweep_pid)
