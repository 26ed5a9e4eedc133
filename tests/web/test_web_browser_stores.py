"""Stores in a real headless Chromium: a search front and a sweep's summaries, legible at 1366 x 768, and a
portfolio that opens its runs and runs against no action."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.report.words import fmt
from counterflow.web import create_app
from counterflow.web.browser import (
    CHROMIUM,
    hover_tooltip,
    launch,
    legibility,
    serve_in_thread,
    tooltip_targets,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} not found: install Debian's chromium package (.ci/run does)"),
]


@pytest.mark.timeout(300)
def test_page_opens_stores(store_folder, tmp_path):
    problems: list[str] = []
    app = create_app(tmp_path / "jobs", stores=[store_folder])
    with serve_in_thread(app) as url, launch() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: problems.append(f"external request {r.url}")
                if not r.url.startswith(url) and not r.url.startswith("data:") else None)
        page.goto(url + "/")
        page.locator("#stores a", has_text="search").click()
        page.wait_for_selector("#store-tradeoffs svg", timeout=60_000)
        page.wait_for_selector("#store-parallel svg")
        store_id = page.evaluate("location.hash.split('=')[1]")
        front = page.request.get(f"{url}/api/stores/{store_id}").json()
        rows = page.locator("#store-table tbody tr")
        assert rows.count() == len(front["front"]["portfolios"]) >= 1
        assert rows.first.locator("td").all_inner_texts()[:-1] == front["table"]["rows"][0]["cells"]
        seen = legibility(page, "#results")
        assert seen["small"] == [] and seen["overflow"] == [], seen
        titles = [t for chart in seen["titles"] for t in chart]
        assert any("Civilian harm" in t for t in titles) and any("Cost" in t for t in titles), titles

        # every chart carries tooltips: a line of the parallel coordinates, hovered anywhere along it, shows its
        # portfolio in words with every objective's value and unit as the table writes them, and a click on the
        # line opens that portfolio's runs (two lines: each opens its own)
        members = {p["eval"]: p for p in front["front"]["portfolios"]}
        cells = {r["eval"]: r["cells"] for r in front["table"]["rows"]}
        labels = [o["label"] for o in front["front"]["objectives"]]
        assert all("(" in label for label in labels), "every objective's label carries its unit"
        opened = []
        for _ in range(min(2, len(members))):
            page.locator("#store-parallel").scroll_into_view_if_needed()
            lines = [t for t in tooltip_targets(page, "#store-parallel svg")
                     if t["mark"] == "rule" and "axis2" in t["datum"] and t["datum"]["eval"] not in opened]
            assert lines, "a hover band along every line of the parallel coordinates"
            ev = lines[0]["datum"]["eval"]
            tip = hover_tooltip(page, lines[0])
            assert f"#{ev}" in tip and members[ev]["description"] in tip, tip
            for k, label in enumerate(labels):
                assert label in tip and cells[ev][2 + k] in tip, (label, tip)
            assert f"{fmt(members[ev]['cost_usd'])} USD" in tip, tip
            page.mouse.click(lines[0]["x"], lines[0]["y"])
            page.wait_for_selector(f"#portfolio-title:text-is('Portfolio {ev}: its runs')")
            opened.append(ev)
        page.locator("#store-tradeoffs").scroll_into_view_if_needed()
        points = [t for t in tooltip_targets(page, "#store-tradeoffs svg") if t["mark"] == "symbol"]
        assert points
        tip = hover_tooltip(page, points[0])
        assert members[points[0]["datum"]["eval"]]["description"] in tip and "USD" in tip, tip
        # a portfolio opens its runs (from its point in a trade-off, or its row), then runs as a strategy
        # against no action (a page job)
        page.mouse.click(points[0]["x"], points[0]["y"])
        page.wait_for_selector(f"#portfolio-title:text-is('Portfolio {points[0]['datum']['eval']}: its runs')")
        page.wait_for_selector("#portfolio-table tbody tr")
        rows.first.locator("button").click()
        page.wait_for_selector(f"#portfolio-title:text-is('Portfolio {front['front']['portfolios'][0]['eval']}: "
                               "its runs')")
        assert page.locator("#portfolio-table tbody tr").count() >= 2
        assert page.input_value("#portfolio-steps") == "6"
        assert page.inner_text("#portfolio-discovery").startswith("Scenario discovery: ")
        page.click("#portfolio-file summary")
        assert "name: portfolio-" in page.inner_text("#portfolio-yaml")
        seen = legibility(page, "#results")
        assert seen["small"] == [] and seen["overflow"] == [], seen
        member = front["front"]["portfolios"][0]["eval"]
        page.fill("#portfolio-runs", "2")
        # ... in one of the futures the search sampled, whose scenario file the page offers
        options = page.locator("#portfolio-future option").all_inner_texts()
        assert options[0].startswith("the scenario as written") and options[2].startswith("in sample future 1: ")
        page.select_option("#portfolio-future", "search:1")
        href = page.get_attribute("#portfolio-scenario", "href")
        assert href.endswith("/scenario.yaml?future=1&sample=search")
        assert "learning_rate" in page.request.get(url + href).text()
        page.click("#portfolio-run")
        page.wait_for_selector(f"#compare-table thead th[data-strategy='portfolio-{member}']", timeout=120_000)
        assert "#job=" in page.url and page.locator("#store-panel").is_hidden()
        page.wait_for_selector("#results-title:has-text('in the in-sample future 1 (parameters.learning_rate ')")
        cell = page.locator(f"#compare-table tr[data-metric=delivered_kg] td[data-strategy='portfolio-{member}']")
        assert cell.locator(".d").inner_text().startswith("Δ ")

        # a sweep store: the summaries of `analyze`
        page.locator("#stores a", has_text="sweep").click()
        page.wait_for_selector("#store-panel[data-kind=sweep] #store-table tbody tr")
        assert page.locator("#compare-table").is_hidden() and page.locator("#store-charts").is_hidden()
        page.wait_for_selector("#store-sweep svg")
        cell = page.locator("#store-table tr[data-outcome=delivered_kg] td[data-strategy=port-strike]")
        text = cell.inner_text()
        assert "Δ " in text
        # every paired difference 0 (the strike never fired in the stored steps): no "better in" share, as compare
        assert ("better in" in text) != ("Δ 0.000 (no spread across runs)" in text), text
        page.locator("#store-sweep").scroll_into_view_if_needed()
        points = tooltip_targets(page, "#store-sweep svg")
        assert points
        tip = hover_tooltip(page, points[0])
        assert "change: mean [95 % interval]" in tip and "Δ " in tip, tip
        seen = legibility(page, "#results")
        assert seen["small"] == [] and seen["overflow"] == [], seen
        page.reload()  # the address names the store
        page.wait_for_selector("#store-panel[data-kind=sweep] #store-table tbody tr")
    assert problems == []
