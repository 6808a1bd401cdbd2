"""The safety properties, each with the name used in reports.

State invariants look at a View of one state; transition properties look at one server before
and after a step (every property of transitions we check is about a single server, which lets the
model evaluate it once per distinct server step).

"Committed" needs care, because commitIndex is volatile. An entry is *known committed* when
- some server's commitIndex covers it (that server learned of the commit in its current term or
  earlier, so the commit happened in a term <= that server's currentTerm), or
- the ``committed`` history variable (raftcheck profile) recorded it when a leader advanced its
  commitIndex over it, together with the leader's term at that moment.
Each known-committed record is (index, entry, term by which it was committed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .records import NIL, Entry, Role, Server, bits


class View(NamedTuple):
    """What the state invariants see of a state."""

    servers: tuple[Server, ...]
    quorum: int
    partition: int  # bit set of one side of a two-way cut; 0 when the network is whole
    elections: frozenset  # raft.tla history: election records (term, leader, ...); else empty
    committed: frozenset  # committed history: (index, entry, commit term); else empty
    acked: frozenset = frozenset()  # timed model: writes acknowledged, (index, term, value)


Committed = tuple[int, Entry, int]


def known_committed(v: View) -> set[Committed]:
    known: set[Committed] = set(v.committed)
    for s in v.servers:
        for index in range(1, min(s.commit_index, len(s.log)) + 1):
            known.add((index, s.log[index - 1], s.term))
    return known


# --- state invariants -------------------------------------------------------------------------


def election_safety(v: View) -> bool:
    """At most one leader can be elected in a given term: no two servers are leaders of the same
    term, and (with raft.tla's history) no two elections of one term chose different leaders."""
    leader_of: dict[int, int] = {}
    for i, s in enumerate(v.servers):
        if s.role == Role.LEADER and leader_of.setdefault(s.term, i) != i:
            return False
    return all(leader_of.setdefault(term, leader) == leader for term, leader, *_ in v.elections)


def log_matching(v: View) -> bool:
    """If two logs contain an entry with the same index and term, the logs are identical in all
    entries up through that index."""
    logs = [s.log for s in v.servers]
    for a in range(len(logs)):
        for b in range(a + 1, len(logs)):
            x, y = logs[a], logs[b]
            for k in range(min(len(x), len(y)) - 1, -1, -1):
                if x[k][0] == y[k][0]:
                    if x[:k + 1] != y[:k + 1]:
                        return False
                    break
    return True


def leader_completeness(v: View) -> bool:
    """If an entry is committed by some term, it is in the log of every leader of a later term."""
    leaders = [s for s in v.servers if s.role == Role.LEADER]
    if not leaders:
        return True
    for index, entry, term in known_committed(v):
        for leader in leaders:
            if leader.term > term and (len(leader.log) < index or leader.log[index - 1] != entry):
                return False
    return True


def state_machine_safety(v: View) -> bool:
    """No two servers apply different entries at the same index: known-committed entries agree."""
    at: dict[int, Entry] = {}
    return all(at.setdefault(index, entry) == entry for index, entry, _ in known_committed(v))


def committed_never_lost(v: View) -> bool:
    """Every known-committed entry is stored, at its index, in the logs of a quorum."""
    for index, entry, _ in known_committed(v):
        holders = sum(1 for s in v.servers if len(s.log) >= index and s.log[index - 1] == entry)
        if holders < v.quorum:
            return False
    return True


def minority_never_commits(v: View) -> bool:
    """While the network is cut in two, a side without a quorum decides no commit by itself:
    every entry that a server on such a side considers committed is also stored, at the same
    index, on some server of the other side. (Vacuous while the network is whole.)"""
    if not v.partition:
        return True
    n = len(v.servers)
    sides = (v.partition, ((1 << n) - 1) & ~v.partition)
    for side in sides:
        members = bits(side)
        if len(members) >= v.quorum:
            continue
        others = [v.servers[j] for j in range(n) if not side >> j & 1]
        for i in members:
            s = v.servers[i]
            for index in range(1, min(s.commit_index, len(s.log)) + 1):
                entry = s.log[index - 1]
                if not any(len(o.log) >= index and o.log[index - 1] == entry for o in others):
                    return False
    return True


# --- transition properties (one server, before and after a step) ------------------------------


def leader_append_only(before: Server, after: Server) -> bool:
    """A leader never overwrites or deletes entries in its log; it only appends."""
    if before.role != Role.LEADER or after.role != Role.LEADER or before.term != after.term:
        return True
    return after.log[:len(before.log)] == before.log


def voted_once_per_term(before: Server, after: Server) -> bool:
    """A server votes for at most one candidate in a term: once votedFor is set, it does not
    change until the term does (restarts included: votedFor is persistent)."""
    return (after.term != before.term or before.voted_for == NIL
            or after.voted_for == before.voted_for)


def term_monotonic(before: Server, after: Server) -> bool:
    """A server's currentTerm never decreases (restarts included: currentTerm is persistent)."""
    return after.term >= before.term


def first_violated(props: list[Property], view: View) -> str | None:
    """The name of the first state invariant the view violates, or None."""
    return next((p.name for p in props if not p.check(view)), None)


def first_broken(props: list[Property], before: Server, after: Server) -> str | None:
    """The name of the first transition property a server's step breaks, or None."""
    return next((p.name for p in props if not p.check(before, after)), None)


@dataclass(frozen=True)
class Property:
    name: str
    kind: str  # "state" or "transition"
    check: Callable

    @property
    def description(self) -> str:
        return " ".join((self.check.__doc__ or "").split())


PROPERTIES: dict[str, Property] = {
    p.name: p
    for p in (
        Property("ElectionSafety", "state", election_safety),
        Property("LogMatching", "state", log_matching),
        Property("LeaderCompleteness", "state", leader_completeness),
        Property("StateMachineSafety", "state", state_machine_safety),
        Property("LeaderAppendOnly", "transition", leader_append_only),
        Property("VotedOncePerTerm", "transition", voted_once_per_term),
        Property("TermMonotonic", "transition", term_monotonic),
        Property("CommittedNeverLost", "state", committed_never_lost),
        Property("MinorityNeverCommits", "state", minority_never_commits),
    )
}
