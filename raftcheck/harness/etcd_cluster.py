"""A real etcd cluster on this machine, for tests: start, faults, client traffic, logs.

    with EtcdCluster(tmp_path / "logs", nodes=3, network="netns") as cluster:
        leader, term = cluster.wait_for_leader(10)
        cluster.partition([[leader]])
        new_leader, new_term = cluster.wait_for_leader(10, min_term=term + 1)

Each member writes stdout+stderr to ``<log_dir>/nodeK.log`` (a restart appends); ``stop()``
(also run by ``__exit__`` and at interpreter exit) SIGKILLs every process by PID, deletes the
network namespaces and data directories it made, and writes ``<log_dir>/scenario.json``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from raftcheck.harness.binaries import EtcdBinaries, find_etcd_binaries
from raftcheck.harness.conditions import agreed_leader, caught_up, converged
from raftcheck.harness.errors import ClusterTimeout, EtcdHarnessError, EtcdStartError
from raftcheck.harness.etcd_membership import MembershipChanges
from raftcheck.harness.etcd_recovery import DisasterRecovery
from raftcheck.harness.etcd_upgrade import RollingUpgrade
from raftcheck.harness.etcdctl import (
    CommandResult,
    Etcdctl,
    MemberStatus,
    ReadResult,
    WriteResult,
    clean_env,
    parse_get,
    parse_put,
    write_outcome,
)
from raftcheck.harness.network import LoopbackNetwork, NetnsNetwork, partition_cuts
from raftcheck.harness.raft_status import RaftStatus, parse_raft_status
from raftcheck.harness.scenario import ScenarioRecorder, StatusMap, leader_of
from raftcheck.spec.quorum import quorum_size

T = TypeVar("T")
POLL_S = 0.1  # how often wait_* conditions are re-checked (polling with a deadline)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Member:
    name: str
    data_dir: Path
    log_path: Path
    argv: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    paused: bool = False
    member_id: str | None = None
    learner: bool = False
    added: bool = False  # joined a running cluster (etcdctl member add), not at bootstrap
    removed: bool = False  # removed from the cluster (etcdctl member remove)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class EtcdCluster(MembershipChanges, DisasterRecovery, RollingUpgrade):
    """N etcd members with fault injection; a context manager. See the module docstring."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str],
        nodes: int = 3,
        *,
        network: Literal["loopback", "netns"] = "loopback",
        version: str | None = None,
        etcd: str | os.PathLike[str] | None = None,
        etcdctl: str | os.PathLike[str] | None = None,
        log_format: Literal["zap", "capnslog"] = "zap",
        log_level: Literal["info", "debug"] = "info",
        heartbeat_ms: int = 100,
        election_ms: int = 1000,
        pre_vote: bool = True,
        snapshot_count: int | None = None,
        unsafe_no_fsync: bool = False,
        extra_args: Sequence[str] = (),
        scenario: str = "adhoc",
        description: str = "",
        start_timeout: float = 20.0,
        client_timeout: float = 2.0,
        record_status: bool = True,
        data_dir: str | os.PathLike[str] | None = None,
        keep_data: bool = False,
        spare: int = 0,
    ) -> None:
        if nodes < 1:
            raise ValueError("nodes must be >= 1")
        if spare < 0:
            raise ValueError("spare must be >= 0")
        for what, value, allowed in (("network", network, ("loopback", "netns")),
                                     ("log_format", log_format, ("zap", "capnslog")),
                                     ("log_level", log_level, ("info", "debug"))):
            if value not in allowed:
                raise ValueError(f"{what} must be one of {allowed}, not {value!r}")
        self.binaries: EtcdBinaries = find_etcd_binaries(etcd, etcdctl, version=version)
        if log_format == "capnslog" and not self.binaries.supports_capnslog:
            raise ValueError(
                f"log_format='capnslog' needs etcd < 3.5; {self.binaries.etcd} is "
                f"{self.binaries.version_str} (Debian's etcd-server 3.4 has it)"
            )
        if unsafe_no_fsync and not self.binaries.supports_unsafe_no_fsync:
            raise ValueError("unsafe_no_fsync needs etcd >= 3.5")
        self.log_dir = Path(log_dir)
        #: The members of the cluster's configuration now (bootstrap members, then as changed
        #: by add_member/remove_member), voters and learners.
        self.names = [f"node{i}" for i in range(1, nodes + 1)]
        #: Every member slot the network provides: the bootstrap members and ``spare`` more
        #: that add_member can start later.
        self.slots = [f"node{i}" for i in range(1, nodes + spare + 1)]
        self.net: LoopbackNetwork | NetnsNetwork = (
            NetnsNetwork() if network == "netns" else LoopbackNetwork()
        )
        self.log_format, self.log_level = log_format, log_level
        self.heartbeat_ms, self.election_ms = heartbeat_ms, election_ms
        self.pre_vote, self.snapshot_count = pre_vote, snapshot_count
        self.unsafe_no_fsync, self.extra_args = unsafe_no_fsync, list(extra_args)
        self.scenario, self.description = scenario, description
        self.start_timeout, self.client_timeout = start_timeout, client_timeout
        self.record_status, self.keep_data = record_status, keep_data
        self._data_parent = Path(data_dir) if data_dir is not None else _default_data_parent()
        self.members: dict[str, Member] = {}
        self.id_to_name: dict[str, str] = {}
        self.cuts: set[frozenset[str]] = set()
        self.recorder: ScenarioRecorder | None = None
        self._ctl = Etcdctl(self.binaries.etcdctl, [])
        self._pool: ThreadPoolExecutor | None = None
        self._data_root: Path | None = None
        self._started = False
        self._stopped = False
        self._seq = 0
        self._token = ""
        self._lock = threading.Lock()  # clients on several threads share the sequence number

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> EtcdCluster:
        try:
            self.start()
        except BaseException as exc:
            self.stop(error=exc)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop(error=exc)

    @property
    def voters(self) -> list[str]:
        """The voting members of the configuration now (learners do not vote)."""
        if not self.members:
            return list(self.names)
        return [n for n in list(self.names)
                if (m := self.members.get(n)) is not None and not m.learner]

    @property
    def quorum(self) -> int:
        return quorum_size(len(self.voters))

    def start(self) -> tuple[str, int]:
        """Start every member and wait for a leader; return (leader name, term)."""
        if self._started:
            raise EtcdHarnessError("start() was already called")
        self._started = True
        atexit.register(self.stop)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.recorder = ScenarioRecorder(self._meta())
        self._pool = ThreadPoolExecutor(max_workers=max(2, len(self.names)))
        self._data_root = Path(tempfile.mkdtemp(prefix="raftcheck-etcd-", dir=self._data_parent))
        for attempt in range(3):  # loopback only: a free port may be taken before etcd binds it
            self.net.setup(self.slots)
            self.recorder.meta["network"] = self.net.describe()
            self._ctl = Etcdctl(self.binaries.etcdctl, self.net.client_prefix())
            self._build_members(token=f"raftcheck-{self.scenario}-{os.getpid()}-{attempt}")
            for member in self.members.values():
                self._spawn(member)
            try:
                self._wait_members_up(self.names, self.start_timeout)
                break
            except EtcdStartError as exc:
                port_taken = "address already in use" in str(exc)
                if attempt == 2 or not (port_taken and isinstance(self.net, LoopbackNetwork)):
                    raise
                self._kill_all()
                shutil.rmtree(self._data_root, ignore_errors=True)
                self._data_root.mkdir()
        leader, term = self.wait_for_leader(self.start_timeout, _record=False)
        statuses = self.status()
        self.recorder.step("cluster-up", leader_after=leader, term_after=term,
                           status_after=statuses)
        return leader, term

    def stop(self, error: BaseException | None = None) -> None:
        """SIGKILL every member by PID, wait for it, remove namespaces and data, write
        scenario.json. Idempotent; also runs from ``__exit__`` and at interpreter exit."""
        if self._stopped or not self._started:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        problems: list[str] = []
        stages: list[tuple[str, Callable[[], object]]] = [
            ("final status sample", self._final_sample),
            ("killing members", self._kill_all),
            ("removing the network", self.net.teardown),
            ("thread pool", lambda: self._pool and self._pool.shutdown(cancel_futures=True)),
            ("removing data", self._remove_data),
            ("writing scenario.json", lambda: self._save(error)),
        ]
        for what, stage in stages:  # every stage runs, whatever an earlier one did
            try:
                stage()
            except Exception as exc:
                problems.append(f"{what}: {exc}")
        if problems:
            raise EtcdHarnessError("stop(): " + "; ".join(problems))

    def _final_sample(self) -> None:
        if self.record_status and any(m.running and not m.paused for m in self.members.values()):
            self._rec().sample("final", self.status())
        self._rec().step("stop-all", signal="SIGKILL")

    def _remove_data(self) -> None:
        if self._data_root and not self.keep_data:
            shutil.rmtree(self._data_root, ignore_errors=True)

    def _save(self, error: BaseException | None) -> None:
        err = None if error is None else f"{type(error).__name__}: {error}"
        self._rec().save(self.log_dir / "scenario.json", members=self._members_json(),
                         id_to_name=dict(self.id_to_name), error=err)

    # ----------------------------------------------------------------- faults

    def kill(self, name: str) -> int:
        """SIGKILL one member by PID and reap it; return the PID."""
        member = self._member(name, running=True)
        assert member.proc is not None
        before = self._snapshot()
        epoch = time.time()
        os.kill(member.proc.pid, signal.SIGKILL)
        member.proc.wait(timeout=10)
        member.paused = False
        self._record("kill-9", name, before, epoch=epoch, signal="SIGKILL", pid=member.proc.pid)
        return member.proc.pid

    def terminate(self, name: str, timeout: float = 15.0) -> int:
        """SIGTERM one member by PID (a graceful stop: a leader first hands leadership to a
        follower) and wait for it to exit; SIGKILL it if it has not after ``timeout``."""
        member = self._member(name, running=True)
        assert member.proc is not None
        before = self._snapshot()
        epoch = time.time()
        os.kill(member.proc.pid, signal.SIGTERM)
        try:
            member.proc.wait(timeout=timeout)
            forced = False
        except subprocess.TimeoutExpired:
            os.kill(member.proc.pid, signal.SIGKILL)
            member.proc.wait(timeout=10)
            forced = True
        member.paused = False
        self._record("SIGTERM", name, before, epoch=epoch, signal="SIGTERM", pid=member.proc.pid,
                     exit_status=member.proc.returncode, killed_after_timeout=forced)
        return member.proc.pid

    def restart(self, name: str, *, wait: bool = True, timeout: float = 15.0,
                extra_args: Sequence[str] = ()) -> int:
        """Start a killed member again (same argv, data dir; its log is appended to), with
        ``extra_args`` added for this start only (e.g. ``--force-new-cluster``; recorded in
        the step). With ``wait``, return once it answers ``endpoint status``. Returns the new
        PID."""
        member = self._member(name)
        if member.running:
            raise EtcdHarnessError(f"{name} is still running (pid {member.pids[-1]}); kill it "
                                   "first")
        before = self._snapshot()
        epoch = time.time()
        pid = self._spawn(member, extra_args)
        if wait:
            self._wait_members_up([name], timeout)
        fields: dict[str, Any] = {"extra_args": list(extra_args)} if extra_args else {}
        self._record("restart", name, before, epoch=epoch, pid=pid, **fields)
        return pid

    def pause(self, name: str) -> None:
        """SIGSTOP one member (a stall: GC pause, slow disk, VM freeze)."""
        self._signal(name, signal.SIGSTOP, "SIGSTOP", paused=True)

    def resume(self, name: str) -> None:
        """SIGCONT a paused member."""
        self._signal(name, signal.SIGCONT, "SIGCONT", paused=False)

    def partition(self, groups: Sequence[Iterable[str]], *, status: bool = True) -> None:
        """Cut every link between members of different groups; members not named in any group
        form one more group together (so ``partition([[leader]])`` isolates the leader).
        Replaces any earlier partition. Needs ``network='netns'``. ``status=False`` records
        the step without the status snapshots before and after (for fast flapping)."""
        named = [list(g) for g in groups]
        for n in (n for g in named for n in g):
            self._member(n)
        all_groups, cuts = partition_cuts(self.names, named)
        self._apply_cuts(cuts, "partition", all_groups, status=status)

    def cut_links(self, pairs: Iterable[tuple[str, str]], *, status: bool = True) -> None:
        """Cut exactly these links (in both directions), healing every other one."""
        cuts = {frozenset(p) for p in pairs}
        for pair in cuts:
            for n in pair:
                self._member(n)
        self._apply_cuts(cuts, "links", sorted(sorted(p) for p in cuts), status=status)

    def heal(self, *, status: bool = True) -> None:
        """Restore every link."""
        self._apply_cuts(set(), "heal", None, status=status)

    def dropped_packets(self) -> dict[str, int]:
        """Packets dropped so far by each member's cut rules (netns only; {} on loopback)."""
        return self.net.dropped_packets()

    # ----------------------------------------------------------------- clients

    def put(self, key: str, value: str, endpoint: str | Sequence[str] | None = None,
            timeout: float | None = None, *, client: str = "main") -> WriteResult:
        """``etcdctl put`` through ``endpoint`` (a member name, several, or None = every member
        that is running). Never raises for an etcd-side failure: see ``.ok`` / ``.outcome`` /
        ``.error``. ``client`` names the sequential client issuing it (for the history)."""
        names = self._endpoints(endpoint)
        # (the members as they are now: a scenario may replace one meanwhile, from another
        # thread, and its name is then briefly in no member)
        members = [self.members.get(n) for n in names]
        starts = [len(m.pids) if m is not None and not m.running else None for m in members]
        res = self._ctl.put(self._urls(names), key, value, timeout or self.client_timeout)
        # every endpoint was down at invocation and not started again before completion
        no_process = all(s is not None and m is not None and s == len(m.pids)
                         for s, m in zip(starts, members, strict=True))
        result = WriteResult(self._next_seq(), key, value, names, res.t_start, res.t_end,
                             res.returncode == 0, res.error,
                             parse_put(res) if res.returncode == 0 else None,
                             write_outcome(res, no_process), client)
        self._rec().writes.append(result)
        return result

    def get(self, key: str, endpoint: str | Sequence[str] | None = None, *,
            consistency: Literal["l", "s"] = "l", timeout: float | None = None,
            client: str = "main") -> ReadResult:
        """``etcdctl get`` of one key; ``consistency='s'`` reads the member's local state."""
        names = self._endpoints(endpoint)
        res = self._ctl.get(self._urls(names), key, consistency, timeout or self.client_timeout)
        ok = res.returncode == 0
        value, revision, count = parse_get(res) if ok else (None, None, 0)
        result = ReadResult(self._next_seq(), key, names,
                            "linearizable" if consistency == "l" else "serializable",
                            res.t_start, res.t_end, ok, res.error, value, revision, count,
                            client=client)
        self._rec().reads.append(result)
        return result

    def bulk_put(self, count: int, endpoint: str | None = None, prefix: str = "/bulk/",
                 connections: int = 2) -> dict[str, Any]:
        """Put ``count`` keys ``<prefix>0..`` fast through one member's JSON gateway (the
        leader if ``endpoint`` is None); see :mod:`raftcheck.harness.etcd_bulk`. Each key is
        written once and never read, so the puts are recorded as one summary in scenario.json
        ``bulk_writes`` (ok/failed counts, first/last revision, start/end), not one by one."""
        if endpoint is None:
            endpoint = self.wait_for_leader(10, _record=False)[0]
        argv = [*self.net.client_prefix(), sys.executable, "-m", "raftcheck.harness.etcd_bulk",
                self._url(endpoint), str(count), prefix, "--connections", str(connections)]
        package_root = str(Path(__file__).resolve().parents[2])  # this copy of raftcheck
        env = clean_env("ETCD", PYTHONPATH=os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH")) if p))
        proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                              timeout=60 + count / 50, env=env)
        if proc.returncode != 0:
            raise EtcdHarnessError(f"bulk put failed: {_last_line(proc.stderr)}")
        summary: dict[str, Any] = {"endpoint": endpoint, **json.loads(proc.stdout)}
        self._rec().bulk_writes.append(summary)
        self._rec().step("bulk-put", endpoint, epoch=summary["epoch_start"],
                         count=count, ok=summary["ok"], failed=summary["failed"],
                         last_revision=summary["last_revision"])
        return summary

    def etcdctl(self, args: Sequence[str], endpoint: str | Sequence[str] | None = None,
                timeout: float | None = None) -> CommandResult:
        """Run any etcdctl command (e.g. ``["compact", "100"]``) against ``endpoint``; not
        recorded (the scenario functions record what they did)."""
        names = self._endpoints(endpoint)
        return self._ctl.run(self._urls(names), list(args), timeout or self.client_timeout)

    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    # ----------------------------------------------------------------- observation

    def status(self, names: Iterable[str] | None = None,
               timeout: float = 1.0) -> dict[str, MemberStatus | None]:
        """Each member's ``endpoint status`` (None: killed, paused or not answering), queried
        in parallel."""
        wanted = list(names) if names is not None else list(self.names)
        live = self._up(wanted)
        assert self._pool is not None
        futures = {n: self._pool.submit(self._ctl.status, self._url(n), timeout) for n in live}
        raw = {n: f.result() for n, f in futures.items()}
        for n, r in raw.items():
            if isinstance(r, dict):
                hex_id = format(int(r["member_id"]), "x")
                self.id_to_name[hex_id] = n
                if (member := self.members.get(n)) is not None:  # (not replaced meanwhile)
                    member.member_id = hex_id
        result: dict[str, MemberStatus | None] = {}
        for n in wanted:
            r = raw.get(n)
            if not isinstance(r, dict):
                result[n] = None
                continue
            leader_id = format(int(r["leader"]), "x")
            result[n] = MemberStatus(
                n, format(int(r["member_id"]), "x"), leader_id, self.id_to_name.get(leader_id),
                int(r["raft_term"]), int(r["raft_index"]), int(r["applied_index"]),
                int(r["revision"]))
        return result

    def raft_status(self, names: Iterable[str] | None = None,
                    timeout: float = 1.0) -> dict[str, RaftStatus | None]:
        """Each member's own Raft state from its ``/debug/vars`` (None: killed, paused or not
        answering): current term, role, vote, leader, commit. Unlike ``status()``'s
        ``raft_term`` (the term of the last applied entry) this shows a candidate's term."""
        wanted = list(names) if names is not None else list(self.names)
        live = self._up(wanted)
        assert self._pool is not None

        def fetch(name: str) -> RaftStatus | None:
            try:
                body = self.net.http_get(f"{self._url(name)}/debug/vars", timeout)
            except OSError:
                return None
            return parse_raft_status(name, body)

        futures = {n: self._pool.submit(fetch, n) for n in live}
        return {n: futures[n].result() if n in futures else None for n in wanted}

    def sample_status(self, label: str) -> dict[str, MemberStatus | None]:
        """Query every member (``endpoint status`` and ``raft.status``) and record both in
        scenario.json ``status_samples``; return the endpoint statuses."""
        raft = self.raft_status()
        statuses = self.status()
        self._rec().sample(label, statuses, raft)
        return statuses

    def wait_for_leader(self, timeout: float = 10.0, *, min_term: int = 0,
                        exclude: Iterable[str] = (), _record: bool = True) -> tuple[str, int]:
        """Poll until one member is leader at term T >= ``min_term`` and a quorum of all members
        (itself included) report it as leader at T; return (name, T). A leader cut off in a
        minority that still believes it leads does not count."""
        excluded = set(exclude)
        leader, term = self._poll(
            lambda: agreed_leader(self.status(self.voters), self.quorum, min_term=min_term,
                                  exclude=excluded),
            timeout, f"a leader at term >= {min_term} agreed by {self.quorum} members"
                     f"{f' (not {sorted(excluded)})' if excluded else ''}")
        self._rec().saw_leader(leader)
        if _record:
            self._rec().step("leader-elected", leader, leader_after=leader, term_after=term)
        return leader, term

    def wait_for_catch_up(self, name: str, timeout: float = 10.0) -> MemberStatus:
        """Poll until ``name``'s applied index reaches the leader's; return its status."""
        self._member(name)
        return self._poll(lambda: caught_up(self.status(), name), timeout,
                          f"{name}'s applied index to reach the leader's")

    def wait_for_convergence(self, timeout: float = 10.0) -> dict[str, MemberStatus]:
        """Poll until every running, unpaused member answers with the same leader, term and
        applied index; record a ``converged`` status sample and return the statuses."""
        def check() -> dict[str, MemberStatus] | None:
            live = self._up(self.names)
            return converged(self.status(live), live)

        result = self._poll(check, timeout, "all members to agree on leader, term and "
                                            "applied index")
        self._rec().sample("converged", dict(result))
        return result

    def record_step(self, action: str, target: Any = None, **fields: Any) -> dict[str, Any]:
        """Record a step of the scenario now (UTC time and epoch added) in scenario.json."""
        return self._rec().step(action, target, **fields)

    def wait_until(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        """Call ``check`` every 0.1 s until it returns something other than None, and return
        that; raise :class:`ClusterTimeout` naming ``what`` at the deadline."""
        return self._poll(check, timeout, what)

    @property
    def running(self) -> list[str]:
        return [n for n in list(self.names)
                if (m := self.members.get(n)) is not None and m.running]

    def log_path(self, name: str) -> Path:
        return self._member(name).log_path

    def pids(self, name: str) -> list[int]:
        return list(self._member(name).pids)

    # ----------------------------------------------------------------- internals

    def _meta(self) -> dict[str, Any]:
        b = self.binaries
        return {
            "scenario": self.scenario,
            "description": self.description,
            "format": self.log_format,
            "log_level": self.log_level,
            "etcd_version": b.version_text,
            "etcdctl_version": b.etcdctl_version_text,
            "etcd_binary": str(b.etcd),
            "nodes": len(self.names),
            "network": self.net.describe(),
            "heartbeat_ms": self.heartbeat_ms,
            "election_ms": self.election_ms,
            "pre_vote": self.pre_vote,
            "snapshot_count": self.snapshot_count,
            "check_quorum": True,
            "timezone": "UTC",
            "utc_offset": "+0000",
        }

    def _build_members(self, token: str) -> None:
        self._token = token
        eps = self.net.endpoints
        cluster = ",".join(f"{n}={eps[n].peer_url}" for n in self.names)
        self.members = {}
        for n in self.names:
            self.members[n] = self._new_member(n, cluster, "new")

    def _new_member(self, name: str, initial_cluster: str, state: str, *,
                    keep_log: bool = False) -> Member:
        assert self._data_root is not None
        ep = self.net.endpoints[name]
        argv = [
            str(self.binaries.etcd), "--name", name,
            "--data-dir", str(self._data_root / name),
            "--listen-client-urls", ep.client_url, "--advertise-client-urls", ep.client_url,
            "--listen-peer-urls", ep.peer_url, "--initial-advertise-peer-urls", ep.peer_url,
            "--initial-cluster", initial_cluster, "--initial-cluster-state", state,
            "--initial-cluster-token", self._token,
            "--heartbeat-interval", str(self.heartbeat_ms),
            "--election-timeout", str(self.election_ms),
            f"--pre-vote={str(self.pre_vote).lower()}",
            *self._log_args(),
        ]
        if self.snapshot_count is not None:
            argv += ["--snapshot-count", str(self.snapshot_count)]
        if self.unsafe_no_fsync:
            argv.append("--unsafe-no-fsync")
        argv += self.extra_args
        member = Member(name, self._data_root / name, self.log_dir / f"{name}.log", argv)
        if not keep_log:
            member.log_path.write_bytes(b"")  # a new member starts a new log
        return member

    def _log_args(self, log_format: str | None = None) -> list[str]:
        if (log_format or self.log_format) == "capnslog":
            return ["--logger", "capnslog", *(["--debug"] if self.log_level == "debug" else [])]
        return ["--logger", "zap", "--log-outputs", "stderr", "--log-level", self.log_level]

    def _spawn(self, member: Member, extra_args: Sequence[str] = ()) -> int:
        with open(member.log_path, "ab") as log:
            member.proc = subprocess.Popen(
                [*self.net.member_prefix(member.name), *member.argv, *extra_args],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=clean_env("ETCD_"), start_new_session=True, preexec_fn=_die_with_parent,
            )
        member.paused = False
        member.pids.append(member.proc.pid)
        return member.proc.pid

    def _wait_members_up(self, names: list[str], timeout: float) -> None:
        def up() -> bool | None:
            self._check_alive(names)
            statuses = self.status(names)
            return True if all(statuses[n] is not None for n in names) else None

        self._poll(up, timeout, f"{', '.join(names)} to answer endpoint status")

    def _check_alive(self, names: Iterable[str]) -> None:
        for n in names:
            m = self.members.get(n)
            if m is not None and m.proc is not None and m.proc.poll() is not None:
                raise EtcdStartError(
                    f"{n} (pid {m.proc.pid}) exited with status {m.proc.returncode}; "
                    f"{m.log_path} ends with: {_tail(m.log_path)}")

    def _poll(self, check: Callable[[], T | None], timeout: float, what: str,
              every: float = POLL_S) -> T:
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                raise ClusterTimeout(f"timed out after {timeout:g}s waiting for {what}; "
                                     f"status: {self._status_line()}")
            time.sleep(every)

    def _status_line(self) -> str:
        parts = []
        for n, s in self.status().items():
            m = self.members.get(n)
            if s is None:
                state = "replaced" if m is None else "down" if not m.running else (
                    "paused" if m.paused else "no answer")
                parts.append(f"{n}={state}")
            else:
                parts.append(f"{n}=(leader {s.leader or s.leader_id} term {s.raft_term} "
                             f"applied {s.applied_index})")
        return ", ".join(parts)

    def _snapshot(self) -> StatusMap | None:
        return self.status() if self.record_status else None

    def _record(self, action: str, target: Any, before: StatusMap | None, *, epoch: float,
                **fields: Any) -> None:
        rec = self._rec()
        if before is None:
            rec.step(action, target, epoch=epoch, **fields)
            return
        after = self.status()
        lb, tb = leader_of(before)
        la, ta = leader_of(after)
        rec.step(action, target, epoch=epoch, **fields, leader_before=lb, term_before=tb,
                 leader_after=la, term_after=ta, status_before=before, status_after=after)

    def _signal(self, name: str, sig: signal.Signals, action: str, *, paused: bool) -> None:
        member = self._member(name, running=True)
        assert member.proc is not None
        before = self._snapshot()
        epoch = time.time()
        os.kill(member.proc.pid, sig)
        member.paused = paused
        self._record(action, name, before, epoch=epoch, signal=action, pid=member.proc.pid)

    def _apply_cuts(self, cuts: set[frozenset[str]], action: str, target: Any, *,
                    status: bool) -> None:
        before = self._snapshot() if status else None
        epoch = time.time()
        self.net.set_cuts(cuts)
        self.cuts = cuts
        fields: dict[str, Any] = {"cut_links": sorted(sorted(p) for p in cuts)}
        if status:
            self._record(action, target, before, epoch=epoch, **fields)
        else:  # the nft transactions took this long: the cut holds from epoch + applied_s
            fields["applied_s"] = round(time.time() - epoch, 4)
            self._rec().step(action, target, epoch=epoch, **fields)

    def _kill_all(self) -> None:
        """SIGKILL every member still running (by PID), then reap them all."""
        procs = [m.proc for m in self.members.values() if m.proc is not None]
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
        stuck = []
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stuck.append(proc.pid)
        for m in self.members.values():
            m.paused = False
        if stuck:
            raise EtcdHarnessError(f"processes {stuck} survived SIGKILL for 10 s")

    def _members_json(self) -> dict[str, Any]:
        out = {}
        for n, m in self.members.items():
            ep = self.net.endpoints[n]
            out[n] = {
                "id_hex": m.member_id,
                "id_dec": str(int(m.member_id, 16)) if m.member_id else None,
                "client_url": ep.client_url,
                "peer_url": ep.peer_url,
                "pids": m.pids,
                "log": m.log_path.name,
                "log_bytes": m.log_path.stat().st_size if m.log_path.exists() else 0,
                "argv": m.argv,
                "bootstrap": not m.added,
                "learner": m.learner,
                "removed": m.removed,
            }
            if isinstance(self.net, NetnsNetwork):
                out[n]["netns"] = self.net.namespaces.get(n)
        return out

    def _up(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` whose member is running and not paused. Client and sampler
        threads ask while a scenario may replace a member (removed from ``members`` and added
        again): a name without a member is not up."""
        up = []
        for n in list(names):
            member = self.members.get(n)
            if member is not None and member.running and not member.paused:
                up.append(n)
        return up

    def _member(self, name: str, *, running: bool = False) -> Member:
        if name not in self.members:
            raise KeyError(f"no member {name!r}; members are {self.names}")
        member = self.members[name]
        if running and not member.running:
            raise EtcdHarnessError(f"{name} is not running")
        return member

    def _endpoints(self, endpoint: str | Sequence[str] | None) -> list[str]:
        if endpoint is None:
            return self._up(self.names) or list(self.names)
        names = [endpoint] if isinstance(endpoint, str) else list(endpoint)
        for n in names:
            self._member(n)
        return names

    def _url(self, name: str) -> str:
        return self.net.endpoints[name].client_url

    def _urls(self, names: list[str]) -> list[str]:
        return [self._url(n) for n in names]

    def _rec(self) -> ScenarioRecorder:
        if self.recorder is None:
            raise EtcdHarnessError("the cluster has not been started")
        return self.recorder


def _default_data_parent() -> Path | None:
    """tmpfs if there is one: etcd preallocates and fsyncs a 64 MB WAL per member, which takes
    seconds on a VM disk. A kill -9 keeps what a process wrote in the page cache either way, so
    the fault model (process crashes, not power loss) is the same."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
