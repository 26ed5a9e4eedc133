"""Scenario files: the network, organisations, markets and model parameters.

A scenario is plain validated data. :func:`load_scenario` reads a built-in
name (``caribbean``) or a YAML path; :meth:`Scenario.from_dict` validates
already-parsed data; :meth:`Scenario.to_dict` gives back the file form.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from . import scenario_tables
from .errors import InputError
from .kinds import EDGE_MODES, MAX_STEPS, NODE_KINDS
from .params import PARAMETER_FIELDS, Parameters
from .schema import Checker, Field
from .strategy_types import RESERVED_STRATEGY_NAMES, check_strategy_name
from .yamlio import LineMap, join_path, load_yaml, load_yaml_text

__all__ = [
    "Jurisdiction", "Node", "Edge", "Organisation", "Market", "Scenario",
    "load_scenario", "load_builtin", "builtin_scenarios", "NODE_KINDS", "EDGE_MODES",
    "MAX_STEPS", "MAX_EDGE_TIME", "DECLARATIONS", "RESERVED_STRATEGY_NAMES", "check_strategy_name",
]

INF = math.inf


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    id: str
    name: str = ""
    corruption: float = 0.0
    state_revenue: float = 1.0
    police_capacity: float = 0.5


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: str
    jurisdiction: str
    name: str = ""
    lat: float = 0.0
    lon: float = 0.0
    capacity: float = INF
    storage: float = INF
    enforcement: float = 0.0
    occupancy: float = 0.0
    dormant: bool = False


@dataclass(frozen=True, slots=True)
class Edge:
    src: str
    dst: str
    mode: str = "land"
    capacity: float = INF
    cost: float = 0.0
    time: int = 1
    risk: float = 0.0
    dormant: bool = False


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    production: dict[str, float]
    name: str = ""
    cash: float = 0.0
    risk_aversion: float = 1.0
    loss_tolerance: float = 0.1
    nodes: tuple[str, ...] | None = None
    labour: float = 1.0


def _hash_records(h: Any, records: tuple) -> None:
    """Feed records of one dataclass to the hash ``h`` column by column: the type, count and field names, then
    each number column as float64 bytes (a value that is not a number: the column's ``repr``) and each text
    column as its ``repr``. Records of mixed types: their ``repr``."""
    from array import array
    from operator import attrgetter

    kind = type(records[0]) if records else None
    if kind is None or any(type(r) is not kind for r in records):
        h.update(repr(records).encode())
        return
    names = [f.name for f in fields(kind)]
    h.update(f"\0{kind.__qualname__}:{len(records)}:{','.join(names)}\0".encode())
    numeric = {f.name for f in fields(kind) if f.type in ("float", "int", "bool")}
    for name in names:
        col = list(map(attrgetter(name), records))
        if name in numeric:
            try:
                h.update(b"d" + array("d", col).tobytes())
                continue
            except TypeError:  # e.g. None in a number field
                pass
        h.update(b"r" + repr(col).encode())


@dataclass(frozen=True, slots=True)
class Market:
    node: str
    reference_price: float
    reference_demand: float
    elasticity: float = 0.5


#: Longest edge transit time in steps (the engine keeps one slot per step of the longest edge).
MAX_EDGE_TIME = 104

JURISDICTION_FIELDS = (
    Field("id", "str", required=True),
    Field("name", "str", default=""),
    Field("corruption", lo=0.0, hi=1.0, default=0.0, doc="share of enforcement lost to corruption"),
    Field("state_revenue", lo=0.0, hi=100.0, default=1.0,
          doc="state revenue relative to normal; a blockade cuts it"),
    Field("police_capacity", lo=0.0, hi=1.0, default=0.5, doc="share of police able to act on support"),
)
NODE_FIELDS = (
    Field("id", "str", required=True),
    Field("kind", "str", required=True, choices=NODE_KINDS),
    Field("jurisdiction", "str", required=True),
    Field("name", "str", default=""),
    Field("lat", lo=-90.0, hi=90.0, default=0.0, unit="degrees"),
    Field("lon", lo=-180.0, hi=180.0, default=0.0, unit="degrees"),
    Field("capacity", lo=0.0, hi=1e9, default=INF, unit="kg/step",
          doc="kg the site handles per step; leave out for unlimited"),
    Field("storage", lo=0.0, hi=1e12, default=INF, unit="kg", doc="kg the site can hold; leave out for unlimited"),
    Field("enforcement", lo=0.0, hi=1.0, default=0.0, doc="seizure probability per load leaving the site"),
    Field("occupancy", lo=0.0, hi=1e7, default=0.0, unit="people",
          doc="people at the site (harm of strikes)"),
    Field("dormant", "bool", default=False, doc="closed until an organisation opens it"),
)
EDGE_FIELDS = (
    Field("from", "str", required=True),
    Field("to", "str", required=True),
    Field("mode", "str", default="land", choices=EDGE_MODES),
    Field("capacity", lo=0.0, hi=1e9, default=INF, unit="kg/step",
          doc="kg per step along the edge; leave out for unlimited"),
    Field("cost", lo=0.0, hi=1e6, default=0.0, unit="USD/kg", doc="money cost of moving one kg along the edge"),
    Field("time", "int", lo=1, hi=MAX_EDGE_TIME, default=1, unit="steps", doc="steps a load spends on the edge"),
    Field("risk", lo=0.0, hi=1.0, default=0.0, doc="base seizure probability per load"),
    Field("dormant", "bool", default=False, doc="closed until an organisation opens it"),
)
ORGANISATION_FIELDS = (
    Field("id", "str", required=True),
    Field("name", "str", default=""),
    Field("production", "dict", required=True, doc="kg/step produced at each source, by source id"),
    Field("cash", lo=0.0, hi=1e12, default=0.0, unit="USD"),
    Field("risk_aversion", lo=0.0, hi=100.0, default=1.0,
          doc="weight of expected losses against money cost in route choice"),
    Field("loss_tolerance", lo=0.0, hi=1.0, default=0.1, doc="smoothed loss share that triggers expansion"),
    Field("nodes", "list", default=None, doc="sites the organisation may use (default: all)"),
    Field("labour", lo=0.0, hi=100.0, default=1.0, doc="labour relative to normal (speeds rebuilding)"),
)
#: Declaration of one entry of an organisation's ``production`` mapping.
PRODUCTION_FIELD = Field("production.<source>", lo=0.0, hi=1e7, unit="kg/step", doc="kg produced per step")
MARKET_FIELDS = (
    Field("node", "str", required=True),
    Field("reference_price", lo=0.0, lo_open=True, hi=1e7, required=True, unit="USD/kg",
          doc="price at reference demand (prices are scaled by it, so it must be above zero)"),
    Field("reference_demand", lo=0.0, lo_open=True, hi=1e7, required=True, unit="kg/step",
          doc="demand at the reference price (must be above zero)"),
    Field("elasticity", lo=0.01, hi=10.0, default=0.5, doc="price elasticity of demand"),
)
SCENARIO_FIELDS = (
    Field("name", "str", required=True),
    Field("description", "str", default=""),
    Field("steps", "int", lo=1, hi=MAX_STEPS, default=104, unit="steps", doc="horizon of a run"),
    Field("jurisdictions", "list", required=True),
    Field("nodes", "list", required=True),
    Field("edges", "list", required=True),
    Field("organisations", "list", required=True),
    Field("markets", "list", required=True),
    Field("parameters", "dict", default=None),
    Field("strategies", "dict", default=None),
)

#: Every declaration of the scenario format, by section (for documentation generators and tests).
DECLARATIONS: dict[str, tuple[Field, ...]] = {
    "scenario": SCENARIO_FIELDS,
    "jurisdictions[]": JURISDICTION_FIELDS,
    "nodes[]": NODE_FIELDS,
    "edges[]": EDGE_FIELDS,
    "organisations[]": ORGANISATION_FIELDS,
    "organisations[].production": (PRODUCTION_FIELD,),
    "markets[]": MARKET_FIELDS,
    "parameters": PARAMETER_FIELDS,
}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build with :func:`load_scenario` or :meth:`from_dict`."""

    name: str
    jurisdictions: tuple[Jurisdiction, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    organisations: tuple[Organisation, ...]
    markets: tuple[Market, ...]
    description: str = ""
    steps: int = 104
    parameters: Parameters = field(default_factory=Parameters)
    strategies: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    def content_key(self) -> str:
        """A hash of everything that shapes a run except the strategies and the source path.

        Caches of compiled networks and warm-up states are keyed by it (the short ``repr`` below
        names a scenario for people and leaves out most of its content). Nodes and edges are hashed
        column by column (numbers as their float64 bytes, text by its ``repr``): 0.09 CPU-s at 10,000
        nodes and 50,000 edges where the ``repr`` of every record took 0.23 s.
        """
        key = self.__dict__.get("_content_key")  # kept on the (frozen) instance
        if key is None:
            h = hashlib.sha256(b"content-key/2\0")
            h.update(repr((self.name, self.description, self.steps, self.jurisdictions, self.organisations,
                           self.markets, self.parameters)).encode())
            _hash_records(h, self.nodes)
            _hash_records(h, self.edges)
            key = h.hexdigest()
            object.__setattr__(self, "_content_key", key)
        return key

    def __repr__(self) -> str:
        return (f"<Scenario '{self.name}': {len(self.nodes)} nodes, {len(self.edges)} edges, "
                f"{len(self.organisations)} organisations, {len(self.markets)} markets, {self.steps} steps, "
                f"strategies: {', '.join(self.strategies) or '-'}>")

    def _repr_html_(self) -> str:
        import html

        kinds: dict[str, int] = {}
        for n in self.nodes:
            kinds[n.kind] = kinds.get(n.kind, 0) + 1
        rows = [("nodes", f"{len(self.nodes)} ({', '.join(f'{v} {k}' for k, v in kinds.items())})"),
                ("edges", str(len(self.edges))), ("organisations", ", ".join(o.id for o in self.organisations)),
                ("markets", ", ".join(m.node for m in self.markets)), ("steps", str(self.steps)),
                ("strategies", ", ".join(self.strategies) or "-")]
        body = "".join(f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in rows)
        desc = f"<p>{html.escape(self.description)}</p>" if self.description else ""
        return f"<p><b>Scenario {html.escape(self.name)}</b></p>{desc}<table>{body}</table>"

    # ------------------------------------------------------------------ input
    @classmethod
    def from_dict(
        cls, data: Any, *, file: str | None = None, lines: LineMap | None = None,
        validated: Collection[str] = (),
    ) -> Scenario:
        """Validate parsed scenario data.

        ``validated`` names top-level lists whose records were checked against their
        field declarations already, column by column (the tables form); their
        cross-references are still checked here.

        Raises
        ------
        InputError
            Naming the file, the field path and the line of the first problem.
        """
        ck = Checker(file, lines)
        top = ck.record(data, "", SCENARIO_FIELDS, what="a mapping of scenario fields at the top level")

        def items(key: str, spec: tuple[Field, ...]) -> list[dict]:
            seq = top[key]
            if not seq:
                raise ck.error(f"'{key}' must list at least one entry", key)
            if key in validated:
                return seq
            return [ck.record(v, join_path(key, i), spec) for i, v in enumerate(seq)]

        juris = items("jurisdictions", JURISDICTION_FIELDS)
        ck.unique_ids(juris, "id", "jurisdictions")
        jids = {j["id"] for j in juris}

        nodes = items("nodes", NODE_FIELDS)
        ck.unique_ids(nodes, "id", "nodes")
        node_kind = {n["id"]: n["kind"] for n in nodes}
        for i, n in enumerate(nodes):
            if n["jurisdiction"] not in jids:
                raise ck.error(f"unknown jurisdiction '{n['jurisdiction']}'", f"nodes[{i}].jurisdiction")

        edges = items("edges", EDGE_FIELDS)
        seen_edges: dict = {}
        for i, e in enumerate(edges):
            for end in ("from", "to"):
                if e[end] not in node_kind:
                    raise ck.error(f"unknown node '{e[end]}'", f"edges[{i}].{end}")
            if e["from"] == e["to"]:
                raise ck.error("an edge may not start and end at the same node", f"edges[{i}]")
            key = (e["from"], e["to"], e["mode"])
            if key in seen_edges:
                raise ck.error(
                    f"duplicate edge {e['from']} -> {e['to']} ({e['mode']}); first at edges[{seen_edges[key]}]",
                    f"edges[{i}]",
                )
            seen_edges[key] = i

        markets = items("markets", MARKET_FIELDS)
        ck.unique_ids(markets, "node", "markets")
        for i, m in enumerate(markets):
            if m["node"] not in node_kind:
                raise ck.error(f"unknown node '{m['node']}'", f"markets[{i}].node")
            if node_kind[m["node"]] != "market":
                raise ck.error(
                    f"node '{m['node']}' is a {node_kind[m['node']]}, not a market", f"markets[{i}].node"
                )
        market_nodes = {m["node"] for m in markets}
        for i, n in enumerate(nodes):
            if n["kind"] == "market" and n["id"] not in market_nodes:
                raise ck.error(f"market node '{n['id']}' has no entry under 'markets'", f"nodes[{i}]")

        orgs = items("organisations", ORGANISATION_FIELDS)
        ck.unique_ids(orgs, "id", "organisations")
        org_records = []
        for i, o in enumerate(orgs):
            base = f"organisations[{i}]"
            prod: dict[str, float] = {}
            if not o["production"]:
                raise ck.error("an organisation needs production at one source at least", f"{base}.production")
            for src, kg in o["production"].items():
                p = f"{base}.production.{src}"
                if src not in node_kind:
                    raise ck.error(f"unknown node '{src}'", p)
                if node_kind[src] != "source":
                    raise ck.error(f"node '{src}' is a {node_kind[src]}; production must be at a source", p)
                prod[src] = ck.value(kg, PRODUCTION_FIELD, p)
            if sum(prod.values()) <= 0:
                raise ck.error("an organisation needs production above zero", f"{base}.production")
            allowed = None
            if o["nodes"] is not None:
                for j, nid in enumerate(o["nodes"]):
                    if not isinstance(nid, str) or nid not in node_kind:
                        raise ck.error(f"unknown node '{nid}'", f"{base}.nodes[{j}]")
                allowed = tuple(dict.fromkeys(o["nodes"]))
                for src in prod:
                    if src not in allowed:
                        raise ck.error(f"produces at '{src}' but does not list it under nodes", f"{base}.nodes")
            org_records.append(
                Organisation(
                    id=o["id"], name=o["name"], production=prod, cash=o["cash"],
                    risk_aversion=o["risk_aversion"], loss_tolerance=o["loss_tolerance"],
                    nodes=allowed, labour=o["labour"],
                )
            )

        params = Parameters()
        if top["parameters"]:
            given = ck.record(top["parameters"], "parameters", PARAMETER_FIELDS)
            params = replace(params, **{k: given[k] for k in top["parameters"]})

        scenario = cls(
            name=top["name"],
            description=top["description"],
            steps=top["steps"],
            jurisdictions=tuple(Jurisdiction(**j) for j in juris),
            nodes=tuple(Node(**n) for n in nodes),
            edges=tuple(
                Edge(src=e["from"], dst=e["to"], mode=e["mode"], capacity=e["capacity"], cost=e["cost"],
                     time=e["time"], risk=e["risk"], dormant=e["dormant"])
                for e in edges
            ),
            organisations=tuple(org_records),
            markets=tuple(Market(**m) for m in markets),
            parameters=params,
            strategies=_strategy_names(top["strategies"], ck),
            source=file,
        )
        _check_reachability(scenario, ck)
        if scenario.strategies:
            from .strategy import parse_strategies

            parse_strategies(scenario, ck)
        return scenario

    # ----------------------------------------------------------------- output
    def to_dict(self) -> dict:
        """The scenario in file form (YAML-ready); unlimited values are left out."""

        out: dict = {"name": self.name, "description": self.description, "steps": self.steps}
        out["jurisdictions"] = [asdict(j) for j in self.jurisdictions]
        out["nodes"] = [node_record(n) for n in self.nodes]
        out["edges"] = [edge_record(e) for e in self.edges]
        out["organisations"] = []
        for o in self.organisations:
            d = asdict(o)
            d["production"] = dict(o.production)
            if o.nodes is None:
                d.pop("nodes")
            else:
                d["nodes"] = list(o.nodes)
            out["organisations"].append(d)
        out["markets"] = [asdict(m) for m in self.markets]
        defaults = Parameters()
        changed = {f.name: getattr(self.parameters, f.name) for f in fields(Parameters)
                   if getattr(self.parameters, f.name) != getattr(defaults, f.name)}
        out["parameters"] = changed
        if self.strategies:
            out["strategies"] = self.strategies
        return out

    # ---------------------------------------------------------------- lookups
    def node_index(self) -> dict[str, int]:
        return {n.id: i for i, n in enumerate(self.nodes)}

    def strategy_names(self) -> list[str]:
        """Strategies the scenario carries, with ``baseline`` first."""
        names = list(self.strategies)
        return ["baseline"] + [n for n in names if n != "baseline"]


_NODE_DEFAULTS = {"name": "", "capacity": INF, "storage": INF, "enforcement": 0.0, "occupancy": 0.0,
                  "dormant": False}
_EDGE_DEFAULTS = {"capacity": INF, "dormant": False}


def _clean(d: dict, defaults: dict) -> dict:
    return {k: v for k, v in d.items() if not (isinstance(v, float) and math.isinf(v))
            and not (k in defaults and defaults[k] == v)}


def node_record(n: Node) -> dict:
    """A node in file form (unlimited values and most defaults left out)."""
    return _clean({f: getattr(n, f) for f in Node.__slots__}, _NODE_DEFAULTS)


def edge_record(e: Edge) -> dict:
    """An edge in file form (``from``/``to`` first; unlimited values and defaults left out)."""
    d = {"from": e.src, "to": e.dst, "mode": e.mode, "capacity": e.capacity, "cost": e.cost, "time": e.time,
         "risk": e.risk, "dormant": e.dormant}
    return _clean(d, _EDGE_DEFAULTS)


def _strategy_names(strategies: dict | None, ck: Checker) -> dict:
    """The scenario's strategies, with reserved names refused."""
    for name in strategies or {}:
        check_strategy_name(name, ck, join_path("strategies", str(name)))
    return dict(strategies or {})


def _check_reachability(s: Scenario, ck: Checker) -> None:
    """Every market must be reachable from some source along the edges."""
    adj: dict[str, list[str]] = {n.id: [] for n in s.nodes}
    for e in s.edges:
        adj[e.src].append(e.dst)
    sources = [n.id for n in s.nodes if n.kind == "source"]
    if not sources:
        raise ck.error("the network has no source node (kind: source)", "nodes")
    seen = set(sources)
    queue = deque(sources)
    while queue:
        v = queue.popleft()
        for w in adj[v]:
            if w not in seen:
                seen.add(w)
                queue.append(w)
    for i, m in enumerate(s.markets):
        if m.node not in seen:
            raise ck.error(f"market '{m.node}' cannot be reached from any source", f"markets[{i}].node")


def builtin_scenarios() -> dict[str, str]:
    """Names of the built-in scenarios with their one-line descriptions."""
    out = {}
    for entry in sorted(resources.files("counterflow.data").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data, _ = load_yaml_text(entry.read_text(encoding="utf-8"), entry.name)
            out[entry.name[:-5]] = str(data.get("description", "")).strip().splitlines()[0]
    return out


def load_builtin(name: str) -> Scenario:
    """Load a built-in scenario by name only (never a path; for fronts that take names from clients)."""
    res = resources.files("counterflow.data").joinpath(f"{name}.yaml")
    if "/" in name or "\\" in name or not res.is_file():
        names = ", ".join(builtin_scenarios())
        raise InputError(f"no built-in scenario named '{name}' (built-ins: {names})")
    data, lines = load_yaml_text(res.read_text(encoding="utf-8"), f"{name}.yaml")
    return Scenario.from_dict(data, file=f"{name}.yaml", lines=lines)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name or a scenario YAML file by path.

    The YAML file may name Parquet tables for its nodes and edges instead of
    listing them (the tables form, :mod:`counterflow.scenario_tables`).

    Examples
    --------
    >>> from counterflow import load_scenario
    >>> s = load_scenario("caribbean")
    >>> s.name
    'caribbean'
    """
    text_name = str(name_or_path)
    p = Path(text_name)
    if not p.exists() and "/" not in text_name and not text_name.endswith((".yaml", ".yml")):
        if not resources.files("counterflow.data").joinpath(f"{text_name}.yaml").is_file():
            names = ", ".join(builtin_scenarios())
            raise InputError(f"no scenario file or built-in scenario named '{text_name}' (built-ins: {names})")
        return load_builtin(text_name)
    data, lines = load_yaml(p)
    if scenario_tables.uses_tables(data):
        data, tables, checked = scenario_tables.read_tables(
            data, p.parent, {"nodes": NODE_FIELDS, "edges": EDGE_FIELDS})
        try:
            return Scenario.from_dict(data, file=str(p), lines=lines, validated=checked)
        except InputError as err:
            raise scenario_tables.rewrite_error(err, tables) from None
    return Scenario.from_dict(data, file=str(p), lines=lines)
