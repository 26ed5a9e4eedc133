"""Liveness of the web page on a large network: reads answer and cancel stops the job.

A 10,000-node generated network (seed 1) is uploaded to a page started in this process; while the
upload is checked (in a process of its own), ``GET /api/scenarios`` is read every 0.25 s; then the
largest job the default limits accept on that network runs, reads continue for 20 s, and the job
is cancelled. Printed: the upload check's time, the read latencies (median, maximum) during both,
and the time from cancel to the job's ``cancelled`` status. Targets (hostile-input issue): reads
under 2 s, cancel within seconds.

Usage: ``.venv/bin/python benchmarks/bench_liveness.py`` (or ``benchmarks/run_all.py liveness``);
needs the ``web`` extra. Figures: docs/robustness.md.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from counterflow.generate import generate_scenario
from counterflow.web import Limits, create_app
from counterflow.web.browser import serve_in_thread


def _read(c) -> float:
    """Seconds one ``GET /api/scenarios`` takes (it must answer 200)."""
    t = time.monotonic()
    r = c.get("/api/scenarios", timeout=30)
    if r.status_code != 200:
        raise SystemExit(f"GET /api/scenarios answered {r.status_code}")
    return time.monotonic() - t


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    sc = generate_scenario(10_000, seed=1)
    text = json.dumps(sc.to_dict())
    lim = Limits(max_upload_bytes=len(text) + 1000)
    lat_up, lat_job = [], []
    with serve_in_thread(create_app(tmp, lim)) as url, httpx.Client(base_url=url, headers={"X-Counterflow": "1"}, timeout=300) as c:
        ans = {}
        t0 = time.monotonic()
        th = threading.Thread(target=lambda: ans.update(r=c.post("/api/uploads", files={"file": ("net10k.yaml", text)})))
        th.start()
        while th.is_alive():
            lat_up.append(_read(c))
            time.sleep(0.25)
        th.join()
        t_upload = time.monotonic() - t0
        up = ans["r"]
        if up.status_code != 200:
            raise SystemExit(f"upload refused: {up.text[:300]}")
        steps = sc.steps
        runs = min(lim.max_runs, lim.max_run_steps // steps)
        extra = lim.max_run_steps // (runs * steps) - 1
        custom = [{"name": f"strike-{i}", "levers": [{"type": "strike", "schedule": {"at": 2 + i},
                   "targets": {"rule": "top_throughput", "k": 1}}]} for i in range(extra)]
        job = c.post("/api/jobs", json={"upload": up.json()["upload"], "runs": runs, "steps": steps, "custom": custom})
        jid = job.json()["id"]
        while c.get(f"/api/jobs/{jid}").json()["status"] == "queued":
            time.sleep(0.2)
        t_run0 = time.monotonic()
        while time.monotonic() - t_run0 < 20:
            lat_job.append(_read(c))
            time.sleep(0.25)
        st = c.get(f"/api/jobs/{jid}").json()["status"]
        t = time.monotonic()
        c.post(f"/api/jobs/{jid}/cancel", timeout=30)
        while c.get(f"/api/jobs/{jid}").json()["status"] == "running":
            time.sleep(0.05)
        t_cancel = time.monotonic() - t
        print(f"job: {runs} runs x {steps} steps x {1 + len(sc.strategies) + extra} strategies; status before cancel: {st}")
        print(f"upload check: {t_upload:.1f} s; reads meanwhile: {len(lat_up)}, median {statistics.median(lat_up)*1000:.0f} ms, max {max(lat_up)*1000:.0f} ms")
        print(f"reads while the job ran (20 s): {len(lat_job)}, median {statistics.median(lat_job)*1000:.0f} ms, max {max(lat_job)*1000:.0f} ms")
        print(f"cancel to cancelled: {t_cancel:.2f} s; final status {c.get(f'/api/jobs/{jid}').json()['status']}")


if __name__ == "__main__":
    main()
