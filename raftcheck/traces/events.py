"""The normalised event vocabulary that every log format is parsed into.

One event is one observation a log line makes about one node's Raft state, in the words of the
Raft paper and of etcd's log lines ("became leader at term 2", "cast MsgVote for ...").
Every event carries the node it is about (a normalised name such as ``n1``), where it came from
(:class:`SourceRef`) and the time the log gives (``None`` when the format has no clock; the
precision is per file, see ``raftcheck.traces.logfiles.FileSummary.time_precision``).

Fields that a format does not show are ``None``; the parser never guesses them. What each event
says about the Raft state is documented in ``docs/log-formats.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from raftcheck.traces.quick_init import quick_init

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty_fields() -> Mapping[str, Any]:
    return _EMPTY


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an event came from: file, 1-based line number, and the raw text of the record.

    A record that spans several lines (a multi-line message of an etcd-raft transcript) has the
    number of its first line and the raw text of all its lines joined by newlines.
    """

    path: str
    line: int
    raw: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Entry:
    """A log entry as a message or a Ready shows it: index, term, type and (printed) data."""

    index: int
    term: int
    kind: str = "EntryNormal"
    data: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of all events: the node it is about, its source, and its time (or None)."""

    node: str
    source: SourceRef
    time: datetime | None = None

    @property
    def kind(self) -> str:
        """The event's type name, e.g. ``"BecameLeader"``."""
        return type(self).__name__


# --- start, membership -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeStarted(Event):
    """The node's Raft instance (re)started with this persisted state (etcd ``newRaft``).

    A second NodeStarted for the same node is a restart: currentTerm, votedFor and the log
    persisted; everything else was lost.
    """

    term: int | None = None
    vote: str | None = None
    commit: int | None = None
    applied: int | None = None
    last_index: int | None = None
    last_term: int | None = None
    peers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Membership(Event):
    """The node's current configuration (voters; joint and learner parts when present).

    Logged at every boot, so it is an observation, not a change; compare successive ones to
    see a membership change.
    """

    voters: tuple[str, ...] = ()
    outgoing_voters: tuple[str, ...] = ()
    learners: tuple[str, ...] = ()
    learners_next: tuple[str, ...] = ()
    auto_leave: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigChange(Event):
    """A membership change was proposed, appended to the leader's log, applied or refused.

    ``appended``: the line says the leader appended the change to its log (etcd-raft traces'
    ChangeConf); the configurations themselves are ``Membership`` events."""

    detail: str = ""
    appended: bool = False


# --- roles and terms -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BecameFollower(Event):
    """role := Follower, currentTerm := term (leader when the line names it)."""

    term: int | None = None
    leader: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BecamePreCandidate(Event):
    """role := PreCandidate; the term does not change (pre-vote)."""

    term: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BecameCandidate(Event):
    """role := Candidate, currentTerm := term, votedFor := self."""

    term: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BecameLeader(Event):
    """role := Leader at term."""

    term: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SteppedDown(Event):
    """A leader stepped down without a higher term (check-quorum: no quorum heard from)."""

    term: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ElectionTimeout(Event):
    """The election timer fired (spec action Timeout); term is the term before the election."""

    term: int | None = None
    last_leader: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignSkipped(Event):
    """The node would campaign but does not (learner, pending conf change, already leader)."""

    term: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TermObserved(Event):
    """The node saw a message with a higher term (term, from from_node) and adopts it.

    old_term is the node's term before; term is None where the format does not print it.
    """

    term: int | None = None
    old_term: int | None = None
    from_node: str | None = None
    message_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StaleMessageDropped(Event):
    """The node (at term) ignored a message of a lower message_term from from_node."""

    term: int | None = None
    from_node: str | None = None
    message_type: str | None = None
    message_term: int | None = None


# --- elections -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteRequested(Event):
    """A (pre-)candidate sends a RequestVote to voter (node is the candidate).

    term is the term the log line prints: the candidate's current term. A pre-vote request
    carries term + 1 on the wire.
    """

    voter: str
    term: int | None = None
    last_log_index: int | None = None
    last_log_term: int | None = None
    prevote: bool = False

    @property
    def candidate(self) -> str:
        return self.node


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteCast(Event):
    """A voter (node) answers a (pre-)vote request: granted or rejected, at its term."""

    candidate: str | None
    term: int | None = None
    granted: bool = False
    prevote: bool = False
    voted_for: str | None = None
    last_log_index: int | None = None
    last_log_term: int | None = None
    candidate_last_log_index: int | None = None
    candidate_last_log_term: int | None = None
    reason: str = ""

    @property
    def voter(self) -> str:
        return self.node


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteIgnored(Event):
    """A node drops a (pre-)vote request unanswered: it heard from a leader recently (lease)."""

    candidate: str
    term: int | None = None
    prevote: bool = False
    voted_for: str | None = None
    last_log_index: int | None = None
    last_log_term: int | None = None
    candidate_last_log_index: int | None = None
    candidate_last_log_term: int | None = None
    remaining_ticks: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteReceived(Event):
    """A (pre-)candidate (node) counts voter's response: granted or not."""

    voter: str
    term: int | None = None
    granted: bool = True
    prevote: bool = False

    @property
    def candidate(self) -> str:
        return self.node


@dataclass(frozen=True, slots=True, kw_only=True)
class VotesTallied(Event):
    """A (pre-)candidate's running tally (granted includes its own vote); None = not logged."""

    term: int | None = None
    granted: int | None = None
    rejected: int | None = None
    prevote: bool = False

    @property
    def candidate(self) -> str:
        return self.node


@dataclass(frozen=True, slots=True, kw_only=True)
class VotesNeeded(Event):
    """A candidate starts counting: it needs this many votes (the quorum size)."""

    needed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderKnown(Event):
    """The node now knows leader as the leader of term (previous: the leader it replaces)."""

    leader: str
    term: int | None = None
    previous: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderLost(Event):
    """The node no longer knows a leader (leader: the one it forgot, when logged)."""

    term: int | None = None
    leader: str | None = None
    reason: str = ""


# --- messages (message-level formats) ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSent(Event):
    """src (node) sends a message. fields: log_term, index, commit, vote, reject, reject_hint,
    entries (tuple of Entry), entry_count, snapshot_index, snapshot_term, as the format shows."""

    type: str
    src: str
    dst: str
    term: int | None = None
    fields: Mapping[str, Any] = field(default_factory=_empty_fields, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived(Event):
    """dst (node) receives (steps) a message; fields as for MessageSent."""

    type: str
    src: str
    dst: str
    term: int | None = None
    fields: Mapping[str, Any] = field(default_factory=_empty_fields, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageDropped(Event):
    """A message was lost: dropped by the network (node = src) or refused by the receiver."""

    type: str | None
    src: str | None
    dst: str | None
    term: int | None = None
    reason: str = ""
    fields: Mapping[str, Any] = field(default_factory=_empty_fields, hash=False)


# --- log, commit, apply ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EntriesAppended(Event):
    """Entries first_index..last_index (of term, when one term) are now in the node's log."""

    first_index: int | None = None
    last_index: int | None = None
    term: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitAdvanced(Event):
    """The node's commitIndex is commit_index (term: the node's current term, when shown;
    last_index: its log's last index at that moment, when shown)."""

    commit_index: int
    term: int | None = None
    last_index: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied(Event):
    """The node has applied (or handed to its state machine) entries up to index."""

    index: int
    term: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HardState(Event):
    """The node's persistent state: currentTerm, votedFor (None = no vote), commitIndex."""

    term: int | None = None
    vote: str | None = None
    commit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StateObserved(Event):
    """A snapshot of the node's state as the format prints it (role Follower/PreCandidate/
    Candidate/Leader, term, known leader, vote, commit, last log index); None = not shown."""

    role: str | None = None
    term: int | None = None
    leader: str | None = None
    vote: str | None = None
    commit: int | None = None
    last_index: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LogObserved(Event):
    """The node's log holds first_index..last_index (term of that entry when one entry);
    first_index = last_index + 1 means an empty log."""

    first_index: int
    last_index: int
    term: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LogTruncated(Event):
    """A follower removes conflicting entries from from_index (to to_index when logged)."""

    from_index: int
    to_index: int | None = None
    existing_term: int | None = None
    conflicting_term: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitOutOfRange(Event):
    """The node was told to commit index ``commit``, past the end of its log (``last_index``),
    and etcd-raft panicked (``tocommit(N) is out of range [lastIndex(M)]``). A leader tells a
    follower to commit at most what the follower acknowledged: its log lost entries it had
    persisted."""

    commit: int
    last_index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendRejected(Event):
    """A follower (node) rejects an AppendEntries: the consistency check failed.

    index/log_term: the leader's prevLogIndex/prevLogTerm; local_log_term: the follower's term
    at that index; local_last_index: the follower's last index.
    """

    leader: str | None = None
    index: int | None = None
    log_term: int | None = None
    local_log_term: int | None = None
    local_last_index: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicationProgress(Event):
    """The leader's (node's) view of a follower (peer): probe/replicate/snapshot state,
    matchIndex, nextIndex, and what happened (action)."""

    peer: str | None
    action: str
    state: str | None = None
    match: int | None = None
    next: int | None = None
    detail: str = ""


# --- features outside the core model ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot(Event):
    """Snapshot / log compaction activity (outside the core model): action, index, term."""

    action: str
    index: int | None = None
    term: int | None = None
    peer: str | None = None
    commit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadershipTransfer(Event):
    """Leadership transfer activity (outside the core model)."""

    action: str
    term: int | None = None
    leader: str | None = None
    transferee: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestDropped(Event):
    """A client request (proposal, ReadIndex read, transfer) was refused, e.g. no leader."""

    request: str
    term: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureUsed(Event):
    """A line that shows a feature the core model does not cover (feature names it)."""

    feature: str
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggingLevel(Event):
    """The run's raft logging changes level (an etcd-raft transcript's ``log-level`` command):
    at ``info`` and ``debug`` every step is logged, at ``none`` (and above info) none is.
    The node is the transcript's first; the level is the whole run's."""

    level: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TickMissed(Event):
    """The node's event loop blocked so long that a clock tick was lost (slow node/disk)."""


# --- the server around Raft -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig(Event):
    """The server describes itself as it starts (etcd's start-up banner): its member name
    (``--name``) and Raft timing; None = not logged. Logged at every start."""

    name: str | None = None
    election_ms: int | None = None
    heartbeat_ms: int | None = None
    pre_vote: bool | None = None


WARNING_KINDS: Mapping[str, str] = MappingProxyType({
    "slow-fsync": "a write-ahead-log fsync took longer than the implementation expects",
    "heartbeat-late": "the leader sent a heartbeat late (its loop was blocked: slow disk, "
                      "overload)",
    "slow-apply": "a request took too long to apply",
    "slow-read-index": "a linearizable read waited too long for the leader's ReadIndex",
    "peer-unhealthy": "the health probe of a peer failed",
    "clock-drift": "a peer's clock differs from this node's by more than the tolerance",
    "peer-lost": "the connection to a peer broke, or a message to it failed",
    "peer-unreachable": "a peer could not be dialled",
    "peer-active": "a peer is reachable again (the end of a peer-lost)",
    "stopping": "the server was told to stop (a signal) and shuts down",
})
"""The kinds of :class:`ServerWarning`, each with what it means."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerWarning(Event):
    """A line in which the server around Raft (etcd's) reports trouble (or its end): slow disk,
    unreachable or lost peer, clock drift, a stop. ``warning`` is one of WARNING_KINDS; ``peer``
    the other node it concerns; ``seconds`` the duration it reports (how long an fsync
    took, how late a heartbeat was); ``detail`` the rest, as logged."""

    warning: str
    peer: str | None = None
    seconds: float | None = None
    detail: str = ""


NAME_FIELDS = frozenset({
    "leader", "voter", "candidate", "src", "dst", "from_node", "peer", "peers", "voters",
    "outgoing_voters", "learners", "learners_next", "voted_for", "vote", "last_leader",
    "previous", "transferee"})
"""Event fields that hold node names."""

_fields_by_type: dict[type[Event], tuple[str, ...]] = {}


def name_fields(kind: type[Event]) -> tuple[str, ...]:
    """The fields of an event kind that hold node names."""
    names = _fields_by_type.get(kind)
    if names is None:
        names = _fields_by_type[kind] = tuple(f for f in kind.__dataclass_fields__
                                              if f in NAME_FIELDS)
    return names


def names_held(values: Iterable[Any]) -> tuple[str, ...]:
    """The node names that an event's name fields' values hold, in order: a name, or the
    members of a tuple of names (None and absent values hold none)."""
    names: list[str] = []
    for value in values:
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, tuple):
            names += value
    return tuple(names)


_name_getters: dict[type[Event], Callable[[Event], tuple[str, ...]]] = {}


def names_in(e: Event) -> tuple[str, ...]:
    """The node names an event's fields hold (a Skimmed one's: those its fields held)."""
    return names_getter(type(e))(e)


def names_getter(kind: type[Event]) -> Callable[[Event], tuple[str, ...]]:
    """``names_in`` for the events of one kind, made once per kind (for callers that ask it of
    every event: one call instead of a lookup of the kind's fields and a generic walk)."""
    get = _name_getters.get(kind)
    if get is None:
        get = _name_getters[kind] = _getter(kind)
    return get


def _getter(kind: type[Event]) -> Callable[[Event], tuple[str, ...]]:
    if kind is Skimmed:
        return attrgetter("names")
    keys = name_fields(kind)
    if not keys:
        return lambda e: ()
    values = attrgetter(*keys)
    if len(keys) > 1:
        return lambda e: names_held(values(e))

    def held(e: Event) -> tuple[str, ...]:  # names_held of the one value, without its loop
        value = values(e)
        if isinstance(value, str):
            return (value,)
        return tuple(value) if isinstance(value, tuple) else ()
    return held


@dataclass(frozen=True, slots=True, kw_only=True)
class Skimmed(Event):
    """An event of a kind that the reader's caller never looks into (``of``), read only as far
    as the caller still looks: its node, time and source, and ``names``, the other nodes its
    fields name. What it says beyond that is not read (see ``LogStream``'s ``skim``): validate
    counts server warnings and dropped requests, orders them by time and notes which nodes they
    name, and building them whole was about a tenth of its time on etcd logs. Not an observation
    kind of its own: not in EVENT_TYPES."""

    of: type[Event]
    names: tuple[str, ...] = ()


ROLE_CHANGES: tuple[type[Event], ...] = (BecameFollower, BecamePreCandidate, BecameCandidate,
                                         BecameLeader)
"""The events by which a node takes a role: Raft's state, even where a format prints no term
(hashicorp's follower)."""

_AFTER_OTHERS: dict[type[Event], int] = {
    TermObserved: 1, StaleMessageDropped: 1, VoteCast: 1, VoteIgnored: 1, LeaderKnown: 1,
    MessageReceived: 1, AppendRejected: 1, VoteReceived: 2, ReplicationProgress: 2,
}


def after_others(e: Event) -> int:
    """How many steps of other nodes, one after another, the event follows: a vote is cast on
    a request (1), and counted once cast (2); a node's own steps (its own vote counted, its
    tally) follow none. Where two nodes' lines carry the same time, the one that follows
    fewer goes first (validate's merge): a vote counted in the millisecond it was cast comes
    after the cast."""
    kind = type(e)
    if kind is VoteReceived and e.voter == e.node:  # type: ignore[attr-defined]
        return 0
    return _AFTER_OTHERS.get(kind, 0)


EVENT_TYPES: tuple[type[Event], ...] = (
    NodeStarted, Membership, ConfigChange,
    BecameFollower, BecamePreCandidate, BecameCandidate, BecameLeader, SteppedDown,
    ElectionTimeout, CampaignSkipped, TermObserved, StaleMessageDropped,
    VoteRequested, VoteCast, VoteIgnored, VoteReceived, VotesTallied, VotesNeeded,
    LeaderKnown, LeaderLost,
    MessageSent, MessageReceived, MessageDropped,
    EntriesAppended, CommitAdvanced, Applied, HardState, StateObserved, LogObserved,
    LogTruncated, AppendRejected, ReplicationProgress,
    Snapshot, LeadershipTransfer, RequestDropped, FeatureUsed, LoggingLevel, TickMissed,
    ServerConfig, ServerWarning,
)
"""Every event class, in documentation order."""

QUICK_INIT: tuple[type, ...] = (SourceRef, Entry, Event, *EVENT_TYPES, Skimmed)
"""The classes reading builds for nearly every line: built by quick_init's ``__init__``."""
for _kind in QUICK_INIT:
    quick_init(_kind)

OUTSIDE_CORE: tuple[type[Event], ...] = (ConfigChange, Snapshot, LeadershipTransfer, FeatureUsed)
"""Events that show a feature outside the core model: validation is inconclusive with them."""
