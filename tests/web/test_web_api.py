"""The web API: every endpoint, bad uploads, limits, cancel, and the store across restarts."""

from __future__ import annotations

import io
import json
import re
import time
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from counterflow import load_scenario, parse_strategy, resolve_strategies
from counterflow.levers import LEVERS
from counterflow.runner import run_replications
from counterflow.web.app import STATIC_DIR

CARIBBEAN = resources.files("counterflow.data").joinpath("caribbean.yaml").read_text(encoding="utf-8")


def error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"]
    if code:
        assert err["code"] == code, err
    return err


# ---------------------------------------------------------------- reading
def test_index_and_static_assets_are_local(client):
    """The page and every script/style it loads come from this server; no asset refers to another host."""
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "default-src 'self'" in r.headers["content-security-policy"]
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/static/app.js" in refs and "/static/style.css" in refs
    for path in STATIC_DIR.iterdir():
        if path.is_dir():
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path.name
        assert client.get(f"/static/{path.name}").status_code == 200
    # the vendored chart libraries are served from here too, with their licences
    scripts = re.findall(r'<script src="([^"]+)"', r.text)
    assert {"/static/vendor/vega.min.js", "/static/vendor/vega-lite.min.js", "/static/vendor/vega-embed.min.js",
            "/static/vendor/vega-interpreter.js"} <= set(scripts)
    for src in scripts:
        assert client.get(src).status_code == 200, src
    assert all((STATIC_DIR / "vendor" / f"LICENSE-{n}.txt").is_file()
               for n in ("vega", "vega-lite", "vega-embed", "vega-interpreter"))
    imports = {m for p in STATIC_DIR.glob("*.js") for m in re.findall(r'from "\./([\w.]+)"', p.read_text())}
    assert imports and all((STATIC_DIR / m).is_file() for m in imports)


def test_openapi_lists_every_endpoint(client):
    """/openapi.json documents the whole API the page uses."""
    paths = client.get("/openapi.json").json()["paths"]
    for p in ["/api/config", "/api/scenarios", "/api/scenarios/{name}", "/api/uploads", "/api/uploads/{ident}",
              "/api/levers", "/api/strategies/check", "/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/cancel",
              "/api/jobs/{job_id}/results", "/api/jobs/{job_id}/download/{name}", "/api/outlines"]:
        assert p in paths, p
    assert "delete" in paths["/api/jobs/{job_id}"]


def test_config_reports_limits_and_features(client):
    """Config states the limits in force and that the report and outlines are available."""
    c = client.get("/api/config").json()
    assert c["limits"]["max_active_jobs"] >= 1 and c["limits"]["max_upload_bytes"] > 0
    assert c["report_available"] and c["outlines_available"]


def test_scenarios_and_detail(client):
    """Built-ins are listed; a scenario's view has located nodes, valid edges and baseline first."""
    names = [s["name"] for s in client.get("/api/scenarios").json()]
    assert "caribbean" in names
    v = client.get("/api/scenarios/caribbean").json()
    sc = load_scenario("caribbean")
    assert len(v["nodes"]) == len(sc.nodes) and len(v["edges"]) == len(sc.edges)
    ids = {n["id"] for n in v["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in v["edges"])
    assert all(-90 <= n["lat"] <= 90 and -180 <= n["lon"] <= 180 for n in v["nodes"])
    assert [s["name"] for s in v["strategies"]] == sc.strategy_names()


@pytest.mark.parametrize("name", ["nope", "..", "caribbean.yaml", "%2Fetc%2Fpasswd", "..%2F..%2Fpyproject"])
def test_scenario_names_never_reach_the_file_system(client, name):
    """Only built-in names are accepted; paths and unknown names are a 404 JSON error."""
    error(client.get(f"/api/scenarios/{name}"), 404)


def test_levers_catalog_matches_the_registry(client):
    """Every registered lever is offered with exactly its declared parameters, ranges and defaults."""
    cat = client.get("/api/levers").json()
    assert {lv["type"] for lv in cat["levers"]} == set(LEVERS)
    for lv in cat["levers"]:
        cls = LEVERS[lv["type"]]
        assert lv["targets_key"] == cls.targets_key
        assert [(p["name"], p["lo"], p["hi"], p["default"]) for p in lv["params"]] == \
               [(f.name, f.lo, f.hi, f.default) for f in cls.params]
    assert "top_throughput" in cat["rules"]


def test_outlines_are_geojson(client):
    """Country outlines come from the shipped file as a GeoJSON FeatureCollection."""
    fc = client.get("/api/outlines").json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) > 10


# ---------------------------------------------------------------- uploads
def test_upload_valid_scenario_and_read_it_back(client):
    """A valid upload is validated by the library, kept once in the store (by content), and can be run."""
    r = client.post("/api/uploads", files={"file": ("my scenario.yaml", CARIBBEAN.replace("name: caribbean", "name: mine"))})
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["scenario"]["name"] == "mine" and re.fullmatch(r"[0-9a-f]{16}", up["upload"])
    assert up["filename"] == "my_scenario.yaml"
    again = client.get(f"/api/uploads/{up['upload']}").json()
    assert again["scenario"] == up["scenario"]
    same = client.post("/api/uploads", files={"file": ("other.yaml", CARIBBEAN.replace("name: caribbean", "name: mine"))})
    assert same.json()["upload"] == up["upload"] and len(list(client.app.state.jobs.uploads_dir.glob("*.yaml"))) == 1
    r = client.post("/api/jobs", json={"upload": up["upload"], "runs": 1, "steps": 5})
    assert r.status_code == 202 and r.json()["scenario"] == "mine"
    assert client.app.state.jobs.wait(r.json()["id"])["status"] == "done"


@pytest.mark.parametrize("text, field, marker, words", [
    ("name: [unclosed\n", None, None, "not valid YAML"),
    ("", None, None, "empty"),
    ("- just\n- a list\n", None, None, "expected"),
    (CARIBBEAN.replace("capacity: 6000", "capacity: -5", 1), "nodes[4].capacity", "capacity: -5", "must be"),
    (CARIBBEAN.replace("kind: hub", "kind: warehouse", 1), "nodes[4].kind", "kind: warehouse", "warehouse"),
])
def test_bad_uploads_name_field_and_line(client, text, field, marker, words):
    """Bad scenario files get the CLI's error: message, file, field path and line, as a 422."""
    err = error(client.post("/api/uploads", files={"file": ("bad.yaml", text)}), 422)
    assert words in err["message"] and err["file"] == "bad.yaml"
    assert err["field"] == field
    if marker is not None:
        assert err["line"] == text[:text.index(marker)].count("\n") + 1
    assert client.get("/api/jobs").json() == [] and not any((client.app.state.jobs.uploads_dir).iterdir())


def test_upload_not_text_and_too_large(tmp_path, client_with):
    """Binary uploads are a 422; uploads over the size limit are a 413, before any parsing."""
    with client_with(tmp_path, max_upload_bytes=2000) as c:
        err = error(c.post("/api/uploads", files={"file": ("x.yaml", b"\xff\xfe\x00bin")}), 422)
        assert "UTF-8" in err["message"]
        err = error(c.post("/api/uploads", files={"file": ("big.yaml", CARIBBEAN)}), 413, "too_large")
        assert "2,000" in err["message"]
        body = json.dumps({"scenario": "caribbean", "custom": [{"name": "x" * 200_000}]})
        error(c.post("/api/jobs", content=body, headers={"content-type": "application/json"}), 413, "too_large")


def test_unknown_upload_id(client):
    """Upload ids are checked against the store's own ids; anything else is a 404."""
    for ident in ["0123456789abcdef", "ABCDEF0123456789", "x"]:
        error(client.get(f"/api/uploads/{ident}"), 404)
    error(client.post("/api/jobs", json={"upload": "../../etc/passwd"}), 404, "unknown_upload")


# ------------------------------------------------------------- strategies
def test_strategy_check_normalises_a_good_strategy(client, job_request):
    """A composed strategy is validated by the library and returned in file form."""
    r = client.post("/api/strategies/check", json={"scenario": "caribbean", "strategy": job_request["custom"][0]})
    assert r.status_code == 200, r.text
    st = r.json()["strategy"]
    sc = load_scenario("caribbean")
    assert parse_strategy(st, scenario=sc) == parse_strategy(job_request["custom"][0], scenario=sc)


@pytest.mark.parametrize("lever, field", [
    ({"type": "strike", "targets": {"nodes": ["port_main"]}, "schedule": {"at": 3}, "intel_accuracy": 2},
     "levers[0].intel_accuracy"),
    ({"type": "strike", "targets": {"nodes": ["atlantis"]}, "schedule": {"at": 3}}, "levers[0].targets.nodes[0]"),
    ({"type": "strike", "targets": {"nodes": ["port_main"]}}, "levers[0]"),
    ({"type": "teleport", "schedule": {"at": 1}}, "levers[0].type"),
    ({"type": "strike", "targets": {"nodes": ["port_main"]}, "schedule": {"start": 9, "until": 2}},
     "levers[0].schedule.until"),
])
def test_strategy_errors_name_the_field(client, lever, field):
    """Invalid levers are a 422 whose field path lets the page mark the input."""
    body = {"scenario": "caribbean", "strategy": {"name": "s", "levers": [lever]}}
    err = error(client.post("/api/strategies/check", json=body), 422, "invalid_strategy")
    assert err["field"] == field


def test_strategy_names_are_checked(client):
    """Composed strategies need a plain name that does not clash with the scenario's."""
    for name in ["", "port-strike", "baseline", "a/b", "x" * 61]:
        body = {"scenario": "caribbean", "strategy": {"name": name, "levers": []}}
        assert error(client.post("/api/strategies/check", json=body), 422)["field"] == "name"


# ------------------------------------------------------------------- jobs
def test_finished_job_matches_the_library(finished, job_request):
    """The job's comparison equals `compare` on run_replications with the same seed, and its runs count once."""
    from counterflow.report.content import compare_doc
    from counterflow.web.views import clean

    c, job = finished
    assert job["done"] == job["total"] == 3 * 3 and job["strategies"] == ["baseline", "port-strike", "hub-strike"]
    view = c.get(f"/api/jobs/{job['id']}/results").json()
    sc = load_scenario("caribbean")
    strategies = resolve_strategies(sc, ["port-strike"]) + [parse_strategy(job_request["custom"][0], scenario=sc)]
    ref = run_replications(sc, strategies, runs=3, seed=7, steps=16)
    assert view["compare"] == json.loads(json.dumps(clean(compare_doc(ref))))
    assert [row["metric"] for row in view["table"]] == view["metrics"]
    assert set(view["maps"]) == {"port-strike", "hub-strike"} and set(view["time"]) >= {"delivered", "harm"}


def test_a_fixed_cost_shows_no_flat_interval_on_the_page(finished):
    """A strategy's cost is the same in every run: the page's table writes its difference "Δ 2.00M (no spread
    across runs)" as `compare` does, says what that means under the table, and no text of the results (table,
    sentences, tooltips) shows an interval with two equal bounds."""
    from counterflow.report.words import INTERVAL_NOTE, NO_SPREAD

    from .conftest import flat_intervals

    c, job = finished
    view = c.get(f"/api/jobs/{job['id']}/results").json()
    cost = next(row for row in view["table"] if row["metric"] == "cost_usd")["cells"]
    assert cost["port-strike"]["delta"] == f"Δ 2.00M {NO_SPREAD}" and cost["hub-strike"]["delta"].endswith(NO_SPREAD)
    assert view["interval_note"] == INTERVAL_NOTE
    assert flat_intervals(view) == []
    assert "res.interval_note" in (STATIC_DIR / "app.js").read_text(encoding="utf-8")  # shown under the table


def test_downloads(finished):
    """CSV and Parquet downloads hold the same per-run and per-step tables; unknown names are a 404."""
    c, job = finished
    base = f"/api/jobs/{job['id']}/download"
    runs_csv = pd.read_csv(io.StringIO(c.get(f"{base}/runs.csv").text))
    runs_pq = pd.read_parquet(io.BytesIO(c.get(f"{base}/runs.parquet").content))
    assert len(runs_csv) == len(runs_pq) == 3 * 3
    assert set(runs_pq.strategy) == set(job["strategies"])
    assert np.allclose(runs_csv.delivered_kg, runs_pq.delivered_kg)
    steps = pd.read_parquet(io.BytesIO(c.get(f"{base}/steps.parquet").content))
    assert steps.step.max() == 15 and set(steps.replication) == {0, 1, 2}
    assert "attachment" in c.get(f"{base}/steps.csv").headers["content-disposition"]
    for name in ["job.json", "../job.json", "results.pkl", "x"]:
        assert c.get(f"{base}/{name}").status_code == 404


@pytest.mark.slow
def test_report_download(finished):
    """The HTML report is written by counterflow.report on first request and then served from the store."""
    c, job = finished
    r = c.get(f"/api/jobs/{job['id']}/download/report.html")
    assert r.status_code == 200 and r.text.lstrip().lower().startswith("<!doctype html")
    assert "hub-strike" in r.text
    assert c.get(f"/api/jobs/{job['id']}/download/report.html").content == r.content


def test_job_list_and_unknown_job(finished):
    """Jobs are listed newest first; unknown or malformed ids are a 404 on every job endpoint."""
    c, job = finished
    assert job["id"] in [j["id"] for j in c.get("/api/jobs").json()]
    for bad in ["0123456789abcdef", "..", "x"]:
        error(c.get(f"/api/jobs/{bad}"), 404)
        error(c.post(f"/api/jobs/{bad}/cancel"), 404)
        error(c.get(f"/api/jobs/{bad}/results"), 404)
        error(c.delete(f"/api/jobs/{bad}"), 404)


@pytest.mark.parametrize("change, field, code", [
    ({"runs": 500}, "runs", "over_limit"),
    ({"runs": 200, "steps": 104}, "runs", "over_limit"),
    ({"steps": 10_000}, "steps", "over_limit"),
    ({"runs": 0}, "runs", "invalid_request"),
    ({"seed": -1}, "seed", "invalid_request"),
    ({"strategies": ["/etc/passwd"]}, "strategies[0]", "unknown_strategy"),
    ({"path": "/tmp/x"}, "path", "invalid_request"),
    ({"scenario": None}, "scenario", "invalid_request"),
    ({"upload": "0123456789abcdef"}, "scenario", "invalid_request"),
    # wrong JSON types are refused, not coerced: true is not 1 run, "52" is not 52 weeks, 2.0 is not 2 runs
    ({"runs": True}, "runs", "invalid_request"),
    ({"seed": False}, "seed", "invalid_request"),
    ({"steps": "52"}, "steps", "invalid_request"),
    ({"runs": 2.0}, "runs", "invalid_request"),
])
def test_job_requests_over_limits_or_invalid(client, change, field, code, job_request):
    """Over-limit or malformed job requests are a 422 naming the field; no job is created."""
    err = error(client.post("/api/jobs", json={**job_request, **change}), 422, code)
    assert err["field"] == field
    assert client.get("/api/jobs").json() == []


def test_work_limit_message_states_the_numbers(tmp_path, job_request, client_with):
    """The runs x steps x strategies limit explains itself with the numbers."""
    with client_with(tmp_path, max_run_steps=100) as c:
        err = error(c.post("/api/jobs", json={**job_request, "runs": 3, "steps": 16}), 422, "over_limit")
        assert "3 runs x 16 steps x 3 strategies = 144" in err["message"] and "100" in err["message"]


def test_cancel_and_concurrent_job_limit(tmp_path, client_with):
    """With one job allowed, a second is a 429; cancel stops the first between replications."""
    with client_with(tmp_path, max_active_jobs=1) as c:
        big = {"scenario": "caribbean", "strategies": ["port-strike"], "runs": 200, "steps": 52}
        first = c.post("/api/jobs", json=big).json()
        err = error(c.post("/api/jobs", json={**big, "runs": 1}), 429, "too_many_jobs")
        assert "limit is 1" in err["message"]
        error(c.get(f"/api/jobs/{first['id']}/results"), 409, "not_finished")
        error(c.delete(f"/api/jobs/{first['id']}"), 409, "still_running")
        time.sleep(0.3)
        assert c.post(f"/api/jobs/{first['id']}/cancel").status_code == 200
        job = c.app.state.jobs.wait(first["id"], timeout=60)
        assert job["status"] == "cancelled" and job["done"] < job["total"]
        error(c.post(f"/api/jobs/{first['id']}/cancel"), 409, "not_running")
        error(c.get(f"/api/jobs/{first['id']}/download/runs.csv"), 409, "not_finished")
        second = c.post("/api/jobs", json={**big, "runs": 1, "steps": 4})
        assert second.status_code == 202


def test_store_survives_restart_and_delete(tmp_path, job_request, client_with):
    """A new server on the same store serves finished results unchanged and marks unfinished jobs interrupted."""
    with client_with(tmp_path) as c:
        job = c.post("/api/jobs", json={**job_request, "runs": 2, "steps": 8}).json()
        c.app.state.jobs.wait(job["id"])
        before = c.get(f"/api/jobs/{job['id']}/results").content
        csv = c.get(f"/api/jobs/{job['id']}/download/runs.csv").content
    # a job the previous server left running
    stale = dict(json.loads((tmp_path / "jobs" / job["id"] / "job.json").read_text()), id="00000000000000aa",
                 status="running")
    (tmp_path / "jobs" / stale["id"]).mkdir()
    (tmp_path / "jobs" / stale["id"] / "job.json").write_text(json.dumps(stale))
    with client_with(tmp_path) as c:
        assert c.get(f"/api/jobs/{job['id']}").json()["status"] == "done"
        assert c.get(f"/api/jobs/{job['id']}/results").content == before
        assert c.get(f"/api/jobs/{job['id']}/download/runs.csv").content == csv
        old = c.get(f"/api/jobs/{stale['id']}").json()
        assert old["status"] == "interrupted" and "start it again" in old["error"]["message"]
        assert c.delete(f"/api/jobs/{job['id']}").status_code == 204
        error(c.get(f"/api/jobs/{job['id']}"), 404)
        assert not (tmp_path / "jobs" / job["id"]).exists()


# ------------------------------------------------ hostile clients and damaged stores
def test_state_changes_need_the_page_header_and_same_origin(tmp_path):
    """A cross-site form (no custom header) or a request from another origin cannot change anything."""
    from fastapi.testclient import TestClient

    from counterflow.web import create_app

    with TestClient(create_app(tmp_path)) as bare:
        assert bare.get("/api/scenarios").status_code == 200  # reading needs no header
        err = error(bare.post("/api/uploads", files={"file": ("x.yaml", CARIBBEAN)}), 403, "missing_header")
        assert "X-Counterflow" in err["message"]
        error(bare.post("/api/jobs", json={"scenario": "caribbean", "runs": 1}), 403, "missing_header")
        error(bare.delete("/api/jobs/0123456789abcdef"), 403, "missing_header")
        evil = {"X-Counterflow": "1", "Origin": "http://evil.example"}
        error(bare.post("/api/uploads", files={"file": ("x.yaml", CARIBBEAN)}, headers=evil), 403, "cross_origin")
        error(bare.post("/api/jobs", json={}, headers={"X-Counterflow": "1", "Origin": "null"}), 403, "cross_origin")
        same = {"X-Counterflow": "1", "Origin": "http://testserver"}
        assert bare.post("/api/uploads", files={"file": ("x.yaml", CARIBBEAN)}, headers=same).status_code == 200
    assert not list((tmp_path / "jobs").iterdir())


@pytest.mark.parametrize("host, ok", [
    ("127.0.0.1:8000", True), ("127.0.0.1", True), ("127.8.9.10:80", True), ("localhost:8000", True),
    ("[::1]:8000", True), ("[::1]", True), ("LOCALHOST", True),
    ("attacker.example", False), ("attacker.example:8000", False), ("10.0.0.1:8000", False),
    ("[::ffff:10.0.0.1]:80", False), ("localhost.attacker.example", False), ("", False)])
def test_loopback_server_checks_every_host_form(tmp_path, host, ok):
    """Bound to loopback (IPv4 or IPv6), only Host headers naming this machine are served (no DNS rebinding)."""
    from fastapi.testclient import TestClient

    from counterflow.web import create_app

    with TestClient(create_app(tmp_path, loopback_only=True)) as c:
        r = c.get("/api/config", headers={"Host": host})
        if ok:
            assert r.status_code == 200, r.text
        else:
            error(r, 400, "invalid_host")


def _chunked_upload(url: str, total: int, chunk: int = 1 << 20) -> tuple[bytes, int]:
    """POST a multipart body of ``total`` bytes with chunked transfer encoding; return (response, bytes sent)."""
    import select
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=30)
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.yaml\"\r\n"
            "Content-Type: application/x-yaml\r\n\r\n").encode()
    sock.sendall((f"POST /api/uploads HTTP/1.1\r\nHost: {u.netloc}\r\nX-Counterflow: 1\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n").encode())
    sent, answer = 0, b""
    block = b"a: " + b"x" * (chunk - 4) + b"\n"
    try:
        sock.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break
            sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
            sent += len(block)
        else:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass
    try:
        sock.settimeout(30)
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"}}" in answer:
                break
    except OSError:
        pass
    sock.close()
    return answer, sent


@pytest.mark.timeout(120)
def test_chunked_upload_over_the_limit_is_refused_early(tmp_path):
    """A 200 MB chunked body (no Content-Length) gets 413 after about the limit, not after reading it all."""
    from counterflow.web import Limits, create_app
    from counterflow.web.browser import serve_in_thread

    with serve_in_thread(create_app(tmp_path, Limits(max_upload_bytes=1_000_000))) as url:
        answer, sent = _chunked_upload(url, 200_000_000)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"too_large" in answer
    assert sent < 50_000_000, f"{sent:,} bytes were accepted before the refusal"
    assert not list((tmp_path / "uploads").iterdir())


def test_cancel_kills_the_job_process_and_deadline_stops_a_job(tmp_path, client_with):
    """Cancel kills the job's process at once (not after the replication); the time limit fails the job."""
    big = {"scenario": "caribbean", "strategies": ["port-strike"], "runs": 200, "steps": 52}
    with client_with(tmp_path, max_job_seconds=3) as c:
        jobs = c.app.state.jobs
        first = c.post("/api/jobs", json=big).json()
        deadline = time.monotonic() + 120
        while jobs.get(first["id"])["status"] == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        job = jobs.wait(first["id"], timeout=120)
        assert job["status"] == "failed" and "longer than the limit of 3 s" in job["error"]["message"], job
        assert jobs.process(first["id"]) is None
    with client_with(tmp_path) as c:
        jobs = c.app.state.jobs
        second = c.post("/api/jobs", json=big).json()
        deadline = time.monotonic() + 120
        while jobs.get(second["id"])["done"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc = jobs.process(second["id"])
        assert proc is not None and proc.is_alive()
        assert c.post(f"/api/jobs/{second['id']}/cancel").status_code == 200
        job = jobs.wait(second["id"], timeout=60)
        assert job["status"] == "cancelled" and proc.exitcode == -9
        assert not list(jobs.job_dir(second["id"]).glob("*.tmp*"))
        assert c.delete(f"/api/jobs/{second['id']}").status_code == 204


@pytest.mark.parametrize("damage", ["truncated", "empty", "not a job", "missing"])
def test_damaged_job_file_is_listed_with_a_message(tmp_path, client_with, damage):
    """A truncated, empty, foreign or missing job.json shows the job as damaged, with why; it can be deleted."""
    with client_with(tmp_path) as c:
        job = c.post("/api/jobs", json={"scenario": "caribbean", "runs": 1, "steps": 3}).json()
        assert c.app.state.jobs.wait(job["id"])["status"] == "done"
    f = tmp_path / "jobs" / job["id"] / "job.json"
    text = f.read_text()
    {"truncated": lambda: f.write_text(text[: len(text) // 2]), "empty": lambda: f.write_bytes(b""),
     "not a job": lambda: f.write_text("[1, 2]"), "missing": f.unlink}[damage]()
    with client_with(tmp_path) as c:
        listed = {j["id"]: j for j in c.get("/api/jobs").json()}
        got = listed[job["id"]]
        assert got["status"] == "damaged" and "job.json" in got["error"]["message"]
        err = error(c.get(f"/api/jobs/{job['id']}/results"), 409, "not_finished")
        assert "damaged" in err["message"] and "delete" in err["message"]
        error(c.post(f"/api/jobs/{job['id']}/cancel"), 409, "not_running")
        assert c.delete(f"/api/jobs/{job['id']}").status_code == 204
        assert not (tmp_path / "jobs" / job["id"]).exists() and c.get("/api/jobs").json() == []


def test_lost_result_files_and_running_delete_answer_with_a_message(tmp_path, client_with):
    """A finished job whose files were removed answers 410 naming the file; deleting a running job is a 409."""
    with client_with(tmp_path, max_active_jobs=2) as c:
        job = c.post("/api/jobs", json={"scenario": "caribbean", "runs": 1, "steps": 3}).json()
        assert c.app.state.jobs.wait(job["id"])["status"] == "done"
        (tmp_path / "jobs" / job["id"] / "view.json").unlink()
        (tmp_path / "jobs" / job["id"] / "runs.csv").write_bytes(b"")
        (tmp_path / "jobs" / job["id"] / "steps.csv").unlink()
        assert "view.json" in error(c.get(f"/api/jobs/{job['id']}/results"), 410, "damaged_job")["message"]
        error(c.get(f"/api/jobs/{job['id']}/download/steps.csv"), 410, "damaged_job")
        running = c.post("/api/jobs", json={"scenario": "caribbean", "runs": 200, "steps": 52}).json()
        err = error(c.delete(f"/api/jobs/{running['id']}"), 409, "still_running")
        assert "cancel it first" in err["message"]
        c.post(f"/api/jobs/{running['id']}/cancel")
        assert c.app.state.jobs.wait(running["id"])["status"] == "cancelled"
        assert c.delete(f"/api/jobs/{running['id']}").status_code == 204
        assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == [job["id"]]


def test_upload_check_has_a_time_limit(tmp_path, client_with):
    """A file whose check takes longer than the limit is refused (413, naming the limit); its process is gone."""
    import multiprocessing

    from counterflow.generate import generate_scenario

    text = json.dumps(generate_scenario(1500, seed=2).to_dict())
    with client_with(tmp_path, max_upload_bytes=len(text) + 1000, max_parse_seconds=0.2) as c:
        err = error(c.post("/api/uploads", files={"file": ("slow.yaml", text)}), 413, "too_large")
        assert err["file"] == "slow.yaml" and "longer than the limit of 0.2 s" in err["message"]
        assert not [p for p in multiprocessing.active_children() if p.name == "counterflow-upload-check"]
        assert not list((tmp_path / "uploads").iterdir())
        assert c.get("/api/scenarios").status_code == 200


def test_uploads_over_the_active_check_limit_get_429(tmp_path, client_with):
    """With ``max_active_parses`` checks in progress, a further upload waits, then gets 429; once one ends it is taken."""
    with client_with(tmp_path, max_active_parses=1) as c:
        checks = c.app.state.jobs._parses  # the counter every upload check takes a place in
        assert checks.acquire(timeout=1)  # one upload is being checked
        try:
            err = error(c.post("/api/uploads", files={"file": ("next.yaml", CARIBBEAN)}), 429, "too_many_uploads")
            assert err["file"] == "next.yaml" and "1 uploads are already being checked" in err["message"]
            assert not list((tmp_path / "uploads").iterdir())
        finally:
            checks.release()
        assert c.post("/api/uploads", files={"file": ("next.yaml", CARIBBEAN)}).status_code == 200


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_server_answers_while_the_largest_job_runs_on_a_10k_network(tmp_path):
    """Liveness: while a 10,000-node upload is checked, and during the largest job the limits accept on it,
    reads answer and cancel stops the job.

    The bounds are generous (this checks that the server is not frozen, not its speed): the upload is parsed
    and the job runs in processes of their own, so neither can hold the server's interpreter lock.
    """
    import threading

    import httpx

    from counterflow.generate import generate_scenario
    from counterflow.web import Limits, create_app
    from counterflow.web.browser import serve_in_thread

    sc = generate_scenario(10_000, seed=1)
    text = json.dumps(sc.to_dict())  # JSON is YAML, and quick to write
    lim = Limits(max_upload_bytes=len(text) + 1000)
    with serve_in_thread(create_app(tmp_path, lim)) as url, \
            httpx.Client(base_url=url, headers={"X-Counterflow": "1"}, timeout=300) as c:
        answer: dict = {}
        uploading = threading.Thread(target=lambda: answer.update(
            r=c.post("/api/uploads", files={"file": ("net10k.yaml", text)})))
        uploading.start()
        reads = 0
        while uploading.is_alive():  # the file is parsed for seconds; reads keep being answered meanwhile
            r = c.get("/api/scenarios", timeout=5)
            assert r.status_code == 200 and r.json()
            reads += uploading.is_alive()
            time.sleep(0.5)
        uploading.join()
        assert reads >= 3, f"only {reads} reads answered while the upload was checked"
        up = answer["r"]
        assert up.status_code == 200, up.text[:500]
        steps = sc.steps
        runs = min(lim.max_runs, lim.max_run_steps // steps)
        extra = lim.max_run_steps // (runs * steps) - 1  # composed strategies that still fit the work limit
        custom = [{"name": f"strike-{i}", "levers": [{"type": "strike", "schedule": {"at": 2 + i},
                   "targets": {"rule": "top_throughput", "k": 1}}]} for i in range(extra)]
        body = {"upload": up.json()["upload"], "runs": runs, "steps": steps, "custom": custom}
        job = c.post("/api/jobs", json=body)
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        deadline = time.monotonic() + 600
        while c.get(f"/api/jobs/{job_id}").json()["status"] == "queued" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.get(f"/api/jobs/{job_id}").json()["status"] == "running"
        for _ in range(5):  # the server answers while the job computes (each read bounded by a 10 s timeout)
            r = c.get("/api/scenarios", timeout=10)
            assert r.status_code == 200 and r.json()
            time.sleep(0.5)
        assert c.get(f"/api/jobs/{job_id}").json()["status"] == "running"
        assert c.post(f"/api/jobs/{job_id}/cancel", timeout=10).status_code == 200
        deadline = time.monotonic() + 60
        while c.get(f"/api/jobs/{job_id}").json()["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.get(f"/api/jobs/{job_id}").json()["status"] == "cancelled"


@pytest.mark.parametrize("body, words", [
    (b'{"scenario": "caribbean",\n "runs": 3,', "line 2 column 12"),
    (b"not json", "Expecting value: line 1 column 1"),
    (b'{"scenario": "caribbean",}', "Expecting property name enclosed in double quotes: line 1 column 26"),
])
def test_a_body_that_is_not_json_gets_a_message_that_says_where(client, body, words):
    """Unparseable JSON is a 400 saying what was wrong and where (it was a 422 naming the character position
    as a field, "field '[26]': JSON decode error"); no job is created."""
    for path in ("/api/jobs", "/api/strategies/check"):
        err = error(client.post(path, content=body, headers={"Content-Type": "application/json"}), 400, "invalid_json")
        assert err["message"].startswith("the request body is not valid JSON: ") and words in err["message"], err
        assert "field" not in err
    assert client.get("/api/jobs").json() == []


@pytest.mark.parametrize("content_type, body, words", [
    ("multipart/form-data; boundary=xyz", b"garbage--",
     "the body does not start with the boundary line '--xyz' that the Content-Type header declares"),
    ('multipart/form-data; boundary="xyz"', b"--abc\r\n", "does not start with the boundary line '--xyz'"),
    ("multipart/form-data", b"--xyz\r\n", "the Content-Type header names no boundary"),
    ("multipart/form-data; boundary=xyz", b"--xyzQ\r\n",
     "a boundary line '--xyz' is not followed by a line break (CRLF)"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nBad Header\r\n\r\nx\r\n--xyz--\r\n",
     "the headers of a part are malformed: each must read 'Name: value'"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--xyz--\r\n",
     "a part of the body has no name in its Content-Disposition header"),
])
def test_a_body_that_is_not_multipart_gets_a_message_that_says_what(client, content_type, body, words):
    """An upload whose multipart body cannot be read is a 400 saying plainly what is wrong with it, in the
    sender's terms (the boundary its Content-Type header declares), not the parser's: it was "Invalid multipart
    data.", then the parser's "expected boundary character '-', got 'g' at index 2"."""
    err = error(client.post("/api/uploads", content=body, headers={"Content-Type": content_type}), 400,
                "invalid_multipart")
    assert err["message"].startswith("the request body is not valid multipart/form-data: ") and \
        words in err["message"], err
    assert not re.search(r"index|character \d|got \d|got '|\(\d+\)| at \d", err["message"]), err
    assert err["field"] == "file"


def test_lists_in_a_composed_strategy_are_bounded(client, job_request):
    """A schedule listing 100,000 steps was accepted (and slowed every step): ``schedule.at`` may list at most
    the horizon's steps (the longest a job may ask for when only checking), a target list at most as many
    entries as the scenario has of that kind, and a job at most the strategy limit before any is parsed; each a
    422 naming the field; no job is created."""
    def strike(**change):
        lever = {"type": "strike", "targets": {"nodes": ["port_main"]}, "schedule": {"at": 3}} | change
        return {"name": "many", "levers": [lever]}

    job = {**job_request, "steps": 16}
    err = error(client.post("/api/jobs", json={**job, "custom": [strike(schedule={"at": [3] * 17})]}), 422,
                "over_limit")
    assert err["field"] == "levers[0].schedule.at" and "at most 16" in err["message"], err
    assert client.post("/api/jobs", json={**job, "runs": 1, "custom": [strike(schedule={"at": list(range(16))})]}
                       ).status_code == 202
    err = error(client.post("/api/strategies/check", json={"scenario": "caribbean",
                                                           "strategy": strike(schedule={"at": [3] * 100_000})}),
                422, "over_limit")
    assert err["field"] == "levers[0].schedule.at" and "100,000 steps" in err["message"], err
    # a horizon over the server's limit is refused before the list is read (its bound would be that horizon)
    err = error(client.post("/api/jobs", json={**job, "steps": 10**9, "custom": [strike(schedule={"at": [3] * 100_000})]}),
                422, "over_limit")
    assert err["field"] == "steps", err
    err = error(client.post("/api/jobs", json={**job, "custom": [strike(targets={"nodes": ["a"] * 1000})]}), 422,
                "over_limit")
    assert err["field"] == "levers[0].targets.nodes", err
    err = error(client.post("/api/jobs", json={**job, "strategies": [],
                                               "custom": [{"name": f"s{i}", "levers": []} for i in range(20_000)]}),
                422, "over_limit")
    assert err["field"] == "custom", err
    assert [j["request"]["custom"][0]["name"] for j in client.get("/api/jobs").json()] == ["many"]
