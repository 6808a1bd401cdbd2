"""Snapshots: a server compacts its log, a leader sends a follower behind its log start its
snapshot (Ongaro's dissertation, chapter 5; etcd-io/raft's MsgSnap; hashicorp's InstallSnapshot).

Server.log stays the logical log: the entries up to snapshot_index are compacted, which means
the server has applied them and keeps only what that made (in this model the state machine is
the sequence of values applied, so a snapshot carries those entries), the term of the last one
and the configuration in force there. The actions here and in server.py never look at a
compacted entry but through those. The properties read the logical log: LogMatching and the
others hold over snapshots as over logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .records import (
    AppendEntriesResponse,
    InstallSnapshotRequest,
    MessageType,
    Role,
    Server,
)

if TYPE_CHECKING:
    from .rules import Rules
    from .server import Handled


def take_snapshot(r: Rules, i: int, s: Server, index: int | None = None) -> Server | None:
    """Server i compacts its log up to `index` (default: as far as it may, Rules.snapshot_limit:
    what it has applied, never past its commit index)."""
    limit = r.snapshot_limit(s)
    index = limit if index is None else index
    if not r.snapshots or not s.snapshot_index < index <= min(limit, len(s.log)):
        return None
    return s._replace(snapshot_index=index)


def needs_snapshot(s: Server, j: int) -> bool:
    """Leader s can no longer send j the entry j needs next: it is compacted."""
    return s.next_index[j] <= s.snapshot_index


def install_snapshot(r: Rules, i: int, j: int, s: Server) -> InstallSnapshotRequest | None:
    """Leader i sends j its snapshot, j being behind the start of its log."""
    if i == j or s.role != Role.LEADER or not needs_snapshot(s, j):
        return None
    if r.membership and not r.is_member(s, j):
        return None
    return InstallSnapshotRequest(MessageType.INSTALL_SNAPSHOT_REQUEST, s.term, i, j,
                                  s.log[:s.snapshot_index], s.base_config)


def handle_install_snapshot_request(r: Rules, s: Server,
                                    m: InstallSnapshotRequest) -> Handled | None:
    """Server i installs leader j's snapshot (Rules.log_after_snapshot says how) and answers
    as to an AppendEntries request, with the last index the snapshot holds."""
    from .server import Handled, clear_role_variables  # server.py dispatches to here

    if m.term > s.term:
        return None
    if m.term < s.term:
        return Handled(s, True, snapshot_answer(s, m, success=False))
    if s.role == Role.CANDIDATE:
        # A leader exists for this term: step back, and handle the request as a follower next.
        return Handled(clear_role_variables(r, s._replace(role=Role.FOLLOWER)), False, None)
    if s.role != Role.FOLLOWER:
        return None
    last = len(m.entries)
    log = r.log_after_snapshot(s, m)
    if log is not None:
        s = s._replace(log=log, snapshot_index=last, base_config=m.base_config,
                       commit_index=max(s.commit_index, last))
    return Handled(s, True, snapshot_answer(s, m, success=True))


def snapshot_answer(s: Server, m: InstallSnapshotRequest, *,
                    success: bool) -> AppendEntriesResponse:
    return AppendEntriesResponse(MessageType.APPEND_ENTRIES_RESPONSE, s.term, m.dst, m.src,
                                 success, len(m.entries) if success else 0)
