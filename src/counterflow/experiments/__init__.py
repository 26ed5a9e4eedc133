"""Experiments at scale: sweeps over uncertain parameters and strategies, stored as Parquet, analysed with DuckDB.

>>> from counterflow.experiments import load_experiment, run_sweep  # doctest: +SKIP
>>> report = run_sweep(load_experiment("exp.yaml"), "store/")       # doctest: +SKIP
"""

from .execute import EXECUTORS, SweepReport, open_executor, run_chunk, run_sweep
from .spec import Experiment, Uncertainty, load_experiment, parse_experiment
from .store import Store

__all__ = ["Experiment", "Uncertainty", "load_experiment", "parse_experiment", "Store", "run_sweep",
           "run_chunk", "open_executor", "SweepReport", "EXECUTORS"]
