"""Counterexamples out to files: JSON, ITF (Apalache/Quint), GraphML and DOT (via networkx).

Values come from the model's variables(state) in ITF's conventions (dict = function,
namedtuple = record, frozenset = set, list = sequence); plain JSON flattens them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
from itf_py.itf import State as ItfState
from itf_py.itf import Trace as ItfTrace
from itf_py.itf import trace_to_json

from .model import Model
from .result import Counterexample

GRAPH_SUFFIXES = (".graphml", ".dot", ".gv")


class ExportError(ValueError):
    """The file cannot be written in the asked format; the message names the file."""


def plain(value: Any) -> Any:
    """A value as plain JSON: records become objects, sets sorted lists, functions objects
    (or lists of [key, value] pairs where keys are not strings)."""
    if isinstance(value, bool | int | str | float) or value is None:
        return value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {k: plain(v) for k, v in zip(value._fields, value, strict=True)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: plain(v) for k, v in value.items()}
        return [[plain(k), plain(v)] for k, v in value.items()]
    if isinstance(value, frozenset | set):
        return sorted((plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def action_json(action: Any) -> Any:
    if action is None:
        return None
    to_json = getattr(action, "to_json", None)
    return to_json() if to_json else str(action)


def trace_json(cex: Counterexample, model: Model) -> dict[str, Any]:
    return {
        "property": cex.property,
        "kind": cex.kind,
        "length": cex.length,
        "steps": [
            {"index": i, "action": action_json(step.action),
             "state": plain(model.variables(step.state))}
            for i, step in enumerate(cex.steps)
        ],
    }


def trace_itf(cex: Counterexample, model: Model, description: str) -> dict[str, Any]:
    states = [model.variables(step.state) for step in cex.steps]
    names = list(states[0])
    trace = ItfTrace(
        meta={
            "format": "ITF",
            "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": "raftcheck",
            "description": description,
            "violated": cex.property,
        },
        params=[],
        vars=names,
        states=[
            ItfState(meta={"index": i, "action": "" if step.action is None else str(step.action)},
                     values=values)
            for i, (step, values) in enumerate(zip(cex.steps, states, strict=True))
        ],
        loop=None,
    )
    return trace_to_json(trace)


def trace_graph(cex: Counterexample, model: Model) -> nx.DiGraph:
    """The counterexample as a path graph: a node per state, an edge per action."""
    graph = nx.DiGraph(property=cex.property, kind=cex.kind)
    for i, step in enumerate(cex.steps):
        summary = getattr(model, "summary", None)
        label = "\n".join(f"{k} = {v}" for k, v in summary(step.state).items()) if summary else ""
        graph.add_node(
            f"s{i}", index=i, label=label,
            variables=json.dumps(plain(model.variables(step.state)), sort_keys=True),
            violates=(i == len(cex.steps) - 1),
        )
        if i:
            graph.add_edge(f"s{i - 1}", f"s{i}", label=str(step.action),
                           action=json.dumps(action_json(step.action), sort_keys=True))
    return graph


def write_trace(path: str | Path, cex: Counterexample, model: Model, description: str) -> None:
    """Write the counterexample where the file name says: *.itf.json as ITF, *.json as JSON,
    *.graphml as GraphML, *.dot / *.gv as DOT."""
    path = Path(path)
    name = path.name.lower()
    try:
        if name.endswith(".itf.json"):
            path.write_text(json.dumps(trace_itf(cex, model, description), indent=1) + "\n")
        elif name.endswith(".json"):
            path.write_text(json.dumps(trace_json(cex, model), indent=1) + "\n")
        elif name.endswith(".graphml"):
            nx.write_graphml(trace_graph(cex, model), path)
        elif name.endswith((".dot", ".gv")):
            nx.nx_pydot.write_dot(_quoted(trace_graph(cex, model)), path)
        else:
            raise ExportError(f"{path}: unknown trace format; use .json, .itf.json, "
                              ".graphml, .dot or .gv")
    except OSError as e:
        raise ExportError(f"{path}: cannot write: {e.strerror or e}") from e


def _quoted(graph: nx.DiGraph) -> nx.DiGraph:
    """pydot wants attribute values that are valid DOT ids: quote the strings."""
    out = nx.DiGraph()
    for node, data in graph.nodes(data=True):
        out.add_node(node, **{k: json.dumps(str(v)) for k, v in data.items()})
    for a, b, data in graph.edges(data=True):
        out.add_edge(a, b, **{k: json.dumps(str(v)) for k, v in data.items()})
    return out


def check_trace_path(path: str) -> None:
    """Refuse an unknown suffix before spending time on a search."""
    name = path.lower()
    if not name.endswith((".json", *GRAPH_SUFFIXES)):
        raise ExportError(f"{path}: unknown trace format; use .json, .itf.json, .graphml, "
                          ".dot or .gv")
