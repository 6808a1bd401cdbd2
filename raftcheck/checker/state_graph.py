"""The reachable state graph, kept whole, for liveness checking.

Unlike the safety search, which keeps fingerprints and parent links only, liveness needs every
edge: a node per reachable state (keyed by the state's fingerprint, hash(state)), an edge per
pair of states that some action joins. The graph is a networkx DiGraph:

- node attributes: `marks` (bit i set when the i-th predicate holds in the state), `enabled`
  (the fairness classes of the actions enabled in the state: those with a successor within the
  model's bounds), `expanded` (False for states a budget left unexplored), `depth`;
- edge attributes: `action` (the first action found from one state to the other) and `classes`
  (the fairness classes of every action joining them that is not a draw; empty when none is
  fair);
- with `draws`: an action that leads from a state to several states is a random draw (a timer
  drawn from a range). The node keeps `draws`, one (outcomes, fairness class) per draw, and an
  edge is `plain` when some action that is not a draw joins its states. A draw's class counts
  as taken on an edge only where all its outcomes are in the cycle's component
  (fair_cycles.py).

A model may declare a quotient for liveness: `quotient(state)`, a representative such that
states with the same representative have the same futures, step for step, with the same
predicates and fairness classes (a bisimulation; the timed Raft model shifts every term so
that the lowest is 1). The graph is then keyed by hash(quotient(state)); the states explored
stay concrete, so a replayed lasso shows the real values and its last step returns to a state
equal to the loop's first up to the quotient.

States are explored exactly as the model gives them: no symmetry reduction and no budget
subsumption (both merge states that are different for liveness; see docs/liveness.md). States
themselves are not kept: a lasso is rebuilt by replaying the model along fingerprints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .model import Model, State
from .result import Statistics
from .search import CHECK_EVERY, Budget, ProgressFn

Classify = Callable[[Any], Hashable | None]


@dataclass
class StateGraph:
    graph: nx.DiGraph
    initial: list[int]  # fingerprints of the initial states
    stats: Statistics
    predicates: list[Callable[[State], bool]]  # bit i of a node's marks is predicates[i]
    stop_reason: str | None = None  # None: every reachable state was expanded
    deadlocks: int = 0  # expanded states without any successor within the bounds
    classes: set[Hashable] = field(default_factory=set)  # every fairness class met

    def bit(self, predicate: Callable[[State], bool]) -> int:
        return 1 << next(i for i, p in enumerate(self.predicates) if p is predicate)


def build_graph(
    model: Model,
    classify: Classify,
    predicates: Sequence[Callable[[State], bool]],
    *,
    budget: Budget | None = None,
    progress: ProgressFn | None = None,
    progress_every: float = 1.0,
    draws: bool = False,
) -> StateGraph:
    """Explore breadth-first every state reachable within the model's bounds (or the budget),
    recording every edge, the fairness classes enabled in each state, and which of the
    predicates hold there. Ctrl-C stops the search with stop_reason "interrupted"."""
    budget = budget or Budget()
    unique: list[Callable[[State], bool]] = []
    for p in predicates:
        if all(p is not q for q in unique):
            unique.append(p)
    graph = nx.DiGraph()
    stats = Statistics()
    result = StateGraph(graph, [], stats, unique)
    started = time.perf_counter()
    next_report = started + progress_every

    interned: dict[frozenset, frozenset] = {}
    key = fingerprint_of(model)

    def intern(classes: frozenset) -> frozenset:
        """One object per distinct set of classes: there are few, and states are many."""
        return interned.setdefault(classes, classes)

    def marks(state: State) -> int:
        return sum(1 << i for i, p in enumerate(unique) if p(state))

    def stop(reason: str) -> StateGraph:
        result.stop_reason = reason
        return result

    try:
        frontier: list[State] = []
        for state in model.initial_states():
            fingerprint = key(state)
            if fingerprint in graph:
                continue
            graph.add_node(fingerprint, marks=marks(state), enabled=frozenset(),
                           expanded=False, depth=1)
            result.initial.append(fingerprint)
            frontier.append(state)
        stats.distinct = graph.number_of_nodes()
        stats.depth = 1 if frontier else 0
        level = 1
        while frontier:
            if budget.max_depth is not None and level >= budget.max_depth:
                return stop("max-depth")
            next_frontier: list[State] = []
            for position, state in enumerate(frontier):
                if position % CHECK_EVERY == 0:
                    stats.queue = len(frontier) - position + len(next_frontier)
                    now = time.perf_counter()
                    if budget.max_states is not None and stats.distinct >= budget.max_states:
                        return stop("max-states")
                    if budget.seconds is not None and now - started >= budget.seconds:
                        return stop("time-limit")
                    if progress and now >= next_report:
                        stats.seconds = now - started
                        progress(stats)
                        next_report = now + progress_every
                source = key(state)
                enabled: set[Hashable] = set()
                steps = model.successors(state)
                targets = [key(successor) for _, successor, _ in steps]
                drawn = _draws(steps, targets) if draws else {}
                for (action, successor, _), target in zip(steps, targets, strict=True):
                    stats.generated += 1
                    fairness = classify(action)
                    if fairness is not None:
                        enabled.add(fairness)
                    plain = action not in drawn
                    if not plain:
                        fairness = None  # the node's draws carry it (see the module doc)
                    if target not in graph:
                        graph.add_node(target, marks=marks(successor), enabled=frozenset(),
                                       expanded=False, depth=level + 1)
                        next_frontier.append(successor)
                        stats.distinct += 1
                    edge = graph.get_edge_data(source, target)
                    if edge is None:
                        classes = frozenset() if fairness is None else frozenset((fairness,))
                        graph.add_edge(source, target, action=action, classes=intern(classes),
                                       plain=plain)
                        continue
                    if fairness is not None and fairness not in edge["classes"]:
                        edge["classes"] = intern(edge["classes"] | {fairness})
                    if plain:
                        edge["plain"] = True
                node = graph.nodes[source]
                if drawn:
                    node["draws"] = tuple(sorted(
                        {(outcomes, classify(a)) for a, outcomes in drawn.items()},
                        key=lambda d: (sorted(d[0]), repr(d[1]))))
                node["enabled"] = intern(frozenset(enabled))
                node["expanded"] = True
                result.classes |= enabled
                if not steps:
                    result.deadlocks += 1
            if next_frontier:
                level += 1
                stats.depth = level
            frontier = next_frontier
        stats.queue = 0
        return result
    except KeyboardInterrupt:
        return stop("interrupted")
    finally:
        stats.seconds = time.perf_counter() - started


def fingerprint_of(model: Model) -> Callable[[State], int]:
    """The graph's key for a state: its hash, or its quotient's if the model declares one."""
    quotient = model.quotient
    return lambda state: hash(quotient(state))


def _draws(steps: Sequence[Any], targets: list[int]) -> dict[Any, frozenset[int]]:
    """The actions of one state that lead to more than one state, with their outcomes."""
    outcomes: dict[Any, set[int]] = {}
    for (action, _, _), target in zip(steps, targets, strict=True):
        outcomes.setdefault(action, set()).add(target)
    return {a: frozenset(t) for a, t in outcomes.items() if len(t) > 1}
