"""The report in a real headless Chromium: it opens offline, draws every chart as SVG and reads at 1366 x 768."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.web.browser import CHROMIUM, launch, legibility

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found (Debian's chromium package)"),
]


@pytest.mark.timeout(180)
def test_report_renders_offline_and_reads_well(written_report, small_results, tmp_path):
    """From file:// with the network blocked: every chart is an SVG with axis titles, no text under 11 px,
    nothing wider than its box, no error, no request beyond the file itself."""
    _, res = small_results
    requests: list[str] = []
    problems: list[str] = []
    with launch() as browser:
        context = browser.new_context(offline=True, viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.goto(written_report.as_uri())
        page.wait_for_load_state("load")
        charts = page.locator(".chart")
        n = charts.count()
        assert n == 6 + len(res.strategies) - 1  # six quantities over time, one map per acting strategy
        page.wait_for_function(f"document.querySelectorAll('.chart svg').length === {n}", timeout=60_000)
        seen = legibility(page, "main")
        assert seen["small"] == [] and seen["overflow"] == []
        time_titles = seen["titles"][:6]  # the six time figures come first; maps have no axes
        assert len(seen["titles"]) == n and all(t == [] for t in seen["titles"][6:])
        for titles in time_titles:
            assert "Week" in titles and all("(" in t for t in titles if t != "Week")  # y titles carry units
            assert any(t.startswith("Change (") for t in titles)
        rows = page.locator("table.compare tbody tr")
        assert rows.count() >= 10 and rows.first.is_visible()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert not problems
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
