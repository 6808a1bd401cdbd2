"""One candidate state of the cluster that the logs may have come from.

A :class:`World` holds each node's spec record (``raftcheck.spec.records.Server``, with a
:class:`~raftcheck.validate.knowledge.KnownLog` as its log: what the logs have shown of it),
the messages that have been sent (the network may delay and duplicate, so a message once sent
may arrive any time later), and the history the properties need: who was elected in which
term, what is known committed, and how much of each node's log a restart must keep. Worlds are
immutable and hashable so that a set of them can be deduplicated.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from raftcheck.spec import invariants
from raftcheck.spec.records import Role, Server
from raftcheck.traces.events import SourceRef

from .knowledge import NOTHING_COMMITTED, Committed

_new_tuple = tuple.__new__
"""How a NamedTuple's own ``__new__`` and ``_make`` build it, without their Python frame."""


GUESS_SLACK = 64
"""Terms by which a node's guessed term may be too high (World.pruned)."""


class World(NamedTuple):
    servers: tuple[Server | None, ...]  # by node number - 1; None: nothing observed yet
    sent: frozenset  # messages (spec message records, or replication keys) ever sent
    elections: frozenset  # (term, leader): every BecomeLeader so far
    committed: Committed  # what is known committed, cluster-wide
    kept: tuple[int, ...] = ()  # by node: entries its log keeps across a restart (persisted)

    def server(self, i: int) -> Server | None:
        return self.servers[i] if i < len(self.servers) else None

    def with_server(self, i: int, s: Server) -> World:
        servers = self.servers
        if i >= len(servers):
            servers = servers + (None,) * (i + 1 - len(servers))
        return _new_tuple(World, ((*servers[:i], s, *servers[i + 1:]), self.sent,
                                  self.elections, self.committed, self.kept))

    # built as tuples (_new_tuple) rather than by _replace or World(...) (keyword handling,
    # a Python frame): these run for nearly every event
    def sending(self, *messages: object) -> World:
        return _new_tuple(World, (self.servers, self.sent.union(messages), self.elections,
                                  self.committed, self.kept))

    def electing(self, term: int, i: int) -> World:
        return _new_tuple(World, (self.servers, self.sent, self.elections | {(term, i)},
                                  self.committed, self.kept))

    def with_committed(self, committed: Committed) -> World:
        return _new_tuple(World, (self.servers, self.sent, self.elections, committed,
                                  self.kept))

    def kept_by(self, i: int) -> int:
        return self.kept[i] if i < len(self.kept) else 0

    def with_kept(self, i: int, index: int) -> World:
        kept = self.kept + (0,) * (i + 1 - len(self.kept))
        return _new_tuple(World, (self.servers, self.sent, self.elections, self.committed,
                                  (*kept[:i], index, *kept[i + 1:])))

    def min_term(self) -> int:
        """The lowest current term of any observed node (0 if none)."""
        terms = [s.term for s in self.servers if s is not None]
        return min(terms) if terms else 0

    def pruned(self, guessed: frozenset[int] = frozenset()) -> World:
        """Forget what can no longer matter: every node's term has passed messages and elections
        of older terms (a node adopts only higher terms, so an older message can only be
        dropped as stale, and an election of an older term can no longer be contested).
        ``guessed``: nodes whose terms are guesses (none of their own lines read yet, or their
        log began mid-run and has not shown it): a guess may be too high, so messages to them
        are kept GUESS_SLACK terms longer."""
        if not self.servers or None in self.servers:
            return self
        floor = min(s.term for s in self.servers)
        lowest = floor - GUESS_SLACK

        def kept(m: Any) -> bool:
            return m.term >= floor or (m.dst in guessed and m.term >= lowest)

        committed = self.committed.forget_before(floor)
        if all(map(kept, self.sent)) and all(x[0] >= floor for x in self.elections) and \
                committed is self.committed:
            return self
        return self._replace(sent=frozenset(filter(kept, self.sent)),
                             elections=frozenset(x for x in self.elections if x[0] >= floor),
                             committed=committed)


_LOG = Server._fields.index("log")


def with_log(s: Server, log: object) -> Server:
    """``s._replace(log=log)``, without the keyword handling (most events change a log)."""
    return _new_tuple(Server, (*s[:_LOG], log, *s[_LOG + 1:]))


FOLLOWER, CANDIDATE, LEADER, PRE_CANDIDATE = (Role.FOLLOWER, Role.CANDIDATE, Role.LEADER,
                                              Role.PRE_CANDIDATE)
"""The spec's roles as module constants: reading an IntEnum member off its class costs more
than the comparison (Python 3.11), and handlers compare roles for every event."""

EMPTY = World((), frozenset(), frozenset(), NOTHING_COMMITTED)


class Unexplained(Exception):
    """No step of the spec explains an event: the rule or property broken, why, and the other
    lines involved (e.g. the first leader of a contested term). ``awaits``: the node whose
    step would explain it (a :class:`Missing` always names one; a broken rule may name one
    whose later lines could show it was not broken: the line is still the one to blame)."""

    awaits: str | None = None

    def __init__(self, rule: str, explanation: str,
                 related: tuple[SourceRef | None, ...] = (), awaits: str | None = None) -> None:
        super().__init__(f"{rule}: {explanation}")
        self.rule, self.explanation = rule, explanation
        self.awaits = awaits
        # most have none (and a failed try of an event raises one: the engine retries often)
        self.related = tuple(r for r in related if r is not None) if related else ()


class Missing(Unexplained):
    """No step explains an event *yet*: it needs a step of another node that the logs have not
    shown (a message never sent, a leader never elected, a vote never granted). The merge may
    find that step a little later in another file; if not, an unexplained event of another
    node no later than this one is the more likely cause. ``awaits`` names that other node:
    the merge looks in its file first."""

    def __init__(self, rule: str, explanation: str, awaits: str) -> None:
        super().__init__(rule, explanation, awaits=awaits)


TRANSITION_PROPERTIES = tuple(
    p for p in invariants.PROPERTIES.values()
    # LeaderAppendOnly compares whole logs; on known logs it is checked where they change
    if p.kind == "transition" and p.name != "LeaderAppendOnly"
)


def check_transition(before: Server | None, after: Server, what: str) -> None:
    """The spec's properties of one server's step (TermMonotonic, VotedOncePerTerm), raised as
    Unexplained."""
    if before is None:
        return
    for prop in TRANSITION_PROPERTIES:
        if not prop.check(before, after):
            raise Unexplained(prop.name, f"{what} ({prop.description})")
