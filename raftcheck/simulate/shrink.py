"""Shrinking a violating path by delta debugging (Zeller and Hildebrandt's ddmin).

A random walk wanders: most of its steps have nothing to do with the violation it ends in. The
shrinker removes steps, in chunks first and then one by one, and keeps a shorter path whenever
it still breaks the same property. A path with steps removed is replayed leniently: a step
whose action is no longer offered where the path now is gets skipped, so one removal may drop
the steps that depended on it too. Whatever is kept is what was really replayed, so the result
is a real behaviour of the model, never longer than the path it started from. It ends where the
property first breaks; a candidate that breaks another property first is not kept (the user is
shown the property the walk found).

Candidates share the prefix before the removed chunk with the path they come from, so the
replay starts from the state already known there.
"""

from __future__ import annotations

import time

from ..checker.model import Model, State
from .walk import Path, PathStep, Violation


class _Lenient:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.initial = list(model.initial_states())

    def run(self, state: State, steps: tuple[PathStep, ...] | list[PathStep],
            prop: str) -> tuple[list[PathStep], list[State]] | None:
        """Replay steps from state, skipping those not offered. The steps really taken and the
        states after each, ending where prop breaks; None if it never does, or if another
        property breaks first."""
        taken: list[PathStep] = []
        states: list[State] = []
        model = self.model
        for action, ordinal in steps:
            matches = [(after, broken) for other, after, broken in model.successors(state)
                       if other == action]
            if not matches:
                continue
            position = min(ordinal, len(matches) - 1)
            state, broken = matches[position]
            taken.append((action, position))
            states.append(state)
            broken = broken or model.check_state(state)
            if broken:
                return (taken, states) if broken == prop else None
        return None


def shrink(model: Model, path: Path, violation: Violation, *,
           seconds: float | None = None) -> Path:
    """A path no longer than path that still breaks violation.property (delta debugging);
    with seconds, the best found by then."""
    deadline = None if seconds is None else time.perf_counter() + seconds
    lenient = _Lenient(model)
    start = lenient.initial[path.initial]
    first = lenient.run(start, path.steps, violation.property)
    if first is None:
        return path  # not reproducible leniently (cannot happen for a path that replays)
    steps, states = first
    chunks = 2
    while len(steps) >= 2:
        size = -(-len(steps) // chunks)
        for low in range(0, len(steps), size):
            if deadline is not None and time.perf_counter() >= deadline:
                return Path(path.initial, tuple(steps))
            before = states[low - 1] if low else start
            result = lenient.run(before, steps[low + size:], violation.property)
            if result is not None:
                steps = steps[:low] + result[0]
                states = states[:low] + result[1]
                chunks = max(chunks - 1, 2)
                break
        else:
            if size == 1:
                break
            chunks = min(chunks * 2, len(steps))
    return Path(path.initial, tuple(steps))

