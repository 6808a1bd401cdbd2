"""What a search returns: the outcome, the statistics, and a counterexample if there is one."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Fingerprints are 64-bit hashes.
FINGERPRINT_BITS = 64


class Outcome(StrEnum):
    HOLDS = "holds"  # every reachable state within the bounds was checked
    VIOLATED = "violated"  # a property fails; see the counterexample
    STOPPED = "stopped"  # a budget or an interrupt ended the search first

    @property
    def exit_code(self) -> int:
        return {Outcome.HOLDS: 0, Outcome.VIOLATED: 1, Outcome.STOPPED: 3}[self]


@dataclass
class Statistics:
    distinct: int = 0  # distinct states found (after symmetry reduction)
    generated: int = 0  # successor states computed, duplicates included
    depth: int = 0  # states on the longest shortest path from an initial state (as TLC counts)
    queue: int = 0  # states found but not yet explored
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Distinct states per second."""
        return self.distinct / self.seconds if self.seconds > 0 else 0.0

    @property
    def collision_probability(self) -> float:
        """Chance that two distinct states shared a fingerprint, so one went unexplored.

        Each of the `generated` lookups of a state not seen before could have hit one of the
        (at most `distinct`) stored fingerprints: at most distinct * generated / 2^64 — the same
        optimistic estimate TLC prints.
        """
        return self.distinct * max(self.generated - self.distinct, 0) / 2.0**FINGERPRINT_BITS

    def to_json(self) -> dict[str, Any]:
        return {
            "distinct_states": self.distinct,
            "states_generated": self.generated,
            "depth": self.depth,
            "queue": self.queue,
            "seconds": round(self.seconds, 3),
            "states_per_second": round(self.rate, 1),
            "collision_probability": self.collision_probability,
        }


@dataclass
class TraceStep:
    action: Any  # None for the initial state
    state: Any


@dataclass
class Counterexample:
    property: str
    kind: str  # "state" (the last state violates it) or "transition" (the last step does);
    #            "lasso" for a liveness violation: the steps end in a cycle, see loop_start
    steps: list[TraceStep]
    #: For a lasso: the index of the step where the cycle starts. The last step returns to
    #: that step's state (steps[-1].state == steps[loop_start].state, or equal up to the
    #: model's quotient, checker/state_graph.py), and the behaviour
    #: repeats steps loop_start+1 .. end forever.
    loop_start: int | None = None

    @property
    def length(self) -> int:
        """Number of actions taken."""
        return len(self.steps) - 1


@dataclass
class SearchResult:
    outcome: Outcome
    stats: Statistics
    checked: list[str]
    counterexample: Counterexample | None = None
    stop_reason: str | None = None  # for STOPPED: "max-states", "time-limit", "interrupted"
    notes: list[str] = field(default_factory=list)
