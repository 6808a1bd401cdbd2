"""A real hashicorp/raft cluster on this machine: one ``raftnode`` process per node (the
library's TCP transport, BoltDB log store, file snapshots), faults, client traffic, logs.

    with HashicorpCluster(tmp_path / "logs", nodes=3, network="netns") as cluster:
        leader, term = cluster.wait_for_leader(10)
        cluster.partition([[leader]])
        new_leader, new_term = cluster.wait_for_leader(10, min_term=term + 1)

Each node appends hclog output to ``<log_dir>/nodeK.log`` (a restart appends); ``stop()`` (also
run by ``__exit__`` and at interpreter exit) records each node's final log and state machine,
SIGKILLs every process by PID, deletes the network namespaces and data it made, and writes
``<log_dir>/scenario.json``. See docs/hashicorp-cluster-harness.md.

Networks: ``netns`` puts each node in its own network namespace on a bridge and cuts links with
nftables drop rules (packets vanish, as with a pulled cable). ``loopback`` runs every node on
127.0.0.1, where a packet filter cannot tell senders apart; links are cut inside raftnode's
stream layer instead (dials to a cut peer fail, connections with it are closed).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from raftcheck.harness.errors import ClusterTimeout, EtcdHarnessError, NodeStartError
from raftcheck.harness.hashicorp_build import RaftnodeBinary, raftnode_binary
from raftcheck.harness.hashicorp_control import (
    ClientOp,
    ControlError,
    NodeControl,
    NodeStatus,
    timed_call,
)
from raftcheck.harness.network import NetnsNetwork, free_tcp_ports, partition_cuts
from raftcheck.harness.processes import default_data_parent, die_with_parent, tail
from raftcheck.harness.scenario import ScenarioRecorder, leader_of
from raftcheck.spec.quorum import quorum_size

T = TypeVar("T")
POLL_S = 0.1
RAFT_PORT = 8300  # inside each node's own namespace (the port Consul servers use for Raft)
OBSERVATIONS_KEPT = 5000  # per node in scenario.json; more are counted, not kept

Statuses = Mapping[str, NodeStatus | None]


@dataclass
class Node:
    name: str
    address: str  # host:port of the raft transport; the server ID is the name
    data_dir: Path
    log_path: Path
    control: NodeControl
    argv: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    paused: bool = False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def reachable(self) -> bool:
        return self.running and not self.paused

    @property
    def output_path(self) -> Path:
        return self.data_dir / "raftnode.out"

    @property
    def observations_path(self) -> Path:
        return self.data_dir / "observations.jsonl"


def agreed_leader(statuses: Statuses, *, min_term: int = 0,
                  exclude: Iterable[str] = ()) -> tuple[str, int] | None:
    """(name, term) of a node that says it leads at term >= ``min_term`` and that a majority of
    the voters of its own configuration (itself included) report as leader at that term; else
    None. A leader cut off in a minority may still think it leads; it has no majority behind it.
    """
    excluded = set(exclude)
    for st in statuses.values():
        if st is None or not st.is_leader or st.name in excluded or st.raft_term < min_term:
            continue
        voters = st.voters
        agree = sum(1 for v in voters if (o := statuses.get(v)) is not None
                    and o.leader_id == st.member_id and o.raft_term == st.raft_term)
        if voters and agree >= quorum_size(len(voters)):
            return st.name, st.raft_term
    return None


def converged(statuses: Statuses, live: Iterable[str]) -> dict[str, NodeStatus] | None:
    """The statuses once one agreed leader exists and every live node of its configuration
    reports that leader, its term, and the leader's applied index; else None."""
    agreed = agreed_leader(statuses)
    if agreed is None:
        return None
    leader = statuses[agreed[0]]
    assert leader is not None
    members = {s.id for s in leader.configuration} & set(live)
    result: dict[str, NodeStatus] = {}
    for name in sorted(members):
        st = statuses.get(name)
        if st is None or (st.leader_id, st.raft_term, st.applied_index) != (
                leader.member_id, leader.raft_term, leader.applied_index):
            return None
        result[name] = st
    return result


def dump_json(value: Any, depth: int = 2, indent: str = "") -> str:
    """JSON with the outer ``depth`` levels spread over lines and everything deeper on one line
    per item: a step, a client operation or a log entry is one line of scenario.json."""
    if depth == 0 or not isinstance(value, dict | list) or not value:
        return json.dumps(value, separators=(",", ":"))
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {dump_json(v, depth - 1, inner)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [f"{inner}{dump_json(v, depth - 1, inner)}" for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


class HashicorpCluster:
    """N hashicorp/raft nodes with fault injection; a context manager. See the module
    docstring."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str],
        nodes: int = 3,
        *,
        network: Literal["netns", "loopback"] = "netns",
        log_format: Literal["text", "json"] = "text",
        log_level: Literal["trace", "debug", "info"] = "debug",
        bootstrap: Literal["all", "one"] = "all",
        heartbeat_ms: int = 1000,
        election_ms: int = 1000,
        lease_ms: int = 500,
        commit_ms: int = 50,
        snapshot_threshold: int = 8192,
        trailing_logs: int = 10240,
        snapshot_interval_s: float = 120.0,
        scenario: str = "adhoc",
        description: str = "",
        start_timeout: float = 20.0,
        client_timeout: float = 2.0,
        record_status: bool = True,
        data_dir: str | os.PathLike[str] | None = None,
        keep_data: bool = False,
        binary: RaftnodeBinary | None = None,
    ) -> None:
        if nodes < 1:
            raise ValueError("nodes must be >= 1")
        for what, value, allowed in (("network", network, ("netns", "loopback")),
                                     ("log_format", log_format, ("text", "json")),
                                     ("log_level", log_level, ("trace", "debug", "info")),
                                     ("bootstrap", bootstrap, ("all", "one"))):
            if value not in allowed:
                raise ValueError(f"{what} must be one of {allowed}, not {value!r}")
        self.binary = binary or raftnode_binary()
        self.log_dir = Path(log_dir)
        self.names = [f"node{i}" for i in range(1, nodes + 1)]
        self.network = network
        self.net: NetnsNetwork | None = NetnsNetwork() if network == "netns" else None
        self.log_format, self.log_level, self.bootstrap = log_format, log_level, bootstrap
        self.timing = {"heartbeat": heartbeat_ms, "election": election_ms, "lease": lease_ms,
                       "commit": commit_ms}
        self.snapshot_threshold, self.trailing_logs = snapshot_threshold, trailing_logs
        self.snapshot_interval_s = snapshot_interval_s
        self.scenario, self.description = scenario, description
        self.start_timeout, self.client_timeout = start_timeout, client_timeout
        self.record_status, self.keep_data = record_status, keep_data
        self._data_parent = Path(data_dir) if data_dir is not None else default_data_parent()
        self.nodes: dict[str, Node] = {}
        self.cuts: set[frozenset[str]] = set()
        self.recorder: ScenarioRecorder | None = None
        self.final: dict[str, Any] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._data_root: Path | None = None
        self._started = self._stopped = False
        self._seq = 0
        self._lock = threading.Lock()  # client threads share the sequence number and history

    # ----------------------------------------------------------------- lifecycle

    def __enter__(self) -> HashicorpCluster:
        try:
            self.start()
        except BaseException as exc:
            self.stop(error=exc)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop(error=exc)

    def start(self) -> tuple[str, int]:
        """Start every node, the bootstrap members with the first configuration (every node,
        or node1 alone), and wait for a leader; return (leader name, term)."""
        if self._started:
            raise EtcdHarnessError("start() was already called")
        self._started = True
        atexit.register(self.stop)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.recorder = ScenarioRecorder(self._meta())
        self._pool = ThreadPoolExecutor(max_workers=max(2, len(self.names)))
        self._data_root = Path(tempfile.mkdtemp(prefix="raftcheck-hashicorp-",
                                                dir=self._data_parent))
        for attempt in range(3):  # loopback only: a free port may be taken before a node binds
            addresses = self._setup_network()
            self._build_nodes(addresses)
            for node in self.nodes.values():
                self._spawn(node)
            try:
                self._wait_nodes_up(self.names, self.start_timeout)
                break
            except NodeStartError as exc:
                if attempt == 2 or self.net is not None or "address already in use" not in str(
                        exc):
                    raise
                self._kill_all()
                shutil.rmtree(self._data_root, ignore_errors=True)
                self._data_root.mkdir()
        self._rec().step("bootstrapped", self._bootstrap_members(),
                         servers={n: self.nodes[n].address for n in self._bootstrap_members()})
        leader, term = self.wait_for_leader(self.start_timeout, _record=False)
        self._rec().step("cluster-up", leader_after=leader, term_after=term,
                         status_after=self.status())
        return leader, term

    def stop(self, error: BaseException | None = None) -> None:
        """Record final state, SIGKILL every node by PID, remove namespaces and data, write
        scenario.json. Idempotent; also runs from ``__exit__`` and at interpreter exit."""
        if self._stopped or not self._started:
            return
        self._stopped = True
        atexit.unregister(self.stop)
        problems: list[str] = []
        stages: list[tuple[str, Callable[[], object]]] = [
            ("final state", self._final_sample),
            ("killing nodes", self._kill_all),
            ("removing the network", lambda: self.net and self.net.teardown()),
            ("thread pool", lambda: self._pool and self._pool.shutdown(cancel_futures=True)),
            ("writing scenario.json", lambda: self._save(error)),
            ("removing data", self._remove_data),
        ]
        for what, stage in stages:  # every stage runs, whatever an earlier one did
            try:
                stage()
            except Exception as exc:
                problems.append(f"{what}: {exc}")
        if problems:
            raise EtcdHarnessError("stop(): " + "; ".join(problems))

    # ----------------------------------------------------------------- process faults

    def kill(self, name: str) -> int:
        """SIGKILL one node by PID and reap it; return the PID."""
        node = self._node(name, running=True)
        assert node.proc is not None
        before = self._snapshot()
        epoch = time.time()
        os.kill(node.proc.pid, signal.SIGKILL)
        node.proc.wait(timeout=10)
        node.paused = False
        self._record("kill-9", name, before, epoch=epoch, signal="SIGKILL", pid=node.proc.pid)
        return node.proc.pid

    def restart(self, name: str, *, wait: bool = True, timeout: float = 15.0) -> int:
        """Start a killed node again: same argv, same data directory (its BoltDB log and
        stable store, snapshots), its log file appended to. Returns the new PID. On loopback
        with links of the node cut, it waits for the node even without ``wait``, to hand it
        its cuts."""
        node = self._node(name)
        if node.running:
            raise EtcdHarnessError(f"{name} is still running (pid {node.pids[-1]}); kill it first")
        before = self._snapshot()
        epoch = time.time()
        pid = self._spawn(node)
        if wait or (self.net is None and any(name in pair for pair in self.cuts)):
            self._wait_nodes_up([name], timeout)
        self._push_stream_cuts([name], fresh=True)
        self._record("restart", name, before, epoch=epoch, pid=pid)
        return pid

    def pause(self, name: str) -> None:
        """SIGSTOP one node (a stall: GC pause, stuck disk, VM freeze)."""
        self._signal(name, signal.SIGSTOP, "SIGSTOP", paused=True)

    def resume(self, name: str) -> None:
        """SIGCONT a paused node."""
        self._signal(name, signal.SIGCONT, "SIGCONT", paused=False)
        self._push_stream_cuts([name])

    # ----------------------------------------------------------------- network faults

    def partition(self, groups: Sequence[Iterable[str]]) -> None:
        """Cut every link between nodes of different groups; nodes named in no group form one
        more group together (``partition([[leader]])`` isolates the leader). Replaces any
        earlier cuts."""
        named = [list(g) for g in groups]
        for n in (n for g in named for n in g):
            self._node(n)
        all_groups, cuts = partition_cuts(self.names, named)
        self._apply_cuts(cuts, "partition", all_groups)

    def cut_links(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Cut exactly these links (both directions), healing every other one."""
        cuts = {frozenset(p) for p in pairs}
        for pair in cuts:
            for n in pair:
                self._node(n)
        self._apply_cuts(cuts, "links", sorted(sorted(p) for p in cuts))

    def heal(self) -> None:
        """Restore every link."""
        self._apply_cuts(set(), "heal", None)

    def dropped_packets(self) -> dict[str, int]:
        """Packets dropped so far by each node's cut rules (netns only; {} on loopback)."""
        return self.net.dropped_packets() if self.net is not None else {}

    # ----------------------------------------------------------------- membership, snapshots

    def add_voter(self, name: str, *, via: str | None = None, timeout: float = 10.0,
                  check: bool = True) -> dict[str, Any]:
        """``AddVoter`` of ``name`` through ``via`` (default: the current leader)."""
        return self._membership("/add-voter", "add-voter", name, via, timeout, check)

    def add_nonvoter(self, name: str, *, via: str | None = None, timeout: float = 10.0,
                     check: bool = True) -> dict[str, Any]:
        """``AddNonvoter`` of ``name`` through ``via`` (default: the current leader)."""
        return self._membership("/add-nonvoter", "add-nonvoter", name, via, timeout, check)

    def remove_server(self, name: str, *, via: str | None = None, timeout: float = 10.0,
                      check: bool = True) -> dict[str, Any]:
        """``RemoveServer`` of ``name`` through ``via`` (default: the current leader)."""
        return self._membership("/remove-server", "remove-server", name, via, timeout, check)

    def transfer_leadership(self, to: str | None = None, *, via: str | None = None,
                            timeout: float = 10.0, check: bool = True) -> dict[str, Any]:
        """``LeadershipTransfer`` (to ``to``, or to the most up-to-date voter)."""
        body: dict[str, Any] = {"timeout_ms": int(timeout * 1000)}
        if to is not None:
            body.update(id=to, address=self._node(to).address)
        return self._leader_call("/transfer", "leadership-transfer", to, body, via, timeout,
                                 check)

    def snapshot(self, name: str, *, timeout: float = 30.0, check: bool = True
                 ) -> dict[str, Any]:
        """``raft.Snapshot()`` on one node: its FSM is saved and its log compacted down to
        ``TrailingLogs`` entries. Returns the snapshot's id, index and term."""
        node = self._node(name, running=True)
        before = self._snapshot()
        epoch = time.time()
        try:
            answer = node.control.call("/snapshot", {}, timeout=timeout + 1)
        except ControlError as exc:
            answer = {"outcome": "unknown" if exc.sent else "fail", "error": str(exc)}
        self._record("snapshot", name, before, epoch=epoch, answer=answer)
        if check and answer.get("outcome") != "ok":
            raise EtcdHarnessError(f"snapshot on {name} failed: {answer.get('error')}")
        return answer

    # ----------------------------------------------------------------- clients

    def apply(self, key: str, value: str, node: str | None = None, *,
              timeout: float | None = None, process: str = "client") -> ClientOp:
        """A write (``raft.Apply`` of ``set key=value``) through ``node`` (default: the leader
        as the cluster sees it now). Never raises for a raft-side failure: see ``outcome``."""
        target = node or self.leader_hint()
        t = timeout or self.client_timeout
        t0, t1, answer = timed_call(
            self._node(target).control, "/apply",
            {"key": key, "value": value, "timeout_ms": int(t * 1000)}, timeout=t + 1)
        return self._history(process, "write", key, value, target, t0, t1, answer)

    def read(self, key: str, node: str | None = None, *,
             mode: Literal["barrier", "verify", "stale"] = "barrier",
             timeout: float | None = None, process: str = "client") -> ClientOp:
        """A read of one key through ``node`` (default: the leader). ``barrier`` commits a
        barrier entry first (linearizable); ``verify`` confirms leadership with a heartbeat
        round (``VerifyLeader``) and waits for the state machine to reach the commit index;
        ``stale`` reads the node's state machine as it is."""
        target = node or self.leader_hint()
        t = timeout or self.client_timeout
        t0, t1, answer = timed_call(
            self._node(target).control, "/read", None,
            query={"key": key, "mode": mode, "timeout_ms": int(t * 1000)}, timeout=t + 1)
        value = answer.get("value") if answer.get("outcome") == "ok" else None
        return self._history(process, "read", key, value, target, t0, t1, answer, mode=mode)

    def leader_hint(self) -> str:
        """The node a client would send to now: the leader the reachable nodes name at the
        highest term, else the first reachable node."""
        best: tuple[int, str] | None = None
        for st in self.status().values():
            if st is not None and st.leader_id in self.nodes and (
                    best is None or st.raft_term > best[0]):
                best = (st.raft_term, st.leader_id)
        if best is not None:
            return best[1]
        reachable = [n for n in self.names if self.nodes[n].reachable]
        return reachable[0] if reachable else self.names[0]

    def node_for_address(self, address: str) -> str | None:
        return next((n for n, node in self.nodes.items() if node.address == address), None)

    # ----------------------------------------------------------------- observation

    def status(self, names: Iterable[str] | None = None,
               timeout: float = 1.0) -> dict[str, NodeStatus | None]:
        """Each node's own view (None: killed, paused or not answering), queried in
        parallel."""
        wanted = list(names) if names is not None else list(self.names)
        live = [n for n in wanted if self.nodes[n].reachable]
        assert self._pool is not None
        futures = {n: self._pool.submit(self._status_of, n, timeout) for n in live}
        return {n: futures[n].result() if n in futures else None for n in wanted}

    def _status_of(self, name: str, timeout: float) -> NodeStatus | None:
        try:
            answer = self.nodes[name].control.call("/status", timeout=timeout)
        except ControlError:
            return None
        return NodeStatus.from_answer(name, answer) if "state" in answer else None

    def sample_status(self, label: str) -> dict[str, NodeStatus | None]:
        """Query every node and record the result in scenario.json ``status_samples``."""
        statuses = self.status()
        self._rec().sample(label, statuses)
        return statuses

    def log_entries(self, name: str) -> dict[str, Any]:
        """The entries in ``name``'s log store: ``first_index``, ``last_index``, ``entries``
        (index, term, type, and the command or configuration)."""
        return self._node(name, running=True).control.call("/log", timeout=5)

    def fsm(self, name: str) -> dict[str, Any]:
        """``name``'s state machine: ``index`` (last applied entry), ``data``, ``digest``."""
        return self._node(name, running=True).control.call("/fsm", timeout=5)

    def wait_for_leader(self, timeout: float = 10.0, *, min_term: int = 0,
                        exclude: Iterable[str] = (), _record: bool = True) -> tuple[str, int]:
        """Poll until a node leads at term T >= ``min_term`` with a majority of its
        configuration's voters reporting it as leader at T; return (name, T)."""
        excluded = set(exclude)
        leader, term = self._poll(
            lambda: agreed_leader(self.status(), min_term=min_term, exclude=excluded),
            timeout, f"a leader at term >= {min_term} agreed by a majority of its voters"
                     f"{f' (not {sorted(excluded)})' if excluded else ''}")
        self._rec().saw_leader(leader)
        if _record:
            self._rec().step("leader-elected", leader, leader_after=leader, term_after=term)
        return leader, term

    def wait_for_catch_up(self, name: str, timeout: float = 10.0) -> NodeStatus:
        """Poll until ``name`` has applied as far as the agreed leader; return its status."""
        self._node(name)

        def check() -> NodeStatus | None:
            statuses = self.status()
            agreed = agreed_leader(statuses)
            me = statuses.get(name)
            if agreed is None or me is None:
                return None
            top = statuses[agreed[0]]
            assert top is not None
            return me if me.applied_index >= top.applied_index else None

        return self._poll(check, timeout, f"{name}'s applied index to reach the leader's")

    def wait_for_convergence(self, timeout: float = 10.0) -> dict[str, NodeStatus]:
        """Poll until every live node of the leader's configuration reports the same leader,
        term and applied index; record a ``converged`` sample and return the statuses."""
        def check() -> dict[str, NodeStatus] | None:
            live = [n for n in self.names if self.nodes[n].reachable]
            return converged(self.status(live), live)

        result = self._poll(check, timeout, "the leader's configuration to agree on leader, "
                                            "term and applied index")
        self._rec().sample("converged", dict(result))
        return result

    def wait_until(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        """Call ``check`` every 0.1 s until it returns something other than None."""
        return self._poll(check, timeout, what)

    @property
    def running(self) -> list[str]:
        return [n for n in self.names if self.nodes[n].running]

    def log_path(self, name: str) -> Path:
        return self._node(name).log_path

    def pids(self, name: str) -> list[int]:
        return list(self._node(name).pids)

    def address(self, name: str) -> str:
        return self._node(name).address

    # ----------------------------------------------------------------- internals

    def _meta(self) -> dict[str, Any]:
        b = self.binary
        return {
            "scenario": self.scenario,
            "description": self.description,
            "implementation": "hashicorp/raft",
            "format": "hclog-json" if self.log_format == "json" else "hclog-text",
            "log_level": self.log_level,
            "raft_version": b.raft_version,
            "hclog_version": b.hclog_version,
            "go_version": b.go_version,
            "raftnode": str(b.path),
            "nodes": len(self.names),
            "bootstrap": self.bootstrap,
            "network": {"kind": self.network},
            "config": {
                "HeartbeatTimeout": f"{self.timing['heartbeat']}ms",
                "ElectionTimeout": f"{self.timing['election']}ms",
                "LeaderLeaseTimeout": f"{self.timing['lease']}ms",
                "CommitTimeout": f"{self.timing['commit']}ms",
                "SnapshotThreshold": self.snapshot_threshold,
                "TrailingLogs": self.trailing_logs,
                "SnapshotInterval": f"{self.snapshot_interval_s:g}s",
                "pre_vote": False,  # hashicorp/raft has pre-vote from 1.7 on
            },
            "timezone": "UTC",
            "utc_offset": "+0000",
        }

    def _setup_network(self) -> dict[str, str]:
        if self.net is not None:
            if not self.net.namespaces:
                self.net.setup(self.names)
            self._rec().meta["network"] = {**self.net.describe(), "raft_port": RAFT_PORT}
            return {n: f"{self.net.endpoints[n].host}:{RAFT_PORT}" for n in self.names}
        ports = free_tcp_ports(len(self.names))
        self._rec().meta["network"] = {
            "kind": "loopback", "host": "127.0.0.1",
            "cut": "raftnode stream layer: dials to a cut peer fail, connections closed"}
        return {n: f"127.0.0.1:{p}" for n, p in zip(self.names, ports, strict=True)}

    def _build_nodes(self, addresses: dict[str, str]) -> None:
        assert self._data_root is not None
        self.nodes = {}
        for name in self.names:
            data = self._data_root / name
            data.mkdir(parents=True, exist_ok=True)
            log_path = self.log_dir / f"{name}.log"
            log_path.write_bytes(b"")  # a new cluster starts a new log
            node = Node(name, addresses[name], data, log_path, NodeControl(data / "control.sock"))
            node.argv = [
                str(self.binary.path), "-id", name, "-bind", node.address, "-dir", str(data),
                "-control", str(node.control.socket_path), "-log", str(log_path),
                "-observations", str(node.observations_path),
                "-log-format", self.log_format, "-log-level", self.log_level,
                "-heartbeat-timeout", f"{self.timing['heartbeat']}ms",
                "-election-timeout", f"{self.timing['election']}ms",
                "-leader-lease-timeout", f"{self.timing['lease']}ms",
                "-commit-timeout", f"{self.timing['commit']}ms",
                "-snapshot-threshold", str(self.snapshot_threshold),
                "-trailing-logs", str(self.trailing_logs),
                "-snapshot-interval", f"{self.snapshot_interval_s:g}s",
            ]
            if name in self._bootstrap_members():
                node.argv += ["-bootstrap", ",".join(f"{n}={addresses[n]}"
                                                     for n in self._bootstrap_members())]
            if self.net is None:
                node.argv.append("-stream-cuts")
            self.nodes[name] = node

    def _bootstrap_members(self) -> list[str]:
        """The servers of the first configuration: every node, or node1 alone (the others
        wait, with no configuration, until a leader adds them)."""
        return list(self.names) if self.bootstrap == "all" else self.names[:1]

    def _spawn(self, node: Node) -> int:
        prefix = self.net.member_prefix(node.name) if self.net is not None else []
        env = {**os.environ, "TZ": "UTC"}  # hclog stamps local time
        with contextlib.suppress(FileNotFoundError):
            node.control.socket_path.unlink()
        with open(node.output_path, "ab") as out:
            node.proc = subprocess.Popen(
                [*prefix, *node.argv], stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, env=env, start_new_session=True,
                preexec_fn=die_with_parent)
        node.paused = False
        node.pids.append(node.proc.pid)
        return node.proc.pid

    def _wait_nodes_up(self, names: list[str], timeout: float) -> None:
        def up() -> bool | None:
            self._check_alive(names)
            statuses = self.status(names)
            return True if all(statuses[n] is not None for n in names) else None

        self._poll(up, timeout, f"{', '.join(names)} to answer on their control sockets")

    def _check_alive(self, names: Iterable[str]) -> None:
        for n in names:
            node = self.nodes[n]
            if node.proc is not None and node.proc.poll() is not None:
                raise NodeStartError(
                    f"{n} (pid {node.proc.pid}) exited with status {node.proc.returncode}: "
                    f"{tail(node.output_path)}")

    def _poll(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                raise ClusterTimeout(f"timed out after {timeout:g}s waiting for {what}; "
                                     f"status: {self._status_line()}")
            time.sleep(POLL_S)

    def _status_line(self) -> str:
        parts = []
        for n, s in self.status().items():
            if s is None:
                node = self.nodes[n]
                state = "down" if not node.running else "paused" if node.paused else "no answer"
                parts.append(f"{n}={state}")
            else:
                parts.append(f"{n}=({s.state} term {s.raft_term} leader {s.leader_id or '-'} "
                             f"applied {s.applied_index} voters {','.join(s.voters) or '-'})")
        return ", ".join(parts)

    def _snapshot(self) -> dict[str, NodeStatus | None] | None:
        return self.status() if self.record_status else None

    def _record(self, action: str, target: Any, before: Statuses | None, *, epoch: float,
                **fields: Any) -> None:
        rec = self._rec()
        if before is None:
            rec.step(action, target, epoch=epoch, **fields)
            return
        after = self.status()
        lb, tb = leader_of(dict(before))
        la, ta = leader_of(after)
        rec.step(action, target, epoch=epoch, **fields, leader_before=lb, term_before=tb,
                 leader_after=la, term_after=ta, status_before=dict(before), status_after=after)

    def _signal(self, name: str, sig: signal.Signals, action: str, *, paused: bool) -> None:
        node = self._node(name, running=True)
        assert node.proc is not None
        before = self._snapshot()
        epoch = time.time()
        os.kill(node.proc.pid, sig)
        node.paused = paused
        self._record(action, name, before, epoch=epoch, signal=action, pid=node.proc.pid)

    def _apply_cuts(self, cuts: set[frozenset[str]], action: str, target: Any) -> None:
        before = self._snapshot()
        epoch = time.time()
        self.cuts = cuts
        if self.net is not None:
            self.net.set_cuts(cuts)
        else:
            self._push_stream_cuts(self.names)
        self._record(action, target, before, epoch=epoch,
                     cut_links=sorted(sorted(p) for p in cuts))

    def _push_stream_cuts(self, names: Iterable[str], *, fresh: bool = False) -> None:
        """Loopback: tell each reachable node which peers it is cut from. A paused or killed
        node gets its cuts when it comes back; until then its peers refuse it on their side,
        which is enough to stop the link. A ``fresh`` process has no cuts to clear."""
        if self.net is not None:
            return
        assert self._pool is not None
        jobs = []
        for name in names:
            node = self.nodes[name]
            if not node.reachable:
                continue
            peers = sorted(self.nodes[o].address for pair in self.cuts if name in pair
                           for o in pair if o != name)
            if fresh and not peers:
                continue
            jobs.append((name, self._pool.submit(node.control.call, "/cuts", {"peers": peers},
                                                 timeout=5)))
        for name, job in jobs:
            answer = job.result()
            if answer.get("outcome") != "ok":
                raise EtcdHarnessError(f"cutting links on {name} failed: {answer.get('error')}")

    def _membership(self, path: str, action: str, name: str, via: str | None, timeout: float,
                    check: bool) -> dict[str, Any]:
        node = self._node(name)
        body = {"id": name, "address": node.address, "timeout_ms": int(timeout * 1000)}
        return self._leader_call(path, action, name, body, via, timeout, check)

    def _leader_call(self, path: str, action: str, target: Any, body: dict[str, Any],
                     via: str | None, timeout: float, check: bool) -> dict[str, Any]:
        through = via or self.leader_hint()
        before = self._snapshot()
        epoch = time.time()
        try:
            answer = self._node(through, running=True).control.call(path, body,
                                                                    timeout=timeout + 1)
        except ControlError as exc:
            answer = {"outcome": "unknown" if exc.sent else "fail", "error": str(exc)}
        self._record(action, target, before, epoch=epoch, via=through, answer=answer)
        if check and answer.get("outcome") != "ok":
            raise EtcdHarnessError(f"{action} {target or ''} via {through} failed: "
                                   f"{answer.get('error')}")
        return answer

    def _history(self, process: str, f: Literal["write", "read"], key: str, value: str | None,
                 node: str, t0: float, t1: float, answer: dict[str, Any], *,
                 mode: str | None = None) -> ClientOp:
        outcome = answer.get("outcome", "unknown")
        index = answer.get("index") if f == "write" else answer.get("fsm_index")
        with self._lock:
            self._seq += 1
            op = ClientOp(self._seq, process, f, key, value, node, t0, t1, outcome,
                          answer.get("error"), index, mode,
                          self.node_for_address(answer.get("leader_address") or ""))
            (self._rec().writes if f == "write" else self._rec().reads).append(op)  # type: ignore[arg-type]
        return op

    def _final_sample(self) -> None:
        rec = self._rec()
        if self.record_status and any(n.reachable for n in self.nodes.values()):
            rec.sample("final", self.status())
            for name, node in self.nodes.items():
                if not node.reachable:
                    continue
                try:
                    self.final[name] = {"log": self.log_entries(name), "fsm": self.fsm(name)}
                except ControlError as exc:
                    self.final[name] = {"error": str(exc)}
        rec.step("stop-all", signal="SIGKILL")

    def _kill_all(self) -> None:
        """SIGKILL every node still running (by PID), then reap them all."""
        procs = [n.proc for n in self.nodes.values() if n.proc is not None]
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
        for node in self.nodes.values():
            node.paused = False
        if stuck:
            raise EtcdHarnessError(f"processes {stuck} survived SIGKILL for 10 s")

    def _remove_data(self) -> None:
        if self._data_root and not self.keep_data:
            shutil.rmtree(self._data_root, ignore_errors=True)

    def _save(self, error: BaseException | None) -> None:
        err = None if error is None else f"{type(error).__name__}: {error}"
        rec = self._rec()
        doc = rec.to_json(members=self._members_json(), error=err,
                          id_to_name={n.address: n.name for n in self.nodes.values()})
        ops = [*rec.writes, *rec.reads]
        doc["history_summary"] = {o: sum(1 for op in ops if op.outcome == o)  # type: ignore[attr-defined]
                                  for o in ("ok", "fail", "unknown")}
        doc["final"] = self.final
        doc["observations"] = self._observations()
        tmp = self.log_dir / "scenario.json.tmp"
        tmp.write_text(dump_json(doc) + "\n")
        tmp.replace(self.log_dir / "scenario.json")

    def _observations(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, node in self.nodes.items():
            try:
                lines = node.observations_path.read_text().splitlines()
            except OSError:
                continue
            records = []
            for line in lines[:OBSERVATIONS_KEPT]:
                with contextlib.suppress(ValueError):  # a kill -9 may cut the last line
                    records.append(json.loads(line))
            out[name] = {"records": records, "total": len(lines)}
        return out

    def _members_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, node in self.nodes.items():
            out[name] = {
                "id": name,
                "address": node.address,
                "pids": node.pids,
                "log": node.log_path.name,
                "log_bytes": node.log_path.stat().st_size if node.log_path.exists() else 0,
                "argv": node.argv,
            }
            if self.net is not None:
                out[name]["netns"] = self.net.namespaces.get(name)
            if node.proc is not None and node.proc.returncode not in (None, -signal.SIGKILL):
                out[name]["output_tail"] = tail(node.output_path, 10)
        return out

    def _node(self, name: str, *, running: bool = False) -> Node:
        if name not in self.nodes:
            raise KeyError(f"no node {name!r}; nodes are {self.names}")
        node = self.nodes[name]
        if running and not node.running:
            raise EtcdHarnessError(f"{name} is not running")
        return node

    def _rec(self) -> ScenarioRecorder:
        if self.recorder is None:
            raise EtcdHarnessError("the cluster has not been started")
        return self.recorder
