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

With membership changes the committed history also records the configuration whose quorum the
leader counted; with snapshots, a server's applied entries are those up to its commit index or
its snapshot, whichever is further (spec/snapshots.py: the logical log).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .quorum import Configuration, is_quorum
from .records import NIL, Entry, Log, Role, Server, applied_index, bits


class View(NamedTuple):
    """What the state invariants see of a state."""

    servers: tuple[Server, ...]
    # The configuration of a fixed cluster; None where configurations change (the committed
    # history then records with each commit the configuration whose quorum was counted).
    cluster: Configuration | None
    partition: int  # bit set of one side of a two-way cut; 0 when the network is whole
    elections: frozenset  # raft.tla history: election records (term, leader, ...); else empty
    # committed history: (index, entry, commit term[, configuration counted]); else empty
    committed: frozenset
    acked: frozenset = frozenset()  # timed model: writes acknowledged, (index, term, value)


Committed = tuple[int, Entry, int]


class InvariantPart(NamedTuple):
    """The variables of one server that the state invariants below read (applied_index
    included): states whose servers agree on these, with the same partition and history, get
    the same verdict, so a model may judge them once. An invariant that reads another variable
    adds it here (tests/test_invariants.py runs every invariant on servers that hold only
    these)."""

    term: int
    role: Role
    log: Log
    commit_index: int
    snapshot_index: int


def invariant_part(s: Server) -> InvariantPart:
    """What the state invariants read of server s."""
    return InvariantPart(s.term, s.role, s.log, s.commit_index, s.snapshot_index)


def known_committed(v: View) -> set[Committed]:
    known: set[Committed] = {record[:3] for record in v.committed}
    for s in v.servers:
        for index in range(1, applied_index(s) + 1):
            known.add((index, s.log[index - 1], s.term))
    return known


def holders(v: View, index: int, entry: Entry) -> int:
    """The servers whose (logical) log holds the entry at the index, as a bit set."""
    return sum(1 << k for k, s in enumerate(v.servers)
               if len(s.log) >= index and s.log[index - 1] == entry)


def commit_quorums(v: View) -> list[tuple[int, Entry, Configuration]]:
    """Each known-committed entry with the configuration a quorum of which stored it when it
    was committed: the fixed cluster; or, where configurations change, the one the committing
    leader counted (from the committed history)."""
    if v.cluster is None:
        return [(index, entry, config) for index, entry, _, config in v.committed]
    return [(index, entry, v.cluster) for index, entry, _ in known_committed(v)]


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
    """Every known-committed entry is stored, at its index, in the logs of a quorum (of the
    configuration it was committed in)."""
    return all(is_quorum(config, holders(v, index, entry))
               for index, entry, config in commit_quorums(v))


def minority_never_commits(v: View) -> bool:
    """While the network is cut in two, a side without a quorum decides no commit by itself:
    every entry that a server on such a side considers committed is also stored, at the same
    index, on some server of the other side. (Vacuous while the network is whole.) Where
    configurations change: no committed entry is stored only on a side that holds no quorum
    of the configuration it was committed in."""
    if not v.partition:
        return True
    n = len(v.servers)
    sides = (v.partition, ((1 << n) - 1) & ~v.partition)
    if v.cluster is None:
        for index, entry, config in commit_quorums(v):
            held = holders(v, index, entry)
            if any(not is_quorum(config, side) and not held & ~side for side in sides):
                return False
        return True
    for side in sides:
        if is_quorum(v.cluster, side):
            continue
        others = [v.servers[j] for j in range(n) if not side >> j & 1]
        for i in bits(side):
            s = v.servers[i]
            for index in range(1, applied_index(s) + 1):
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
