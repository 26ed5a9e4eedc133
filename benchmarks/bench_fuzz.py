"""Fuzz benchmark: mutants of the shipped scenarios and of import files through the command line.

Each mutant runs in a child process killed after a time bound (``tests/robustness/harness.py``):
``validate`` (or ``import``) must refuse it with exit 2 and one message, or a short ``run`` must
complete with finite outcomes. Per mutation operator the table counts mutants, clean refusals,
completed runs, tracebacks and hangs. Parser-only mutants (``text``) are a small, separate share:
they exercise the YAML loader, not the model.

Usage::

    PYTHONPATH=src python benchmarks/bench_fuzz.py [--mutants 1200] [--seed 0] [--timeout 60] [--json OUT]

or ``python benchmarks/run_all.py fuzz``. Figures: docs/robustness.md.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.robustness.harness import run_case, warm  # noqa: E402
from tests.robustness.mutate import (  # noqa: E402
    OPERATORS,
    SHIPPED,
    candidates,
    dump,
    get,
    is_number,
    mutate,
    paths,
    shipped,
    text_mutants,
)

STATUSES = ("refused", "completed", "traceback", "hang")


def declared_fields() -> dict[str, list]:
    """Every declared numeric field by name (scenario sections, parameters, levers, schedules)."""
    from counterflow.levers import LEVERS
    from counterflow.scenario import DECLARATIONS
    from counterflow.schema import Field
    from counterflow.strategy import SCHEDULE_FIELDS

    out: dict[str, list] = defaultdict(list)
    groups = list(DECLARATIONS.values()) + [cls.params for cls in LEVERS.values()] + [SCHEDULE_FIELDS,
                                                                                        (Field("unit_cost", lo=0.0),)]
    for fields in groups:
        for f in fields:
            if f.kind in ("float", "int"):
                out[f.name].append(f)
    return out


def op_declared(data, rnd: random.Random, fields: dict):
    """A declared numeric field at its low bound, its high bound or ten times its high bound."""
    cands = [p for p in paths(data) if p and isinstance(p[-1], str) and p[-1] in fields and is_number(get(data, p))]
    if not cands:
        return data, "declared"
    p = rnd.choice(cands)
    f = rnd.choice(fields[p[-1]])
    which = rnd.choice(("low", "high", "10x high"))
    v = {"low": f.low, "high": f.high, "10x high": 10 * f.high if f.high > 0 else f.high + 1}[which]
    if f.lo_open and which == "low":
        v = f.low + (1 if f.kind == "int" else 1e-6)
    out = copy.deepcopy(data)
    get(out, p[:-1])[p[-1]] = int(v) if f.kind == "int" else v
    return out, "declared"


# ------------------------------------------------------------------------------------------ imports
def csv_tables(name: str) -> tuple[str, str]:
    from counterflow import load_scenario
    from counterflow.io.common import EDGE_KEYS, NODE_KEYS
    from counterflow.io.tables import _text

    s = load_scenario(name)
    out = []
    for keys, recs, attr in ((NODE_KEYS, s.nodes, {}), (EDGE_KEYS, s.edges, {"from": "src", "to": "dst"})):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(keys)
        for r in recs:
            w.writerow([_text(getattr(r, attr.get(k, k))) for k in keys])
        out.append(buf.getvalue())
    return out[0], out[1]


CELL_VALUES = ("inf", "-inf", "nan", "-1", "0", "1e308", "1e30", "ten", "", "1.5", "true", "2", "0.5", "7",
               "x" * (130 * 1024), "a\x00b", "\"unclosed", "1e6", "100")


def mutate_csv(text: str, rnd: random.Random) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    k = rnd.randrange(6)
    if k <= 2 and len(rows) > 1:            # one cell gets a hostile or plausible value
        r = rnd.randrange(1, len(rows))
        c = rnd.randrange(len(rows[0]))
        rows[r][c] = rnd.choice(CELL_VALUES)
    elif k == 3:                             # a column is dropped
        c = rnd.randrange(len(rows[0]))
        rows = [row[:c] + row[c + 1:] for row in rows]
    elif k == 4 and len(rows) > 2:           # a row is dropped or repeated
        r = rnd.randrange(1, len(rows))
        rows.insert(r, list(rows[r])) if rnd.random() < 0.5 else rows.pop(r)
    else:                                     # a row gets extra or fewer cells
        r = rnd.randrange(len(rows))
        rows[r] = rows[r] + ["extra"] if rnd.random() < 0.5 else rows[r][:-1]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def geojson_text(name: str) -> str:
    from counterflow import load_scenario
    from counterflow.io import to_geojson

    return json.dumps(to_geojson(load_scenario(name)))


JSON_VALUES = (None, "text", "inf", float("inf"), -1, 0, 1e308, [], {}, True, [None, None], ["a", "b"], [1.0])


def mutate_geojson(text: str, rnd: random.Random) -> str:
    data = json.loads(text)
    feats = data["features"]
    f = rnd.choice(feats)
    k = rnd.randrange(4)
    if k == 0:
        f["geometry"]["coordinates"] = rnd.choice(JSON_VALUES)
    elif k == 1:
        f["properties"][rnd.choice(list(f["properties"]) or ["id"])] = rnd.choice(JSON_VALUES)
    elif k == 2:
        del feats[rnd.randrange(len(feats))]
    else:
        depth = rnd.choice((10, 100, 2000, 100_000))
        return json.dumps(data)[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    return json.dumps(data, allow_nan=True)


def graphml_text(name: str) -> str:
    import networkx as nx

    from counterflow import load_scenario
    from counterflow.io import to_networkx

    buf = io.BytesIO()
    nx.write_graphml(to_networkx(load_scenario(name)), buf)
    return buf.getvalue().decode()


def mutate_graphml(text: str, rnd: random.Random) -> str:
    starts = [i for i in range(len(text)) if text.startswith("<data key=", i)]
    i = rnd.choice(starts)
    j = text.index(">", i) + 1
    e = text.index("</data>", j)
    return text[:j] + rnd.choice(("inf", "-1", "nan", "", "text", "1e308", "0", "2")) + text[e:]


# ---------------------------------------------------------------------------------------------- run
def make_mutants(n: int, seed: int):
    """Yield ``(operator, files, command)``: ~70 % scenario mutants, ~8 % parser-only, the rest imports."""
    rnd = random.Random(seed)
    bases = {name: shipped(name) for name in SHIPPED}
    fields = declared_fields()
    tables = {name: csv_tables(name) for name in SHIPPED}
    geo = {name: geojson_text(name) for name in SHIPPED}
    gml = {name: graphml_text(name) for name in SHIPPED}
    ops = sorted(OPERATORS)
    for i in range(n):
        name = SHIPPED[i % len(SHIPPED)]
        u = rnd.random()
        if u < 0.70:
            op = rnd.choice(ops + ["declared", "declared"])
            if op == "declared":
                data, _ = op_declared(bases[name], rnd, fields)
            else:
                cands = candidates(bases[name], op)
                data = mutate(bases[name], op, rnd.randrange(len(cands) or 1), rnd.randrange(10 ** 6))
            yield op, {"s.yaml": dump(data)}, ["validate", "{dir}/s.yaml"]
        elif u < 0.78:
            yield "text", {"s.yaml": text_mutants(dump(bases[name]), rnd.randrange(10 ** 6))}, \
                ["validate", "{dir}/s.yaml"]
        elif u < 0.90:
            nodes, edges = tables[name]
            if rnd.random() < 0.5:
                nodes = mutate_csv(nodes, rnd)
            else:
                edges = mutate_csv(edges, rnd)
            yield "import_csv", {"nodes.csv": nodes, "edges.csv": edges}, \
                ["import", "csv", "{dir}/nodes.csv", "{dir}/edges.csv"]
        elif u < 0.96:
            yield "import_geojson", {"n.geojson": mutate_geojson(geo[name], rnd)}, \
                ["import", "geojson", "{dir}/n.geojson"]
        else:
            yield "import_graphml", {"n.graphml": mutate_graphml(gml[name], rnd)}, \
                ["import", "graphml", "{dir}/n.graphml"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    ap.add_argument("--json", type=Path, default=None, help="write the table and every failure here")
    args = ap.parse_args(argv if argv is not None else [])
    warm()
    table: dict[str, Counter] = defaultdict(Counter)
    failures = []
    t0 = time.perf_counter()
    for k, (op, files, command) in enumerate(make_mutants(args.mutants, args.seed)):
        out = run_case(files, command, timeout=args.timeout)
        table[op][out.status] += 1
        table[op]["mutants"] += 1
        if out.status in ("traceback", "hang"):
            failures.append({"operator": op, "status": out.status, "detail": out.detail, "command": command,
                             "files": {n: (c if len(c) < 20000 else c[:20000] + "...") for n, c in files.items()}})
        if (k + 1) % 100 == 0:
            print(f"  {k + 1} mutants, {time.perf_counter() - t0:.0f} s", flush=True)
    total = Counter()
    for c in table.values():
        total.update(c)
    lines = [f"{'operator':16} {'mutants':>8} {'refused':>8} {'completed':>10} {'traceback':>10} {'hang':>6}"]
    for op in sorted(table) + ["total"]:
        c = total if op == "total" else table[op]
        lines.append(f"{op:16} {c['mutants']:8d} {c['refused']:8d} {c['completed']:10d} {c['traceback']:10d} "
                     f"{c['hang']:6d}")
    model = sum(c["mutants"] for op, c in table.items() if op != "text")
    passed = sum(c["completed"] for op, c in table.items() if op != "text")
    lines.append(f"passing validate and running: {passed} of {model} non-parser mutants "
                 f"({100 * passed / max(model, 1):.1f} %); {time.perf_counter() - t0:.0f} s")
    print("\n".join(lines))
    result = {"table": {op: dict(c) for op, c in table.items()}, "total": dict(total),
              "passing_share": passed / max(model, 1), "seconds": time.perf_counter() - t0,
              "failures": failures, "args": {k: str(v) for k, v in vars(args).items()}}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    for f in failures[:10]:
        print(f"--- {f['operator']} {f['status']}: {f['detail'][-800:]}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
