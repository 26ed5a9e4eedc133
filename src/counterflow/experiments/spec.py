"""Experiment files: a scenario, strategies, uncertain parameters, a sampler and outcomes.

An experiment file is YAML::

    scenario: caribbean            # built-in name or path (relative to this file)
    strategies: [baseline, port-strike]
    uncertainties:
      - {path: organisations.org_a.risk_aversion, low: 0.5, high: 2.0}
      - {path: strategies.port-strike.levers[0].intel_accuracy, low: 0.5, high: 1.0}
    sampler: sobol                 # lhs | sobol | morris | grid | mc
    samples: 64
    replications: 2
    seed: 1
    outcomes: [delivered_kg, flow_reduction_pct, civilian_harm]

A *path* addresses a number in the scenario's file form
(:meth:`~counterflow.scenario.Scenario.to_dict`): list entries are picked by
their id (``organisations.org_a``, ``nodes.port_main``,
``jurisdictions.VE``, ``markets.us_east``, ``edges.port_main->isl_east``) or
by index (``edges[3]``), strategies by name, levers by index
(``strategies.port-strike.levers[0].intel_accuracy``), model constants under
``parameters`` (``parameters.learning_rate``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..outcomes import PAIRED_OUTCOMES, RUN_OUTCOMES
from ..params import model_defaults
from ..scenario import MAX_STEPS, Scenario, load_scenario
from ..schema import Checker, Field
from ..strategy import load_strategies
from ..yamlio import join_path, load_yaml_text
from .paths import Uncertainty, apply_values, quote_paths, resolve
from .sampling import SAMPLERS, check_sample_count, design_size, sample_design

__all__ = ["Uncertainty", "Experiment", "load_experiment", "parse_experiment", "apply_values",
           "OUTCOMES", "ALWAYS_KEPT", "experiment_from_text", "quote_paths"]

OUTCOMES = RUN_OUTCOMES + PAIRED_OUTCOMES
#: Outcomes every runs table holds, whatever the file asks: flow next to harm and backlash.
ALWAYS_KEPT = ("delivered_kg", "flow_reduction_pct", "civilian_harm", "backlash")
SEED_RULE = ("numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=(sample, replication))), "
             "the same for every strategy of a sample and replication (common random numbers)")
COMMON_SEED_RULE = ("numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=(replication,))), "
                    "the same for every strategy and every sample of a replication (common_seeds: true)")
RUNS_PER_CHUNK = 16  # runs per stored chunk, at most...
MIN_CHUNKS = 32     # ...while the design has enough points for this many chunks (load balance)

EXPERIMENT_FIELDS = (
    Field("scenario", "str", required=True),
    Field("description", "str", default=""),
    Field("strategies", "list", default=None),
    Field("uncertainties", "list", required=True),
    Field("sampler", "str", default="lhs", choices=tuple(SAMPLERS)),
    Field("samples", "int", lo=1, required=True),
    Field("replications", "int", lo=1, default=1),
    Field("seed", "int", lo=0, default=0),
    Field("outcomes", "list", default=None),
    Field("steps", "int", lo=1, hi=MAX_STEPS, default=None),
    Field("levels", "int", lo=2, default=4, doc="grid levels of the Morris design"),
    Field("chunk_samples", "int", lo=1, default=None,
          doc="samples per stored chunk (default: ~16 runs, fewer so that there are 32 chunks when possible)"),
    Field("store_steps", "bool", default=True, doc="keep the per-step table"),
    Field("common_seeds", "bool", default=False,
          doc="every design point runs with the same replication seeds (common random numbers across points): "
              "differences between points are then the parameters', not the dice's"),
)
UNCERTAINTY_FIELDS = (
    Field("path", "str", required=True),
    Field("low", required=True),
    Field("high", required=True),
    Field("integer", "bool", default=None),
)
@dataclass(frozen=True)
class Experiment:
    """A validated experiment. Build with :func:`load_experiment` or :func:`parse_experiment`."""

    scenario_ref: str
    scenario_doc: dict
    strategies: tuple[str, ...]
    uncertainties: tuple[Uncertainty, ...]
    sampler: str
    samples: int
    replications: int
    seed: int
    outcomes: tuple[str, ...]
    steps: int
    levels: int = 4
    chunk_samples: int = 1
    store_steps: bool = True
    common_seeds: bool = False
    description: str = ""
    source: str | None = None
    text: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Uncertainty paths, in order (the sample table's columns)."""
        return [u.path for u in self.uncertainties]

    @property
    def kept_outcomes(self) -> tuple[str, ...]:
        """Outcomes stored per run: the requested ones plus flow, harm and backlash."""
        return tuple(dict.fromkeys(self.outcomes + ALWAYS_KEPT))

    @property
    def n_points(self) -> int:
        """Number of sampled parameter points (rows of the design)."""
        return design_size(self.sampler, self.samples, len(self.uncertainties))

    @property
    def n_runs(self) -> int:
        return self.n_points * len(self.strategies) * self.replications

    def problem(self) -> dict:
        """The SALib problem definition."""
        return {"num_vars": len(self.uncertainties), "names": self.names,
                "bounds": [[u.low, u.high] for u in self.uncertainties]}

    def design(self) -> np.ndarray:
        """The sampled points ``[n_points, n_uncertainties]`` (deterministic in the seed)."""
        unit = sample_design(self.sampler, self.samples, len(self.uncertainties), self.seed, self.levels)
        return np.column_stack([u.scale(unit[:, j]) for j, u in enumerate(self.uncertainties)])

    def scenario_for(self, values: np.ndarray) -> Scenario:
        """The scenario of one sampled point, re-validated."""
        return Scenario.from_dict(apply_values(self.scenario_doc, self.uncertainties, values))

    def seed_key(self, sample: int, replication: int) -> tuple[int, ...]:
        """The ``spawn_key`` of a run's ``SeedSequence(seed, spawn_key=...)`` (see :attr:`seed_rule`)."""
        return (replication,) if self.common_seeds else (sample, replication)

    @property
    def seed_rule(self) -> str:
        """How every run's generator is made, in words (stored in the store's metadata)."""
        return COMMON_SEED_RULE if self.common_seeds else SEED_RULE

    def chunks(self) -> list[list[int]]:
        """Sample indices of each chunk (a chunk holds all strategies and replications of its samples)."""
        k = self.chunk_samples
        return [list(range(i, min(i + k, self.n_points))) for i in range(0, self.n_points, k)]

    def fingerprint(self) -> str:
        """Hash of everything that determines the results (to refuse resuming a different experiment)."""
        body = {k: getattr(self, k) for k in ("scenario_doc", "strategies", "sampler", "samples",
                                              "replications", "seed", "outcomes", "steps", "levels",
                                              "chunk_samples", "store_steps")}
        body["uncertainties"] = [u.__dict__ for u in self.uncertainties]
        if self.common_seeds:  # only when set, so stores made before the option existed keep their fingerprint
            body["common_seeds"] = True
        # the model's defaults decide every parameter the scenario leaves out: a store made under other
        # defaults holds other runs, so it must not be resumed as if it were this experiment
        body["model_defaults"] = model_defaults()
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _scenario_doc(ref: str, base_dir: Path | None, ck: Checker) -> tuple[Scenario, str]:
    p = Path(ref)
    if base_dir is not None and not p.is_absolute() and (base_dir / p).exists():
        p = base_dir / p
    try:
        return load_scenario(p if p.exists() else ref), str(p if p.exists() else ref)
    except InputError as exc:
        if exc.file is None:
            raise ck.error(exc.message, "scenario") from None
        raise


def parse_experiment(data: Any, *, file: str | None = None, lines: Any = None, text: str = "") -> Experiment:
    """Validate parsed experiment data.

    Raises
    ------
    InputError
        Naming the file, the field and the line of the first problem (an
        unknown path, a range with low > high, a value the scenario rejects,
        a sample count the sampler cannot use).
    """
    ck = Checker(file, lines)
    top = ck.record(data, "", EXPERIMENT_FIELDS, what="an experiment (a mapping with scenario, uncertainties...)")
    base_dir = Path(file).parent if file else None
    scenario, ref = _scenario_doc(top["scenario"], base_dir, ck)
    doc = scenario.to_dict()
    doc.setdefault("strategies", {})
    names = ["baseline"]
    for i, nm in enumerate(top["strategies"] or list(doc["strategies"])):
        p = join_path("strategies", i)
        nm = ck.value(nm, Field("strategy", "str"), p)
        if nm == "baseline" or nm in doc["strategies"]:
            names.append(nm)
            continue
        fp = Path(nm) if base_dir is None or Path(nm).is_absolute() else base_dir / nm
        if not fp.is_file():
            known = ", ".join(["baseline", *doc["strategies"]])
            raise ck.error(f"no strategy '{nm}' in scenario '{scenario.name}' and no such file (known: {known})", p)
        for st in load_strategies(fp, scenario):
            body = st.to_dict()
            body.pop("name")
            doc["strategies"][st.name] = body
            names.append(st.name)
    names = list(dict.fromkeys(names))
    if not doc["strategies"]:
        doc.pop("strategies")

    if not top["uncertainties"]:
        raise ck.error("list at least one uncertain parameter", "uncertainties")
    uncs: list[Uncertainty] = []
    for i, raw in enumerate(top["uncertainties"]):
        base = join_path("uncertainties", i)
        u = ck.record(raw, base, UNCERTAINTY_FIELDS, what="an uncertainty {path: ..., low: ..., high: ...}")
        try:
            node, leaf, fld = resolve(doc, u["path"])
        except ValueError as exc:
            raise ck.error(f"path '{u['path']}': {exc}", join_path(base, "path")) from None
        if u["path"] in (x.path for x in uncs):
            raise ck.error(f"path '{u['path']}' is listed twice", join_path(base, "path"))
        if u["low"] > u["high"]:
            raise ck.error(f"low ({u['low']:g}) is above high ({u['high']:g})", join_path(base, "low"))
        integer = u["integer"]
        if integer is None:
            cur = node.get(leaf)
            integer = (fld is not None and fld.kind == "int") or (fld is None and isinstance(cur, int))
        unc = Uncertainty(u["path"], u["low"], u["high"], bool(integer))
        for end in ("low", "high"):
            try:
                Scenario.from_dict(apply_values(doc, (unc,), np.array([u[end]])))
            except InputError as exc:
                raise ck.error(f"{end} = {u[end]:g} makes the scenario invalid: {exc.message}",
                               join_path(base, end)) from None
        uncs.append(unc)

    sampler = top["sampler"]
    problem = check_sample_count(sampler, top["samples"], len(uncs), top["levels"])
    if problem:
        raise ck.error(problem, "samples")
    outcomes = top["outcomes"] or ["delivered_kg", "flow_reduction_pct", "civilian_harm", "backlash"]
    for i, o in enumerate(outcomes):
        if o not in OUTCOMES:
            raise ck.error(f"unknown outcome '{o}'; known: {', '.join(OUTCOMES)}", join_path("outcomes", i))
    runs_per_sample = len(names) * top["replications"]
    n_points = design_size(sampler, top["samples"], len(uncs))
    chunk = top["chunk_samples"] or max(1, min(math.ceil(RUNS_PER_CHUNK / runs_per_sample),
                                               math.ceil(n_points / MIN_CHUNKS)))
    return Experiment(
        scenario_ref=ref, scenario_doc=doc, strategies=tuple(names), uncertainties=tuple(uncs),
        sampler=sampler, samples=top["samples"], replications=top["replications"], seed=top["seed"],
        outcomes=tuple(dict.fromkeys(outcomes)), steps=top["steps"] or scenario.steps, levels=top["levels"],
        chunk_samples=chunk, store_steps=top["store_steps"], common_seeds=top["common_seeds"],
        description=top["description"], source=file,
        text=text, raw=copy.deepcopy(data),
    )


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment YAML file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "exp.yaml"
    >>> _ = f.write_text('''
    ... scenario: caribbean
    ... strategies: [port-strike]
    ... uncertainties: [{path: organisations.org_a.risk_aversion, low: 0.5, high: 2.0}]
    ... sampler: lhs
    ... samples: 4
    ... ''')
    >>> exp = load_experiment(f)
    >>> exp.strategies, exp.n_runs
    (('baseline', 'port-strike'), 8)
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise InputError("not a readable text file", file=str(path)) from None
    data, lines = load_yaml_text(quote_paths(text), file=str(path))
    return parse_experiment(data, file=str(path), lines=lines, text=text)


def experiment_from_text(text: str, file: str | None = None) -> Experiment:
    """Parse experiment YAML text (used when reopening a store)."""
    data, lines = load_yaml_text(quote_paths(text), file)
    return parse_experiment(data, file=file, lines=lines, text=text)
