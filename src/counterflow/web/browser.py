"""Drive the page in a real headless Chromium: used by the end-to-end test and for the README screenshot.

Needs Playwright for Python and a Chromium binary (Debian's ``chromium``
package; never ``playwright install``). Regenerate the screenshot with::

    python -m counterflow.web.browser --out docs/img/web.png --runs 20
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

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "serve_in_thread", "launch", "run_in_page", "legibility", "main"]

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


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: run the page with real results and save a screenshot."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/img/web.png"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=52)
    ap.add_argument("--strategies", nargs="+", default=["port-strike", "strike-campaign"])
    ap.add_argument("--step", type=int, default=6, help="slider position in the screenshot")
    ap.add_argument("--zoom", type=int, default=0, help="wheel clicks zooming the map towards the Caribbean")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as store, serve_in_thread(create_app(store)) as url, launch() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        run_in_page(page, url, args.strategies, args.runs, args.steps, timeout_ms=600_000)
        page.select_option("#map-strategy", args.strategies[0])
        page.fill("#step", str(args.step))
        page.dispatch_event("#step", "input")
        box = page.locator("#map svg").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.42, box["y"] + box["height"] * 0.66)
        for _ in range(args.zoom):
            page.mouse.wheel(0, -120)
            page.wait_for_timeout(100)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), full_page=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
