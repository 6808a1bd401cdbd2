"""The values a Raft state is made of: server variables, log entries and messages.

Every value here is built only from ints, tuples and frozensets. That keeps states hashable,
comparable and, above all, hashed identically in every process and every run (Python salts the
hash of str, and in 3.11 hashes None by address), so a hash can serve as a fingerprint.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

from .quorum import Configuration

#: "no server": votedFor before a vote is cast.
NIL = -1


class Role(IntEnum):
    FOLLOWER = 0
    CANDIDATE = 1
    LEADER = 2
    PRE_CANDIDATE = 3  # pre-vote only (Rules.pre_vote): campaigning without a new term


# A log entry is (term, value); a log is a tuple of entries, index 1 first. A configuration
# entry (membership changes) has a Configuration as its value.
Entry = tuple[int, "int | Configuration"]
Log = tuple[Entry, ...]


def last_term(log: Log) -> int:
    """The term of the last entry in a log, or 0 if the log is empty."""
    return log[-1][0] if log else 0


class Server(NamedTuple):
    """One server's variables, grouped by lifetime as in raft.tla.

    Persistent (survive a restart): term, voted_for, log, snapshot_index, base_config.
    Volatile: role, commit_index; candidate: votes_responded, votes_granted, voter_log;
    leader: next_index, match_index (one slot per server, indexed by server number).

    With snapshots (spec/snapshots.py), log is the logical log: the entries up to
    snapshot_index are compacted. The server keeps only what applying them made (the state
    machine, which in this model is the sequence of values applied), the term of the last one
    and the configuration in force there; the actions never read a compacted entry otherwise.
    """

    term: int
    voted_for: int
    log: Log
    role: int
    commit_index: int
    votes_responded: int  # bit set of servers
    votes_granted: int  # bit set of servers
    voter_log: tuple[tuple[int, Log], ...]  # history variable: voter -> its log; () when off
    next_index: tuple[int, ...]
    match_index: tuple[int, ...]
    # Snapshots: the last index compacted into the snapshot (0: none taken).
    snapshot_index: int = 0
    # Membership changes: the configuration in force before the first entry of the log (at
    # boot, or the one a snapshot brought); () where the cluster is fixed.
    base_config: Configuration | tuple = ()


def applied_index(s: Server) -> int:
    """The last index server s has applied: what it knows committed, and what its snapshot
    holds (a server applies committed entries at once, in this model)."""
    return min(max(s.commit_index, s.snapshot_index), len(s.log))


class MessageType(IntEnum):
    REQUEST_VOTE_REQUEST = 0
    REQUEST_VOTE_RESPONSE = 1
    APPEND_ENTRIES_REQUEST = 2
    APPEND_ENTRIES_RESPONSE = 3
    # Pre-vote (thesis §9.6; Rules.pre_vote): the RequestVote records under their own types.
    PRE_VOTE_REQUEST = 4
    PRE_VOTE_RESPONSE = 5
    # Snapshots (snapshots.py); the answer is an AppendEntries response, as in etcd-io/raft.
    INSTALL_SNAPSHOT_REQUEST = 6


class RequestVoteRequest(NamedTuple):
    type: int
    term: int
    src: int
    dst: int
    last_log_term: int
    last_log_index: int


class RequestVoteResponse(NamedTuple):
    type: int
    term: int
    src: int
    dst: int
    vote_granted: bool
    log: Log  # history variable mlog (the voter's log); () when history is off


class AppendEntriesRequest(NamedTuple):
    type: int
    term: int
    src: int
    dst: int
    prev_log_index: int
    prev_log_term: int
    entries: Log
    commit_index: int
    log: Log  # history variable mlog (the leader's log); () when history is off


class AppendEntriesResponse(NamedTuple):
    type: int
    term: int
    src: int
    dst: int
    success: bool
    match_index: int


class InstallSnapshotRequest(NamedTuple):
    """A leader's snapshot for a follower behind the leader's log start: the entries it
    compacted (what applying them made: this model's state machine is the values applied),
    whose last gives the snapshot's index and term, and the configuration in force before the
    first of them (the snapshot's configuration is the latest in force at its last index)."""

    type: int
    term: int
    src: int
    dst: int
    entries: Log
    base_config: Configuration | tuple


Message = (RequestVoteRequest | RequestVoteResponse | AppendEntriesRequest | AppendEntriesResponse
           | InstallSnapshotRequest)

MESSAGE_CLASSES: dict[int, type] = {
    MessageType.REQUEST_VOTE_REQUEST: RequestVoteRequest,
    MessageType.REQUEST_VOTE_RESPONSE: RequestVoteResponse,
    MessageType.APPEND_ENTRIES_REQUEST: AppendEntriesRequest,
    MessageType.APPEND_ENTRIES_RESPONSE: AppendEntriesResponse,
    MessageType.PRE_VOTE_REQUEST: RequestVoteRequest,
    MessageType.PRE_VOTE_RESPONSE: RequestVoteResponse,
    MessageType.INSTALL_SNAPSHOT_REQUEST: InstallSnapshotRequest,
}

#: What each message type is called in traces and exports.
MESSAGE_NAMES: dict[int, str] = {
    MessageType.REQUEST_VOTE_REQUEST: "RequestVoteRequest",
    MessageType.REQUEST_VOTE_RESPONSE: "RequestVoteResponse",
    MessageType.APPEND_ENTRIES_REQUEST: "AppendEntriesRequest",
    MessageType.APPEND_ENTRIES_RESPONSE: "AppendEntriesResponse",
    MessageType.PRE_VOTE_REQUEST: "PreVoteRequest",
    MessageType.PRE_VOTE_RESPONSE: "PreVoteResponse",
    MessageType.INSTALL_SNAPSHOT_REQUEST: "InstallSnapshotRequest",
}

#: The message types that ask for a vote (a real one or a pre-vote).
VOTE_REQUESTS = frozenset({MessageType.REQUEST_VOTE_REQUEST, MessageType.PRE_VOTE_REQUEST})

#: The message types that answer a request (a stale one is dropped unread).
RESPONSES = frozenset({MessageType.REQUEST_VOTE_RESPONSE, MessageType.APPEND_ENTRIES_RESPONSE,
                       MessageType.PRE_VOTE_RESPONSE})


def as_message(value: tuple) -> Message:
    """Rebuild a typed message from its plain-tuple form (as a permutation may produce)."""
    return MESSAGE_CLASSES[value[0]](*value)


def bits(members: int) -> list[int]:
    """The servers in a bit set, in order."""
    out = []
    i = 0
    while members:
        if members & 1:
            out.append(i)
        members >>= 1
        i += 1
    return out


def node_name(i: int) -> str:
    return f"n{i + 1}"


def set_text(members: int) -> str:
    """A set of servers (a bit set) in a trace: `{n1,n3}`."""
    return "{" + ",".join(node_name(i) for i in bits(members)) + "}"
