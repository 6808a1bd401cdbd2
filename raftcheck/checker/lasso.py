"""A lasso (a path of fingerprints that ends in a cycle) replayed into concrete steps.

The state graph keeps fingerprints only, so, as for safety counterexamples (trace.py), the trace
is recovered by replaying the model: from the initial state with the first fingerprint, at each
step the first successor with the next fingerprint — and, where the step must take a given
fairness class to make the cycle fair, an action of that class.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .fair_cycles import STUTTER, WalkStep
from .model import Model
from .result import TraceStep
from .state_graph import fingerprint_of
from .trace import TraceError


class Stutter:
    """The step of a behaviour that stays in its state (no action is taken)."""

    def __str__(self) -> str:
        return "(stutter: nothing changes)"

    def __repr__(self) -> str:
        return "Stutter()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stutter)

    def __hash__(self) -> int:
        return hash(Stutter)

    def to_json(self) -> dict[str, str]:
        return {"action": "Stutter"}


def replay(model: Model, classify: Callable[[Any], Hashable | None],
           first: int, steps: Sequence[WalkStep]) -> list[TraceStep]:
    """The concrete behaviour: the initial state with fingerprint `first`, then one step per
    (fingerprint, class) in `steps`."""
    key = fingerprint_of(model)
    current = next((s for s in model.initial_states() if key(s) == first), None)
    if current is None:
        raise TraceError("no initial state has the first fingerprint of the lasso")
    out = [TraceStep(None, current)]
    for target, fairness in steps:
        if fairness is STUTTER:
            out.append(TraceStep(Stutter(), current))
            continue
        for action, successor, _ in model.successors(current):
            if key(successor) == target and (fairness is None or classify(action) == fairness):
                current = successor
                out.append(TraceStep(action, current))
                break
        else:
            raise TraceError(f"no successor of step {len(out) - 1} has the next fingerprint")
    return out
