"""Drive the page in a real headless Chromium: used by the end-to-end test and for the README screenshot.

Needs Playwright for Python and a Chromium binary (Debian's ``chromium``
package; never ``playwright install``). Regenerate the screenshots (``make screenshots``) with::

    python -m counterflow.web.browser --out-dir docs/img
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from .app import create_app

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "serve_in_thread", "launch", "run_in_page", "legibility", "main",
           "make_demo_stores", "store_screenshots", "tooltip_targets", "hover_tooltip"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True, name="counterflow-test-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def launch(executable: str = CHROMIUM):
    """A headless Chromium browser (Playwright) started from ``executable``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def run_in_page(page, url: str, strategies: list[str], runs: int | None = None, steps: int | None = None,
                timeout_ms: int = 120_000) -> None:
    """Run the built-in ``caribbean`` with ``strategies`` (and any composed ones) and wait for the results.

    Opens the page unless it is already open; keeps strategies composed in the page. ``runs`` and
    ``steps`` left ``None`` keep the page's defaults (the command line's).
    """
    if not page.url.startswith(url):
        page.goto(url + "/")
    page.wait_for_selector("#strategy-list input[value=baseline]")
    if page.input_value("#scenario-select") != "caribbean" or page.locator("#scenario-file").input_value():
        page.select_option("#scenario-select", "caribbean")
        page.wait_for_function("document.getElementById('scenario-desc').textContent.startsWith('caribbean')")
    for box in page.locator("#strategy-list input[data-kind=carried]:not([disabled])").all():
        box.set_checked(box.get_attribute("value") in strategies)
    if runs is not None:
        page.fill("#runs", str(runs))
    if steps is not None:
        page.fill("#steps", str(steps))
    page.click("#start")
    last = strategies[-1] if strategies else "baseline"
    page.wait_for_selector(f"#compare-table thead th[data-strategy='{last}']", timeout=timeout_ms)
    page.wait_for_selector("#chart svg", timeout=timeout_ms)


_LEGIBILITY_JS = """
(root) => {
  const scope = document.querySelector(root);
  const small = [], overflow = [], titles = [];
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest("title, desc, style, script, noscript")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    if (!rects.length) continue;                       // not rendered (closed details, hidden)
    let size = parseFloat(getComputedStyle(el).fontSize), turned = false;
    if (el instanceof SVGElement && el.getScreenCTM) {
      const m = el.getScreenCTM();
      size *= Math.hypot(m.a, m.b);
      turned = Math.abs(m.b) > Math.abs(m.a);         // rotated text (a y-axis title): its height is its width
    }
    const tall = Math.min(...rects.map((r) => (turned ? r.width : r.height)));
    if (size < 11 || tall < 11) small.push(`${node.textContent.trim().slice(0, 40)} (${size.toFixed(1)}px font, ${tall.toFixed(1)}px tall)`);
  }
  for (const el of [document.documentElement, ...scope.querySelectorAll("*")]) {
    if (el instanceof SVGElement && !(el instanceof SVGSVGElement)) continue;   // shapes inside a chart: no box
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      overflow.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className && el.className.baseVal === undefined ? el.className : ""} ${el.scrollWidth}>${el.clientWidth}`);
    }
  }
  for (const svg of scope.querySelectorAll(".vega svg, .chart svg")) {
    titles.push([...svg.querySelectorAll(".role-axis-title text")].map((t) => t.textContent));
  }
  return { small, overflow, titles };
}
"""


def legibility(page, root: str = "body") -> dict:
    """Measure what a reader sees under ``root``: text under 11 px, elements wider than their box, axis titles.

    Returns ``{"small": [...], "overflow": [...], "titles": [[axis titles of chart 1], ...]}``: text nodes
    whose font (times any SVG scaling) or line box is under 11 px, elements whose ``scrollWidth`` exceeds
    their ``clientWidth`` (and the document itself), and the axis titles of every Vega chart.
    """
    return page.evaluate(_LEGIBILITY_JS, root)


_TOOLTIP_TARGETS_JS = """
async (args) => {
  // the marks of one chart that carry a tooltip, each with a screen point on it: a symbol's centre, 40 % along a
  // rule, the middle sample point of a line (Vega shows a line's tooltip only near its points). Measured once the
  // chart has stopped moving: its box is the same over two animation frames (rendering, resizing, scrolling done)
  const [sel] = args;
  const frame = () => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
  let box = "";
  for (let i = 0; i < 50; i++) {
    const s = document.querySelector(sel);
    const now = s ? JSON.stringify(s.getBoundingClientRect()) : "";
    if (now && now === box) break;
    box = now;
    await frame();
  }
  const svg = document.querySelector(sel);
  if (!svg) return [];
  const out = [];
  const at = (el, x, y) => { const m = el.getScreenCTM(); return [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]; };
  for (const el of svg.querySelectorAll("path, line, rect")) {
    const item = el.__data__;
    if (!item || !item.mark || !el.getClientRects().length) continue;
    let point = null, tip = item;
    if (item.mark.marktype === "line" || item.mark.marktype === "area" || item.mark.marktype === "trail") {
      const items = item.mark.items || [];
      tip = items[Math.floor(items.length / 2)];
      if (tip) point = at(el, tip.x, tip.y);
    } else if (el.tagName === "line") {
      const g = (k) => parseFloat(el.getAttribute(k) || "0");
      point = at(el, 0.6 * g("x1") + 0.4 * g("x2"), 0.6 * g("y1") + 0.4 * g("y2"));
    } else {
      const r = el.getBoundingClientRect();
      point = [r.x + r.width / 2, r.y + r.height / 2];
    }
    if (!point || !tip || tip.tooltip === undefined || tip.tooltip === null) continue;
    if (point[0] < 0 || point[1] < 0 || point[0] >= innerWidth || point[1] >= innerHeight) continue;  // off screen
    if (document.elementFromPoint(point[0], point[1]) !== el) continue;   // under another mark there
    out.push({ x: point[0], y: point[1], mark: item.mark.marktype, datum: tip.datum || {} });
  }
  return out;
}
"""


def tooltip_targets(page, chart: str) -> list[dict]:
    """The marks of the chart ``chart`` (a CSS selector of its ``svg``) that carry a tooltip.

    Each: ``{"x", "y", "mark", "datum"}``, a point on the mark in page coordinates, its Vega mark type and
    the data row behind it. Only marks on screen and on top at that point count (scroll the chart into view
    first); empty when no mark of the chart has a tooltip.
    """
    return page.evaluate(_TOOLTIP_TARGETS_JS, [chart])


def hover_tooltip(page, target: dict, timeout_ms: int = 5_000) -> str:
    """Move the mouse onto ``target`` (one of :func:`tooltip_targets`) and return the tooltip's text as shown.

    The text is that of Vega's tooltip element (``#vg-tooltip-element``, made visible by the hover). The mouse
    first goes off every chart (the tooltip hides, so the one that shows is this mark's), then onto the mark in
    one move: a move in steps can pass over another mark on the way, whose tooltip, shown next to the pointer,
    could lie over the target when the pointer arrives (the page's tooltips take no pointer events for that
    reason, but a single move does not depend on it).
    """
    page.mouse.move(1, 1)
    page.wait_for_selector("#vg-tooltip-element.visible", state="detached", timeout=timeout_ms)
    page.mouse.move(target["x"], target["y"])
    page.wait_for_selector("#vg-tooltip-element.visible", timeout=timeout_ms)
    return page.inner_text("#vg-tooltip-element")


SHOTS = {
    "web.png": "the page at 1366 x 768 after a run: summary and the comparison table",
    "web-time.png": "the page: one quantity over time, levels and the paired difference per strategy",
    "web-map.png": "the page: the map of one strategy's paired effect",
    "web-events.png": "the page: the strategies in words and what their levers did",
    "report-top.png": "the HTML report of the same job: at a glance and the comparison",
    "report-time.png": "the report: reaching consumers over time",
    "report-map.png": "the report: the map of the first strategy",
}
STORE_SHOTS = {
    "web-front.png": "the page: a search store's front (table, parallel coordinates, trade-offs)",
    "web-portfolio.png": "the page: one portfolio's runs in every future, and its comparison form",
    "web-sweep.png": "the page: a sweep store's summaries per strategy and outcome",
}


def make_demo_stores(folder: Path) -> Path:
    """A small search store (the caribbean search example, shortened) and a small sweep store in ``folder``.

    Made with the command line (``counterflow search`` and ``counterflow sweep``), for the screenshots.
    """
    import subprocess
    import sys

    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    search = {"scenario": "caribbean", "budget_usd": 6.0e7, "steps": 26, "futures": 2, "replications": 1,
              "evaluations": 12, "population": 6, "seed": 1,
              "levers": [{"type": "strike", "damage": {"low": 0.0, "high": 1.0},
                          "targets": {"rule": ["top_throughput", "betweenness"], "k": [1, 2]},
                          "schedule": {"start": 4, "every": [4, 8, 12]}, "unit_cost": 2.0e6},
                         {"type": "maritime_interdiction", "intensity": {"low": 0.0, "high": 0.5},
                          "zone": {"mode": "sea"}, "lethal": [False, True], "schedule": {"start": 4},
                          "unit_cost": 1.0e5},
                         {"type": "humanitarian_aid", "intensity": {"low": 0.0, "high": 1.0}, "jurisdiction": "VE",
                          "schedule": {"start": 4}, "unit_cost": 2.0e5}],
              "objectives": [{"outcome": "flow_reduction_pct", "direction": "max", "robustness": "mean"},
                             {"outcome": "civilian_harm", "direction": "min", "robustness": "p90"},
                             {"outcome": "cost_usd", "direction": "min"}],
              "constraints": [{"outcome": "civilian_harm", "max": 200}],
              "uncertainties": [{"path": "parameters.learning_rate", "low": 0.05, "high": 0.5}]}
    sweep = {"scenario": "caribbean", "strategies": ["port-strike", "boat-strikes"], "sampler": "lhs",
             "samples": 4, "replications": 2, "seed": 3, "steps": 26,
             "uncertainties": [{"path": "organisations.org_a.risk_aversion", "low": 0.5, "high": 2.0}],
             "outcomes": ["delivered_kg", "flow_reduction_pct", "civilian_harm", "backlash", "cost_usd"]}
    files = folder / ".files"
    files.mkdir(exist_ok=True)
    (files / "search.yaml").write_text(yaml.safe_dump(search, sort_keys=False))
    (files / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False))
    for args in (["search", str(files / "search.yaml"), "--store", str(folder / "caribbean-search")],
                 ["sweep", str(files / "sweep.yaml"), "--store", str(folder / "caribbean-sweep")]):
        subprocess.run([sys.executable, "-m", "counterflow", *args], check=True)
    return folder


def store_screenshots(browser, url: str, out: Path) -> None:
    """Open the first search store and the first sweep store the page lists and save :data:`STORE_SHOTS`."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(url + "/")
    page.wait_for_selector("#stores a")
    page.locator("#stores li", has_text="search").first.locator("a").click()
    page.wait_for_selector("#store-tradeoffs svg", timeout=60_000)
    page.wait_for_timeout(500)
    page.locator("#store-panel").screenshot(path=str(out / "web-front.png"))
    page.locator("#store-table tbody tr button").first.click()
    page.wait_for_selector("#portfolio-table tbody tr")
    page.locator("#portfolio-panel").screenshot(path=str(out / "web-portfolio.png"))
    page.locator("#stores li", has_text="sweep").first.locator("a").click()
    page.wait_for_selector("#store-panel[data-kind=sweep] #store-table tbody tr")
    page.locator("#store-panel").screenshot(path=str(out / "web-sweep.png"))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: run the page with real results and save the screenshots of every results view."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=Path("docs/img"), help="folder for the PNG files")
    ap.add_argument("--runs", type=int, default=None, help="runs (default: the page's, the CLI's 20)")
    ap.add_argument("--steps", type=int, default=None, help="horizon (default: the scenario's)")
    ap.add_argument("--strategies", nargs="+", default=["port-strike", "strike-campaign", "boat-strikes"])
    ap.add_argument("--stores", type=Path, default=None,
                    help="a folder of search and sweep stores to show (default: small ones made for the shots)")
    ap.add_argument("--only", choices=["all", "jobs", "stores"], default="all",
                    help="refresh only the job views or only the store views")
    args = ap.parse_args(argv)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    if args.only in ("all", "stores"):
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.stores or make_demo_stores(Path(tmp) / "stores")
            with serve_in_thread(create_app(Path(tmp) / "jobs", stores=[folder])) as url, launch() as browser:
                store_screenshots(browser, url, out)
        for name, what in STORE_SHOTS.items():
            print(f"wrote {out / name}: {what}")
    if args.only == "stores":
        return
    with tempfile.TemporaryDirectory() as store, serve_in_thread(create_app(store)) as url, launch() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        run_in_page(page, url, args.strategies, args.runs, args.steps, timeout_ms=900_000)
        page.select_option("#map-strategy", args.strategies[0])
        page.wait_for_selector("#map svg")
        page.wait_for_timeout(500)
        page.locator("#summary-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(out / "web.png"))
        page.locator("#charts-panel").screenshot(path=str(out / "web-time.png"))
        page.locator("#map-panel").screenshot(path=str(out / "web-map.png"))
        page.locator("#events details").first.locator("summary").click()
        page.locator("#events-panel").screenshot(path=str(out / "web-events.png"))
        job = page.evaluate("location.hash.split('=')[1]")
        html = page.request.get(f"{url}/api/jobs/{job}/download/report.html").body()
        saved = Path(store) / "report.html"
        saved.write_bytes(html)
        report = browser.new_page(viewport={"width": 1366, "height": 768})
        report.goto(saved.as_uri())
        report.wait_for_function("document.querySelectorAll('.chart svg').length === "
                                 "document.querySelectorAll('.chart').length")
        report.screenshot(path=str(out / "report-top.png"))
        report.locator("#time-delivered").screenshot(path=str(out / "report-time.png"))
        report.locator("#map-0").screenshot(path=str(out / "report-map.png"))
    for name, what in SHOTS.items():
        print(f"wrote {out / name}: {what}")


if __name__ == "__main__":
    main()
