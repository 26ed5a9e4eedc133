"""A search store written by an earlier counterflow (commit add6108, optimiser recipe 2) stays readable.

Reading (front, the web page, a warm start) must accept a store whose only difference is the
optimiser's recipe version; resuming refuses only when the recipe would ask for other portfolios.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from counterflow.errors import InputError
from counterflow.search.engine import initial_population, run_search
from counterflow.search.front import front, open_search, warm_start_genes
from counterflow.search.spec import FIRST_GENERATION, search_from_text
from counterflow.search.store import SearchStore, identity

DATA = Path(__file__).parent / "data"
OLD = DATA / "search-add6108"


@pytest.fixture
def old_store(tmp_path) -> Path:
    path = tmp_path / "stores" / "old"
    shutil.copytree(OLD, path)
    return path


def test_the_fixture_is_a_recipe_2_store_of_a_random_search_without_budget():
    meta = json.loads((OLD / "metadata.json").read_text())
    assert meta["first_generation"] == 2 < FIRST_GENERATION
    assert meta["algorithm"] == "random" and meta["budget_usd"] is None and meta["evaluations"] == 4


def test_front_and_open_search_read_a_store_of_an_earlier_recipe(old_store):
    spec, st = open_search(old_store)
    assert spec.algorithm == "random" and len(st.done("search")) == 4
    out = front(old_store)
    assert out["evaluations"]["stored"] == 4 and out["out_of_sample"]["done"]
    assert len(out["portfolios"]) == 2 and all(p["survives_out_of_sample"] for p in out["portfolios"])


def test_the_web_page_shows_a_store_of_an_earlier_recipe(old_store, tmp_path):
    import warnings

    from counterflow.web import Limits, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(create_app(tmp_path / "jobs", Limits(), stores=[old_store.parent]),
                    headers={"X-Counterflow": "1"}) as c:
        listed = {s["name"]: s for s in c.get("/api/stores").json()["stores"]}
        sid = listed["stores/old"]["id"]
        r = c.get(f"/api/stores/{sid}")
        assert r.status_code == 200, r.text
        rows = r.json()["front"]["portfolios"]
        assert len(rows) == 2
        for p in rows:
            r = c.get(f"/api/stores/{sid}/portfolios/{p['eval']}")
            assert r.status_code == 200, r.text


def test_a_store_of_an_earlier_recipe_warm_starts_a_search(old_store):
    text = (DATA / "search-add6108.yaml").read_text().replace("algorithm: random", "algorithm: nsga2")
    spec = search_from_text(text)
    genes = warm_start_genes(old_store, spec)
    assert genes is not None and len(genes) == 2
    first = initial_population(spec, genes)
    assert np.allclose(first[:2], spec.repair(genes))


def test_a_random_search_of_an_earlier_recipe_resumes_and_replays_every_evaluation(old_store):
    spec, _ = open_search(old_store)

    def nothing_runs_again(*args):
        raise AssertionError("a stored evaluation ran again")

    report = run_search(spec, old_store, evaluator=nothing_runs_again)
    assert report.ran == 0 and report.replayed == 4
    meta = json.loads((old_store / "metadata.json").read_text())
    assert meta["first_generation"] == 2  # the store keeps its recipe and identity: its files still check
    assert front(old_store)["evaluations"]["stored"] == 4


def _as_recipe_2(tmp_path, text: str) -> tuple:
    """A fresh store of ``text``'s search, marked as made by recipe 2 (as add6108 wrote its metadata)."""
    spec = search_from_text(text)
    st = SearchStore.create(tmp_path / "made-by-2", spec)
    st.unlock()
    meta = json.loads(st.metadata_file.read_text())
    meta.update(first_generation=2, fingerprint=spec.fingerprint(2), identity=identity(spec, None, 2))
    st.metadata_file.write_text(json.dumps(meta))
    return spec, st.path


def test_resume_refuses_a_budgeted_optimiser_search_of_an_earlier_recipe_and_says_why(tmp_path):
    text = (DATA / "search-add6108.yaml").read_text().replace("algorithm: random", "algorithm: nsga2")
    spec, path = _as_recipe_2(tmp_path, text + "budget_usd: 1.0e6\n")
    open_search(path)  # still read as it is
    with pytest.raises(InputError, match="did not yet repair portfolios over budget_usd") as err:
        SearchStore.create(path, spec)
    assert "same search" in str(err.value) and "counterflow front" in str(err.value)


@pytest.mark.parametrize("change", [("algorithm: random", "algorithm: nsga2"), ("steps: 6", "steps: 6\nbudget_usd: 1.0e6")])
def test_resume_accepts_an_earlier_recipe_where_it_asks_for_the_same_portfolios(tmp_path, change):
    text = (DATA / "search-add6108.yaml").read_text().replace(*change)
    spec, path = _as_recipe_2(tmp_path, text)
    SearchStore.create(path, spec).unlock()  # no budget with NSGA-II, or random search with a budget
