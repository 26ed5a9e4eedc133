"""``InterdictionNetwork.with_node_costs``: the node-cost CSV of ``optimize --nodes`` read by the library (the
command line no longer parses it)."""

from __future__ import annotations

import math

import pytest

from counterflow.errors import InputError
from counterflow.optimize import InterdictionNetwork
from counterflow.scenario import load_scenario


def test_listed_nodes_get_their_cost_and_the_others_keep_theirs(tmp_path):
    net = InterdictionNetwork.from_scenario(load_scenario("caribbean"), node_cost=None)
    f = tmp_path / "nodes.csv"
    f.write_text("id,interdiction_cost\nport_main,2.5\nisl_east,1\n", encoding="utf-8")
    out = net.with_node_costs(f)
    idx = out.node_index
    assert out.node_interdiction_cost[idx["port_main"]] == 2.5 and out.node_interdiction_cost[idx["isl_east"]] == 1.0
    others = [i for v, i in idx.items() if v not in ("port_main", "isl_east")]
    assert all(math.isnan(out.node_interdiction_cost[i]) for i in others)
    assert all(math.isnan(c) for c in net.node_interdiction_cost)  # the original is left as it was


@pytest.mark.parametrize("body, words", [("id,interdiction_cost\nnowhere,1\n", "unknown node 'nowhere'"),
                                         ("id,interdiction_cost\n_source,1\n", "source or sink"),
                                         ("id,interdiction_cost\nport_main,-1\n", "interdiction_cost"),
                                         ("id,cost\nport_main,1\n", "missing column")])
def test_a_bad_row_names_the_file_and_line(tmp_path, body, words):
    net = InterdictionNetwork.from_scenario(load_scenario("caribbean"), node_cost=None)
    f = tmp_path / "nodes.csv"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        net.with_node_costs(f)
    assert words in str(exc.value) and "nodes.csv" in str(exc.value), str(exc.value)
