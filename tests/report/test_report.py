"""The HTML report: self-contained, every figure inlined and written as PNG, plain-language table."""

from __future__ import annotations

import base64
import io
import re

import matplotlib.image as mpimg
import numpy as np
import pytest

from counterflow.engine import Engine
from counterflow.errors import InputError
from counterflow.report import map_flows, write_report
from counterflow.report.tables import PLAIN_LABELS
from counterflow.runner import network_for, replication_seed, run_replications
from counterflow.strategy import BASELINE

FIGURES = ("delivery", "indicators", "map")


def test_report_is_self_contained(written_report):
    """No external resource: no http(s) URL in src/href, no script or stylesheet links; images are data URIs."""
    html = written_report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and "<link" not in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == len(FIGURES)


def test_inlined_figures_are_the_png_files(written_report):
    """Each inlined image decodes to a PNG identical to the one written next to the report."""
    html = written_report.read_text(encoding="utf-8")
    blobs = re.findall(r'<img alt="(\w+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert [name for name, _ in blobs] == list(FIGURES)
    folder = written_report.with_name(written_report.stem + "_figures")
    for name, data in blobs:
        raw = base64.b64decode(data)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        assert raw == (folder / f"{name}.png").read_bytes()
        img = mpimg.imread(io.BytesIO(raw), format="png")
        assert img.shape[0] > 200 and img.shape[1] > 600
        assert img[..., :3].std() > 0.05  # not blank


def test_table_names_every_strategy_with_plain_headers(written_report, small_results):
    """The comparison table has a row per strategy and the plain-language column headers."""
    html = written_report.read_text(encoding="utf-8")
    strategies, res = small_results
    for name in res.strategies:
        assert (name if name != "baseline" else "no action (baseline)") in html
    for label in ("Drugs reaching consumers (tonnes)", "Civilian casualties (expected)", "Backlash (0 to 1, mean)",
                  "Cost per kg kept off the market (USD)"):
        assert label in html and label in PLAIN_LABELS.values()
    for st in strategies:
        if st.description:
            assert st.description.split("(")[0].strip()[:30] in html


def test_report_needs_per_step_results(caribbean, small_results, tmp_path):
    """Results run without keep_steps give one clear InputError, not a traceback deep in pandas."""
    strategies, _ = small_results
    res = run_replications(caribbean, strategies[:2], runs=1, seed=0, steps=5)
    with pytest.raises(InputError, match="keep_steps"):
        write_report(caribbean, res, tmp_path / "r.html", strategies[:2])


def test_map_flows_before_the_first_action_is_the_baseline(caribbean, small_results):
    """Under common random numbers a strategy's flow before its first action equals the baseline's, edge by edge."""
    strategies, _ = small_results
    st = next(s for s in strategies if s.name == "port-strike")
    t0 = st.first_action()
    [(name, before, after)] = map_flows(caribbean, [st], seed=4, steps=24)
    net = network_for(caribbean)
    base = Engine(net, BASELINE, np.random.default_rng(replication_seed(4, 0))).run(24)
    np.testing.assert_allclose(before, base.edge_flow[max(0, t0 - 8):t0].mean(axis=0), rtol=1e-6)
    assert name == "port-strike" and after.shape == (net.n_edges,) and (after >= 0).all()
