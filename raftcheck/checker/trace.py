"""Rebuilding a counterexample from parent links, by replaying the model.

The visited set keeps only fingerprints, so a trace is recovered the way TLC does it: follow the
parent fingerprints back to an initial state, then replay forward, at each step picking the
successor whose (canonical) fingerprint is the next one on the chain. The replay runs on the
concrete states, so with symmetry reduction the trace is still one real behaviour with fixed
node identities.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .model import Model, State
from .result import TraceStep
from .visited import pack_counters


class TraceError(RuntimeError):
    """The replay could not follow the chain: the model is not deterministic run to run."""


#: entry(shard, level, index): (fingerprint or budget-free key, parent link, packed budget
#: vector or None) of a kept state (visited.LevelStore.entry, asked of whichever shard holds it).
Entry = Callable[[int, int, int], tuple[int, int, int | None]]


def identity_of(model: Model, canonical: Callable | None) -> Callable[[State], Hashable]:
    """How the visited set knows a state: its fingerprint, or (budget-free key, packed
    counters) where the model counts budgets (visited.py); of the canonical form with
    symmetry."""
    start = model.budget_start

    def identity(state: State) -> Hashable:
        if canonical is not None:
            state = canonical(state)
        if start is None:
            return hash(state)
        return hash(state[:start]), pack_counters(state[start:])  # type: ignore[index]

    return identity


def identity_chain(entry: Entry, shards: int, level: int, link: int) -> list[Hashable]:
    """The identities from an initial state to the state at (level, link), where a link is
    index * shards + the shard that holds it."""
    chain: list[Hashable] = []
    for depth in range(level, -1, -1):
        index, shard = divmod(link, shards)
        fingerprint, link, used = entry(shard, depth, index)
        chain.append(fingerprint if used is None else (fingerprint, used))
    chain.reverse()
    return chain


def rebuild(model: Model, canonical: Callable | None, entry: Entry, shards: int, level: int,
            link: int, last_step: tuple[Any, str] | None = None) -> list[TraceStep]:
    """The steps to the state at (level, link) of a visited set cut into `shards` shards, and
    with last_step (action, broken property) the one that breaks a transition property."""
    chain = identity_chain(entry, shards, level, link)
    return replay(model, chain, identity_of(model, canonical), last_step)


def replay(
    model: Model,
    chain: Sequence[Hashable],
    identity: Callable[[State], Hashable],
    last_step: tuple[Any, str] | None = None,
) -> list[TraceStep]:
    """The steps through the states whose identities (as the visited set keeps them: a
    fingerprint, of the canonical form with symmetry) are the chain, from an initial state;
    with last_step (action, broken property), one more step: the transition that breaks it."""
    current = next((s for s in model.initial_states() if identity(s) == chain[0]), None)
    if current is None:
        raise TraceError("no initial state has the first fingerprint of the chain")
    steps = [TraceStep(None, current)]
    for target in chain[1:]:
        for action, successor, _ in model.successors(current):
            if identity(successor) == target:
                current = successor
                steps.append(TraceStep(action, current))
                break
        else:
            raise TraceError(f"no successor of step {len(steps) - 1} has the next fingerprint")
    if last_step is not None:
        wanted_action, prop = last_step
        candidates = [(a, s) for a, s, broken in model.successors(current) if broken == prop]
        # Prefer the very action found by the search (same up to symmetry, maybe not equal).
        action, successor = next(((a, s) for a, s in candidates if a == wanted_action),
                                 candidates[0])
        steps.append(TraceStep(action, successor))
    return steps
