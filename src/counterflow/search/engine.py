"""The search loop: pymoo's ask/tell over portfolios evaluated on common futures, streamed to the store.

NSGA-II (three objectives or fewer) or NSGA-III with Das-Dennis reference
directions (four or more) runs over a mixed encoding: an on/off gene per
lever, whole-number genes for choices, steps and counts (rounded by a
repair operator after crossover and mutation), real genes for intensities.
Distinct portfolios are numbered in the order the optimiser first asks for
them; a portfolio asked for again (the same levers, whatever the genes of
levers that are off) is not run again. Each generation's new portfolios run
in parallel on the executor; each is written to the store as soon as it
finishes; the optimiser is told the generation's results once all are in,
so the numbers do not depend on the number of workers or their speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from .evaluate import EvalContext, evaluate_portfolio
from .robust import future_means, pareto_mask, statistic
from .spec import SearchSpec
from .store import SearchStore

__all__ = ["run_search", "Evaluations", "SearchReport", "require_pymoo", "context", "evaluate_batch",
           "out_of_sample", "corners", "initial_population", "StoreWriter"]

BIG = 1e30


def require_pymoo() -> None:
    """Raise a clear error when the optional extra is missing."""
    try:
        import pymoo  # noqa: F401
    except ImportError:
        raise InputError("the search needs pymoo: pip install 'counterflow[search]'") from None


@dataclass
class SearchReport:
    """What a call of :func:`run_search` did."""

    store: str
    evaluations: int
    ran: int
    replayed: int
    generations: int
    seconds: float
    simulation_seconds: float
    oos_ran: int = 0
    front: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def evaluations_per_second(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 and self.ran else float("nan")


class Evaluations:
    """Evaluated portfolios of one stage: cells of every outcome, and their robust values."""

    def __init__(self, spec: SearchSpec, n_futures: int, n_reps: int) -> None:
        self.spec = spec
        self.F, self.R = n_futures, n_reps
        self.cells: dict[int, dict[str, np.ndarray]] = {}
        self.keys: dict[int, str] = {}
        self.genes: dict[int, np.ndarray] = {}
        self.errors: dict[int, str | None] = {}
        self.seconds: dict[int, float] = {}  # wall time of each evaluation in its worker
        self.simulation_seconds: dict[int, float] = {}  # of which in the runs themselves
        self._fg: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.uses_regret = any(o.robustness == "regret" for o in list(spec.objectives) + list(spec.constraints))

    def add_frame(self, df: pd.DataFrame | pa.Table) -> None:
        """Add stored rows (one evaluation or many): a data frame, or the Parquet table as written."""
        n = df.num_rows if isinstance(df, pa.Table) else len(df)
        if n == 0:
            return
        names = list(df.column_names) if isinstance(df, pa.Table) else list(df.columns)

        def col(name: str, dtype) -> np.ndarray:
            if isinstance(df, pa.Table):
                return np.asarray(df.column(name).to_numpy(zero_copy_only=False), dtype=dtype)
            return df[name].to_numpy(dtype)

        gcols = sorted([c for c in names if c.startswith("g") and c[1:].isdigit()], key=lambda c: int(c[1:]))
        outcomes = [o for o in self.spec_outcomes() if o in names]
        order = np.lexsort((col("replication", np.int64), col("future", np.int64), col("eval", np.int64)))
        ev = col("eval", np.int64)[order]
        f_all = col("future", np.int64)[order]
        r_all = col("replication", np.int64)[order]
        vals = {o: col(o, float)[order] for o in outcomes}
        G = np.column_stack([col(c, float)[order] for c in gcols]) if gcols else np.zeros((n, 0))
        keys = col("key", object)[order]
        ok = col("status", object)[order] == "ok"
        errs = col("error", object)[order]
        secs = col("seconds", float)[order] if "seconds" in names else np.zeros(n)
        sims = col("simulation_seconds", float)[order] if "simulation_seconds" in names else secs
        ids, starts = np.unique(ev, return_index=True)
        ends = list(starts[1:]) + [len(df)]
        for eid, a, b in zip(ids, starts, ends, strict=True):
            eid = int(eid)
            f, r = f_all[a:b], r_all[a:b]
            cells = {}
            for o in outcomes:
                m = np.full((self.F, self.R), np.nan)
                m[f, r] = vals[o][a:b]
                cells[o] = m
            self.cells[eid] = cells
            self.keys[eid] = str(keys[a])
            self.genes[eid] = G[a]
            bad = np.flatnonzero(~ok[a:b])
            self.errors[eid] = (str(errs[a + bad[0]]).splitlines()[0] if bad.size else
                                (None if b - a == self.F * self.R else "missing cells"))
            self.seconds[eid] = float(secs[a])
            self.simulation_seconds[eid] = float(sims[a])
            self._fg.pop(eid, None)

    def spec_outcomes(self) -> list[str]:
        names = {o.outcome for o in self.spec.objectives} | {c.outcome for c in self.spec.constraints}
        names |= {"cost_usd", "flow_reduction_pct", "civilian_harm", "backlash", "hardship", "delivered_kg"}
        return sorted(names)

    @property
    def ids(self) -> list[int]:
        return sorted(self.cells)

    def best(self, outcome: str, direction: str, ids: list[int] | None = None) -> np.ndarray:
        """Per future: the best mean over replications among ``ids`` (default: all), for regret."""
        ids = self.ids if ids is None else ids
        means = np.array([future_means(self.cells[i][outcome]) for i in ids if self.errors[i] is None])
        if means.size == 0:
            return np.full(self.F, np.nan)
        return np.nanmax(means, axis=0) if direction == "max" else np.nanmin(means, axis=0)

    def bests(self, ids: list[int] | None = None) -> dict[str, np.ndarray]:
        out = {}
        for o in list(self.spec.objectives) + list(self.spec.constraints):
            if o.robustness == "regret":
                out[o.outcome + ":" + o.direction] = self.best(o.outcome, o.direction, ids)
        return out

    def value(self, eid: int, outcome: str, robustness: str, direction: str, threshold: float | None,
              bests: dict) -> float:
        if self.errors[eid] is not None:
            return float("nan")
        return statistic(robustness, self.cells[eid][outcome], direction, threshold,
                         bests.get(outcome + ":" + direction))

    def cost(self, eid: int) -> float:
        """A portfolio's cost: its largest cost over the evaluated futures and replications."""
        if self.errors[eid] is not None:
            return float("nan")
        return float(np.nanmax(self.cells[eid]["cost_usd"]))

    def objectives(self, eid: int, bests: dict) -> dict[str, float]:
        return {o.key: self.value(eid, o.outcome, o.robustness, o.direction, o.threshold, bests)
                for o in self.spec.objectives}

    def violations(self, eid: int, bests: dict) -> list[float]:
        """Constraint values in pymoo's form (feasible when every one is <= 0), budget first."""
        g: list[float] = []
        if self.spec.budget_usd is not None:
            cost = self.cost(eid)
            g.append((cost - self.spec.budget_usd) / max(self.spec.budget_usd, 1.0) if np.isfinite(cost) else BIG)
        for c in self.spec.constraints:
            v = self.value(eid, c.outcome, c.robustness, c.direction, c.threshold, bests)
            if c.max is not None:
                g.append((v - c.max) / max(abs(c.max), 1.0) if np.isfinite(v) else BIG)
            if c.min is not None:
                g.append((c.min - v) / max(abs(c.min), 1.0) if np.isfinite(v) else BIG)
        return g

    def FG(self, ids: list[int], bests: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Objectives (minimised) and constraints of ``ids`` in pymoo's form."""
        if bests is None:
            bests = self.bests() if self.uses_regret else {}
        F = np.empty((len(ids), len(self.spec.objectives)))
        G = np.empty((len(ids), self.n_constr))
        for i, eid in enumerate(ids):
            if not self.uses_regret and eid in self._fg:
                F[i], G[i] = self._fg[eid]
                continue
            vals = self.objectives(eid, bests)
            for k, o in enumerate(self.spec.objectives):
                v = vals[o.key]
                F[i, k] = BIG if not np.isfinite(v) else (-v if o.sense == "max" else v)
            G[i] = self.violations(eid, bests) if self.n_constr else []
            if self.errors[eid] is not None and self.n_constr:
                G[i] = np.maximum(G[i], 1.0)
            if not self.uses_regret:
                self._fg[eid] = (F[i].copy(), G[i].copy())
        return F, G

    @property
    def n_constr(self) -> int:
        return (self.spec.budget_usd is not None) + sum((c.max is not None) + (c.min is not None)
                                                         for c in self.spec.constraints)

    def feasible(self, eid: int, bests: dict | None = None) -> bool:
        bests = self.bests() if bests is None else bests
        return self.errors[eid] is None and all(v <= 0 for v in self.violations(eid, bests))

    def front(self) -> list[int]:
        """The feasible, non-dominated evaluations (in-sample), one per distinct objective vector."""
        bests = self.bests()
        ids = [i for i in self.ids if self.feasible(i, bests)]
        if not ids:
            return []
        F, _ = self.FG(ids, bests)
        keep = pareto_mask(F)
        out, seen = [], set()
        for i, k in zip(ids, keep, strict=True):
            sig = tuple(np.round(F[ids.index(i)], 12))
            if k and sig not in seen:
                seen.add(sig)
                out.append(i)
        return out


def context(spec: SearchSpec, stage: str = "search") -> EvalContext:
    return EvalContext(identity=spec.fingerprint(), scenario_doc=spec.scenario_doc,
                       uncertainties=tuple(spec.experiment.uncertainties),
                       replications=spec.replications if stage == "search" else spec.oos_replications,
                       seed=spec.seed, steps=spec.steps, actor=spec.actor, stage=stage)


#: a file of the store holds the evaluations that finished within this many seconds (or the rest of a generation)
FLUSH_SECONDS = 5.0


class StoreWriter:
    """Writes finished evaluations to the store on one background thread, several to a file.

    Evaluations are gathered until :data:`FLUSH_SECONDS` have passed since the first of them
    finished (a timer hands them over then, even while the next evaluation is still running), or
    :meth:`flush` is called (at the end of each generation); they are written as one file while
    the next evaluations run. Writing a small Parquet file and syncing it costs milliseconds
    whatever its size, which is most of the machinery's time per evaluation when each evaluation
    is one; a killed search loses only evaluations that finished in the last
    :data:`FLUSH_SECONDS` (plus the write itself).
    """

    def __init__(self, st: SearchStore, stage: str, flush_seconds: float = FLUSH_SECONDS) -> None:
        import threading
        from concurrent.futures import ThreadPoolExecutor

        self.st, self.stage, self.flush_seconds = st, stage, flush_seconds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-store")
        self._pending: list[tuple[int, Any]] = []
        self._since: float | None = None
        self._writes: list = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def add(self, eid: int, table) -> None:
        import threading

        with self._lock:
            self._pending.append((eid, table))
            now = time.monotonic()
            if self._since is None:
                self._since = now
                self._timer = threading.Timer(self.flush_seconds, self._hand_over)
                self._timer.daemon = True
                self._timer.start()
            elif now - self._since >= self.flush_seconds:
                self._hand_over_locked()

    def _hand_over(self) -> None:
        with self._lock:
            self._hand_over_locked()

    def _hand_over_locked(self) -> None:
        """Give the gathered evaluations to the writing thread (the caller holds the lock)."""
        import pyarrow as pa

        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        ids = [e for e, _ in self._pending]
        table = pa.concat_tables([t for _, t in self._pending], promote_options="default")
        self._pending, self._since = [], None
        self._writes.append(self._pool.submit(self.st.write, self.stage, ids, table))

    def flush(self) -> None:
        """Hand the gathered evaluations to the writing thread (raise any earlier write's error)."""
        with self._lock:
            done = [w for w in self._writes if w.done()]
            for w in done:
                self._writes.remove(w)
            self._hand_over_locked()
        for w in done:
            w.result()

    def close(self) -> None:
        """Write what is gathered, wait for every write, sync the folders; every finished evaluation is stored."""
        try:
            self.flush()
        finally:
            with self._lock:
                writes, self._writes = self._writes, []
            errors = []
            for w in writes:
                try:
                    w.result()
                except BaseException as exc:  # noqa: BLE001 - the first is raised once all are waited for
                    errors.append(exc)
            self._pool.shutdown(wait=True)
            self.st.sync()
            if errors:
                raise errors[0]


def evaluate_batch(st: SearchStore, ctx: EvalContext, futures: np.ndarray, jobs: list[tuple[int, str, np.ndarray,
                   list]], executor: Executor | None, evaluator=None,
                   progress: Callable[[int], None] | None = None, writer: StoreWriter | None = None) -> list:
    """Run ``jobs`` (eval id, key, genes, levers), store each as it finishes; return their tables.

    With a ``writer`` (a search's, for all its generations) the tables are handed to it and
    the last ones may still be on their way to disk when this returns; without one, all are
    on disk when this returns.
    """
    tables = []
    own = writer is None
    w = StoreWriter(st, ctx.stage) if writer is None else writer
    try:
        def store(result):
            eid, table = result
            w.add(eid, table)
            tables.append(table)
            if progress:
                progress(1)

        if executor is None or len(jobs) <= 1:
            for eid, key, genes, levers in jobs:
                store(_timed(ctx, eid, key, genes, levers, futures, evaluator))
        else:
            pending = {executor.submit(_timed, ctx, eid, key, genes, levers, futures, evaluator)
                       for eid, key, genes, levers in jobs}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in sorted(done, key=id):
                        store(fut.result())
            finally:
                for fut in pending:
                    fut.cancel()
    finally:  # every finished evaluation is stored, even when another one raised
        if own:
            w.close()
        else:
            w.flush()
    return tables


def _timed(ctx, eid, key, genes, levers, futures, evaluator):
    import pyarrow as pa

    t0 = time.perf_counter()
    eid, table, sim = evaluate_portfolio(ctx, eid, key, genes, levers, futures, evaluator)
    dt = time.perf_counter() - t0
    table = table.append_column("seconds", pa.array(np.full(table.num_rows, dt)))
    return eid, table.append_column("simulation_seconds", pa.array(np.full(table.num_rows, sim)))


def _algorithm(spec: SearchSpec, X0: np.ndarray, key_of: Callable[[np.ndarray], str]):
    """NSGA-II or NSGA-III over the encoding.

    Duplicates are judged by portfolio, not by genes: offspring that decode to a portfolio
    already in the population or among the other offspring are replaced by others (genes of a
    lever that is off do not make a new portfolio). An offspring may be a portfolio evaluated
    earlier and since dropped from the population: it is not run again (its stored result is
    told), so such generations cost little and keep the selection pressure.
    """
    from pymoo.core.duplicate import DuplicateElimination
    from pymoo.core.repair import Repair
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM

    class _Round(Repair):
        """Round the whole-number genes; repair portfolios over the budget (:meth:`SearchSpec.fit_budget`)."""

        def _do(self, problem, X, random_state=None, **kwargs):
            if spec.budget_usd is None:
                return spec.repair(X)
            rng = random_state if random_state is not None else np.random.default_rng(spec.seed)
            return np.array([spec.fit_budget(x, rng) for x in X]).reshape(X.shape)  # each row repaired there

    lo, hi = spec.bounds
    categorical = np.array([g.kind in ("on", "choice") for g in spec.genes], dtype=bool)

    class _MixedMutation(PM):
        """Polynomial mutation, plus random resetting of the categorical genes (on/off, choices).

        A categorical gene is redrawn uniformly among its values with probability 1/genes: the
        polynomial step of a gene with two or three values seldom crosses a rounding boundary.
        """

        def _do(self, problem, X, params=None, *args, random_state=None, **kwargs):
            Xp = super()._do(problem, X, params, *args, random_state=random_state, **kwargs)
            reset = (random_state.random(Xp.shape) < 1.0 / Xp.shape[1]) & categorical
            draws = np.minimum(np.floor(lo + random_state.random(Xp.shape) * (hi - lo + 1)), hi)
            return np.where(reset, draws, Xp)

    class _SamePortfolio(DuplicateElimination):
        def _do(self, pop, other, is_duplicate):
            seen = set() if other is None else {key_of(x) for x in other.get("X")}
            for i, x in enumerate(pop.get("X")):
                k = key_of(x)
                if k in seen:
                    is_duplicate[i] = True
                elif other is None:
                    seen.add(k)
            return is_duplicate

    # low distribution indices spread children over the whole-number genes' few values (rounded after)
    common = dict(sampling=X0, crossover=SBX(prob=0.9, eta=3), mutation=_MixedMutation(eta=3), repair=_Round(),
                  eliminate_duplicates=_SamePortfolio())
    if spec.algorithm == "nsga3":
        from pymoo.algorithms.moo.nsga3 import NSGA3
        from pymoo.util.ref_dirs import get_reference_directions

        n_obj = len(spec.objectives)
        p = 1
        while len(get_reference_directions("das-dennis", n_obj, n_partitions=p + 1)) <= spec.population:
            p += 1
        ref = get_reference_directions("das-dennis", n_obj, n_partitions=p)
        return NSGA3(ref, pop_size=spec.population, **common)
    from pymoo.algorithms.moo.nsga2 import NSGA2

    return NSGA2(pop_size=spec.population, **common)


def _uniform(spec: SearchSpec, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniform portfolios: every value of a whole-number gene equally likely."""
    lo, hi = spec.bounds
    m = spec.integer_mask
    draws = lo + rng.random((n, len(lo))) * (hi - lo + m)
    return spec.repair(np.minimum(np.where(m, np.floor(draws), draws), hi))


def _first_rng(spec: SearchSpec) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(0x5EA2C4,)))


def corners(spec: SearchSpec) -> np.ndarray:
    """The portfolios any analyst tries first, most telling first.

    No action; each lever alone with every range at its upper bound and every choice at its
    first option (at its lower bound a lever's intensity is 0, which is no action again);
    every lever at once, at those values; then each lever alone with one choice moved to each
    of its other options. Duplicate portfolios (by :meth:`SearchSpec.key`) are dropped.
    """
    lo, hi = spec.bounds
    n_lev = len(spec.levers)
    top = np.where([g.kind == "choice" for g in spec.genes], lo, hi)  # ranges high, choices first, levers on

    def only(on: set[int], base: np.ndarray) -> np.ndarray:
        x = base.copy()
        for j, g in enumerate(spec.genes):
            if g.kind == "on":
                x[j] = 1.0 if g.lever in on else 0.0
        return x

    rows = [only(set(), lo)] + [only({i}, top) for i in range(n_lev)]
    if n_lev > 1:
        rows.append(only(set(range(n_lev)), top))
    for j, g in enumerate(spec.genes):
        if g.kind == "choice":
            for v in range(1, len(g.options)):
                x = only({g.lever}, top)
                x[j] = v
                rows.append(x)
    out, seen = [], set()
    for x in rows:
        k = spec.key(x)
        if k not in seen:
            seen.add(k)
            out.append(spec.repair(x))
    return np.array(out).reshape(len(out), spec.n_var)


def initial_population(spec: SearchSpec, warm: np.ndarray | None = None) -> np.ndarray:
    """The first generation: the warm-start portfolios (if any), the corners, then seeded uniform draws.

    The corners (:func:`corners`) fill at most half of the generation, so that the uniform
    draws still spread the first generation over the whole decision space.
    """
    rows = np.zeros((0, spec.n_var)) if warm is None else spec.repair(np.asarray(warm, dtype=float)[:spec.population])
    room = max(0, min(spec.population // 2, spec.population - len(rows)))
    have = {spec.key(x) for x in rows}
    extra = [x for x in corners(spec) if spec.key(x) not in have][:room]
    rows = np.vstack([rows] + [np.array(extra).reshape(len(extra), spec.n_var)])
    return np.vstack([rows, _uniform(spec, _first_rng(spec), spec.population - len(rows))])


def _random_batches(spec: SearchSpec):
    """Random search: seeded uniform portfolios, a population at a time (the benchmark's comparison).

    The draws are the same as the uniform part of the optimiser's first generation (paired
    comparisons); random search has no corners (:func:`corners`): those are the optimiser's.
    """
    rng = _first_rng(spec)
    while True:
        yield _uniform(spec, rng, spec.population)


def run_search(spec: SearchSpec, store: str | SearchStore, executor: Executor | None = None, *,
               warm: np.ndarray | None = None, evaluator=None, progress: Callable[[int], None] | None = None,
               oos: bool = True) -> SearchReport:
    """Run (or resume) a search into ``store``, then the out-of-sample check of its front.

    Parameters
    ----------
    executor
        Any :class:`concurrent.futures.Executor`; ``None`` runs in this process.
        The stored numbers and the front are the same whatever the executor.
    warm
        Encoded portfolios to seed the first generation with (a warm start).
    evaluator
        Replaces the simulation (known-answer tests): ``(levers, future_values, future, replication) -> {outcome: value}``.
    """
    require_pymoo()
    # a store opened by SearchStore.create is locked and checked; anything else is opened (and checked) here
    own = not (isinstance(store, SearchStore) and store.locked)
    st: SearchStore = (SearchStore.create(store.path if isinstance(store, SearchStore) else store, spec, warm)
                       if own or not isinstance(store, SearchStore) else store)
    t0 = time.perf_counter()
    writer: StoreWriter | None = None
    try:
        ctx = context(spec)
        writer = StoreWriter(st, ctx.stage)
        futures = spec.future_values()
        ev = Evaluations(spec, spec.futures, spec.replications)
        stored = st.read("search")
        ev_stored = Evaluations(spec, spec.futures, spec.replications)
        ev_stored.add_frame(stored)
        key_to_id: dict[str, int] = {}
        keys_seen: dict[tuple, str] = {}

        def key_of(x: np.ndarray) -> str:
            t = tuple(spec.repair(x).tolist())
            if t not in keys_seen:
                keys_seen[t] = spec.key(np.array(t))
            return keys_seen[t]

        next_id = ran = replayed = gens = stale = 0
        sim = 0.0
        uses_regret = any(o.robustness == "regret" for o in list(spec.objectives) + list(spec.constraints))
        if spec.algorithm == "random":
            algorithm, batches = None, _random_batches(spec)
        else:
            from pymoo.core.evaluator import Evaluator
            from pymoo.core.problem import Problem
            from pymoo.problems.static import StaticProblem

            lo, hi = spec.bounds
            problem = Problem(n_var=spec.n_var, n_obj=len(spec.objectives), n_ieq_constr=ev.n_constr, xl=lo, xu=hi)
            algorithm = _algorithm(spec, initial_population(spec, warm), key_of)
            algorithm.setup(problem, termination=("n_gen", 10**9), seed=spec.seed, verbose=False)
        while next_id < spec.evaluations and stale < 25:
            if algorithm is not None:
                if uses_regret and algorithm.pop is not None and len(algorithm.pop):
                    ids_pop = [key_to_id[key_of(x)] for x in algorithm.pop.get("X")]
                    Fp, Gp = ev.FG(ids_pop)
                    algorithm.pop.set("F", Fp)
                    if ev.n_constr:
                        algorithm.pop.set("G", Gp, "CV", np.maximum(Gp, 0).sum(axis=1, keepdims=True))
                pop = algorithm.ask()
                if pop is None or not len(pop):  # nothing new to ask: every portfolio it can make was evaluated
                    break                        # (a budget no lever fits repairs every one to "no action")
                X = pop.get("X")
            else:
                X = next(batches)
            ids: list[int | None] = []
            jobs = []
            for x in X:
                k = key_of(x)
                if k in key_to_id:
                    ids.append(key_to_id[k])
                    continue
                if next_id >= spec.evaluations:
                    ids.append(None)
                    continue
                eid = key_to_id[k] = next_id
                next_id += 1
                ids.append(eid)
                if eid in ev_stored.cells:
                    if ev_stored.keys[eid] != k:
                        raise InputError(f"evaluation {eid} in the store is another portfolio than the search "
                                         "asks for now; the store was not written by this search",
                                         file=str(st.path))
                    replayed += 1
                    continue
                jobs.append((eid, k, spec.repair(x), spec.decode(x)))
            new_ids = [i for i in ids if i is not None and i not in ev.cells]
            stale = 0 if new_ids else stale + 1
            tables = evaluate_batch(st, ctx, futures, jobs, executor, evaluator, progress, writer) if jobs else []
            ran += len(jobs)
            if new_ids:
                import pyarrow as pa

                ran_now = {j[0] for j in jobs}
                old = [i for i in new_ids if i not in ran_now]
                if tables:
                    ev.add_frame(pa.concat_tables(tables, promote_options="default"))
                if old:
                    ev.add_frame(stored[stored["eval"].isin(old)])
                sim += sum(ev.simulation_seconds[i] for i in new_ids if i in ran_now)
                if progress and len(new_ids) > len(jobs):
                    progress(len(new_ids) - len(jobs))
            gens += 1
            if algorithm is not None:
                keep = [i for i, eid in enumerate(ids) if eid is not None]
                if not keep:
                    break
                pop = pop[keep]
                F, G = ev.FG([eid for eid in ids if eid is not None])
                Evaluator().eval(StaticProblem(problem, F=F, G=G) if ev.n_constr else StaticProblem(problem, F=F), pop)
                algorithm.tell(infills=pop)
        writer.close()
        writer = None
        report = SearchReport(str(st.path), len(ev.cells), ran, replayed, gens, 0.0, sim)
        if oos:
            report.oos_ran = out_of_sample(spec, st, executor, evaluator, ev=ev)
        report.front = ev.front()
        if spec.budget_usd is not None and ev.keys and all(k == "[]" for k in ev.keys.values()):
            report.notes.append(f"no lever fits the budget of {spec.budget_usd:,.0f} USD: every portfolio was "
                                "repaired to no action, which is the whole front")
    finally:
        try:
            if writer is not None:  # interrupted: store what finished
                writer.close()
        finally:
            if own:
                st.unlock()
    report.seconds = time.perf_counter() - t0
    return report


def out_of_sample(spec: SearchSpec, st: SearchStore, executor: Executor | None = None, evaluator=None,
                  ev: Evaluations | None = None) -> int:
    """Evaluate the front's members on fresh futures and seeds (those not stored yet); return how many ran."""
    if ev is None:
        ev = Evaluations(spec, spec.futures, spec.replications)
        ev.add_frame(st.read("search"))
    members = ev.front()
    done = st.done("oos")
    jobs = []
    for eid in members:
        if eid in done:
            continue
        genes = ev.genes[eid]
        jobs.append((eid, ev.keys[eid], genes, spec.decode(genes)))
    took = not st.locked
    if took:
        st.lock()
    try:
        evaluate_batch(st, context(spec, "oos"), spec.oos_values(), jobs, executor, evaluator)
    finally:
        if took:
            st.unlock()
    return len(jobs)
