"""Run every benchmark in this folder (``bench_*.py`` modules with a ``main()``) and print their figures.

Usage: ``make bench`` or ``.venv/bin/python benchmarks/run_all.py [NAME ...]``
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> None:
    wanted = set(argv)
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem[len("bench_"):]
        if wanted and name not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.main()


if __name__ == "__main__":
    main(sys.argv[1:])
