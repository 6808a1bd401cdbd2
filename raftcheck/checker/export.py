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

from ..exit_codes import UsageError
from .model import Model
from .result import Counterexample

GRAPH_SUFFIXES = (".graphml", ".dot", ".gv")


class ExportError(UsageError, ValueError):
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
    """A lasso (cex.loop_start set) also has "loop_start": its last step returns to the state
    of that step, and the steps after it repeat forever."""
    out: dict[str, Any] = {
        "property": cex.property,
        "kind": cex.kind,
        "length": cex.length,
        "steps": [
            {"index": i, "action": action_json(step.action),
             "state": plain(model.variables(step.state))}
            for i, step in enumerate(cex.steps)
        ],
    }
    if cex.loop_start is not None:
        out["loop_start"] = cex.loop_start
    return out


def trace_itf(cex: Counterexample, model: Model, description: str) -> dict[str, Any]:
    """For a lasso, ITF's own "loop": the index of the state where the loop starts, the loop
    ending in the last state. The last step of the lasso (back to that state) is then not a
    state of its own; its action is in the trace's #meta as "loop-action"."""
    steps = cex.steps if cex.loop_start is None else cex.steps[:-1]
    states = [model.variables(step.state) for step in steps]
    names = list(states[0])
    meta = {
        "format": "ITF",
        "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
        "source": "raftcheck",
        "description": description,
        "violated": cex.property,
    }
    if cex.loop_start is not None:
        meta["loop-action"] = str(cex.steps[-1].action)
    trace = ItfTrace(
        meta=meta,
        params=[],
        vars=names,
        states=[
            ItfState(meta={"index": i, "action": "" if step.action is None else str(step.action)},
                     values=values)
            for i, (step, values) in enumerate(zip(steps, states, strict=True))
        ],
        loop=cex.loop_start,
    )
    return trace_to_json(trace)


def trace_graph(cex: Counterexample, model: Model) -> nx.DiGraph:
    """The counterexample as a path graph: a node per state, an edge per action. A lasso's last
    step is an edge back to the node where the cycle starts (edge attribute loop_back), its
    nodes on the cycle have on_loop set, and the graph has loop_start."""
    graph = nx.DiGraph(property=cex.property, kind=cex.kind)
    loop = cex.loop_start
    if loop is not None:
        graph.graph["loop_start"] = loop
    last = len(cex.steps) - 1
    for i, step in enumerate(cex.steps):
        target = f"s{loop}" if loop is not None and i == last else f"s{i}"
        if target == f"s{i}":
            label = "\n".join(f"{k} = {v}" for k, v in model.summary(step.state).items())
            graph.add_node(
                f"s{i}", index=i, label=label,
                variables=json.dumps(plain(model.variables(step.state)), sort_keys=True),
                violates=(loop is None and i == last),
            )
            if loop is not None:
                graph.nodes[f"s{i}"]["on_loop"] = i >= loop
        if i:
            graph.add_edge(f"s{i - 1}", target, label=str(step.action),
                           action=json.dumps(action_json(step.action), sort_keys=True))
            if loop is not None:
                graph.edges[f"s{i - 1}", target]["loop_back"] = i == last
                if i == last:
                    graph.edges[f"s{i - 1}", target]["style"] = "dashed"
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
            nx.nx_pydot.write_dot(_quoted(drawing(trace_graph(cex, model))), path)
        else:
            raise ExportError(f"{path}: unknown trace format; use .json, .itf.json, "
                              ".graphml, .dot or .gv")
    except OSError as e:
        raise ExportError(f"{path}: cannot write: {e.strerror or e}") from e


def drawing(graph: nx.DiGraph) -> nx.DiGraph:
    """The path graph as Graphviz draws it legibly: small boxes named by step, each step's
    action on its edge, the whole state and what the step changed as tooltips (shown by SVG
    viewers), the violating state in red, a lasso's way back dashed."""
    out = nx.DiGraph(rankdir="TB", label=f"{graph.graph.get('property', '')} "
                     f"({graph.graph.get('kind', '')})", labelloc="t")
    previous: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        state = dict(line.split(" = ", 1) for line in str(data["label"]).splitlines()
                     if " = " in line)
        changed = [f"{k}: {previous.get(k, '-')} -> {v}" for k, v in state.items()
                   if previous.get(k) != v] if previous else ["initial state"]
        previous = state
        attrs = {"label": f"{data['index']}", "shape": "box", "style": "rounded",
                 "fontsize": "10", "height": "0.3", "width": "0.4",
                 "tooltip": str(data["label"]), "changed": "\n".join(changed)}
        if data.get("violates"):
            attrs.update(style="filled,rounded", fillcolor="#c62828", fontcolor="white",
                         color="#c62828", xlabel="violates")
        elif data.get("on_loop"):
            attrs.update(color="#1565c0")
        out.add_node(node, **attrs)
    for a, b, data in graph.edges(data=True):
        attrs = {"label": str(data["label"]), "fontsize": "9",
                 "tooltip": out.nodes[b]["changed"] if b in out.nodes else ""}
        if data.get("loop_back"):
            attrs.update(style="dashed", constraint="false")
        out.add_edge(a, b, **attrs)
    for node in out.nodes:
        out.nodes[node].pop("changed", None)
    return out


def _quoted(graph: nx.DiGraph) -> nx.DiGraph:
    """pydot wants attribute values that are valid DOT ids: quote the strings."""
    out = nx.DiGraph(**{k: json.dumps(str(v)) for k, v in graph.graph.items()})
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
