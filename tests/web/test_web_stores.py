"""Stores in the page: only stores under the folders the server was given, refusals as 4xx, the CLI's numbers."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re

import pytest
import yaml
from typer.testing import CliRunner

from counterflow.cli import app
from counterflow.web import Limits, create_app

from .conftest import TestClient, flat_intervals


def client_over(tmp_path, *folders, **limits) -> TestClient:
    return TestClient(create_app(tmp_path / "jobs", Limits(**limits), stores=list(folders)),
                      headers={"X-Counterflow": "1"})


def _ids(c) -> dict[str, dict]:
    r = c.get("/api/stores")
    assert r.status_code == 200, r.text
    return {s["name"]: s for s in r.json()["stores"]}


def test_only_listed_stores_open_and_bad_ones_are_refused_with_4xx(tmp_path):
    """Traversal, unknown ids, a store behind a link leaving the folder, damaged and locked stores: each a clear
    4xx (409 for a store being written), never a 500."""
    root = tmp_path / "stores"
    (root / "team" / "broken").mkdir(parents=True)
    (root / "team" / "broken" / "metadata.json").write_text("{not json")
    (root / "odd").mkdir()
    (root / "odd" / "metadata.json").write_text(json.dumps({"hello": 1}))
    (root / "half").mkdir()  # looks like a search store, holds nothing readable
    (root / "half" / "metadata.json").write_text(json.dumps({"kind": "search", "search": {}, "scenario_doc": {}}))
    (root / "empty-sweep").mkdir()
    (root / "empty-sweep" / "metadata.json").write_text(json.dumps({"fingerprint": "x", "strategies": ["baseline"]}))
    (root / "busy").mkdir()
    (root / "busy" / "metadata.json").write_text(json.dumps({"kind": "search"}))
    outside = tmp_path / "elsewhere" / "secret"
    outside.mkdir(parents=True)
    (outside / "metadata.json").write_text(json.dumps({"kind": "search"}))
    (root / "link").symlink_to(outside.parent, target_is_directory=True)
    (root / "typed").mkdir()  # a sweep's keys with the wrong types: listed as damaged, the listing survives
    (root / "typed" / "metadata.json").write_text(json.dumps({"fingerprint": "x", "strategies": 5}))
    (root / "leak").mkdir()  # a store whose metadata is a link to a file outside the folder
    (outside.parent / "meta.json").write_text(json.dumps({"fingerprint": "x", "strategies": ["a"], "n_runs": 7}))
    (root / "leak" / "metadata.json").symlink_to(outside.parent / "meta.json")
    fd = os.open(root / "busy" / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a search writing the store holds this
    try:
        with client_over(tmp_path, root) as c:
            listed = _ids(c)
            assert set(listed) == {"stores/team/broken", "stores/odd", "stores/half", "stores/empty-sweep",
                                   "stores/busy", "stores/typed", "stores/leak"}, "the store behind the link is not listed"
            assert listed["stores/team/broken"]["kind"] == listed["stores/odd"]["kind"] == "damaged"
            assert listed["stores/typed"]["kind"] == listed["stores/leak"]["kind"] == "damaged"
            assert "7 runs" not in json.dumps(listed["stores/leak"]), "nothing is read through a link leaving the folder"
            assert "links outside" in listed["stores/leak"]["problem"]
            assert listed["stores/busy"]["in_use"] and not listed["stores/half"]["in_use"]
            assert c.get("/api/config").json()["stores_available"] is True
            for name, status, code in [("stores/team/broken", 422, "damaged_store"), ("stores/odd", 422, "damaged_store"),
                                       ("stores/half", 422, "damaged_store"), ("stores/empty-sweep", 422, "damaged_store"),
                                       ("stores/busy", 409, "store_in_use"), ("stores/typed", 422, "damaged_store"),
                                       ("stores/leak", 422, "damaged_store")]:
                r = c.get(f"/api/stores/{listed[name]['id']}")
                assert (r.status_code, r.json()["error"]["code"]) == (status, code), (name, r.text)
                assert str(tmp_path) not in r.json()["error"]["message"], "messages name the store, not the path"
            assert "being written" in c.get(f"/api/stores/{listed['stores/busy']['id']}").json()["error"]["message"]
            for bad in ["..%2F..%2Fetc%2Fpasswd", "..", "0123456789abcdef", str(outside).replace("/", "%2F"),
                        "de23af52b88caad4x"]:
                r = c.get(f"/api/stores/{bad}")
                assert r.status_code == 404, (bad, r.text)
            r = c.get(f"/api/stores/{listed['stores/empty-sweep']['id']}/portfolios/0")
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_a_search", r.text
            r = c.post(f"/api/stores/{listed['stores/half']['id']}/portfolios/0/compare", json={"runs": 2})
            assert r.status_code == 422 and r.json()["error"]["code"] == "damaged_store", r.text
    finally:
        os.close(fd)
    with client_over(tmp_path) as c:  # no folders given: nothing to list, nothing to open
        assert c.get("/api/stores").json()["stores"] == []
        assert c.get("/api/config").json()["stores_available"] is False


def test_serve_refuses_a_stores_path_that_is_not_a_folder(tmp_path):
    r = CliRunner().invoke(app, ["serve", "--stores", str(tmp_path / "nope"), "--port", "0"])
    assert r.exit_code == 2 and "is not a folder" in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_store_views_give_the_cli_numbers(store_folder, tmp_path):
    """The page's front is `counterflow front --json` and its sweep summaries `counterflow analyze --json`, number
    for number; a portfolio's runs are its stored rows; its comparison job equals `counterflow compare --json`."""
    from counterflow.report.front import front_table, sweep_table
    from counterflow.report.specs import front_specs, sweep_spec
    from counterflow.search.front import open_search

    with client_over(tmp_path, store_folder) as c:
        listed = _ids(c)
        name = f"{store_folder.name}/search"
        assert listed[name]["kind"] == "search" and listed[f"{store_folder.name}/sweep"]["kind"] == "sweep"
        view = c.get(f"/api/stores/{listed[name]['id']}").json()
        cli = json.loads(CliRunner().invoke(app, ["front", str(store_folder / "search"), "--json"]).stdout)
        assert cli.pop("store") == str(store_folder / "search") and view["front"].pop("store") == name
        assert view["front"] == cli
        assert view["table"] == front_table(cli)
        assert flat_intervals(view) == [], "an interval of no width reads (no spread across runs)"
        assert view["specs"] == json.loads(json.dumps(front_specs(cli, 860)))
        assert set(view["specs"]) == {"parallel", "tradeoffs"} and len(view["specs"]["tradeoffs"]["concat"]) == 2
        for key, spec in view["specs"].items():  # every figure's marks carry the portfolio's tooltip
            text = json.dumps(spec)
            assert '"tooltip": [{"field": "portfolio"' in text and '"title": "Cost"' in text, key
        assert [r["eval"] for r in view["table"]["rows"]] == [p["eval"] for p in cli["portfolios"]]

        sweep = c.get(f"/api/stores/{listed[f'{store_folder.name}/sweep']['id']}").json()
        out = CliRunner().invoke(app, ["analyze", str(store_folder / "sweep"), "--json"])
        assert out.exit_code == 0, out.output
        doc = json.loads(out.stdout)
        doc.pop("store"), sweep["analysis"].pop("store")
        assert sweep["analysis"] == doc
        assert sweep["table"] == sweep_table(doc)
        assert sweep["specs"]["effects"] == json.loads(json.dumps(sweep_spec(doc, 860)))
        assert '"tooltip": [{"field": "strategy"' in json.dumps(sweep["specs"]["effects"])
        assert flat_intervals(sweep) == [], "a range with equal ends reads (5–95 % range: one value)"
        points = sweep["specs"]["effects"]["data"]["values"]
        e = doc["strategies"]["port-strike"]["delivered_kg"]
        assert [p["diff"] for p in points if p["strategy"] == "port-strike"][0] == pytest.approx(e["diff_mean"])
        cell = sweep["table"]["rows"][0]["cells"]["port-strike"]
        assert cell["delta"].startswith("Δ ")
        if e["diff_mean"] == 0 and "(no spread across runs)" in cell["delta"]:
            assert "better" not in cell  # every paired difference is 0 (the strike never fired): no share shown
        else:
            assert cell["better"].startswith("better in")
        assert "delta" not in sweep["table"]["rows"][0]["cells"]["baseline"]

        # a portfolio opens its runs: every stored row of the evaluation, in sample and out of sample
        sid = listed[name]["id"]
        member = cli["portfolios"][0]["eval"]
        p = c.get(f"/api/stores/{sid}/portfolios/{member}").json()
        spec, st = open_search(store_folder / "search")
        rows = st.read("search", {member})
        ins = [r for r in p["rows"] if r["stage"] == "in sample"]
        assert len(ins) == len(rows) == spec.futures * spec.replications
        k = [o["name"] for o in p["outcomes"]].index("flow_reduction_pct")
        assert [r["outcomes"][k] for r in ins] == pytest.approx(rows["flow_reduction_pct"].tolist())
        assert len(p["rows"]) - len(ins) == spec.oos_futures * spec.oos_replications
        assert p["discovery"].startswith("Scenario discovery: ") and yaml.safe_load(p["strategy_yaml"]) == p["strategy"]
        assert c.get(f"/api/stores/{sid}/portfolios/9999").status_code == 404
        assert c.get(f"/api/stores/{sid}/portfolios/x").status_code == 422
        assert c.get(f"/api/stores/{listed[f'{store_folder.name}/sweep']['id']}/portfolios/0").status_code == 404

        # ... and runs as a strategy against no action: a normal job whose numbers are `compare`'s
        r = c.post(f"/api/stores/{sid}/portfolios/{member}/compare", json={"runs": 400})
        assert r.status_code == 422 and r.json()["error"]["code"] == "over_limit", r.text
        r = c.post(f"/api/stores/{sid}/portfolios/{member}/compare", json={"runs": 3, "seed": 4})
        assert r.status_code == 202, r.text
        job = c.app.state.jobs.wait(r.json()["id"], timeout=300)
        assert job["status"] == "done", job
        assert job["request"]["steps"] == spec.steps == p["compare"]["steps"]
        result = c.get(f"/api/jobs/{job['id']}/results").json()
    scen = tmp_path / "scenario.yaml"
    scen.write_text(yaml.safe_dump(spec.scenario_doc, sort_keys=False))
    strat = tmp_path / "portfolio.yaml"
    strat.write_text(p["strategy_yaml"])  # the strategy file the page shows
    out = CliRunner().invoke(app, ["compare", str(scen), "-s", str(strat), "--runs", "3", "--seed", "4",
                                   "--steps", str(spec.steps), "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert result["compare"] == doc
    assert f"portfolio-{member}" in json.dumps(doc["strategies"])


@pytest.mark.slow
def test_a_portfolio_compared_in_a_sampled_future_gives_compare_on_that_futures_scenario(store_folder, tmp_path):
    """The portfolio's comparison in one of the search's futures runs on the scenario with that future's values:
    its numbers equal `counterflow compare` on the scenario file the page offers for that future (values as the
    store's futures table holds them), with the portfolio's strategy file. Unknown futures are a 404."""
    from counterflow.search.front import open_search

    spec, st = open_search(store_folder / "search")
    fut = st.futures()
    path = spec.experiment.names[0]  # parameters.learning_rate
    with client_over(tmp_path, store_folder) as c:
        sid = _ids(c)[f"{store_folder.name}/search"]["id"]
        member = c.get(f"/api/stores/{sid}").json()["front"]["portfolios"][0]["eval"]
        p = c.get(f"/api/stores/{sid}/portfolios/{member}").json()
        assert [(f["sample"], f["future"]) for f in p["futures"]] == \
            [("search", k) for k in range(spec.futures)] + [("oos", k) for k in range(spec.oos_futures)]
        value = float(fut[(fut.stage == "oos") & (fut.future == 1)][path].iloc[0])
        assert p["futures"][spec.futures + 1]["values"] == [value]
        r = c.get(f"/api/stores/{sid}/scenario.yaml", params={"future": 1, "sample": "oos"})
        assert r.status_code == 200 and "oos-future-1.yaml" in r.headers["content-disposition"], r.text
        text = r.text  # the scenario file the page offers for this future
        assert yaml.safe_load(text)["parameters"]["learning_rate"] == value
        assert spec.scenario_doc.get("parameters", {}).get("learning_rate") != value
        nominal = yaml.safe_load(c.get(f"/api/stores/{sid}/scenario.yaml").text)
        assert nominal == json.loads(json.dumps(spec.scenario_doc))
        for bad, status in [({"future": 99}, 404), ({"future": 0, "sample": "other"}, 422), ({"future": -1}, 422)]:
            assert c.get(f"/api/stores/{sid}/scenario.yaml", params=bad).status_code == status, bad
            rr = c.post(f"/api/stores/{sid}/portfolios/{member}/compare", json={"runs": 2, **bad})
            assert rr.status_code == status, (bad, rr.text)
        for bad in ({"future": True}, {"steps": "8"}, {"seed": True}, {"runs": 2.0}):  # wrong types: not coerced
            rr = c.post(f"/api/stores/{sid}/portfolios/{member}/compare", json={"runs": 2, **bad})
            assert rr.status_code == 422 and rr.json()["error"]["field"] == next(iter(bad)), (bad, rr.text)
        r = c.post(f"/api/stores/{sid}/portfolios/{member}/compare",
                   json={"runs": 3, "seed": 4, "future": 1, "sample": "oos"})
        assert r.status_code == 202, r.text
        job = c.app.state.jobs.wait(r.json()["id"], timeout=300)
        assert job["status"] == "done", job
        assert job["request"]["future"] == {"sample": "oos", "future": 1, "values": {path: value}}
        result = c.get(f"/api/jobs/{job['id']}/results").json()
    scen = tmp_path / "future.yaml"
    scen.write_text(text)
    strat = tmp_path / "portfolio.yaml"
    strat.write_text(p["strategy_yaml"])
    out = CliRunner().invoke(app, ["compare", str(scen), "-s", str(strat), "--runs", "3", "--seed", "4",
                                   "--steps", str(spec.steps), "--json"])
    assert out.exit_code == 0, out.output
    assert result["compare"] == json.loads(out.stdout)
    scen.write_text(yaml.safe_dump(nominal, sort_keys=False))  # ... and they are that future's, not the nominal's
    out = CliRunner().invoke(app, ["compare", str(scen), "-s", str(strat), "--runs", "3", "--seed", "4",
                                   "--steps", str(spec.steps), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["strategies"] != result["compare"]["strategies"]


def test_damaged_files_in_real_stores_are_a_422(store_folder, tmp_path):
    """A search store with a truncated evaluation file and a sweep store with a truncated chunk: 422 with the
    reason, not a 500 (copies of the session's stores are damaged, not the stores themselves)."""
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(store_folder / "search", folder / "search")
    shutil.copytree(store_folder / "sweep", folder / "sweep")
    evals = sorted((folder / "search" / "evals").glob("eval-*.parquet"))
    evals[0].write_bytes(evals[0].read_bytes()[:100])
    chunks = sorted((folder / "sweep" / "runs").glob("*.parquet"))
    chunks[0].write_bytes(chunks[0].read_bytes()[:100])
    with client_over(tmp_path, folder) as c:
        listed = _ids(c)
        for name in ("damaged/search", "damaged/sweep"):
            r = c.get(f"/api/stores/{listed[name]['id']}")
            assert r.status_code == 422 and r.json()["error"]["code"] == "damaged_store", r.text
            assert name in r.json()["error"]["message"] and str(tmp_path) not in r.json()["error"]["message"]
        r = c.get(f"/api/stores/{listed['damaged/search']['id']}/portfolios/0")
        assert r.status_code == 422, r.text


def test_no_request_string_opens_anything_but_a_listed_store(tmp_path_factory):
    """Property: whatever the client puts where the store id goes, the answer is a listed store or a 4xx."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    tmp = tmp_path_factory.mktemp("prop")
    root = tmp / "stores"
    (root / "a").mkdir(parents=True)
    (root / "a" / "metadata.json").write_text(json.dumps({"kind": "search"}))
    (tmp / "secret").mkdir()
    (tmp / "secret" / "metadata.json").write_text(json.dumps({"fingerprint": "x", "strategies": ["baseline"]}))
    with client_over(tmp, root) as c:
        listed = {s["id"] for s in c.get("/api/stores").json()["stores"]}

        @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.text(alphabet="./%2Fabcdef0123456789~\\sectr", max_size=40))
        def check(text):
            r = c.get(f"/api/stores/{text}")
            if text in listed:
                return
            assert r.status_code in (200, 404, 405, 422) and "secret" not in r.text, (text, r.text)
            if r.status_code == 200:  # only the listing itself (an empty id or a path that normalises to it)
                assert "stores" in r.json()

        check()


def test_a_store_written_by_another_process_is_a_409_until_the_writer_exits(store_folder, tmp_path):
    """The in-use check asks the store's lock itself: while another process holds the store's write lock (as a
    running search does, through the same StoreLock) the store is listed as being written and opening it is a
    409; once that process has exited, the page opens it."""
    import shutil
    import subprocess
    import sys

    folder = tmp_path / "live"
    shutil.copytree(store_folder / "search", folder / "search")
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys; from counterflow.experiments.store import StoreLock; "
         "StoreLock(sys.argv[1], 'search', 'evaluations').acquire(); print('held', flush=True); sys.stdin.read()",
         str(folder / "search")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert writer.stdout.readline().strip() == "held"
        with client_over(tmp_path, folder) as c:
            store = _ids(c)["live/search"]
            assert store["in_use"] is True
            r = c.get(f"/api/stores/{store['id']}")
            assert (r.status_code, r.json()["error"]["code"]) == (409, "store_in_use"), r.text
            r = c.post(f"/api/stores/{store['id']}/portfolios/0/compare", json={"runs": 2})
            assert r.status_code == 409, r.text
            writer.stdin.close()
            assert writer.wait(timeout=60) == 0
            store = _ids(c)["live/search"]
            assert store["in_use"] is False
            r = c.get(f"/api/stores/{store['id']}")
            assert r.status_code == 200 and r.json()["kind"] == "search", r.text
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()


def test_probing_a_store_never_turns_its_writer_away(tmp_path):
    """Readers probe the lock (a shared flock taken and dropped at once) while a writer takes and releases it
    again and again: the writer always gets it, and a probe sees it in use exactly while it is held."""
    import threading

    from counterflow.experiments.store import StoreLock, lock_in_use

    path = tmp_path / "store"
    assert lock_in_use(path) is False  # no store, no lock file: nothing written, nothing created
    assert not path.exists()
    lock = StoreLock(path, "search", "evaluations")
    stop = threading.Event()
    probes = [0]

    def probe() -> None:
        while not stop.is_set():
            lock_in_use(path)
            probes[0] += 1

    threads = [threading.Thread(target=probe) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(200):
            lock.acquire()  # raises InputError if a probe turned it away
            assert lock_in_use(path) is True
            lock.release()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert probes[0] > 200 and lock_in_use(path) is False


def test_a_lock_file_that_is_a_pipe_or_a_link_marks_the_store_damaged_and_never_blocks(tmp_path):
    """A store whose ``.lock`` is a named pipe, or a link (even one staying inside the folder), is listed as
    damaged and refused with 422: the probe opens it without blocking and without following links, and reads
    nothing from a file that is not a regular one."""
    root = tmp_path / "stores"
    meta = json.dumps({"fingerprint": "x", "strategies": ["baseline"], "n_runs": 7})
    for name in ["pipe", "link", "link-to-pipe", "fine"]:
        (root / name).mkdir(parents=True)
        (root / name / "metadata.json").write_text(meta)
    os.mkfifo(root / "pipe" / ".lock")
    (root / "link" / ".lock").symlink_to(root / "link" / "metadata.json")
    (root / "link-to-pipe" / ".lock").symlink_to(root / "pipe" / ".lock")
    (root / "fine" / ".lock").write_text("")
    import threading

    done, stuck = threading.Event(), []

    def release_blocked_readers() -> None:  # a guard: a probe stuck on the pipe makes the test fail, not hang
        if done.wait(60):
            return
        stuck.append(True)
        while not done.wait(0.1):
            with contextlib.suppress(OSError):
                os.close(os.open(root / "pipe" / ".lock", os.O_WRONLY | os.O_NONBLOCK))

    guard = threading.Thread(target=release_blocked_readers)
    guard.start()
    try:
        with client_over(tmp_path, root) as c:
            listed = _ids(c)
    finally:
        done.set()
        guard.join()
    answered = not stuck
    assert answered, "listing the stores waited on a .lock that is a named pipe"
    with client_over(tmp_path, root) as c:
        listed = _ids(c)
        assert listed["stores/fine"]["kind"] == "sweep" and listed["stores/fine"]["in_use"] is False
        for name, words in [("pipe", "named pipe"), ("link", "a link"), ("link-to-pipe", "a link")]:
            store = listed[f"stores/{name}"]
            assert store["kind"] == "damaged" and store["in_use"] is False, store
            assert words in store["problem"] and "7 runs" not in json.dumps(store), store
            r = c.get(f"/api/stores/{store['id']}")
            assert (r.status_code, r.json()["error"]["code"]) == (422, "damaged_store"), r.text
            assert words in r.json()["error"]["message"] and str(tmp_path) not in r.json()["error"]["message"]


@pytest.mark.parametrize("name", ['Caribe 東" x', "Caribe \"test\"; filename*=UTF-8''x.html"])
def test_the_scenario_download_keeps_any_scenario_name_inside_its_file_name(store_folder, tmp_path, name):
    """A scenario's name with a quote, a semicolon or a non-ASCII letter is offered as its file name: an ASCII
    fallback in ``filename`` and the exact name in ``filename*``; it never breaks the header (a 500) nor adds a
    parameter to it."""
    import shutil
    from urllib.parse import unquote

    folder = tmp_path / "named"
    shutil.copytree(store_folder / "search", folder / "search")
    meta = json.loads((folder / "search" / "metadata.json").read_text())
    meta["scenario_doc"]["name"] = name
    (folder / "search" / "metadata.json").write_text(json.dumps(meta))
    meta["fingerprint"] = open_search_unchecked(folder / "search").fingerprint()  # the store as a search by
    (folder / "search" / "metadata.json").write_text(json.dumps(meta))  # that name would have written it
    with client_over(tmp_path, folder) as c:
        r = c.get(f"/api/stores/{_ids(c)['named/search']['id']}/scenario.yaml")
    assert r.status_code == 200, r.text
    header = r.headers["content-disposition"]
    kind, *parts = [p.strip() for p in header.split(";")]  # no value may hold a ';' of its own
    params = dict(p.split("=", 1) for p in parts)
    assert kind == "attachment" and set(params) == {"filename", "filename*"}, header
    assert re.fullmatch(r'"[A-Za-z0-9._-]+"', params["filename"]), header
    assert params["filename*"].startswith("UTF-8''") and unquote(params["filename*"][7:]) == f"{name}.yaml"
    assert yaml.safe_load(r.text)["name"] == name


def open_search_unchecked(store):
    """The search a store's metadata describes, parsed as :func:`open_search` does, without its fingerprint check."""
    import tempfile
    from pathlib import Path

    from counterflow.search.spec import parse_search

    meta = json.loads((Path(store) / "metadata.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        scen = Path(tmp) / "scenario.yaml"
        scen.write_text(yaml.safe_dump(meta["scenario_doc"], sort_keys=False))
        return parse_search({**meta["search"], "scenario": str(scen)}, file=None, text=meta.get("search_file", ""))
