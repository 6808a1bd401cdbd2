"""How a walk chooses its next step.

A walk first chooses an action kind (Timeout, HandleAppendEntriesRequest, DropMessage, ...)
among the kinds enabled, with the kind's weight, then one step of that kind uniformly. Choosing
by kind keeps numerous steps from drowning rare ones: with five servers there may be a dozen
deliveries enabled and one timeout, yet the timeout's chance does not shrink with them.

The weights start from BASE_WEIGHTS: deliveries, sends and client requests at 1, a timeout
far rarer (an election timeout is long next to a message delay, so elections usually finish
before the next one starts), faults rarer still. Then each walk draws its own settings, as in
swarm testing (Groce et al., ISSTA 2012): every kind's weight is multiplied by a random factor
between 1/SPREAD and SPREAD, and each fault kind is switched off for the whole walk with
probability FAULT_OFF. A walk without drops or restarts goes deeper into the protocol; a walk
with frequent timeouts interleaves elections. No single distribution reaches every rare
interleaving; many different ones together do.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: The weight of an action kind before a walk's own factor; kinds not named here weigh 1.
BASE_WEIGHTS: dict[str, float] = {
    "Timeout": 0.1,
    "PreVoteTimeout": 0.1,
    "Restart": 0.05,
    "DropMessage": 0.05,
    "DeliverCopy": 0.05,
    "DuplicateMessage": 0.05,
    "Partition": 0.05,
    "Heal": 0.1,
}
#: Kinds a walk may leave out altogether (each with probability FAULT_OFF).
FAULTS: tuple[str, ...] = ("DeliverCopy", "DropMessage", "DuplicateMessage", "Partition",
                           "Restart")
SPREAD = 8.0
FAULT_OFF = 0.5


def action_kind(action: Any) -> str:
    """The kind of an action: its class name (Timeout(n1) -> "Timeout")."""
    return type(action).__name__


@dataclass
class Plan:
    """One walk's settings: a weight per kind, drawn as needed from the walk's own generator,
    so the same walk gets the same weights in every run."""

    rng: random.Random
    weights: dict[str, float] = field(default_factory=dict)
    off: frozenset[str] = frozenset()

    def weight(self, kind: str) -> float:
        w = self.weights.get(kind)
        if w is None:
            w = self.weights[kind] = BASE_WEIGHTS.get(kind, 1.0) * math.exp(
                self.rng.uniform(-math.log(SPREAD), math.log(SPREAD)))
        return w


def draw_plan(rng: random.Random, kinds: Iterable[str] = ()) -> Plan:
    """A walk's settings. Kinds known in advance get their factors in sorted order; others when
    first met (in the model's fixed order of steps), so the draw is the same run to run."""
    plan = Plan(rng, off=frozenset(k for k in FAULTS if rng.random() < FAULT_OFF))
    for kind in sorted(kinds):
        plan.weight(kind)
    return plan
