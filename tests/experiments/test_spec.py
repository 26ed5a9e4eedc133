"""Experiment files: parsing, path addressing into scenarios and strategies, validation errors, designs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from counterflow import load_scenario
from counterflow.errors import InputError
from counterflow.experiments.paths import apply_values, split_path
from counterflow.experiments.sampling import design_size, sample_design
from counterflow.experiments.spec import load_experiment, parse_experiment

from .conftest import ISSUE_EXAMPLE, write_experiment


def test_issue_example_parses_as_written(tmp_path):
    """The example experiment of the issue loads verbatim (brackets inside a flow mapping included)."""
    f = tmp_path / "exp.yaml"
    f.write_text(ISSUE_EXAMPLE)
    exp = load_experiment(f)
    assert exp.strategies == ("baseline", "port-strike")
    assert exp.names == ["organisations.org_a.risk_aversion", "strategies.port-strike.levers[0].intel_accuracy"]
    assert exp.n_points == 64 * (2 + 2)
    assert exp.n_runs == 64 * 4 * 2 * 2
    design = exp.design()
    assert design.shape == (256, 2)
    assert design[:, 0].min() >= 0.5 and design[:, 0].max() <= 2.0
    assert design[:, 1].min() >= 0.5 and design[:, 1].max() <= 1.0


def test_design_is_deterministic_in_the_seed(tmp_path):
    """The same seed gives the same design; another seed another one."""
    a = load_experiment(write_experiment(tmp_path, "a.yaml", seed=5)).design()
    b = load_experiment(write_experiment(tmp_path, "b.yaml", seed=5)).design()
    c = load_experiment(write_experiment(tmp_path, "c.yaml", seed=6)).design()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("sampler,samples,dims", [("sobol", 8, 3), ("morris", 5, 2), ("lhs", 7, 4),
                                                  ("mc", 3, 1), ("grid", 27, 3)])
def test_designs_have_the_documented_size_and_stay_in_the_unit_cube(sampler, samples, dims):
    """Sobol evaluates N·(D+2) points, Morris N·(D+1), the others ``samples``; all inside [0, 1]."""
    x = sample_design(sampler, samples, dims, seed=1)
    assert x.shape == (design_size(sampler, samples, dims), dims)
    assert (x >= 0).all() and (x <= 1).all()


@given(n=hs.integers(2, 40), d=hs.integers(1, 4), seed=hs.integers(0, 2**31))
def test_lhs_puts_one_point_in_every_stratum(n, d, seed):
    """Latin hypercube: in every dimension each of the n equal strata holds exactly one point."""
    x = sample_design("lhs", n, d, seed)
    for j in range(d):
        assert sorted(np.floor(x[:, j] * n).astype(int).tolist()) == list(range(n))


def test_grid_is_the_full_factorial():
    """A 3x3 grid holds every combination of the levels 0, 0.5, 1 once."""
    x = sample_design("grid", 9, 2, seed=0)
    assert {tuple(r) for r in x.tolist()} == {(a, b) for a in (0, 0.5, 1) for b in (0, 0.5, 1)}


PATHS = [
    ("organisations.org_a.risk_aversion", lambda s: s.organisations[0].risk_aversion),
    ("organisations.org_b.production.andes_west", lambda s: s.organisations[1].production["andes_west"]),
    ("nodes.port_main.capacity", lambda s: next(n.capacity for n in s.nodes if n.id == "port_main")),
    ("nodes.isl_east.occupancy", lambda s: next(n.occupancy for n in s.nodes if n.id == "isl_east")),
    ("jurisdictions.VE.corruption", lambda s: next(j.corruption for j in s.jurisdictions if j.id == "VE")),
    ("markets.us_east.elasticity", lambda s: s.markets[0].elasticity),
    ("edges.port_main->isl_east.risk", lambda s: next(e.risk for e in s.edges if (e.src, e.dst) == ("port_main", "isl_east"))),
    ("edges[0].cost", lambda s: s.edges[0].cost),
    ("parameters.learning_rate", lambda s: s.parameters.learning_rate),
    ("strategies.port-strike.levers[0].intel_accuracy",
     lambda s: s.strategies["port-strike"]["levers"][0]["intel_accuracy"]),
]


@given(k=hs.integers(0, len(PATHS) - 1), u=hs.floats(0.05, 0.95))
def test_a_path_sets_exactly_that_number(k, u):
    """Applying a value at a path changes that number in the re-validated scenario and nothing else."""
    from counterflow.experiments.paths import Uncertainty

    base = load_scenario("caribbean")
    path, get = PATHS[k]
    value = round(u, 6)
    doc = apply_values(base.to_dict(), (Uncertainty(path, 0.0, 1.0),), np.array([value]))
    from counterflow import Scenario

    s = Scenario.from_dict(doc)
    assert get(s) == pytest.approx(value)
    untouched = [g for p, g in PATHS if p != path]
    for g in untouched:
        assert g(s) == g(base)


def test_split_path():
    """Paths split into names and list indices."""
    assert split_path("strategies.port-strike.levers[0].intel_accuracy") == [
        "strategies", "port-strike", "levers", 0, "intel_accuracy"]
    with pytest.raises(ValueError):
        split_path("a..b")


BAD = [
    ({"uncertainties": [{"path": "organisations.org_z.risk_aversion", "low": 0, "high": 1}]},
     "uncertainties[0].path", "no entry 'org_z'"),
    ({"uncertainties": [{"path": "organisations.org_a.riskaversion", "low": 0, "high": 1}]},
     "uncertainties[0].path", "no number 'riskaversion'"),
    ({"uncertainties": [{"path": "strategies.nope.levers[0].intel_accuracy", "low": 0, "high": 1}]},
     "uncertainties[0].path", "no 'nope'"),
    ({"uncertainties": [{"path": "organisations.org_a.risk_aversion", "low": 2, "high": 1}]},
     "uncertainties[0].low", "above high"),
    ({"uncertainties": [{"path": "strategies.port-strike.levers[0].intel_accuracy", "low": 0.5, "high": 1.5}]},
     "uncertainties[0].high", "makes the scenario invalid"),
    ({"sampler": "grid", "samples": 10}, "samples", "levels**2"),
    ({"sampler": "latin"}, "sampler", "unknown value 'latin'"),
    ({"outcomes": ["delivered"]}, "outcomes[0]", "unknown outcome"),
    ({"strategies": ["no-such-strategy"]}, "strategies[0]", "no strategy 'no-such-strategy'"),
    ({"uncertainties": []}, "uncertainties", "at least one"),
    ({"scenario": "atlantis"}, "scenario", "no scenario file or built-in scenario"),
    ({"replicatons": 3}, "replicatons", "did you mean 'replications'"),
]


@pytest.mark.parametrize("fields,where,message", BAD)
def test_bad_experiments_get_one_clear_error_with_file_field_and_line(tmp_path, fields, where, message):
    """Every bad experiment raises InputError naming the file, the field and the line."""
    f = write_experiment(tmp_path, **fields)
    with pytest.raises(InputError) as info:
        load_experiment(f)
    err = info.value
    assert err.file == str(f)
    assert err.path == where
    assert message in err.message
    assert err.line is not None
    assert f.read_text().splitlines()[err.line - 1].strip()


def test_integer_fields_are_rounded(tmp_path):
    """A whole-number field (open_delay) gets whole values; the design keeps them rounded."""
    f = write_experiment(tmp_path, uncertainties=[{"path": "parameters.open_delay", "low": 1, "high": 6}])
    exp = load_experiment(f)
    assert exp.uncertainties[0].integer
    d = exp.design()[:, 0]
    assert np.array_equal(d, np.round(d))
    assert exp.scenario_for(exp.design()[0]).parameters.open_delay == int(d[0])


def test_strategy_files_can_be_swept(tmp_path):
    """A strategy given as a file is addressed by its name like the scenario's own strategies."""
    (tmp_path / "raid.yaml").write_text(
        "name: raid\nlevers:\n  - {type: strike, targets: {nodes: [port_west]}, schedule: {at: 3}, intel_accuracy: 0.7}\n")
    f = write_experiment(tmp_path, strategies=["raid.yaml"],
                         uncertainties=[{"path": "strategies.raid.levers[0].intel_accuracy", "low": 0.2, "high": 0.9}])
    exp = load_experiment(f)
    assert exp.strategies == ("baseline", "raid")
    s = exp.scenario_for(np.array([0.33]))
    assert s.strategies["raid"]["levers"][0]["intel_accuracy"] == pytest.approx(0.33)


def test_parse_experiment_without_file():
    """Data already parsed (e.g. from the web API) validates the same way."""
    exp = parse_experiment({"scenario": "caribbean", "samples": 3,
                            "uncertainties": [{"path": "parameters.learning_rate", "low": 0.1, "high": 0.4}]})
    assert exp.n_runs == 3 * len(exp.strategies)
    assert exp.strategies[0] == "baseline"
