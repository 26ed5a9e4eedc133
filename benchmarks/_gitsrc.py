"""An earlier commit's ``src`` for the A/B benchmarks (``bench_engine --ab``, ``bench_load`` with ``LOAD_BASE``)."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def base_src(commit: str) -> Path:
    """``commit``'s ``src`` folder, extracted once into a temporary folder (its kernel cache is kept there)."""
    full = subprocess.run(["git", "-C", str(ROOT), "rev-parse", commit], capture_output=True, text=True,
                          check=True).stdout.strip()
    dest = Path(tempfile.gettempdir()) / f"counterflow-ab-{full[:12]}"
    if not (dest / "src" / "counterflow").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = dest / "src.tar"
        with archive.open("wb") as f:
            subprocess.run(["git", "-C", str(ROOT), "archive", full, "src"], stdout=f, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
        archive.unlink()
    return dest / "src"
