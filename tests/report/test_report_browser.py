"""The report in a real headless Chromium: it opens offline, every image loads, nothing is fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from counterflow.web.browser import CHROMIUM, launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found (Debian's chromium package)"),
]


@pytest.mark.timeout(120)
def test_report_renders_offline(written_report, tmp_path):
    """Loaded from file:// with the network blocked, every image decodes and the table is visible."""
    requests: list[str] = []
    problems: list[str] = []
    with launch() as browser:
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(written_report.as_uri())
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
        assert len(sizes) == 3 and all(done and width > 600 for done, width in sizes)
        rows = page.locator("table").first.locator("tbody tr")
        assert rows.count() == 4 and rows.first.is_visible()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert not problems
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
