"""z3's lease verdict against the explicit-state timed model, point by point.

raftcheck.timing.lease decides symbolically, over every real-valued clock behaviour, whether a
lease read can be stale; raftcheck.spec.timed explores concrete behaviours of the real Raft
server steps with clocks. The two are written independently, so where both answer the same
question they must agree: `explicit_stale` and `z3_stale` ask it, and `grid_points` lists
(election timeout, heartbeat, lease, drift) points small enough for the explicit model, on
both sides of the bound lease <= election_min * (1 - drift) / (1 + drift) and on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from ..checker.result import Outcome, SearchResult
from ..checker.search import breadth_first
from ..spec.config import Bounds, SpecConfig
from ..spec.timed.config import TimedConfig, Timing
from ..spec.timed.model import TimedRaftModel
from .lease import LeaseQuestion, check_lease, closed_form_lease

#: The explicit model's scope for the cross-check (see explicit_model).
CROSSCHECK_BOUNDS = Bounds(max_term=3, max_log=3, max_msgs=1, max_dup=1, max_writes=1,
                           max_restarts=0, max_elections=2, max_partitions=1)


def explicit_model(election_min: int, heartbeat: int, lease: Fraction, drift: Fraction,
                   nodes: int = 3) -> TimedRaftModel:
    """The timed model with lease reads, checking LinearizableReads only, at a small scope.

    A stale lease read needs exactly: one leader elected (term 2, its no-op at index 1), a
    heartbeat round it gets acknowledged by a quorum, one partition cutting it off, one more
    election (term 3, its no-op at index 2), one write committed by the new leader (index 3) and
    acknowledged, and one read served by the old leader from its lease. So max_term 3,
    max_log 3, max_elections 2, max_partitions 1, max_writes 1 and one read (the default)
    admit it, with no restart (max_restarts 0) and at most one message in flight (max_msgs 1:
    messages take no time, so a round's messages can be delivered one by one at the same
    instant). That is z3's scenario (raftcheck.timing.lease): the lease the old leader reads
    from is the one of its last acknowledged round, and the new leader's voters wait their
    election timeout since that round on their own clocks. Restarts are left out as they are
    from z3's question (a restarted server has forgotten when it last heard from a leader).

    Election timeouts are the fixed election_min (election_max = election_min: a longer one only
    delays the voters). Every clock runs at 1 - drift or 1 + drift (the extremes, which z3 also
    finds to be the worst case), so a nonzero drift multiplies the initial states by 2^nodes.
    """
    timing = Timing(election_min=election_min, election_max=election_min, heartbeat=heartbeat,
                    drift=Fraction(drift), lease=Fraction(lease))
    config = TimedConfig(spec=SpecConfig(nodes=nodes, bounds=CROSSCHECK_BOUNDS), reads="lease",
                         timing=timing)
    return TimedRaftModel(config, ["LinearizableReads"])


def explicit_run(election_min: int, heartbeat: int, lease: Fraction, drift: Fraction,
                 nodes: int = 3) -> tuple[TimedRaftModel, SearchResult]:
    """The explicit model of the point and its exhaustive breadth-first search."""
    model = explicit_model(election_min, heartbeat, lease, drift, nodes)
    return model, breadth_first(model)


def explicit_stale(election_min: int, heartbeat: int, lease: Fraction, drift: Fraction,
                   nodes: int = 3) -> bool:
    """Whether the explicit model finds a stale lease read (LinearizableReads violated) within
    the scope of explicit_model. Raises if the search ends any other way."""
    _, result = explicit_run(election_min, heartbeat, lease, drift, nodes)
    return verdict(result)


def verdict(result: SearchResult) -> bool:
    if result.outcome == Outcome.HOLDS:
        return False
    if result.outcome == Outcome.VIOLATED and result.counterexample is not None \
            and result.counterexample.property == "LinearizableReads":
        return True
    raise RuntimeError(f"explicit search ended {result.outcome}, not with a verdict on "
                       "LinearizableReads")


def z3_stale(election_min: int, heartbeat: int, lease: Fraction, drift: Fraction,
             nodes: int = 3) -> bool:
    """Whether z3 finds a clock behaviour with a stale lease read (raftcheck.timing.lease)."""
    question = LeaseQuestion.of(election_min, heartbeat=heartbeat, lease=lease, drift=drift,
                                nodes=nodes)
    return not check_lease(question, confirm_boundary=False).safe


@dataclass(frozen=True)
class GridPoint:
    election_min: int
    heartbeat: int
    lease: Fraction
    drift: Fraction

    @property
    def bound(self) -> Fraction:
        """The largest safe lease, election_min * (1 - drift) / (1 + drift)."""
        return closed_form_lease(Fraction(self.election_min), self.drift)

    def args(self) -> tuple[int, int, Fraction, Fraction]:
        return self.election_min, self.heartbeat, self.lease, self.drift

    def __str__(self) -> str:
        return (f"min={self.election_min},hb={self.heartbeat},lease={self.lease},"
                f"drift={self.drift}")


#: Election timeout and heartbeat of every grid point: the smallest that the lease question
#: accepts (heartbeat < election timeout), which keeps the explicit runs short.
GRID_ELECTION_MIN = 2
GRID_HEARTBEAT = 1
#: Just above the bound: the explicit model must resolve an overshoot this small.
ABOVE = Fraction(1, 100)
#: Per drift, a lease below the bound (or None), on it, and ABOVE past it; the bounds are
#: 2 (drift 0), 4/3 (drift 1/5) and 1 (drift 1/3). Drift 1/3 has no point below its bound:
#: its bound equals the heartbeat, so a shorter lease lapses between rounds, and the explicit
#: run grows to about 1.1 million states (over a minute); its safe point is the one on the bound.
GRID_BELOW = {Fraction(0): Fraction(3, 2), Fraction(1, 5): Fraction(1), Fraction(1, 3): None}


def grid_points() -> Iterator[GridPoint]:
    """The (election timeout, heartbeat, lease, drift) points of the cross-check: for each drift
    in GRID_BELOW, a lease below the bound (where given), exactly on it, and just above it."""
    for drift, below in GRID_BELOW.items():
        bound = closed_form_lease(Fraction(GRID_ELECTION_MIN), drift)
        leases = ([] if below is None else [below]) + [bound, bound + ABOVE]
        for lease in leases:
            yield GridPoint(GRID_ELECTION_MIN, GRID_HEARTBEAT, lease, drift)
