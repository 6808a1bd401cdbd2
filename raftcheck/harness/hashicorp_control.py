"""Talk to one raftnode's control server (HTTP on a Unix socket), and the records its answers
become: :class:`NodeStatus` (one node's own view, from ``raft.Stats()`` and
``GetConfiguration``) and :class:`ClientOp` (one client write or read and its outcome).

A Unix socket lives in the file system, not in a network namespace, so the control channel
reaches a node inside its namespace and no network fault ever touches it.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from raftcheck.harness.errors import EtcdHarnessError
from raftcheck.harness.etcdctl import now_iso

Outcome = Literal["ok", "fail", "unknown"]


class ControlError(EtcdHarnessError):
    """The control server could not be reached, or did not answer in time."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent  # False: the request never reached the node


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("raftnode", timeout=timeout)
        self._path = str(path)

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class NodeControl:
    """Requests to one node's control socket. ``call`` raises :class:`ControlError` when the
    node does not answer (not started, killed, paused, stuck)."""

    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path

    def call(self, path: str, body: dict[str, Any] | None = None, *,
             query: dict[str, Any] | None = None, timeout: float = 2.0) -> dict[str, Any]:
        conn = _UnixHTTPConnection(self.socket_path, timeout)
        url = path + (f"?{urlencode(query)}" if query else "")
        try:
            try:
                conn.connect()
            except OSError as exc:
                raise ControlError(f"cannot connect to {self.socket_path}: {exc}",
                                   sent=False) from exc
            try:
                if body is None:
                    conn.request("GET", url)
                else:
                    conn.request("POST", url, body=json.dumps(body),
                                 headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                payload = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                raise ControlError(f"{path}: no answer within {timeout:g}s ({exc})",
                                   sent=True) from exc
        finally:
            conn.close()
        try:
            answer = json.loads(payload)
        except ValueError as exc:
            raise ControlError(f"{path}: not JSON: {payload[:200]!r}", sent=True) from exc
        if resp.status >= 500 and "outcome" not in answer:
            raise ControlError(f"{path}: {resp.status} {answer.get('error', '')}", sent=True)
        return answer


@dataclass(frozen=True)
class Server:
    """One server of a raft configuration."""

    id: str
    address: str
    suffrage: str  # Voter, Nonvoter, Staging


@dataclass(frozen=True)
class NodeStatus:
    """One node's own view. ``member_id``/``leader_id`` are raft server IDs (= node names)."""

    name: str
    member_id: str
    address: str
    state: str  # Follower, Candidate, Leader, Shutdown
    raft_term: int
    leader_id: str
    leader_address: str
    last_log_index: int
    last_log_term: int
    commit_index: int
    applied_index: int
    last_snapshot_index: int
    last_snapshot_term: int
    configuration: tuple[Server, ...]
    fsm_index: int
    fsm_keys: int
    fsm_digest: str
    pid: int
    stored_term: int  # what raft persisted: CurrentTerm, LastVoteTerm, LastVoteCand (address)
    last_vote_term: int
    last_vote_candidate: str
    cut: tuple[str, ...] = ()

    @property
    def is_leader(self) -> bool:
        return self.state == "Leader"

    @property
    def leader(self) -> str | None:
        return self.leader_id or None

    @property
    def voters(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.configuration if s.suffrage == "Voter")

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["configuration"] = {s.id: s.suffrage for s in self.configuration}
        d["cut"] = list(self.cut)
        return d

    @classmethod
    def from_answer(cls, name: str, a: dict[str, Any]) -> NodeStatus:
        return cls(
            name, a["id"], a["address"], a["state"], int(a["term"]), a["leader_id"],
            a["leader_address"], int(a["last_log_index"]), int(a["last_log_term"]),
            int(a["commit_index"]), int(a["applied_index"]), int(a["last_snapshot_index"]),
            int(a["last_snapshot_term"]),
            tuple(Server(s["id"], s["address"], s["suffrage"]) for s in a["configuration"]),
            int(a["fsm_index"]), int(a["fsm_keys"]), a["fsm_digest"], int(a["pid"]),
            int(a["stored_term"]), int(a["last_vote_term"]), a["last_vote_candidate"],
            tuple(a.get("cut") or ()))


@dataclass
class ClientOp:
    """One client operation, as a linearizability checker needs it: who (``process``), what
    (``f``, ``key``, ``value``: the value written, or the value a read returned), through which
    node, when it was invoked and completed (epoch seconds; ISO UTC in JSON), and its outcome:
    ``ok``; ``fail`` (it certainly took no effect: refused before reaching the log, or a read);
    ``unknown`` (a write that may still commit: leadership lost while committing, no answer).
    ``index`` is a write's log index, or the state machine's applied index a read saw."""

    seq: int
    process: str
    f: Literal["write", "read"]
    key: str
    value: str | None
    node: str
    t_start: float
    t_end: float
    outcome: Outcome
    error: str | None = None
    index: int | None = None
    mode: str | None = None
    leader_hint: str | None = None  # the leader the node named when it refused

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["t_start"], d["t_end"] = now_iso(self.t_start), now_iso(self.t_end)
        return d


def timed_call(control: NodeControl, path: str, body: dict[str, Any] | None, *,
               query: dict[str, Any] | None = None, timeout: float
               ) -> tuple[float, float, dict[str, Any]]:
    """(invoke time, completion time, answer) of one client request. A request that never
    reached the node answers ``fail``; one that got no answer, ``unknown``."""
    t0 = time.time()
    try:
        answer = control.call(path, body, query=query, timeout=timeout)
    except ControlError as exc:
        answer = {"outcome": "unknown" if exc.sent else "fail", "error": str(exc)}
    return t0, time.time(), answer
