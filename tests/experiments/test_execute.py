"""Sweeps: identical numbers under every executor, failures recorded, the store's schema, common random numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from counterflow import Engine, load_scenario, resolve_strategies
from counterflow.experiments import Store, load_experiment, open_executor, run_sweep
from counterflow.experiments.execute import steps_columns

from .conftest import write_experiment

KEYS = ["sample", "strategy", "replication"]


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(KEYS).reset_index(drop=True)


@pytest.fixture(scope="module")
def three_stores(tmp_path_factory):
    """The same experiment run sequentially, on a local pool of 2 and on a Dask LocalCluster of 2."""
    folder = tmp_path_factory.mktemp("exec")
    exp = load_experiment(write_experiment(folder, samples=5, replications=2, chunk_samples=2))
    stores = {}
    for kind in ("sequential", "local", "dask"):
        with open_executor(kind, workers=2) as ex:
            run_sweep(exp, folder / kind, ex)
        stores[kind] = Store(folder / kind)
    return exp, stores


@pytest.mark.slow
def test_runs_are_identical_whatever_the_executor(three_stores):
    """Sequential, a 2-process pool and Dask (2 processes x 1 thread) store exactly the same runs and steps."""
    exp, stores = three_stores
    ref = _sorted(stores["sequential"].runs())
    assert len(ref) == exp.n_runs == 5 * 2 * 2
    assert (ref.status == "ok").all()
    ref_steps = stores["sequential"].steps()
    for kind in ("local", "dask"):
        pd.testing.assert_frame_equal(_sorted(stores[kind].runs()), ref, check_exact=True)
        pd.testing.assert_frame_equal(stores[kind].steps(), ref_steps, check_exact=True)


def test_store_schema_round_trips(three_stores):
    """The store holds metadata, samples, runs and steps with the documented columns and types."""
    exp, stores = three_stores
    st = stores["sequential"]
    meta = json.loads((st.path / "metadata.json").read_text())
    for key in ("experiment_file", "experiment", "package_version", "seeds", "seed", "strategies",
                "uncertainties", "design", "n_runs", "fingerprint"):
        assert key in meta
    assert meta["n_runs"] == exp.n_runs
    assert np.array_equal(np.asarray(meta["design"]), exp.design())
    samples = st.samples()
    assert list(samples.columns) == ["sample", *exp.names]
    assert np.array_equal(samples[exp.names].to_numpy(), exp.design())
    files = sorted((st.path / "runs").glob("*.parquet"))  # compacted after the sweep: one file, three chunks
    assert [f.name for f in files] == ["compact-000000-000002.parquet"] and len(exp.chunks()) == 3
    assert len(list((st.path / "steps").glob("chunk-*.parquet"))) == 3
    schema = pq.read_schema(files[0])
    chunk_meta = json.loads(schema.metadata[b"counterflow"])
    assert sorted(chunk_meta["chunks"]) == ["0", "1", "2"] and chunk_meta["fingerprint"] == exp.fingerprint()
    for col, typ in [("sample", "int64"), ("strategy", "string"), ("replication", "int64"), ("seed", "int64"),
                     ("status", "string"), ("error", "string"), ("traceback", "string")]:
        assert str(schema.field(col).type) == typ
    for col in [*exp.names, *exp.kept_outcomes]:
        assert str(schema.field(col).type) == "double"
    runs = st.runs()
    merged = runs.merge(samples, on="sample", suffixes=("", "_s"))
    for n in exp.names:
        assert np.array_equal(merged[n].to_numpy(), merged[n + "_s"].to_numpy())
    steps = st.steps()
    assert len(steps) == len(runs) * exp.steps
    assert not steps.duplicated(KEYS + ["step"]).any()
    per_run = steps.groupby(KEYS)["delivered"].sum().reset_index()
    both = runs.merge(per_run, on=KEYS)
    np.testing.assert_allclose(both["delivered"], both["delivered_kg"], rtol=1e-12)


def test_a_run_matches_the_engine_run_with_its_spawned_seed(three_stores):
    """Each stored run equals Engine(scenario of its sample, strategy, SeedSequence(seed, (sample, rep)))."""
    exp, stores = three_stores
    runs = stores["sequential"].runs()
    row = runs[(runs["sample"] == 3) & (runs.strategy == "port-strike") & (runs.replication == 1)].iloc[0]
    scenario = exp.scenario_for(exp.design()[3])
    strategy = resolve_strategies(scenario, ["port-strike"])[1]
    ss = np.random.SeedSequence(exp.seed, spawn_key=(3, 1))
    traj = Engine(scenario, strategy, np.random.default_rng(ss), record_flows=False).run(exp.steps)
    assert traj.series["delivered"].sum() == row.delivered_kg
    assert steps_columns(traj)["harm"].sum() == pytest.approx(row.civilian_harm, abs=0)


def test_strategies_share_the_seed_and_pair_with_their_baseline(three_stores):
    """Within a sample and replication every strategy used the same seed; flow reduction pairs with that baseline."""
    _, stores = three_stores
    runs = stores["sequential"].runs()
    base = runs[runs.strategy == "baseline"].set_index(["sample", "replication"])
    strike = runs[runs.strategy == "port-strike"].set_index(["sample", "replication"])
    expected = 100 * (1 - strike.delivered_kg / base.delivered_kg)
    np.testing.assert_allclose(strike.flow_reduction_pct, expected.loc[strike.index], rtol=1e-12)
    assert (base.flow_reduction_pct == 0).all()
    assert base.delivered_kg.groupby(level="sample").nunique().max() > 1  # replications differ


def test_a_failing_run_is_recorded_and_the_sweep_completes(tmp_path):
    """Samples whose values make the scenario invalid are stored with status 'error' and a traceback; the rest run."""
    doc = load_scenario("caribbean").to_dict()
    doc["strategies"]["campaign"] = {"levers": [{"type": "strike", "targets": {"nodes": ["port_main"]},
                                                 "schedule": {"start": 2, "until": 9}, "intel_accuracy": 0.8}]}
    (tmp_path / "scen.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    f = write_experiment(tmp_path, scenario="scen.yaml", strategies=["campaign"], sampler="grid", samples=4,
                         replications=1, uncertainties=[
                             {"path": "strategies.campaign.levers[0].schedule.start", "low": 1, "high": 8},
                             {"path": "strategies.campaign.levers[0].schedule.until", "low": 3, "high": 12}])
    exp = load_experiment(f)
    report = run_sweep(exp, tmp_path / "store")
    runs = Store(tmp_path / "store").runs()
    assert report.ran_runs == len(runs) == 8
    design = exp.design()
    bad_samples = {i for i, (start, until) in enumerate(design) if until < start}
    assert bad_samples == {2}
    failed = runs[runs.status == "error"]
    assert set(failed["sample"]) == bad_samples and len(failed) == 2 == report.failed_runs
    assert failed.error.str.contains("before 'start'").all()
    assert failed.traceback.str.contains("Traceback").all()
    assert failed.delivered_kg.isna().all()
    ok = runs[runs.status == "ok"]
    assert ok.delivered_kg.notna().all() and len(ok) == 6
    again = run_sweep(exp, tmp_path / "store", retry_errors=True)  # reruns only the failing chunk
    per_chunk = exp.chunk_samples * len(exp.strategies)
    assert again.ran_runs == per_chunk and again.failed_runs == 2
    assert (Store(tmp_path / "store").key_counts().n == 1).all() and len(Store(tmp_path / "store").runs()) == 8


def test_rerunning_a_finished_sweep_runs_nothing(three_stores):
    """Resuming a complete store runs no chunk and leaves every key once."""
    exp, stores = three_stores
    report = run_sweep(exp, stores["sequential"].path)
    assert report.ran_runs == 0 and report.skipped_runs == exp.n_runs
    assert (stores["sequential"].key_counts().n == 1).all()


def test_a_store_refuses_a_different_experiment(three_stores, tmp_path):
    """Resuming into a store of another experiment is refused with a clear message."""
    from counterflow.errors import InputError

    _, stores = three_stores
    other = load_experiment(write_experiment(tmp_path, seed=99, samples=5, replications=2, chunk_samples=2))
    with pytest.raises(InputError, match="different experiment"):
        run_sweep(other, stores["sequential"].path)


def test_any_concurrent_futures_executor_gives_the_same_runs(three_stores, tmp_path):
    """A plain ThreadPoolExecutor, submitting at most 2 chunks at a time, stores the same runs as sequential."""
    from concurrent.futures import ThreadPoolExecutor

    exp, stores = three_stores
    with ThreadPoolExecutor(2) as pool:
        report = run_sweep(exp, tmp_path / "threads", pool, max_pending=2)
    assert report.ran_runs == exp.n_runs
    pd.testing.assert_frame_equal(_sorted(Store(tmp_path / "threads").runs()), _sorted(stores["sequential"].runs()),
                                  check_exact=True)


def test_common_seeds_share_the_dice_across_design_points(tmp_path):
    """With common_seeds every sample's replication r runs with SeedSequence(seed, (r,)): a strategy whose
    swept parameters cannot touch the baseline gives the baseline identical numbers at every point, and a run
    equals the engine run with that seed. The store records the rule and a different fingerprint."""
    exp = load_experiment(write_experiment(tmp_path, samples=4, replications=2, common_seeds=True,
                                           uncertainties=[{"path": "strategies.port-strike.levers[0].intel_accuracy",
                                                           "low": 0.5, "high": 1.0}]))
    plain = load_experiment(write_experiment(tmp_path, "plain.yaml", samples=4, replications=2,
                                             uncertainties=[{"path": "strategies.port-strike.levers[0]"
                                                                     ".intel_accuracy", "low": 0.5, "high": 1.0}]))
    assert exp.fingerprint() != plain.fingerprint()
    with open_executor("sequential") as ex:
        run_sweep(exp, tmp_path / "common", ex)
    store = Store(tmp_path / "common")
    runs = store.runs()
    base = runs[runs.strategy == "baseline"]
    assert (base.groupby("replication").delivered_kg.nunique() == 1).all()  # same dice at every point
    assert base.groupby("sample").delivered_kg.nunique().min() == 2          # replications still differ
    row = runs[(runs["sample"] == 2) & (runs.strategy == "port-strike") & (runs.replication == 1)].iloc[0]
    scenario = exp.scenario_for(exp.design()[2])
    strategy = resolve_strategies(scenario, ["port-strike"])[1]
    ss = np.random.SeedSequence(exp.seed, spawn_key=(1,))
    traj = Engine(scenario, strategy, np.random.default_rng(ss), record_flows=False).run(exp.steps)
    assert traj.series["delivered"].sum() == row.delivered_kg
    meta = json.loads((tmp_path / "common" / "metadata.json").read_text())
    assert "spawn_key=(replication,)" in meta["seeds"]


def test_a_store_made_under_other_model_defaults_is_not_resumed(tmp_path, monkeypatch):
    """A default that changed (here diversification, 1 now, made at 0) changes the fingerprint: the store
    is refused with a message naming the change, never filled with runs of two models."""
    from counterflow.errors import InputError
    from counterflow.experiments import spec, store
    from counterflow.params import model_defaults

    exp = load_experiment(write_experiment(tmp_path, samples=2, replications=1, chunk_samples=1))
    now = model_defaults()
    then = dict(now, diversification=now["diversification"] + 1.0)
    monkeypatch.setattr(spec, "model_defaults", lambda: then)
    monkeypatch.setattr(store, "model_defaults", lambda: then)
    old_fp = exp.fingerprint()
    run_sweep(exp, tmp_path / "store")
    assert json.loads((tmp_path / "store" / "metadata.json").read_text())["model_defaults"] == then
    monkeypatch.undo()
    assert exp.fingerprint() != old_fp
    with pytest.raises(InputError, match=r"defaults changed since it was made \(diversification "):
        run_sweep(exp, tmp_path / "store")
    # without the change the same store resumes and runs nothing
    monkeypatch.setattr(spec, "model_defaults", lambda: then)
    monkeypatch.setattr(store, "model_defaults", lambda: then)
    assert run_sweep(exp, tmp_path / "store").ran_runs == 0


def _interrupted_kernel(*args, **kwargs):
    """What Ctrl-C inside a compiled kernel surfaces as: a SystemError whose context is the KeyboardInterrupt."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        raise SystemError("CPUDispatcher(<function move_all>) returned a result with an exception set") from None


def test_ctrl_c_inside_a_kernel_stops_the_sweep_and_is_never_stored_as_a_failed_run(tmp_path, monkeypatch):
    """The per-run error handler re-raises an error whose cause or context is a KeyboardInterrupt: the sweep
    stops as on Ctrl-C and stores nothing for that run, while any other error is still a recorded failed run."""
    from counterflow.experiments import execute

    exp = load_experiment(write_experiment(tmp_path, samples=2, replications=1))
    monkeypatch.setattr(execute, "_run_one", _interrupted_kernel)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(exp, tmp_path / "store")
    assert Store(tmp_path / "store").done_chunks() == set(), "an interrupt is not a stored failed run"

    def plain_error(*args, **kwargs):
        raise SystemError("a real failure")

    monkeypatch.setattr(execute, "_run_one", plain_error)
    report = run_sweep(exp, tmp_path / "store")
    assert report.failed_runs == exp.n_runs > 0
