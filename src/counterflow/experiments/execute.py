"""Running an experiment: chunks of runs on any ``concurrent.futures.Executor``, written to a store.

The unit of work is one run, keyed (sample, strategy, replication). Its
generator is ``default_rng(SeedSequence(seed, spawn_key=(sample, replication)))``:
every strategy of a sample and replication sees the same dice (common
random numbers), and no run's numbers depend on which worker ran it or
when. With ``common_seeds: true`` the key is ``(replication,)``, shared by
every sample too. Runs are grouped in chunks (all strategies and replications of a few
samples); a worker runs a chunk, pairs each run with its baseline inside
the chunk, and returns two small tables that this process writes to the
store as one Parquet file each. Workers therefore need no shared
filesystem, which is what a Dask cluster of several machines wants.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..engine import Engine
from ..engine.record import SERIES, Trajectory
from ..errors import InputError, raise_if_interrupted
from ..metrics import RunRecord, pair, run_record
from ..runner import network_for
from ..strategy import resolve_strategies
from ..strategy_types import Strategy
from .spec import Experiment
from .store import Store
from .watchdog import die_with_parent

#: Seconds ``open_executor`` waits for a Dask scheduler at ``--address`` before giving up.
CONNECT_TIMEOUT_S = 5.0

__all__ = ["run_chunk", "run_sweep", "open_executor", "SweepReport", "steps_columns", "EXECUTORS", "die_with_parent",
           "CONNECT_TIMEOUT_S", "check_dask_address"]

EXECUTORS = ("sequential", "local", "dask")


@dataclass
class SweepReport:
    """What a call of :func:`run_sweep` did."""

    store: str
    total_runs: int
    skipped_runs: int
    ran_runs: int
    failed_runs: int
    seconds: float

    @property
    def runs_per_second(self) -> float:
        return self.ran_runs / self.seconds if self.seconds > 0 else float("nan")


def steps_columns(traj: Trajectory) -> dict[str, np.ndarray]:
    """Per-step series of a run as flat columns: totals plus ``series:entity`` per market or organisation."""
    cols: dict[str, np.ndarray] = {}
    for name, arr in traj.series.items():
        kind = SERIES[name][0]
        if kind == "scalar":
            cols[name] = np.asarray(arr, dtype=float)
            continue
        ids = traj.market_ids if kind == "market" else traj.org_ids
        if name != "price":
            cols[name] = np.asarray(arr, dtype=float).sum(axis=1)
        for k, ident in enumerate(ids):
            cols[f"{name}:{ident}"] = np.asarray(arr[:, k], dtype=float)
    return cols


def _run_one(net, strategy, ss, steps, p, seed: int, replication: int):
    traj = Engine(net, strategy, np.random.default_rng(ss), record_flows=False).run(steps)
    rec = run_record(traj, replication, seed, source_mask=net.kind_mask("source"),
                     reference_price=net.market_price, recovery_window=p.recovery_window,
                     recovery_band=p.recovery_band)
    return rec, traj


def run_chunk(exp: Experiment, chunk: int, samples: list[int], values: np.ndarray) -> tuple[int, pa.Table, pa.Table | None]:
    """Run every strategy and replication of ``samples``; return ``(chunk, runs table, steps table)``.

    A run that raises is recorded with ``status='error'``, its error and
    traceback (a sample whose values make the scenario invalid fails all its runs).
    """
    rows: list[dict] = []
    step_frames: list[dict[str, np.ndarray]] = []
    for s_idx, sample in enumerate(samples):
        vals = values[s_idx]
        base = {"sample": sample, "seed": exp.seed}
        params = {u.path: (float(round(v)) if u.integer else float(v)) for u, v in zip(exp.uncertainties, vals, strict=True)}
        strategies: list[Strategy] = []
        setup_error: tuple[str, str] | None = None
        try:
            scenario = exp.scenario_for(vals)
            strategies = resolve_strategies(scenario, list(exp.strategies[1:]))
            # the network does not depend on the strategies: one compile and warm-up for all their values
            net = network_for(dataclasses.replace(scenario, strategies={}))
        except Exception as exc:  # noqa: BLE001 - recorded, not raised
            raise_if_interrupted(exc)
            setup_error = (f"{type(exc).__name__}: {exc}", traceback.format_exc())
        # a sample that could not be set up records a failed run under each of the experiment's names
        names = list(exp.strategies) if setup_error is not None else [st.name for st in strategies]
        for rep in range(exp.replications):
            ss_key = exp.seed_key(sample, rep)
            recs: dict[str, RunRecord] = {}
            for i, name in enumerate(names):
                row: dict[str, Any] = {**base, "strategy": name, "replication": rep, **params}
                if setup_error is not None:
                    row.update(status="error", error=setup_error[0], traceback=setup_error[1])
                    rows.append(row)
                    continue
                st = strategies[i]
                try:
                    ss = np.random.SeedSequence(exp.seed, spawn_key=ss_key)
                    rec, traj = _run_one(net, st, ss, exp.steps, scenario.parameters, exp.seed, rep)
                except Exception as exc:  # noqa: BLE001 - recorded, not raised
                    raise_if_interrupted(exc)
                    row.update(status="error", error=f"{type(exc).__name__}: {exc}",
                               traceback=traceback.format_exc())
                    rows.append(row)
                    continue
                recs[st.name] = rec
                row.update(status="ok", error=None, traceback=None, **rec.metrics)
                rows.append(row)
                if exp.store_steps:
                    cols = steps_columns(traj)
                    n = len(next(iter(cols.values())))
                    step_frames.append({"sample": np.full(n, sample, np.int64),
                                        "strategy": np.full(n, st.name, object),
                                        "replication": np.full(n, rep, np.int64),
                                        "step": np.arange(n, dtype=np.int64), **cols})
            base_rec = recs.get("baseline")
            for row in rows[len(rows) - len(names):]:
                rec = recs.get(row["strategy"])
                if rec is not None and base_rec is not None:
                    row.update(pair(rec, base_rec))
    return chunk, _runs_table(exp, rows), _steps_table(step_frames) if exp.store_steps else None


def _runs_table(exp: Experiment, rows: list[dict]) -> pa.Table:
    def col(name: str, typ: pa.DataType) -> pa.Array:
        vals = [r.get(name) for r in rows]
        if pa.types.is_floating(typ):
            vals = [np.nan if v is None else float(v) for v in vals]
        return pa.array(vals, type=typ)

    fields = [("sample", pa.int64()), ("strategy", pa.string()), ("replication", pa.int64()),
              ("seed", pa.int64()), ("status", pa.string()), ("error", pa.string()), ("traceback", pa.string())]
    fields += [(p, pa.float64()) for p in exp.names] + [(o, pa.float64()) for o in exp.kept_outcomes]
    return pa.table({name: col(name, typ) for name, typ in fields})


def _steps_table(frames: list[dict[str, np.ndarray]]) -> pa.Table | None:
    if not frames:
        return None
    names = list(frames[0])
    out = {}
    for name in names:
        parts = [f[name] for f in frames]
        arr = np.concatenate(parts)
        out[name] = pa.array(arr, type=pa.string()) if name == "strategy" else pa.array(arr)
    return pa.table(out)


def run_sweep(
    exp: Experiment,
    store: str | Store,
    executor: Executor | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    max_pending: int | None = None,
    retry_errors: bool = False,
    compact: bool = True,
) -> SweepReport:
    """Run every missing chunk of ``exp`` and write it to ``store``.

    Parameters
    ----------
    store
        A directory (opened with :meth:`Store.create`, which takes its lock
        for the duration of the sweep), or a :class:`Store` from
        :meth:`Store.create` (the caller releases its lock).
    executor
        Any :class:`concurrent.futures.Executor`; ``None`` runs in this process.
        The stored numbers are the same whatever the executor or worker count.
    progress
        Called with the number of runs stored after each chunk.
    max_pending
        Chunks in flight at once (default: all).
    retry_errors
        Run again the chunks holding failed runs (each such chunk file is replaced whole).
    compact
        Once every chunk is stored, merge the runs files into one (see :meth:`Store.compact`).

    Returns
    -------
    SweepReport
        Counts of runs in the experiment, already stored, run now and failed now.
    """
    design = exp.design()
    owned = not isinstance(store, Store)
    st = store if isinstance(store, Store) else Store.create(store, exp, design)
    try:
        if not st.locked:
            st.lock()
        return _sweep(exp, st, design, executor, progress, max_pending, retry_errors, compact)
    finally:
        if owned:
            st.unlock()


def _sweep(exp: Experiment, st: Store, design: np.ndarray, executor: Executor | None,
           progress: Callable[[int], None] | None, max_pending: int | None, retry_errors: bool,
           compact: bool) -> SweepReport:
    chunks = exp.chunks()
    done = st.done_chunks() - (st.failed_chunks() if retry_errors else set())
    per_sample = len(exp.strategies) * exp.replications
    todo = [(i, c) for i, c in enumerate(chunks) if i not in done]
    if todo and any(st.runs_dir.glob("compact-*.parquet")):
        st.expand()  # chunks to run again live in a compacted file: give every chunk its own file again
    skipped = exp.n_runs - sum(len(c) for _, c in todo) * per_sample
    t0 = time.perf_counter()
    ran = failed = 0

    ran_chunks: set[int] = set()

    def stored(runs: pa.Table, chunk: int) -> None:
        nonlocal ran, failed
        ran_chunks.add(chunk)
        ran += runs.num_rows
        failed += sum(1 for s in runs.column("status").to_pylist() if s != "ok")
        if progress:
            progress(runs.num_rows)

    if executor is None:
        for i, c in todo:
            chunk, runs, steps = run_chunk(exp, i, c, design[c])
            st.write_chunk(chunk, runs, steps)
            stored(runs, chunk)
    else:
        # results are written by a few threads (Parquet encoding and fsync release the interpreter lock), so
        # this process hands out the next chunk at once instead of waiting for the disk
        from concurrent.futures import ThreadPoolExecutor

        queue = iter(todo)
        pending: set[Future] = set()
        writes: set[Future] = set()
        limit = max_pending or len(todo)

        def write(result: tuple[int, pa.Table, pa.Table | None]) -> tuple[pa.Table, int]:
            st.write_chunk(*result)
            return result[1], result[0]

        with ThreadPoolExecutor(4, thread_name_prefix="counterflow-store") as writer:
            try:
                for i, c in queue:
                    pending.add(executor.submit(run_chunk, exp, i, c, design[c]))
                    if len(pending) >= limit:
                        break
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        result = fut.result()
                        nxt = next(queue, None)
                        if nxt is not None:
                            pending.add(executor.submit(run_chunk, exp, nxt[0], nxt[1], design[nxt[1]]))
                        writes.add(writer.submit(write, result))
                    done_writes = {w for w in writes if w.done()}
                    for w in done_writes:
                        stored(*w.result())
                    writes -= done_writes
                for w in writes:
                    stored(*w.result())
            finally:
                for fut in pending:
                    fut.cancel()
    st.sync()
    if compact and ran_chunks | done >= set(range(len(chunks))):
        st.compact()
    return SweepReport(str(st.path), exp.n_runs, skipped, ran, failed, time.perf_counter() - t0)


def check_dask_address(address: str) -> None:
    """Check that a Dask scheduler answers at ``address``, within :data:`CONNECT_TIMEOUT_S` seconds in all.

    The TCP connection *and* distributed's handshake run under one hard time limit: a server that
    accepts the connection and stays silent, or answers something else (an HTTP server, say), is
    an :class:`InputError` naming ``--address`` like an address nobody listens on. Nothing is
    made before this check, so a refused address leaves no store behind.
    """
    import asyncio

    from distributed.comm import connect

    limit = CONNECT_TIMEOUT_S

    async def probe() -> None:
        comm = await connect(address, timeout=limit)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout=limit))
    except ValueError as exc:  # an address distributed cannot parse
        raise InputError(f"cannot use '{address}' as a Dask scheduler address: {exc}", path="--address") from None
    except (OSError, TimeoutError):  # nothing listens there, or it did not answer in time
        raise InputError(f"no Dask scheduler answered at {address} within {limit:g} s; "
                         f"start one (`dask scheduler`) or check the address", path="--address") from None
    except Exception as exc:  # something answered, but not in Dask's protocol (an HTTP server, say)
        raise InputError(f"what answers at {address} is not a Dask scheduler ({type(exc).__name__} in the "
                         f"handshake); start one (`dask scheduler`) or check the address", path="--address") from None


@contextmanager
def open_executor(kind: str = "local", workers: int | None = None, address: str | None = None,
                  ) -> Iterator[Executor | None]:
    """An executor for a sweep: ``sequential`` (None), ``local`` (process pool) or ``dask``.

    ``dask`` connects to the scheduler at ``address`` (``tcp://HOST:8786``), or
    starts a ``LocalCluster`` of ``workers`` processes with one thread each.
    A scheduler that does not answer within :data:`CONNECT_TIMEOUT_S` seconds
    (or an address that cannot be parsed) is an :class:`InputError` naming
    ``--address``; so is an address given for another executor.
    The workers of the local pool and of a local cluster die with this
    process (:func:`die_with_parent`), even when it is killed; the workers of
    a cluster at ``address`` are not this process's to stop.
    """
    if address and kind != "dask":
        raise InputError("--address needs --executor dask", path="--address")
    if kind == "sequential":
        yield None
        return
    if kind == "local":
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["counterflow.experiments.execute"])
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=ctx,
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            try:
                yield pool
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        return
    if kind == "dask":
        import logging

        from distributed import Client, LocalCluster

        logging.getLogger("distributed").setLevel(logging.ERROR)
        if address:
            check_dask_address(address)
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT_S)
            except Exception as exc:  # it answered the probe a moment ago, and now it does not
                raise InputError(f"the Dask scheduler at {address} stopped answering: {exc}",
                                 path="--address") from None
            cluster = None
        else:
            import os

            from .dask_watchdog import DieWithSweep

            cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
            # the workers are this process's own: they end when it ends (a remote cluster's are left alone)
            client.register_plugin(DieWithSweep(os.getpid()))
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    raise ValueError(f"unknown executor '{kind}'; expected one of {', '.join(EXECUTORS)}")
