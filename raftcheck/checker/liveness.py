"""Liveness checking on the explicit state graph, under fairness: the entry point.

    result = check_liveness(model, [leads_to("Progress", "Pending", "Done", assume="Healed")])

builds the reachable graph once (state_graph.py), then for each property looks for a fair
cycle that breaks it (fair_cycles.py) and, if there is one, returns the violation as a lasso: a
shortest prefix from an initial state, then a cycle that repeats forever (lasso.py). The checker
knows nothing about the model beyond model.Model, whose liveness hooks it reads:
fairness_class, strong_classes, random_draws, predicates, liveness_properties, quotient and
bound_notes (each documented there, with its default).

What is checked, exactly, and what it costs: docs/liveness.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .fair_cycles import WalkStep, fair_components, fair_walk, reaching, shortest_path
from .lasso import replay
from .model import Model
from .properties import Kind, LivenessProperty, resolve
from .result import Counterexample, Outcome, SearchResult
from .search import Budget, ProgressFn
from .state_graph import Classify, StateGraph, build_graph


class LivenessError(ValueError):
    """The check was asked for something it cannot do soundly."""


def no_fairness(action: Any) -> None:
    """A fairness_class that makes no action fair (every behaviour may stop taking any)."""
    return None


@dataclass
class LivenessResult(SearchResult):
    """A SearchResult (outcome, statistics, names checked, first counterexample) with a verdict
    and, where violated, a lasso per property."""

    verdicts: dict[str, Outcome] = field(default_factory=dict)
    lassos: dict[str, Counterexample] = field(default_factory=dict)
    graph: StateGraph | None = None


def model_properties(model: Any) -> list[LivenessProperty]:
    """The liveness properties the model declares (none if it declares none)."""
    return list(model.liveness_properties())


def check_liveness(
    model: Model,
    properties: Sequence[LivenessProperty],
    *,
    fairness_class: Classify | None = None,
    strong: Collection[Hashable] | None = None,
    stuttering: bool = False,
    symmetry: bool = False,
    budget: Budget | None = None,
    progress: ProgressFn | None = None,
    progress_every: float = 1.0,
    draws: bool | None = None,
) -> LivenessResult:
    """Check each property on every fair behaviour of the model within its bounds.

    fairness_class: the class of an action for fairness (default: the model's fairness_class,
    or none if it has none; pass no_fairness to check without fairness). Every class is weakly
    fair, except the classes in `strong`, which are strongly fair (default: the model's
    strong_classes, else none).
    stuttering: a behaviour may also stay in any state forever (as in TLA+); without it, only
    infinite paths of the graph are behaviours, and a state with no successor ends none.
    symmetry: refused: liveness runs on concrete states (see docs/liveness.md).
    draws: an action with several outcomes from one state is a random draw, each outcome taken
    infinitely often if the action is (default: the model's random_draws, else False).
    budget: as for the safety search; a violation found in a partial graph is genuine, a
    property without one is reported STOPPED.
    """
    if symmetry:
        raise LivenessError(
            "liveness checking does not use symmetry reduction: a cycle of canonical states "
            "may return to a renamed state, and fairness classes that name nodes are renamed "
            "with it, so fairness cannot be judged on the reduced graph; run without symmetry")
    if fairness_class is None:
        fairness_class = model.fairness_class
    classify: Callable[[Any], Hashable | None] = fairness_class
    resolved = [resolve(p, model) for p in properties]
    names = [p.name for p in resolved]
    if len(set(names)) != len(names):
        raise LivenessError("two liveness properties have the same name")
    predicates = [f for p in resolved for f in (p.p, p.q, p.assume) if f is not None]
    if draws is None:
        draws = model.random_draws
    if strong is None:
        strong = model.strong_classes
    graph = build_graph(model, classify, predicates, budget=budget, progress=progress,
                        progress_every=progress_every, draws=draws)
    result = LivenessResult(Outcome.HOLDS, graph.stats, names, stop_reason=graph.stop_reason,
                            graph=graph)
    if graph.stop_reason == "interrupted":
        result.outcome = Outcome.STOPPED
        result.verdicts = dict.fromkeys(names, Outcome.STOPPED)
        return result
    result.notes += model.bound_notes()
    if graph.deadlocks and not stuttering:
        result.notes.append(
            f"{graph.deadlocks} state(s) have no successor within the bounds; behaviours "
            "that end there are not checked (stuttering=True lets them stay there forever)")
    for prop in resolved:
        found = _violation(graph, prop, frozenset(strong), stuttering)
        if found is None:
            result.verdicts[prop.name] = (Outcome.HOLDS if graph.stop_reason is None
                                          else Outcome.STOPPED)
            continue
        first, steps, loop_start, trigger = found
        lasso = Counterexample(prop.name, "lasso", replay(model, classify, first, steps),
                               loop_start)
        result.verdicts[prop.name] = Outcome.VIOLATED
        result.lassos[prop.name] = lasso
        if trigger is not None:
            result.notes.append(f"{prop.name}: the premise holds at step {trigger}, and the "
                                "conclusion never holds from there on")
    verdicts = set(result.verdicts.values())
    if Outcome.VIOLATED in verdicts:
        result.outcome = Outcome.VIOLATED
        result.counterexample = next(iter(result.lassos.values()))
    elif Outcome.STOPPED in verdicts:
        result.outcome = Outcome.STOPPED
    return result


def _violation(graph: StateGraph, prop: LivenessProperty, strong: frozenset[Hashable],
               stuttering: bool) -> tuple[int, list[WalkStep], int, int | None] | None:
    """(first fingerprint, steps after it, index where the cycle starts, index of the leads-to
    premise or None) for a fair behaviour that breaks the property, or None."""
    g = graph.graph
    p_bit = graph.bit(prop.p)  # type: ignore[arg-type]
    q_bit = graph.bit(prop.q) if prop.q is not None else 0  # type: ignore[arg-type]
    a_bit = graph.bit(prop.assume) if prop.assume is not None else 0  # type: ignore[arg-type]

    def holds(marks: int, bit: int) -> bool:
        return bool(marks & bit)

    region: set[int] = set()  # where the cycle may run
    accepting: set[int] | None = None  # a state the cycle must visit
    nodes = g.nodes(data="marks")
    for node, marks in nodes:
        if not g.nodes[node]["expanded"] or (a_bit and not holds(marks, a_bit)):
            continue
        if prop.kind is Kind.ALWAYS_EVENTUALLY and holds(marks, p_bit):
            continue
        if prop.kind is Kind.LEADS_TO and holds(marks, q_bit):
            continue
        region.add(node)
    if prop.kind is Kind.EVENTUALLY_ALWAYS:
        accepting = {n for n in region if not holds(g.nodes[n]["marks"], p_bit)}
    components = list(fair_components(g, region, accepting=accepting, strong=strong,
                                      stuttering=stuttering))
    if not components:
        return None
    owner = {n: c for c in components for n in c}
    trigger: int | None = None
    if prop.kind is Kind.LEADS_TO:
        not_q = {n for n, marks in nodes if not holds(marks, q_bit)}
        starts = reaching(g, owner, not_q)
        premises = {n for n in starts if holds(g.nodes[n]["marks"], p_bit)}
        prefix = shortest_path(g, graph.initial, premises)
        if prefix is None:
            return None
        middle = shortest_path(g, [prefix[-1]], owner, not_q)
        assert middle is not None
        trigger = len(prefix) - 1
        path = prefix + middle[1:]
    else:
        path = shortest_path(g, graph.initial, owner)
        if path is None:
            return None
    entry = path[-1]
    cycle = fair_walk(g, owner[entry], entry, accepting=accepting, strong=strong,
                      stuttering=stuttering)
    steps = [(n, None) for n in path[1:]] + cycle
    return path[0], steps, len(path) - 1, trigger
