"""Protection payments: organisations pay officials from free cash, and the enforcement they meet falls
(docs/model.md, "Protection payments").

At the default ``protection_share`` 0 the model is the one before the mechanism existed (the pinned
trajectories in ``test_pinned.py`` hold, and ``protection_half_cost`` changes nothing); a positive share
that cannot bind (no free cash above the reserve, or no enforcement to buy off) leaves the trajectory
bit-identical; where it binds, seizures, the seizure share and cash fall, paired over 30 seeds; money
balances at every step with the payments.
"""

from __future__ import annotations

import dataclasses
import hashlib
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from counterflow import Engine, compile_network, load_scenario
from counterflow.analysis import mean_interval
from counterflow.engine.record import Recorder
from counterflow.generate import generate_scenario

STEPS = 40


def _with(sc, **over):
    return dataclasses.replace(sc, parameters=dataclasses.replace(sc.parameters, **over))


@cache
def _net(name: str, **over):
    return compile_network(_with(load_scenario(name), **over))


def _hash(traj) -> str:
    h = hashlib.sha256()
    for name in sorted(traj.series):
        h.update(name.encode())
        h.update(np.ascontiguousarray(traj.series[name], dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(traj.balance).tobytes())
    return h.hexdigest()


def _run(net, seed: int = 3, steps: int = STEPS):
    eng = Engine(net, None, seed, record_flows=False)
    return eng, eng.run(steps)


def test_share_zero_ignores_the_half_cost():
    """At share 0 the half cost is never read: any value gives the default trajectory, and no budget is kept."""
    eng, base = _run(_net("caribbean"))
    _, other = _run(_net("caribbean", protection_share=0.0, protection_half_cost=1.0))
    assert _hash(other) == _hash(base)
    assert not eng.state.protection.any()


def test_inert_without_cash_above_the_reserve():
    """A positive share pays nothing when no organisation has free cash above its reserve (a reserve of 1,000
    steps of spending): the trajectory is bit-identical to share 0 and the budget stays 0."""
    _, base = _run(_net("caribbean", cash_reserve_steps=1000.0))
    eng, paying = _run(_net("caribbean", cash_reserve_steps=1000.0, protection_share=0.5, protection_half_cost=1.0))
    assert _hash(paying) == _hash(base)
    assert not eng.state.protection.any()


def test_inert_where_there_is_no_enforcement_to_buy_off():
    """Where no node enforces (every site's enforcement 0) nothing is paid, so cash and every series are as at 0."""
    sc = load_scenario("transatlantic")
    sc = dataclasses.replace(sc, nodes=tuple(dataclasses.replace(n, enforcement=0.0) for n in sc.nodes))
    _, base = _run(compile_network(sc))
    eng, paying = _run(compile_network(_with(sc, protection_share=0.5)))
    assert _hash(paying) == _hash(base)
    assert not eng.state.protection.any()


OUTCOMES = ("seized", "seizure_share", "cash", "delivered")


@cache
def _scenario(name: str):
    if name.startswith("generated-"):
        return generate_scenario(60, seed=int(name.split("-")[1]), organisations=2)
    return load_scenario(name)


def _paired(name: str, share: float, seeds: int = 30, steps: int = 52) -> dict[str, tuple[float, float, float]]:
    """Mean paired difference (share minus 0, seeds 0 to ``seeds`` - 1) and its 95 % t interval of seized kg, the
    seizure share (seized over seized plus delivered), the organisations' cash at the end and delivered kg."""
    sc = _scenario(name)
    nets = (compile_network(sc), compile_network(_with(sc, protection_share=share)))
    rows = []
    for seed in range(seeds):
        row = []
        for net in nets:
            eng, tr = _run(net, seed, steps)
            seized, delivered = tr.series["seized"].sum(), tr.series["delivered"].sum()
            row.append((seized, seized / (seized + delivered), eng.state.cash.sum(), delivered))
        rows.append(row)
    d = np.diff(np.array(rows), axis=1)[:, 0, :]  # [seeds, outcomes]
    assert np.isfinite(d).all()  # mean_interval would leave a non-finite pair out
    return {k: mean_interval(d[:, i]) for i, k in enumerate(OUTCOMES)}


@pytest.mark.parametrize("name", ["caribbean", "transatlantic"])
def test_protection_lowers_seizures_and_costs_cash_when_it_binds(name):
    """With a 10 % share (free cash above the reserve is ample on both networks) seizures, the seizure share and
    the organisations' cash fall: each paired difference's 95 % interval over 30 seeds lies below 0."""
    res = _paired(name, 0.1)
    for key in ("seized", "seizure_share", "cash"):
        mean, lo, hi = res[key]
        assert hi < 0.0, (name, key, mean, lo, hi)


@pytest.mark.parametrize("solver", ["auto", "simplex"])
def test_money_balances_with_payments(solver):
    """Every step, each organisation's cash changes by its revenue less its production and transport spending
    and the protection it paid (payouts off, opening sites free, no strikes: nothing else moves money), and the
    payment split over jurisdictions adds up to it, and the recorded payments (the ``protection_paid`` outcome) are
    it; payments happen and are never negative (on the compiled
    small-network path and on the large-network path)."""
    net = _net("caribbean", protection_share=0.2, payout_rate=0.0, open_cost=0.0)
    eng = Engine(net, None, 5, record_flows=False, solver=solver)
    rec = Recorder(net, STEPS, False)
    s = eng.state
    paid_total = 0.0
    for i in range(STEPS):
        before = s.cash.copy()
        eng.step(rec, i)
        assert (s.protection >= 0.0).all()
        paid = s.protection.sum(axis=1)
        np.testing.assert_allclose(paid, eng._scratch.paid, rtol=1e-12)  # the split over jurisdictions keeps every dollar
        np.testing.assert_array_equal(rec.protection_paid[i], eng._scratch.paid)  # the protection_paid outcome's series
        expect = before + rec.series["revenue"][i] - s.spend - paid
        np.testing.assert_allclose(s.cash, expect, rtol=0, atol=1e-6 * np.abs(before).max())
        paid_total += paid.sum()
    assert paid_total > 0.0


@pytest.mark.parametrize("value", ["-0.1", "1.5"])
def test_validate_refuses_a_share_outside_0_1(tmp_path, value):
    """A share below 0 or above 1 is one clear message naming the file, the field and its range, exit status 2."""
    from typer.testing import CliRunner

    import counterflow
    from counterflow.cli import app

    text = (Path(counterflow.__file__).parent / "data" / "transatlantic.yaml").read_text()
    assert "parameters: {}" in text
    p = tmp_path / "s.yaml"
    p.write_text(text.replace("parameters: {}", f"parameters: {{protection_share: {value}}}"))
    r = CliRunner().invoke(app, ["validate", str(p)])
    assert r.exit_code == 2, r.stdout
    assert "protection_share" in r.stderr and "[0, 1]" in r.stderr and str(p) in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_a_store_made_before_the_parameters_existed_still_resumes(tmp_path, monkeypatch):
    """A sweep store written by add6108's code, which recorded the model's defaults without the protection
    parameters, resumes on this version and runs nothing (the new parameters at the defaults they were
    introduced with reproduce the earlier model), and analyses. Once such a default changes it counts like
    any other, and the store is refused naming it."""
    import json
    import re
    import shutil

    from typer.testing import CliRunner

    from counterflow import params
    from counterflow.cli import app
    from counterflow.errors import InputError
    from counterflow.experiments import load_experiment, run_sweep

    data = Path(__file__).resolve().parents[1] / "experiments" / "data"
    store = tmp_path / "store"
    shutil.copytree(data / "sweep-add6108", store)
    recorded = json.loads((store / "metadata.json").read_text())["model_defaults"]
    assert not set(params.ADDED_WITH_DEFAULT) & set(recorded)  # made before the parameters existed
    run = CliRunner().invoke(app, ["sweep", str(data / "sweep-add6108.yaml"), "--store", str(store),
                                   "--executor", "sequential"])
    assert run.exit_code == 0, run.output
    assert re.search(r"stored 2 of 2 runs in \S+ \(0 now", " ".join(run.output.split())), run.output
    analysed = CliRunner().invoke(app, ["analyze", "--store", str(store), "--json"])
    assert analysed.exit_code == 0, analysed.output
    assert json.loads(analysed.stdout)
    changed = tuple(dataclasses.replace(f, default=2.0e6) if f.name == "protection_half_cost" else f
                    for f in params.PARAMETER_FIELDS)
    monkeypatch.setattr(params, "PARAMETER_FIELDS", changed)
    with pytest.raises(InputError, match=r"defaults changed since it was made \(protection_half_cost unset -> 2"):
        run_sweep(load_experiment(data / "sweep-add6108.yaml"), store)


def _cell(value: tuple[float, float, float], scale: float, digits: int) -> str:
    mean, lo, hi = (x * scale for x in value)
    return f"{mean:+,.{digits}f} [{lo:+,.{digits}f}, {hi:+,.{digits}f}]"


def _sanctions_effect(share: float, seeds: int = 30, steps: int = 104) -> tuple[float, float, float]:
    """Seized kg with the transatlantic ``sanctions`` strategy minus the baseline, paired by seed, at ``share``."""
    from counterflow import resolve_strategies

    net = compile_network(_with(load_scenario("transatlantic"), protection_share=share))
    strat = next(s for s in resolve_strategies(net.scenario, ["sanctions"]) if s.name == "sanctions")
    d = np.array([Engine(net, strat, seed, record_flows=False).run(steps).series["seized"].sum()
                  - Engine(net, None, seed, record_flows=False).run(steps).series["seized"].sum()
                  for seed in range(seeds)])
    return mean_interval(d)


if __name__ == "__main__":  # the table of docs/model.md, "Protection payments": python -m tests.engine.test_protection
    print("| network | share | seized kg | seizure share (points) | cash at the end (USD m) | delivered kg |")
    print("|---|---|---|---|---|---|")
    for net_name in ("caribbean", "transatlantic", "generated-1", "generated-3"):
        for sh in (0.01, 0.1):
            r = _paired(net_name, sh, seeds=30, steps=104)
            cells = (_cell(r["seized"], 1.0, 0), _cell(r["seizure_share"], 100.0, 2), _cell(r["cash"], 1e-6, 1),
                     _cell(r["delivered"], 1.0, 0))
            print(f"| {net_name} | {sh:g} | " + " | ".join(cells) + " |")
    for net_name in ("caribbean", "transatlantic", "generated-1", "generated-3"):  # the baselines the page quotes
        net0 = compile_network(_scenario(net_name))
        runs = [_run(net0, seed, 104)[1].series for seed in range(30)]
        seized = np.array([tr["seized"].sum() for tr in runs])
        delivered = np.array([tr["delivered"].sum() for tr in runs])
        print(f"{net_name} baseline: seized {seized.mean():,.0f} kg, seizure share "
              f"{100 * (seized / (seized + delivered)).mean():.1f} %")
    for sh in (0.0, 0.1):
        print(f"transatlantic, sanctions minus baseline, seized kg at share {sh:g}: {_cell(_sanctions_effect(sh), 1.0, 0)}")
