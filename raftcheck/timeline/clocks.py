"""Clock skew between nodes, as far as Raft's own messages prove it.

A message is received after it was sent. Where a log shows both ends of a message with their
timestamps, the receiver's clock minus the sender's can be at most (receive stamp - send stamp)
plus the clocks' resolution. etcd logs three such pairs at info level:

- a candidate becomes candidate at term T before a voter casts its vote for it at T;
- a voter casts its vote before the candidate counts it;
- a leader becomes leader at T before a follower learns it is the leader of T.

Each pair of nodes gets an interval of possible offsets; when it excludes 0, the clocks
disagree by at least that much. The correction applied is the smallest that makes every
message arrive after it was sent (0 when 0 is possible); it is relative to one reference node.
hashicorp/raft logs neither side of a vote at info level, so its logs prove nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from raftcheck.traces import events as ev
from raftcheck.traces.events import SourceRef

from .model import Skew


@dataclass
class _Bound:
    """off(receiver) - off(sender) <= value, shown by ``source`` (the receiving line)."""

    value: float = float("inf")
    sources: list[SourceRef] = field(default_factory=list)

    def tighten(self, value: float, source: SourceRef) -> None:
        if value < self.value:
            self.value = value
            self.sources = [source]


def message_bounds(events: Iterable[ev.Event]) -> dict[tuple[str, str], _Bound]:
    """For each (sender, receiver), the tightest bound on off(receiver) - off(sender)."""
    candidacy: dict[tuple[str, int], ev.Event] = {}
    leadership: dict[tuple[str, int], ev.Event] = {}
    casts: dict[tuple[str, str, int], ev.Event] = {}
    pairs: list[tuple[ev.Event, ev.Event]] = []
    timed = [e for e in events if e.time is not None]
    for e in timed:  # senders first: one pass collects them, another matches receivers
        if isinstance(e, ev.BecameCandidate) and e.term is not None:
            candidacy.setdefault((e.node, e.term), e)
        elif isinstance(e, ev.BecameLeader) and e.term is not None:
            leadership.setdefault((e.node, e.term), e)
        elif (isinstance(e, ev.VoteCast) and e.granted and not e.prevote
              and e.candidate and e.term is not None):
            casts.setdefault((e.node, e.candidate, e.term), e)
    for e in timed:
        if isinstance(e, ev.VoteCast) and e.granted and not e.prevote and e.candidate \
                and e.term is not None and (e.candidate, e.term) in candidacy:
            pairs.append((candidacy[e.candidate, e.term], e))
        elif isinstance(e, ev.VoteReceived) and e.granted and not e.prevote \
                and e.voter != e.node and e.term is not None \
                and (e.voter, e.node, e.term) in casts:
            pairs.append((casts[e.voter, e.node, e.term], e))
        elif isinstance(e, ev.LeaderKnown) and e.term is not None and e.leader != e.node \
                and (e.leader, e.term) in leadership:
            pairs.append((leadership[e.leader, e.term], e))
    bounds: dict[tuple[str, str], _Bound] = {}
    for sent, received in pairs:
        assert sent.time is not None and received.time is not None
        gap = (received.time - sent.time).total_seconds()
        bounds.setdefault((sent.node, received.node), _Bound()).tighten(gap, received.source)
    return bounds


def estimate_skews(events: Iterable[ev.Event], nodes: Iterable[str],
                   precision: dict[str, float]) -> list[Skew]:
    """Each node's clock relative to the first node with a two-way exchange: the interval the
    messages allow (widened by both clocks' resolution) and the correction applied."""
    bounds = message_bounds(events)
    names = sorted(set(nodes))
    skews: list[Skew] = []
    if not names:
        return skews
    reference = names[0]
    for node in names[1:]:
        slack = precision.get(node, 0.0) + precision.get(reference, 0.0)
        up = bounds.get((reference, node))  # off(node) - off(ref) <= up.value
        down = bounds.get((node, reference))  # off(ref) - off(node) <= down.value
        if up is None and down is None:
            continue
        high = up.value + slack if up else float("inf")
        low = -down.value - slack if down else float("-inf")
        applied = 0.0
        if low > high:  # the pairs disagree (a mismatched pair): take the middle
            applied = (low + high) / 2
        elif low > 0:
            applied = low
        elif high < 0:
            applied = high
        evidence = (up.sources if up else []) + (down.sources if down else [])
        skews.append(Skew(node, reference, low, high, applied, evidence))
    return skews
