"""Breadth-first search over a model's states, with a fingerprint set and parent links.

Breadth-first order makes the first violation found a shortest one. The visited set maps each
state's fingerprint to its parent's fingerprint (an initial state is its own parent); the trace
is rebuilt by replaying the model along that chain (trace.py), so no state is kept except the
frontier. The search goes level by level: that is also how work would be split among processes
(each owning the fingerprints in its shard, exchanging the states they discover per level).

Counts are deterministic: the model's successors come in a fixed order and nothing depends on
timing except when a budget stops the search. Where the model counts bounded resources in its
states, a state is also skipped when the same state with more budget left was found
(visited.py); "distinct states" counts the states explored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .model import Model, State
from .result import Counterexample, Outcome, SearchResult, Statistics
from .trace import rebuild
from .visited import visited_for

#: How many states to expand between looks at the clock and the budgets.
CHECK_EVERY = 512
#: At most this many exact successors remembered per level (a cache: forgetting costs time only).
MET_LIMIT = 1 << 22


@dataclass
class Budget:
    max_states: int | None = None  # stop after this many distinct states
    seconds: float | None = None  # stop after this much wall time
    max_depth: int | None = None  # explore no state deeper than this (initial states: 1)


ProgressFn = Callable[[Statistics], None]


def breadth_first(
    model: Model,
    *,
    symmetry: bool = False,
    budget: Budget | None = None,
    progress: ProgressFn | None = None,
    progress_every: float = 1.0,
    checked: list[str] | None = None,
) -> SearchResult:
    """Explore every state reachable within the model's bounds, or stop at the first violation.

    With symmetry, the model must provide canonical(state) (see model.Symmetric); states are
    stored and expanded as their canonical representatives.
    """
    budget = budget or Budget()
    canonical = model.canonical if symmetry else None  # type: ignore[attr-defined]
    stats = Statistics()
    started = time.perf_counter()
    next_report = started + progress_every
    visited = visited_for(model)
    keep = visited.add
    frontier: list[State] = []
    # With symmetry, a successor met before in exactly this form (not only up to renaming) is
    # a duplicate without the cost of its canonical form. Duplicates come from nearby levels,
    # so only the fingerprints met in this level and the one before are remembered.
    met_now: set[int] = set()
    met_before: set[int] = set()
    check_state = model.check_state
    successors = model.successors

    def finish(outcome: Outcome, *, violation: tuple | None = None,
               reason: str | None = None) -> SearchResult:
        stats.seconds = time.perf_counter() - started
        counterexample = None
        if violation is not None:
            prop, kind, fingerprint, last_step = violation
            steps = rebuild(model, visited, fingerprint, canonical, last_step)
            counterexample = Counterexample(prop, kind, steps)
        if progress:
            progress(stats)
        return SearchResult(outcome, stats, checked or [], counterexample, reason)

    try:
        for state in model.initial_states():
            state = canonical(state) if canonical else state
            fingerprint = hash(state)
            if not keep(state, fingerprint, fingerprint):
                continue
            stats.distinct += 1
            stats.depth = 1
            broken = check_state(state)
            if broken:
                return finish(Outcome.VIOLATED, violation=(broken, "state", fingerprint, None))
            frontier.append(state)

        level = 1
        while frontier:
            visited.next_level()  # the successors found now are one level deeper
            next_frontier: list[State] = []
            stats.queue = len(frontier)
            for position, state in enumerate(frontier):
                parent = hash(state)
                for action, successor, broken_step in successors(state):
                    stats.generated += 1
                    if broken_step:
                        stats.depth = level + 1
                        return finish(Outcome.VIOLATED, violation=(
                            broken_step, "transition", parent, (action, broken_step)))
                    if canonical:
                        exact = hash(successor)
                        if exact in met_now or exact in met_before:
                            continue
                        if len(met_now) < MET_LIMIT:
                            met_now.add(exact)
                        successor = canonical(successor)
                    fingerprint = hash(successor)
                    if not keep(successor, fingerprint, parent):
                        continue
                    stats.distinct += 1
                    broken = check_state(successor)
                    if broken:
                        stats.depth = level + 1
                        return finish(Outcome.VIOLATED,
                                      violation=(broken, "state", fingerprint, None))
                    next_frontier.append(successor)
                if position % CHECK_EVERY == 0:
                    stats.queue = len(frontier) - position - 1 + len(next_frontier)
                    now = time.perf_counter()
                    if budget.max_states is not None and stats.distinct >= budget.max_states:
                        return finish(Outcome.STOPPED, reason="max-states")
                    if budget.seconds is not None and now - started >= budget.seconds:
                        return finish(Outcome.STOPPED, reason="time-limit")
                    if progress and now >= next_report:
                        stats.seconds = now - started
                        stats.depth = level + (1 if next_frontier else 0)
                        progress(stats)
                        next_report = now + progress_every
            if next_frontier:
                level += 1
                stats.depth = level
            frontier = next_frontier
            met_before, met_now = met_now, set()
            if budget.max_depth is not None and level >= budget.max_depth and frontier:
                stats.queue = len(frontier)
                return finish(Outcome.STOPPED, reason="max-depth")
            stats.queue = len(frontier)
            if budget.max_states is not None and stats.distinct >= budget.max_states and frontier:
                return finish(Outcome.STOPPED, reason="max-states")
    except KeyboardInterrupt:
        stats.queue = max(stats.queue, 0)
        return finish(Outcome.STOPPED, reason="interrupted")
    stats.queue = 0
    return finish(Outcome.HOLDS)
