"""Actions as data: a name and parameters, so traces, reports and log events share one vocabulary.

The names are raft.tla's. Receive(m) in raft.tla is a choice between handlers; here each handler is
its own action, so a trace says which branch was taken.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from .membership import describe as config_text
from .quorum import Configuration
from .records import (
    MESSAGE_CLASSES,
    MESSAGE_NAMES,
    AppendEntriesRequest,
    AppendEntriesResponse,
    Entry,
    InstallSnapshotRequest,
    Message,
    MessageType,
    RequestVoteRequest,
    RequestVoteResponse,
    bits,
    node_name,
    set_text,
)


def entry_text(entry: Entry) -> str:
    """`t2:v1`, or for a configuration entry `t2:cfg{n1,n2}`."""
    term, value = entry
    if type(value) is Configuration:
        return f"t{term}:cfg{config_text(value)}"
    return f"t{term}:v{value}"


def entry_json(entry: Entry) -> dict[str, Any]:
    term, value = entry
    if type(value) is Configuration:
        return {"term": term, "config": config_json(value)}
    return {"term": term, "value": value}


def config_json(c: Configuration | tuple) -> dict[str, Any] | None:
    if not isinstance(c, Configuration):
        return None
    out: dict[str, Any] = {"voters": [node_name(k) for k in bits(c.voters)],
                           "learners": [node_name(k) for k in bits(c.learners)]}
    if c.joint:
        out["outgoing"] = [node_name(k) for k in bits(c.outgoing)]
        out["learners_next"] = [node_name(k) for k in bits(c.learners_next)]
        out["auto_leave"] = c.auto_leave
    return out


def describe_message(m: Message) -> str:
    """One short line, e.g. `RequestVoteResponse n2->n1 t2 granted`."""
    head = f"{MESSAGE_NAMES[m.type]} {node_name(m.src)}->{node_name(m.dst)} t{m.term}"
    if isinstance(m, RequestVoteRequest):
        return f"{head} lastLog={m.last_log_index}/t{m.last_log_term}"
    if isinstance(m, RequestVoteResponse):
        return f"{head} {'granted' if m.vote_granted else 'denied'}"
    if isinstance(m, AppendEntriesRequest):
        entries = ",".join(entry_text(e) for e in m.entries) or "-"
        return (
            f"{head} prev={m.prev_log_index}/t{m.prev_log_term} entries=[{entries}]"
            f" commit={m.commit_index}"
        )
    if isinstance(m, InstallSnapshotRequest):
        last = m.entries[-1][0] if m.entries else 0
        return f"{head} last={len(m.entries)}/t{last} base={config_text(m.base_config)}"
    assert isinstance(m, AppendEntriesResponse)
    return f"{head} {'ok' if m.success else 'rejected'} match={m.match_index}"


def message_json(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"type": MESSAGE_NAMES[m.type]}
    for field, value in zip(m._fields, m, strict=True):
        if field == "type":
            continue
        if field in ("src", "dst"):
            value = node_name(value)
        elif field in ("entries", "log"):
            value = [entry_json(e) for e in value]
        elif field == "base_config":
            value = config_json(value)
        out[field] = value
    return out


def groups_text(groups: tuple[int, ...]) -> str:
    return "|".join(set_text(g) for g in groups)


@dataclass(frozen=True, slots=True)
class Action:
    """An action with its parameters; subclasses name the action and list the parameters."""

    kind: ClassVar[str] = "server"  # server | message | network: what the action acts on

    @property
    def name(self) -> str:
        return type(self).__name__

    def params(self) -> list[tuple[str, Any]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def __str__(self) -> str:
        args = []
        for field, value in self.params():
            if field in ("node", "src", "dst", "server"):
                args.append(node_name(value))
            elif field == "voters":
                args.append(set_text(value))
            elif field == "client":
                args.append(f"c{value + 1}")
            elif field == "message":
                args.append(describe_message(value))
            elif field == "groups":
                args.append(groups_text(value))
            else:
                args.append(str(value))
        return f"{self.name}({', '.join(args)})"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.name}
        for field, value in self.params():
            if field in ("node", "src", "dst", "server"):
                value = node_name(value)
            elif field == "voters":
                value = [node_name(k) for k in bits(value)]
            elif field == "client":
                value = f"c{value + 1}"
            elif field == "message":
                value = message_json(value)
            elif field == "groups":
                value = [[node_name(i) for i in bits(g)] for g in value]
            out[field] = value
        return out


# --- server actions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restart(Action):
    node: int


@dataclass(frozen=True, slots=True)
class Timeout(Action):
    node: int


@dataclass(frozen=True, slots=True)
class RequestVote(Action):
    src: int
    dst: int


@dataclass(frozen=True, slots=True)
class BecomeLeader(Action):
    node: int


@dataclass(frozen=True, slots=True)
class ClientRequest(Action):
    node: int
    value: int


@dataclass(frozen=True, slots=True)
class AdvanceCommitIndex(Action):
    node: int


@dataclass(frozen=True, slots=True)
class AppendEntries(Action):
    src: int
    dst: int


# --- membership changes and snapshots (membership.py, snapshots.py) --------------------------


@dataclass(frozen=True, slots=True)
class AddVoter(Action):
    """Leader `node` appends a configuration in which `server` is a voter."""

    node: int
    server: int


@dataclass(frozen=True, slots=True)
class AddLearner(Action):
    """Leader `node` appends a configuration in which `server` is a learner (non-voter)."""

    node: int
    server: int


@dataclass(frozen=True, slots=True)
class RemoveServer(Action):
    """Leader `node` appends a configuration without `server`."""

    node: int
    server: int


@dataclass(frozen=True, slots=True)
class EnterJoint(Action):
    """Leader `node` appends a joint configuration: `voters` incoming, its voters outgoing."""

    node: int
    voters: int


@dataclass(frozen=True, slots=True)
class LeaveJoint(Action):
    """Leader `node` appends the configuration that leaves the joint one applied."""

    node: int


@dataclass(frozen=True, slots=True)
class TakeSnapshot(Action):
    """`node` compacts its log up to `index`."""

    node: int
    index: int


@dataclass(frozen=True, slots=True)
class InstallSnapshot(Action):
    """Leader `src` sends `dst`, behind the start of its log, its snapshot."""

    src: int
    dst: int


# --- message handlers (raft.tla's Receive) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpdateTerm(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class HandleRequestVoteRequest(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class HandleRequestVoteResponse(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class HandleAppendEntriesRequest(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class HandleAppendEntriesResponse(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class HandleInstallSnapshotRequest(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class DropStaleResponse(Action):
    kind: ClassVar[str] = "message"
    message: Message


# --- the network ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicateMessage(Action):
    kind: ClassVar[str] = "network"
    message: Message


@dataclass(frozen=True, slots=True)
class DeliverCopy(Action):
    """A handler step on a message the network duplicated: the handler runs as usual, and a
    copy of the message stays in flight (the raftcheck profile's duplication; see network.py)."""

    kind: ClassVar[str] = "message"
    step: Action

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def message(self) -> Message:
        return self.step.message  # type: ignore[attr-defined]

    def params(self) -> list[tuple[str, Any]]:
        return self.step.params()

    def __str__(self) -> str:
        return f"{self.step} [duplicated: a copy stays in flight]"

    def to_json(self) -> dict[str, Any]:
        return {**self.step.to_json(), "duplicate": True}


@dataclass(frozen=True, slots=True)
class DropMessage(Action):
    kind: ClassVar[str] = "network"
    message: Message


@dataclass(frozen=True, slots=True)
class Partition(Action):
    kind: ClassVar[str] = "network"
    groups: tuple[int, ...]  # bit sets of servers; messages cross no group boundary


@dataclass(frozen=True, slots=True)
class Heal(Action):
    kind: ClassVar[str] = "network"


# --- time, clients and reads (spec/timed) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tick(Action):
    """Real time passes until the next clock deadline (a timeout, a heartbeat, a lease end)."""

    kind: ClassVar[str] = "time"
    elapsed: str  # real time, as an exact fraction


@dataclass(frozen=True, slots=True)
class PreVoteTimeout(Action):
    node: int


@dataclass(frozen=True, slots=True)
class RequestPreVote(Action):
    src: int
    dst: int


@dataclass(frozen=True, slots=True)
class HandlePreVoteRequest(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class HandlePreVoteResponse(Action):
    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class IgnoreVoteRequest(Action):
    """A follower that heard from its leader within the minimum election timeout discards a
    vote request unanswered (check-quorum, lease)."""

    kind: ClassVar[str] = "message"
    message: Message


@dataclass(frozen=True, slots=True)
class HeartbeatRound(Action):
    """The leader's heartbeat timer fires: it starts a round of AppendEntries to every peer."""

    node: int


@dataclass(frozen=True, slots=True)
class CheckQuorum(Action):
    """The leader's check-quorum timer fires: it stays leader only if a quorum was heard."""

    node: int
    stays: bool


@dataclass(frozen=True, slots=True)
class DiskDone(Action):
    """A slow log write becomes durable; the node's loop runs again and sends what it held."""

    node: int


@dataclass(frozen=True, slots=True)
class ClientSend(Action):
    """Client `client` sends a request (write vN, or read) to `node`; requests take no time,
    so the node's answer, if it can give one now, is part of the step."""

    kind: ClassVar[str] = "client"
    client: int
    request: str
    node: int
    reply: str


@dataclass(frozen=True, slots=True)
class ClientRetry(ClientSend):
    """Client `client` sends its unacknowledged write again (TimedConfig.retry_writes): the
    same value, to the leader it knows or to any node."""


@dataclass(frozen=True, slots=True)
class ClientReply(Action):
    """`node` answers client `client`: ok, a value read, a redirect, an error."""

    kind: ClassVar[str] = "client"
    client: int
    node: int
    reply: str


@dataclass(frozen=True, slots=True)
class ClientTimeout(Action):
    kind: ClassVar[str] = "client"
    client: int


@dataclass(frozen=True, slots=True)
class ProxyPoll(Action):
    """The proxy polls every node's health and from now on forwards requests to `to` (the node
    that says it leads with the highest term, as it names it; "none" before one is found)."""

    kind: ClassVar[str] = "client"
    to: str


ALL_ACTIONS = (
    Restart, Timeout, RequestVote, BecomeLeader, ClientRequest, AdvanceCommitIndex,
    AppendEntries, UpdateTerm, HandleRequestVoteRequest, HandleRequestVoteResponse,
    HandleAppendEntriesRequest, HandleAppendEntriesResponse, DropStaleResponse,
    DuplicateMessage, DeliverCopy, DropMessage, Partition, Heal,
    Tick, PreVoteTimeout, RequestPreVote, HandlePreVoteRequest, HandlePreVoteResponse,
    IgnoreVoteRequest, HeartbeatRound, CheckQuorum, DiskDone, ClientSend, ClientReply,
    ClientTimeout, ProxyPoll, AddVoter, AddLearner, RemoveServer, EnterJoint, LeaveJoint,
    TakeSnapshot, InstallSnapshot, HandleInstallSnapshotRequest,
)

#: The actions that change the configuration, by the kind membership.changes_to_try names.
CONFIG_CHANGES = {cls.__name__: cls for cls in (AddVoter, AddLearner, RemoveServer, EnterJoint,
                                                LeaveJoint)}

#: The message handler a Receive step of each message type may take, besides UpdateTerm.
HANDLERS = {
    MessageType.REQUEST_VOTE_REQUEST: HandleRequestVoteRequest,
    MessageType.REQUEST_VOTE_RESPONSE: HandleRequestVoteResponse,
    MessageType.APPEND_ENTRIES_REQUEST: HandleAppendEntriesRequest,
    MessageType.APPEND_ENTRIES_RESPONSE: HandleAppendEntriesResponse,
    MessageType.PRE_VOTE_REQUEST: HandlePreVoteRequest,
    MessageType.PRE_VOTE_RESPONSE: HandlePreVoteResponse,
    MessageType.INSTALL_SNAPSHOT_REQUEST: HandleInstallSnapshotRequest,
}

assert set(HANDLERS) == set(MESSAGE_CLASSES)


def actor(action: Action) -> int | None:
    """The server that takes the step (a handler's is the message's recipient), or None for a
    step of the network."""
    if isinstance(action, DeliverCopy):
        action = action.step
    if action.kind in ("network", "time"):
        return None
    if action.kind == "client":
        return getattr(action, "node", None)
    for name in ("node", "src"):
        if hasattr(action, name):
            return getattr(action, name)
    return action.message.dst  # type: ignore[attr-defined]
