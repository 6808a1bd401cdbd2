"""Thin etcdctl wrapper: endpoint status, put and get, each bounded in time, never raising on
an etcd-side failure (a failed write is data, not an exception)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from raftcheck.harness.errors import EtcdHarnessError

#: What a client learnt of one request: it took effect (ok), it certainly did not (fail), or it
#: may have taken effect at any time after it was invoked (unknown; a timed-out write may still
#: commit, see docs/etcd-cluster-harness.md). A linearizability checker needs the difference.
Outcome = Literal["ok", "fail", "unknown"]

#: etcd errors returned before a write is proposed to Raft: the write cannot take effect.
_REFUSED_BEFORE_PROPOSAL = re.compile(
    r"etcdserver: (?:too many requests|request is too large|no leader|not capable"
    r"|rpc not supported for learner)")


def now_iso(epoch: float | None = None) -> str:
    """Wall-clock time as ISO 8601 with microseconds and an explicit UTC offset."""
    return datetime.fromtimestamp(time.time() if epoch is None else epoch, UTC).isoformat()


def clean_env(strip_prefix: str, **extra: str) -> dict[str, str]:
    """This process's environment without variables that etcd/etcdctl read as flags."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(strip_prefix)}
    env.update(extra)
    return env


@dataclass(frozen=True)
class MemberStatus:
    """One member's own view, from ``etcdctl endpoint status``. IDs are lowercase hex."""

    name: str
    member_id: str
    leader_id: str
    leader: str | None
    raft_term: int
    raft_index: int
    applied_index: int
    revision: int

    @property
    def is_leader(self) -> bool:
        return self.member_id == self.leader_id

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class CommandResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    t_start: float
    t_end: float

    @property
    def error(self) -> str | None:
        """The last stderr line of a failed command (etcdctl prints the reason there)."""
        if self.returncode == 0:
            return None
        lines = [ln for ln in self.stderr.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit status {self.returncode}"

    def output(self, what: str) -> str:
        """The output of a successful command; raises EtcdHarnessError with etcdctl's reason
        (``what``: the command, as the message names it) otherwise."""
        if self.returncode != 0:
            raise EtcdHarnessError(f"etcdctl {what} failed: {self.error}")
        return self.stdout


def write_outcome(res: CommandResult, no_process: bool = False) -> Outcome:
    """ok; fail only where the write cannot have reached Raft: etcd refused it before
    proposing it, or (``no_process``, which the harness knows) no etcd process was running
    behind the endpoints for the whole request; every other failure is unknown. A refused
    connection alone proves nothing: etcdctl keeps redialling, and a member restarted
    meanwhile may still take the write."""
    if res.returncode == 0:
        return "ok"
    if _REFUSED_BEFORE_PROPOSAL.search(res.stderr) or no_process:
        return "fail"
    return "unknown"


@dataclass
class WriteResult:
    """One ``etcdctl put`` and its outcome. ``client`` names the sequential client that issued
    it (one request at a time per client); times are wall-clock epochs of invoke/complete."""

    seq: int
    key: str
    value: str
    endpoints: list[str]
    t_start: float
    t_end: float
    ok: bool
    error: str | None = None
    revision: int | None = None
    outcome: Outcome = "ok"
    client: str = "main"

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["t_start"], d["t_end"] = now_iso(self.t_start), now_iso(self.t_end)
        d["epoch_start"], d["epoch_end"] = round(self.t_start, 6), round(self.t_end, 6)
        return d


@dataclass
class ReadResult:
    """One ``etcdctl get`` of a single key and its outcome (a failed read has no effect:
    outcome ``fail``)."""

    seq: int
    key: str
    endpoints: list[str]
    consistency: str
    t_start: float
    t_end: float
    ok: bool
    error: str | None = None
    value: str | None = None
    revision: int | None = None
    count: int = 0
    extra: dict[str, object] = field(default_factory=dict)
    client: str = "main"

    @property
    def outcome(self) -> Outcome:
        return "ok" if self.ok else "fail"

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d.pop("extra")
        d["outcome"] = self.outcome
        d["t_start"], d["t_end"] = now_iso(self.t_start), now_iso(self.t_end)
        d["epoch_start"], d["epoch_end"] = round(self.t_start, 6), round(self.t_end, 6)
        return d


class Etcdctl:
    """Runs etcdctl (through ``prefix``, e.g. ``ip netns exec NS``) against chosen URLs."""

    def __init__(self, binary: Path, prefix: list[str]) -> None:
        self.binary = binary
        self.prefix = prefix

    def run(self, urls: list[str], args: list[str], timeout: float) -> CommandResult:
        argv = [
            *self.prefix, str(self.binary), "--endpoints", ",".join(urls),
            f"--dial-timeout={timeout:g}s", f"--command-timeout={timeout:g}s", *args,
        ]
        t0 = time.time()
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 5,
                                  check=False, env=clean_env("ETCDCTL_", ETCDCTL_API="3"))
        except subprocess.TimeoutExpired as exc:  # subprocess.run has killed etcdctl by then
            return CommandResult(argv, -9, "", f"etcdctl hung past {timeout + 5:g}s: {exc}",
                                 t0, time.time())
        return CommandResult(argv, proc.returncode, proc.stdout, proc.stderr, t0, time.time())

    def status(self, url: str, timeout: float) -> dict[str, int | str] | str:
        """Raw fields of one endpoint's status (the server's version a text), or the error
        text."""
        res = self.run([url], ["endpoint", "status", "-w", "json"], timeout)
        try:
            entries = json.loads(res.stdout) if res.stdout.strip() else []
        except json.JSONDecodeError:
            return f"unparsable status output: {res.stdout[:200]!r}"
        if not entries:
            return res.error or "no status returned"
        st = entries[0]["Status"]
        return {
            "member_id": st["header"]["member_id"],
            "leader": st.get("leader", 0),
            "raft_term": st.get("raftTerm", st["header"].get("raft_term", 0)),
            "raft_index": st.get("raftIndex", 0),
            "applied_index": st.get("raftAppliedIndex", 0),
            "revision": st["header"].get("revision", 0),
            "version": st.get("version", ""),
        }

    def put(self, urls: list[str], key: str, value: str, timeout: float) -> CommandResult:
        return self.run(urls, ["put", key, value, "-w", "json"], timeout)

    def get(self, urls: list[str], key: str, consistency: str, timeout: float) -> CommandResult:
        return self.run(urls, ["get", key, f"--consistency={consistency}", "-w", "json"], timeout)


@dataclass(frozen=True)
class MemberInfo:
    """One entry of ``etcdctl member list``; ``name`` is empty until an added member starts."""

    member_id: str
    name: str
    peer_urls: tuple[str, ...]
    is_learner: bool


def parse_members(doc: dict[str, object]) -> list[MemberInfo]:
    """The ``members`` of a ``member list``/``add``/``remove`` JSON answer (IDs made hex)."""
    result = []
    for m in doc.get("members") or []:  # type: ignore[union-attr]
        result.append(MemberInfo(format(int(m["ID"]), "x"), m.get("name", ""),
                                 tuple(m.get("peerURLs", ())), bool(m.get("isLearner", False))))
    return result


def parse_put(res: CommandResult) -> int | None:
    """Revision of a successful put, from its JSON header."""
    try:
        return int(json.loads(res.stdout)["header"]["revision"])
    except (ValueError, KeyError, TypeError):
        return None


def parse_get(res: CommandResult) -> tuple[str | None, int | None, int]:
    """(value of the first key, header revision, count) of a successful get."""
    try:
        doc = json.loads(res.stdout)
    except ValueError:
        return None, None, 0
    kvs = doc.get("kvs") or []
    value = base64.b64decode(kvs[0]["value"]).decode() if kvs else None
    return value, doc.get("header", {}).get("revision"), int(doc.get("count", 0))
