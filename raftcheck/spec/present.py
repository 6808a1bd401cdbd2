"""How a state reads: as raft.tla's variables (for JSON, ITF and graph exports) and as a short
flat summary (for the one-line-per-step text of a counterexample).

The variables use the value conventions of ITF (the trace format of Apalache and Quint), as the
itf-py library reads and writes them: a dict is a TLA+ function, a namedtuple a record, a
frozenset a set, a list a sequence.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any

from itf_py.itf import ImmutableDict, ImmutableList

from .actions import describe_message, entry_text, groups_text
from .membership import describe as config_text
from .quorum import Configuration
from .records import (
    MESSAGE_NAMES,
    NIL,
    AppendEntriesRequest,
    AppendEntriesResponse,
    InstallSnapshotRequest,
    Message,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Server,
    bits,
    node_name,
    set_text,
)

if TYPE_CHECKING:
    from .model import RaftModel

Entry = namedtuple("Entry", "term value")
ConfigRecord = namedtuple("ConfigRecord", "voters learners outgoing learnersNext autoLeave")
Election = namedtuple("Election", "eterm eleader elog evotes evoterLog")
Committed = namedtuple("Committed", "index entry term")
RequestVoteRequestRecord = namedtuple(
    "RequestVoteRequestRecord", "mtype mterm mlastLogTerm mlastLogIndex msource mdest")
RequestVoteResponseRecord = namedtuple(
    "RequestVoteResponseRecord", "mtype mterm mvoteGranted mlog msource mdest")
AppendEntriesRequestRecord = namedtuple(
    "AppendEntriesRequestRecord",
    "mtype mterm mprevLogIndex mprevLogTerm mentries mlog mcommitIndex msource mdest")
AppendEntriesResponseRecord = namedtuple(
    "AppendEntriesResponseRecord", "mtype mterm msuccess mmatchIndex msource mdest")
InstallSnapshotRequestRecord = namedtuple(
    "InstallSnapshotRequestRecord", "mtype mterm mentries mbaseConfig msource mdest")

NIL_NAME = "Nil"


def log_value(log: tuple) -> ImmutableList:
    return ImmutableList(Entry(t, config_value(v)) for t, v in log)


def config_value(c: object) -> object:
    """A configuration as a record of sets of server names (other values as they are)."""
    if not isinstance(c, Configuration):
        return c
    return ConfigRecord(members(c.voters), members(c.learners), members(c.outgoing),
                        members(c.learners_next), c.auto_leave)


def members(mask: int) -> frozenset:
    return frozenset(node_name(k) for k in bits(mask))


def message_record(m: Message, history: bool) -> tuple:
    """A message as raft.tla's record (mlog only where the history variables are kept)."""
    src, dst, kind = node_name(m.src), node_name(m.dst), MESSAGE_NAMES[m.type]
    if isinstance(m, RequestVoteRequest):
        return RequestVoteRequestRecord(kind, m.term, m.last_log_term, m.last_log_index, src, dst)
    if isinstance(m, RequestVoteResponse):
        mlog = log_value(m.log) if history else ImmutableList(())
        return RequestVoteResponseRecord(kind, m.term, m.vote_granted, mlog, src, dst)
    if isinstance(m, AppendEntriesRequest):
        mlog = log_value(m.log) if history else ImmutableList(())
        return AppendEntriesRequestRecord(kind, m.term, m.prev_log_index, m.prev_log_term,
                                          log_value(m.entries), mlog, m.commit_index, src, dst)
    if isinstance(m, InstallSnapshotRequest):
        return InstallSnapshotRequestRecord(kind, m.term, log_value(m.entries),
                                            config_value(m.base_config), src, dst)
    assert isinstance(m, AppendEntriesResponse)
    return AppendEntriesResponseRecord(kind, m.term, m.success, m.match_index, src, dst)


def variables(model: RaftModel, state: tuple) -> dict[str, Any]:
    """The state as raft.tla's variables (plus the raftcheck profile's own)."""
    n = model.n
    names = [node_name(i) for i in range(n)]
    servers: list[Server] = [model.servers[sid] for sid in state[:n]]

    def per_server(get: Any) -> ImmutableDict:
        return ImmutableDict({name: get(s) for name, s in zip(names, servers, strict=True)})

    def per_peer(values: tuple) -> ImmutableDict:
        return ImmutableDict(dict(zip(names, values, strict=True)))

    out: dict[str, Any] = {
        "messages": ImmutableDict({
            message_record(model.messages[mid], model.history): copies
            for mid, copies in sorted(model.bags[state[model.BAG]])
        }),
        "currentTerm": per_server(lambda s: s.term),
        "state": per_server(lambda s: Role(s.role).name.capitalize()),
        "votedFor": per_server(lambda s: NIL_NAME if s.voted_for == NIL else names[s.voted_for]),
        "log": per_server(lambda s: log_value(s.log)),
        "commitIndex": per_server(lambda s: s.commit_index),
        "votesResponded": per_server(lambda s: members(s.votes_responded)),
        "votesGranted": per_server(lambda s: members(s.votes_granted)),
        "nextIndex": per_server(lambda s: per_peer(s.next_index)),
        "matchIndex": per_server(lambda s: per_peer(s.match_index)),
    }
    if model.history:
        out["voterLog"] = per_server(
            lambda s: ImmutableDict({names[k]: log_value(v) for k, v in s.voter_log}))
        out["elections"] = frozenset(
            Election(term, names[leader], log_value(elog), members(votes),
                     ImmutableDict({names[k]: log_value(v) for k, v in vlog}))
            for term, leader, elog, votes, vlog in model.sets[state[model.ELECTIONS]])
        out["allLogs"] = frozenset(log_value(x) for x in model.sets[state[model.ALL_LOGS]])
    else:
        cut = state[model.CUT]
        everyone = (1 << n) - 1
        sides = {members(cut), members(everyone & ~cut)} if cut else set()
        out["partition"] = frozenset(sides)
        out["committed"] = frozenset(
            Committed(k, Entry(e[0], config_value(e[1])), t)
            for k, e, t, *_ in model.sets[state[model.COMMITTED]])
        out["writes"] = state[model.WRITES]
        out["restarts"] = state[model.RESTARTS]
        out["partitions"] = state[model.CUTS]
        out["electionsStarted"] = state[model.TIMEOUTS]
    if model.membership:
        out["config"] = per_server(lambda s: config_value(model.rules.config(s)))
        out["configChanges"] = state[model.CHANGES]
    if model.snapshots:
        out["snapshotIndex"] = per_server(lambda s: s.snapshot_index)
        out["snapshots"] = state[model.SNAPSHOTS]
    if model.DROPS is not None:
        out["messagesLost"] = state[model.DROPS]
    return out


def log_text(log: tuple, snapshot_index: int = 0) -> str:
    """`[t2:v1 t2:cfg{n1,n2}]`; entries compacted into a snapshot before a `|`."""
    entries = [entry_text(e) for e in log]
    if snapshot_index:
        entries.insert(snapshot_index, "|")
    return "[" + " ".join(entries) + "]"


def summary(model: RaftModel, state: tuple) -> dict[str, str]:
    """The state as short strings keyed by where they live ("n1.term", "net: <message>"),
    so a step can be printed as the keys whose strings changed."""
    n = model.n
    out: dict[str, str] = {}
    for i, sid in enumerate(state[:n]):
        s = model.servers[sid]
        name = node_name(i)
        out[f"{name}.role"] = Role(s.role).name.capitalize()
        out[f"{name}.term"] = str(s.term)
        out[f"{name}.votedFor"] = "-" if s.voted_for == NIL else node_name(s.voted_for)
        out[f"{name}.log"] = log_text(s.log, s.snapshot_index)
        out[f"{name}.commitIndex"] = str(s.commit_index)
        if model.membership:
            out[f"{name}.config"] = config_text(model.rules.config(s))
        if s.role == Role.CANDIDATE or s.votes_responded:
            out[f"{name}.votes"] = (set_text(s.votes_granted)
                                    + f" of {len(bits(s.votes_responded))} answers")
        if s.role == Role.LEADER:
            out[f"{name}.matchIndex"] = " ".join(
                f"{node_name(k)}:{v}" for k, v in enumerate(s.match_index) if k != i)
            out[f"{name}.nextIndex"] = " ".join(
                f"{node_name(k)}:{v}" for k, v in enumerate(s.next_index) if k != i)
    for mid, copies in sorted(model.bags[state[model.BAG]]):
        out[f"net: {describe_message(model.messages[mid])}"] = f"x{copies}"
    if not model.history:
        cut = state[model.CUT]
        everyone = (1 << n) - 1
        out["partition"] = groups_text((cut, everyone & ~cut)) if cut else "none"
        committed = sorted(model.sets[state[model.COMMITTED]],
                           key=lambda r: (r[0], entry_text(r[1]), r[2]))
        out["committed"] = " ".join(
            f"{k}:{entry_text(e)}@t{t}" for k, e, t, *_ in committed) or "-"
    return out
