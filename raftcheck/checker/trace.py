"""Rebuilding a counterexample from parent links, by replaying the model.

The visited set keeps only fingerprints, so a trace is recovered the way TLC does it: follow the
parent fingerprints back to an initial state, then replay forward, at each step picking the
successor whose (canonical) fingerprint is the next one on the chain. The replay runs on the
concrete states, so with symmetry reduction the trace is still one real behaviour with fixed
node identities.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from .model import Model, State
from .result import TraceStep


class TraceError(RuntimeError):
    """The replay could not follow the chain: the model is not deterministic run to run."""


def chain_to(seen: Mapping[int, int], fingerprint: int) -> list[int]:
    """Fingerprints from an initial state to the given one."""
    chain = [fingerprint]
    while seen[chain[-1]] != chain[-1]:
        chain.append(seen[chain[-1]])
    chain.reverse()
    return chain


def rebuild(
    model: Model,
    seen: Mapping[int, int],
    fingerprint: int,
    canonical: Callable[[State], State] | None,
    last_step: tuple[Any, str] | None = None,
) -> list[TraceStep]:
    """The steps from an initial state to the state with this fingerprint, following the
    parent links in seen; with last_step (action, broken property), one more step: the
    transition that breaks the property."""

    def key(state: State) -> int:
        return hash(canonical(state) if canonical else state)

    return replay(model, chain_to(seen, fingerprint), key, last_step)


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
