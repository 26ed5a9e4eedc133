"""Imported once by the fork server that starts job processes: load the compiled kernels there.

Every job process is forked from that server, so it starts with the
kernels in memory and the modules that write results imported, instead of
loading them in every job (about 5 s per job otherwise).
"""

from __future__ import annotations


def _warm() -> None:
    import tempfile
    from pathlib import Path

    from ..runner import run_replications
    from ..scenario import load_scenario
    from ..strategy import resolve_strategies
    from .jobs import write_results

    try:
        sc = load_scenario("caribbean")
        strategies = resolve_strategies(sc, list(sc.strategies)[:1])
        res = run_replications(sc, strategies, runs=1, steps=2, keep_steps=True, keep_flows=True)
        with tempfile.TemporaryDirectory() as d:
            write_results(Path(d), sc, strategies, res)
    except Exception:  # noqa: BLE001, S110 - only a head start; a job loads what it needs itself
        pass


_warm()
