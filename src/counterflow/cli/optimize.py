"""``counterflow optimize``: exact interdiction plans for a scenario's network or an edge-list CSV."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..report.words import fmt
from . import app
from .common import (
    FormatOpt,
    JsonOpt,
    OutFileOpt,
    TableData,
    TableFormat,
    emit_table,
    err,
    handles_errors,
    json_doc,
    output_format,
    write_data,
)

__all__ = ["optimize"]


class Objective(StrEnum):
    max_flow = "max-flow"
    shortest_path = "shortest-path"
    min_cost_flow = "min-cost-flow"
    expected_max_flow = "expected-max-flow"


def _load(network: str, source: str | None, sink: str | None, nodes: Path | None, edges: bool = True):
    from ..optimize import InterdictionNetwork
    from ..scenario import load_scenario

    if network.lower().endswith(".csv"):
        return InterdictionNetwork.from_csv(network, source=source, sink=sink, nodes=nodes)
    net = InterdictionNetwork.from_scenario(load_scenario(network), source=source, sink=sink,
                                            node_cost=None if nodes else 1.0, edge_cost=1.0 if edges else None)
    return net.with_node_costs(nodes) if nodes else net


#: The methods ``--method`` accepts per objective; ``auto`` picks: max-flow ``milp``; shortest-path
#: ``cover`` on integer data, else ``milp``; min-cost-flow ``search`` when a plan holds at most 2 interdictions,
#: else ``milp``; expected-max-flow ``patterns``
#: when the success patterns are few, else ``enumerate`` when the plans are few, else ``saa``.
METHODS = {"max-flow": ("auto", "milp"), "shortest-path": ("auto", "cover", "milp"),
           "min-cost-flow": ("auto", "search", "milp"),
           "expected-max-flow": ("auto", "patterns", "enumerate", "saa", "saa-lshaped", "saa-milp")}


@app.command()
@handles_errors
def optimize(
    network: Annotated[str, typer.Argument(metavar="NETWORK", help="Built-in scenario, scenario YAML, or edge-list CSV "
                                                "(from,to,capacity[,cost,interdiction_cost,interdiction_delta,success_prob]).")],
    objective: Annotated[Objective, typer.Option(help="What the interdictor optimises.")] = Objective.max_flow,
    budget: Annotated[float, typer.Option(min=0, metavar="X", help="Interdiction budget (same units as interdiction costs; scenarios: the number of elements, each costing 1).")] = 1.0,
    source: Annotated[str | None, typer.Option(metavar="NODE", help="Source node (required for CSV; scenarios default to a super-source over their sources).")] = None,
    sink: Annotated[str | None, typer.Option(metavar="NODE", help="Sink node (required for CSV; scenarios default to a super-sink over their markets).")] = None,
    demand: Annotated[float | None, typer.Option(min=0, metavar="X", help="Demand to ship (min-cost-flow; scenarios: kg per step).")] = None,
    penalty: Annotated[float | None, typer.Option(min=0, metavar="X", help="Cost per unit of unmet demand (min-cost-flow; scenarios: USD/kg).")] = None,
    nodes: Annotated[Path | None, typer.Option(metavar="NODES.csv", help="CSV id,interdiction_cost of interdictable nodes.")] = None,
    edges: Annotated[bool, typer.Option("--edges/--no-edges",
                     help="Scenario networks: let edges be interdicted (cost 1 each), or only nodes.")] = True,
    time_limit: Annotated[float | None, typer.Option(min=0, metavar="SECONDS", help="Solver time limit in seconds.")] = None,
    method: Annotated[str, typer.Option(metavar="NAME", help="Solution method: auto (default) or, per objective, "
                                        "max-flow: milp; shortest-path: cover, milp; min-cost-flow: search, milp; "
                                        "expected-max-flow: patterns, enumerate (exact), saa (per sample: the stacked model on small "
                                        "samples, else L-shaped), saa-lshaped, saa-milp (stacked model with a "
                                        "cut-off) (statistical).")] = "auto",
    samples: Annotated[int, typer.Option(min=1, metavar="N", help="expected-max-flow SAA: scenarios per replication.")] = 50,
    replications: Annotated[int, typer.Option(min=2, metavar="N", help="expected-max-flow SAA: replications (>= 10 recommended).")] = 10,
    eval_samples: Annotated[int, typer.Option(min=2, metavar="N", help="expected-max-flow SAA: scenarios evaluating the plan.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, metavar="N", help="expected-max-flow SAA: random seed.")] = 0,
    out_file: OutFileOpt = None,
    fmt_: FormatOpt = TableFormat.table,
    as_json: JsonOpt = False,
) -> None:
    """Find the best interdiction plan within a budget.

    The plan that hurts the evader most, proven optimal (status optimal) or with a proven bound at
    the time limit; stochastic instances too large for exact methods say saa, with statistical
    bounds. --method picks the algorithm (auto: the fastest exact one that applies).

    Scenario networks: every hub and transit node and every edge costs 1 to interdict (unless --nodes
    is given); edge cost (USD/kg) is the length for shortest-path. Plans are analysis of a stylised
    network, not targeting advice.
    """
    from ..optimize import (
        expected_max_flow_interdiction,
        max_flow_interdiction,
        min_cost_flow_interdiction,
        shortest_path_interdiction,
    )

    obj = objective.value
    allowed = METHODS[obj]
    if method not in allowed:
        raise InputError(f"--method for {obj} must be one of {', '.join(allowed)}, got {method!r}", path="method")
    net = _load(network, source, sink, nodes, edges)
    if obj == "min-cost-flow":
        if demand is None or penalty is None:
            raise InputError("min-cost-flow needs --demand and --penalty")
        res = min_cost_flow_interdiction(net, budget, demand=demand, penalty=penalty, time_limit=time_limit,
                                         method=method)
    elif obj == "shortest-path":
        res = shortest_path_interdiction(net, budget, time_limit=time_limit, method=method)
    elif obj == "expected-max-flow":
        res = expected_max_flow_interdiction(net, budget, time_limit=time_limit,
                                             method="saa" if method.startswith("saa") else method,
                                             saa_solver={"saa-milp": "milp", "saa-lshaped": "benders"}.get(method,
                                                                                                        "auto"),
                                             samples=samples, replications=replications,
                                             eval_samples=eval_samples, seed=seed)
    else:
        res = max_flow_interdiction(net, budget, time_limit=time_limit)
    units = _units(obj, network)
    doc = json_doc(network, [], None, None, units=units, **res.to_dict())
    if out_file is not None:
        write_data(out_file, doc, [{k: v for k, v in doc.items() if not isinstance(v, dict | list)}])
        err.print(f"wrote {out_file}", highlight=False, markup=False, soft_wrap=True)
    value, budget_unit = units["value"], units["budget"]

    def show(x: float) -> str:
        return fmt(x, unit=value) if math.isfinite(x) else "inf"

    table = TableData(["", "value"], title=f"{obj} interdiction of {network}, budget {fmt(budget, unit=budget_unit)}")
    table.add_row("evader's optimum before", show(res.value_before))
    table.add_row("after the plan", show(res.value_after))
    table.add_row("edges", ", ".join(f"{a}->{b}" for a, b in res.edges) or "-")
    table.add_row("nodes", ", ".join(res.nodes) or "-")
    table.add_row("spent", fmt(res.spent, unit=budget_unit))
    cons = res.detail.get("considered")
    if cons:
        exempt = len(cons["exempt_edges_added_by_tool"])
        table.add_row("considered", f"{cons['edges']} edges ({cons['edges_at_source_or_sink']} at source/sink), "
                      f"{cons['nodes']} nodes" + (f"; {exempt} added super-source/sink arcs exempt" if exempt else ""))
    table.add_row("status / gap", f"{res.status} / {res.gap:.2g} (relative)")
    if res.status == "saa":
        info = res.detail["saa"]
        table.add_row("statistical bounds (95 %)",
                      f"{fmt(info['lower_bound_95'], unit=value)} .. {fmt(info['upper_bound_95'], unit=value)} "
                      f"({info['replications']} replications x {info['scenarios_per_replication']} scenarios; "
                      f"evaluation {info['evaluation']}"
                      + (f", {info['eval_samples']} scenarios)" if info['eval_samples'] else ")"))
    table.add_row("method", res.method)
    table.add_row("solve time", f"{res.seconds:.2f} s")
    if res.certificate is not None:
        c = res.certificate
        table.notes.append(f"certificate: minimum cut of capacity {fmt(c['cut_capacity'], unit=value)} "
                           f"({'equals' if c['verified'] else 'DIFFERS FROM'} the flow)")
    table.notes.append("Plans are analysis of a stylised network, not targeting advice.")
    emit_table(table, output_format(fmt_, as_json), doc)


def _units(objective: str, network: str) -> dict:
    """Units of the optimised value and of the budget: a scenario's kg per step and USD/kg, or the CSV's own."""
    csv = network.lower().endswith(".csv")
    flow = "capacity units" if csv else "kg/step"
    value = {"max-flow": flow, "expected-max-flow": flow,
             "shortest-path": "cost units" if csv else "USD/kg",
             "min-cost-flow": "cost units" if csv else "USD/step"}[objective]
    return {"value": value, "budget": "interdiction-cost units" if csv else "interdictions"}
