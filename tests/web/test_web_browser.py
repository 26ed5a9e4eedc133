"""End to end in a real headless Chromium: compose, run, watch, compare, download, cancel, bad upload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from counterflow import load_scenario
from counterflow.web import create_app
from counterflow.web.browser import (
    CHROMIUM,
    hover_tooltip,
    launch,
    legibility,
    run_in_page,
    serve_in_thread,
    tooltip_targets,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium package (.ci/run does)"),
]


@pytest.mark.timeout(240)
def test_page_end_to_end(tmp_path):
    """The page runs caribbean with two strategies plus a composed one and shows the comparison, map and charts,
    legibly at 1366 x 768."""
    problems: list[str] = []
    with serve_in_thread(create_app(tmp_path / "store")) as url, launch() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        # expected 422 answers (the invalid lever, the bad upload) are logged by Chromium; anything else is a problem
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "status of 422" not in m.text
                else None)
        page.on("request", lambda r: problems.append(f"external request {r.url}")
                if not r.url.startswith(url) and not r.url.startswith("data:") else None)
        page.goto(url + "/")
        page.wait_for_selector("#strategy-list input[value=port-strike]")

        # compose a strategy: an out-of-range value is shown next to its field, then fixed
        page.click("#composer summary")
        page.fill("#compose-name", "my-strike")
        page.select_option("#lever-type", "strike")
        page.click("#add-lever")
        page.select_option('[data-field="levers[0].targets.nodes"]', ["port_west"])
        field = page.locator('[data-field="levers[0].intel_accuracy"]')
        field.fill("2")
        page.click("#compose-add")
        msg = page.locator('[data-field="levers[0].intel_accuracy"] + .err-msg')
        msg.wait_for()
        assert "must be in [0, 1]" in msg.inner_text()
        assert "invalid" in field.get_attribute("class")
        field.fill("0.9")
        page.click("#compose-add")
        page.wait_for_selector("#strategy-list input[value=my-strike]")
        assert page.locator(".err-msg").count() == 0

        # the page starts from the command line's defaults and states the server's caps
        assert (page.input_value("#runs"), page.input_value("#seed"), page.input_value("#steps")) == ("20", "0", "104")
        assert "at most 200 runs" in page.inner_text("#caps")

        run_in_page(page, url, ["port-strike", "strike-campaign"], runs=3, steps=20)
        heads = page.locator("#compare-table thead th[data-strategy]")
        assert [heads.nth(i).get_attribute("data-strategy") for i in range(heads.count())] == \
            ["baseline", "port-strike", "strike-campaign", "my-strike"]
        cell = page.locator("#compare-table tr[data-metric=delivered_kg] td[data-strategy=port-strike]")
        assert cell.locator(".d").inner_text().startswith("Δ ") and "better in" in cell.inner_text()
        assert page.locator("#compare-table tr[data-metric=delivered_kg] td[data-strategy=baseline] .d").count() == 0
        assert page.inner_text("#status").endswith("done: 12 runs simulated (3 replications × 4 strategies)")

        # the map of the paired effect, its notes on the strike, and a chart per quantity
        page.select_option("#map-strategy", "port-strike")
        page.wait_for_function("document.querySelector('#map-notes').textContent.includes('hit in')")
        assert "Main dock" in page.inner_text("#map-notes")
        page.wait_for_selector("#map svg")
        page.select_option("#series-select", "harm")
        page.wait_for_function("[...document.querySelectorAll('#chart .role-axis-title text')]"
                               ".some((t) => t.textContent.includes('expected casualties'))")
        # every chart has tooltips: a week of a paired-difference panel and a place on the map give their numbers
        page.locator("#chart").scroll_into_view_if_needed()
        marks = tooltip_targets(page, "#chart svg")
        diff = [m for m in marks if "diff" in m["datum"]]
        assert diff and any("median" in m["datum"] for m in marks), marks
        tip = hover_tooltip(page, diff[0])
        assert f"Week\t\n{diff[0]['datum']['step']}" in tip and "change (" in tip and "Δ " in tip, tip
        page.locator("#map").scroll_into_view_if_needed()
        marks = tooltip_targets(page, "#map svg")
        places = [m for m in marks if m["mark"] == "symbol" and "kind" in m["datum"]]
        assert places and any("route" in m["datum"] for m in marks), marks
        place = places[0]  # one try: the first place (the production site, where many routes start)
        tip = hover_tooltip(page, place)
        assert place["datum"]["name"] in tip and "change: mean [95 % interval]" in tip and "Δ " in tip, tip
        page.locator("#events details").first.locator("summary").click()
        seen = legibility(page, "#results")
        assert seen["small"] == [] and seen["overflow"] == [], seen
        assert all("Week" in t for t in seen["titles"][:1]) and len(seen["titles"]) == 2

        shot = Path(os.environ.get("COUNTERFLOW_SCREENSHOT", tmp_path / "web.png"))
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000

        # the address names the job: reloading the page shows the same results from the store
        assert "#job=" in page.url
        page.reload()
        page.wait_for_selector("#compare-table thead th[data-strategy=my-strike]")

        # downloads are links to the API
        for name in ["runs.csv", "steps.parquet", "report.html"]:
            href = page.locator(f"#downloads a[href$='{name}']").get_attribute("href")
            assert page.request.get(url + href).status == 200

        # cancel a long job from the page
        page.fill("#runs", "200")
        page.fill("#steps", "52")
        page.click("#start")
        page.wait_for_selector("#status[data-status=running]")
        page.click("#cancel")
        page.wait_for_selector("#status[data-status=cancelled]", timeout=60_000)

        # a bad upload is reported next to the file field with file, line and field
        bad = load_scenario("caribbean").to_dict()
        page.set_input_files("#scenario-file", files=[{
            "name": "bad.yaml", "mimeType": "text/yaml",
            "buffer": b"name: bad\nsteps: -3\nnodes: []\nedges: []\njurisdictions: []\norganisations: []\nmarkets: []\n"}])
        err = page.locator("#scenario-file + .err-msg")
        err.wait_for()
        assert "bad.yaml" in err.inner_text() and "line 2" in err.inner_text() and "steps" in err.inner_text()
        assert bad["name"] == "caribbean"
    assert problems == []


@pytest.mark.timeout(120)
def test_composer_builds_a_valid_strategy_for_every_lever(tmp_path):
    """For every declared lever, the form with its defaults and one chosen target passes the library's validation."""
    from counterflow.levers import LEVERS

    with serve_in_thread(create_app(tmp_path / "store")) as url, launch() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url + "/")
        page.wait_for_selector("#strategy-list input[value=port-strike]")
        page.click("#composer summary")
        for typ in sorted(LEVERS):
            page.fill("#compose-name", f"only-{typ}")
            page.select_option("#lever-type", typ)
            page.click("#add-lever")
            card = page.locator(f"#compose-levers .lever[data-type={typ}]")
            multi = card.locator("select[multiple]")
            if multi.count():
                first = multi.first.locator("option").first.get_attribute("value")
                multi.first.select_option([first])
            page.click("#compose-add")
            page.wait_for_selector(f"#strategy-list input[value=only-{typ}]", timeout=10_000)
            assert page.locator(".err-msg").count() == 0, page.locator(".err-msg").all_inner_texts()
            card.locator("button", has_text="remove").click()
        assert page.locator("#strategy-list input[data-kind=custom]").count() == len(LEVERS)


@pytest.mark.timeout(120)
def test_the_page_writes_numbers_as_the_command_line_does(tmp_path):
    """One number rule: the page's ``fmt`` (util.js; the sweep and portfolio tables, the futures' values) writes
    every number as ``report.words.fmt`` does (the old one wrote 53,371 as "53.4k" and NaN as "—")."""
    import random

    from counterflow.report.words import fmt

    rng = random.Random(7)
    # no exact ties at the last printed digit (Python rounds those to even, JavaScript up)
    xs = [0.0, -0.0004, 0.0004, -0.0006, 0.125, 2.71, 99.94, 250.3, -53371.2, 10000.2, 999999.4, 2.2e6, -6.03e6,
          1.05e9, 3.3e12, float("inf"), float("-inf")]
    xs += [rng.choice([-1, 1]) * 10 ** rng.uniform(-4, 11) for _ in range(300)]
    with serve_in_thread(create_app(tmp_path / "store")) as url, launch() as browser:
        page = browser.new_page()
        page.goto(url + "/")
        shown = page.evaluate("""async (xs) => {
            const { fmt } = await import("/static/util.js");
            return xs.map((x) => fmt(x === "inf" ? Infinity : x === "-inf" ? -Infinity : x)).concat([fmt(null), fmt(NaN)]);
        }""", [x if abs(x) != float("inf") else ("inf" if x > 0 else "-inf") for x in xs])
    assert shown == [fmt(x) for x in xs] + ["-", "-"]
