"""Scenarios for real hashicorp/raft clusters, and the command that records them.

    python -m raftcheck.harness.hashicorp_scenarios tests/data/hashicorp            # all
    python -m raftcheck.harness.hashicorp_scenarios tests/data/hashicorp steady flapping
    python -m raftcheck.harness.hashicorp_scenarios /work/runs/hashicorp flapping \\
        --nodes 5 --duration 120 --name flapping-120s-n5

Each scenario is a function of a started :class:`HashicorpCluster` (its docstring says what it
does); :data:`SCENARIOS` says how the cluster for it is made. A run writes ``nodeK.log`` (every
line printed by a real raftnode process) and ``scenario.json`` into ``<out>/<name>/``. Timing
makes every run differ (leaders, terms, indexes): tests read the facts from scenario.json.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from raftcheck.harness.errors import EtcdHarnessError
from raftcheck.harness.hashicorp_cluster import HashicorpCluster
from raftcheck.harness.scenario import Outages

# ----------------------------------------------------------------------------- clients


class BackgroundClients:
    """Client threads that write and read while a scenario injects faults. Each sends to the
    node it believes leads, follows the leader a refusing node names, and otherwise tries
    another node. Writes carry unique values (``<process>-<n>``), so a history checker can tell
    every write apart. A context manager: the threads stop (and are joined) on exit."""

    def __init__(self, cluster: HashicorpCluster, *, clients: int = 2, keys: int = 3,
                 read_share: float = 0.3, pause_s: float = 0.2, timeout: float = 1.0,
                 seed: int = 0) -> None:
        self.cluster, self.keys, self.read_share = cluster, keys, read_share
        self.pause_s, self.timeout = pause_s, timeout
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(f"c{i}", seed * 100 + i),
                                          daemon=True, name=f"client-c{i}")
                         for i in range(1, clients + 1)]
        self.errors: list[BaseException] = []

    def __enter__(self) -> BackgroundClients:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.timeout + 5)
        if self.errors and exc is None:
            raise EtcdHarnessError(f"a client thread failed: {self.errors[0]!r}")

    def _run(self, process: str, seed: int) -> None:
        rng = random.Random(seed)
        names = self.cluster.names
        target = rng.choice(names)
        n = 0
        try:
            while not self._stop.is_set():
                key = f"k{rng.randrange(self.keys)}"
                if rng.random() < self.read_share:
                    op = self.cluster.read(key, target, timeout=self.timeout, process=process)
                else:
                    n += 1
                    op = self.cluster.apply(key, f"{process}-{n}", target,
                                            timeout=self.timeout, process=process)
                if not op.ok:
                    others = [m for m in names if m != target]
                    target = op.leader_hint or rng.choice(others or names)
                self._stop.wait(self.pause_s)
        except BaseException as exc:  # reported by __exit__, not lost in the thread
            self.errors.append(exc)


# ----------------------------------------------------------------------------- scenarios


def _writes(cluster: HashicorpCluster, prefix: str, count: int, start: int = 1) -> None:
    for i in range(start, start + count):
        cluster.apply(f"{prefix}{i}", f"v{i}")


def steady(cluster: HashicorpCluster) -> None:
    """Elect a leader, ten writes and three linearizable reads through it, all converge."""
    cluster.wait_for_leader(10)
    _writes(cluster, "steady/k", 10)
    for i in (1, 5, 10):
        cluster.read(f"steady/k{i}")
    cluster.read("steady/k2", mode="verify")
    cluster.wait_for_convergence(10)


def leader_partition_minority(cluster: HashicorpCluster) -> None:
    """Cut the leader off in a minority (alone of 3; with one follower of 5). The majority
    elects a new leader at a higher term; a write through the old leader fails (it steps down
    after LeaderLeaseTimeout without a quorum); writes through the majority commit; heal; the
    old leader follows the new one and everyone converges."""
    leader, term = cluster.wait_for_leader(10)
    _writes(cluster, "part/k", 5)
    followers = [n for n in cluster.names if n != leader]
    minority = [leader, *followers[: (len(cluster.names) - 1) // 2 - 1]]
    majority = [n for n in cluster.names if n not in minority]
    cluster.partition([minority])
    cluster.apply("part/lost", "minority", leader)
    new_leader, new_term = cluster.wait_for_leader(15, min_term=term + 1, exclude=minority)
    _writes(cluster, "part/k", 3, start=6)
    cluster.sample_status("partitioned")
    cluster.heal()
    cluster.wait_for_leader(15, min_term=new_term)
    cluster.wait_for_convergence(15)
    _writes(cluster, "part/k", 2, start=9)
    cluster.read("part/k9")
    assert new_leader in majority


def leader_restart(cluster: HashicorpCluster) -> None:
    """kill -9 the leader; the others elect a new one at a higher term; writes continue; the
    old leader restarts on its data directory (keeps its term, vote and log) and catches up."""
    leader, term = cluster.wait_for_leader(10)
    _writes(cluster, "lr/k", 5)
    cluster.kill(leader)
    cluster.wait_for_leader(15, min_term=term + 1)
    _writes(cluster, "lr/k", 3, start=6)
    cluster.restart(leader)
    cluster.wait_for_catch_up(leader, 15)
    _writes(cluster, "lr/k", 2, start=9)
    cluster.wait_for_convergence(15)


def follower_restart(cluster: HashicorpCluster) -> None:
    """kill -9 a follower; writes continue on the majority; it restarts on its data and
    catches up by AppendEntries; the leader stays."""
    leader, _ = cluster.wait_for_leader(10)
    _writes(cluster, "fr/k", 5)
    follower = next(n for n in cluster.names if n != leader)
    cluster.kill(follower)
    _writes(cluster, "fr/k", 5, start=6)
    cluster.restart(follower)
    cluster.wait_for_catch_up(follower, 15)
    _writes(cluster, "fr/k", 2, start=11)
    cluster.wait_for_convergence(15)


def flapping(cluster: HashicorpCluster, duration: float = 20.0, seed: int = 1) -> None:
    """For ``duration`` seconds, every 0.3–2 s (seeded), cut a new set of links: one random
    link, or every link of one node (half the time the leader's), or none; two clients write
    and read throughout. Then heal and converge."""
    rng = random.Random(seed)
    cluster.wait_for_leader(10)
    with BackgroundClients(cluster, clients=2, keys=3, seed=seed):
        end = time.monotonic() + duration
        while time.monotonic() < end:
            roll = rng.random()
            if roll < 0.4:
                a, b = rng.sample(cluster.names, 2)
                cluster.cut_links([(a, b)])
            elif roll < 0.8:
                victim = cluster.leader_hint() if rng.random() < 0.5 else rng.choice(
                    cluster.names)
                cluster.partition([[victim]])
            else:
                cluster.heal()
            time.sleep(rng.uniform(0.3, 2.0))
        cluster.heal()
    cluster.wait_for_leader(20)
    cluster.wait_for_convergence(20)


def chaos(cluster: HashicorpCluster, duration: float = 14.0, seed: int = 7) -> None:
    """A bad day: for ``duration`` seconds, every 0.3–2 s (seeded), one of: a random set of
    links cut, every link healed, a node killed (SIGKILL) or stopped (SIGSTOP), half the time
    the leader, for 0.5–3 s and then restarted on its data or resumed, a snapshot taken on a
    running node, or (at most twice, with every node back and the links healed so that the
    changes commit) a follower removed from the configuration and added back; fewer than half
    the nodes down or stopped at once; two clients write and read throughout. Then heal,
    bring every node back, and converge."""
    rng = random.Random(seed)
    leader0, _ = cluster.wait_for_leader(10)
    outages = Outages(cluster, wait=True)
    rejoined = 0
    with BackgroundClients(cluster, clients=2, keys=3, seed=seed):
        end = time.monotonic() + duration
        while time.monotonic() < end:
            outages.bring_back(time.monotonic())
            fault = rng.choice(("links", "heal", "kill", "pause", "snapshot", "rejoin"))
            if fault in ("kill", "pause") and not outages.may_take_one():
                fault = "links"
            if fault == "rejoin" and rejoined >= 2:
                fault = "heal"
            if fault == "links":
                cluster.cut_links([link for link in itertools.combinations(cluster.names, 2)
                                   if rng.random() < 0.3])
            elif fault == "heal":
                cluster.heal()
            elif fault == "snapshot":
                cluster.snapshot(rng.choice([n for n in cluster.running if n not in outages]),
                                 check=False)
            elif fault == "rejoin":
                outages.bring_back()
                cluster.heal()
                cluster.wait_for_convergence(20)
                leader, _ = cluster.wait_for_leader(15)
                follower = rng.choice([n for n in cluster.names if n != leader])
                cluster.remove_server(follower, timeout=15)
                cluster.add_voter(follower, timeout=15)
                rejoined += 1
            else:
                hint = cluster.leader_hint() or leader0
                up = outages.up()
                victim = hint if hint in up and rng.random() < 0.5 else rng.choice(up)
                outages.take(victim, fault, rng.uniform(0.5, 3.0))
            time.sleep(rng.uniform(0.3, 2.0))
        outages.bring_back()
        cluster.heal()
    cluster.wait_for_leader(20)
    cluster.wait_for_convergence(20)


def grow_from_one(cluster: HashicorpCluster) -> None:
    """Bootstrap node1 alone (it elects itself with a quorum of one), then AddVoter every
    other node, one at a time, with writes in between; each new voter catches up. Ends with
    all nodes voters."""
    cluster.wait_for_leader(10)
    _writes(cluster, "grow/k", 3)
    for i, name in enumerate(cluster.names[1:], start=1):
        cluster.add_voter(name)
        cluster.wait_for_catch_up(name, 15)
        _writes(cluster, "grow/k", 2, start=3 + 2 * i)
    cluster.wait_for_convergence(15)


def remove_leader(cluster: HashicorpCluster) -> None:
    """RemoveServer the leader through itself: it commits the new configuration, steps down
    and shuts its raft down (ShutdownOnRemove); the remaining voters elect a leader among
    themselves; writes continue."""
    leader, term = cluster.wait_for_leader(10)
    _writes(cluster, "rm/k", 5)
    cluster.remove_server(leader, via=leader)
    cluster.wait_for_leader(15, min_term=term + 1, exclude=[leader])
    _writes(cluster, "rm/k", 5, start=6)
    cluster.wait_for_convergence(15)


def shrink_then_lose_leader(cluster: HashicorpCluster) -> None:
    """Five voters; the leader removes two followers, one at a time, with writes in between;
    then it is killed (kill -9). The two voters left of three elect a leader with two votes:
    a quorum of the configuration in force, not of the five the cluster began with (a
    follower's log never shows the configuration it uses); writes continue."""
    leader, term = cluster.wait_for_leader(10)
    _writes(cluster, "shrink/k", 3)
    gone = [n for n in cluster.names if n != leader][:2]
    for k, name in enumerate(gone):
        cluster.remove_server(name, via=leader)
        _writes(cluster, "shrink/k", 2, start=4 + 2 * k)
    cluster.kill(leader)
    cluster.wait_for_leader(15, min_term=term + 1, exclude=[leader, *gone])
    _writes(cluster, "shrink/k", 3, start=8)
    cluster.wait_for_convergence(15)


def snapshot_catchup(cluster: HashicorpCluster) -> None:
    """kill -9 a follower; 40 writes; the leader takes a snapshot and compacts its log to the
    last TrailingLogs entries, past the follower's last index; the follower restarts and can
    only catch up by InstallSnapshot; its state machine then equals the leader's."""
    leader, _ = cluster.wait_for_leader(10)
    _writes(cluster, "snap/k", 5)
    follower = next(n for n in cluster.names if n != leader)
    cluster.wait_for_catch_up(follower, 10)
    cluster.kill(follower)
    _writes(cluster, "snap/k", 40, start=6)
    cluster.snapshot(leader)
    cluster.restart(follower)
    cluster.wait_for_catch_up(follower, 20)
    _writes(cluster, "snap/k", 2, start=46)
    cluster.wait_for_convergence(15)


def leadership_transfer(cluster: HashicorpCluster) -> None:
    """LeadershipTransfer to a named follower (TimeoutNow: it campaigns at once, at a higher
    term), writes through the new leader."""
    leader, term = cluster.wait_for_leader(10)
    _writes(cluster, "lt/k", 3)
    target = next(n for n in cluster.names if n != leader)
    cluster.transfer_leadership(target)
    new_leader, _ = cluster.wait_for_leader(10, min_term=term + 1)
    _writes(cluster, "lt/k", 3, start=4)
    cluster.wait_for_convergence(10)
    assert new_leader == target


@dataclass(frozen=True)
class Scenario:
    """How to make the cluster for a scenario function, and what it shows."""

    script: Callable[..., None]
    nodes: int = 3
    cluster: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str:
        return " ".join((self.script.__doc__ or "").split())


SNAPSHOT_SETTINGS = {"snapshot_threshold": 16, "trailing_logs": 4, "snapshot_interval_s": 2.0}

SCENARIOS: dict[str, Scenario] = {
    "steady": Scenario(steady),
    "steady-json": Scenario(steady, cluster={"log_format": "json"}),
    "leader-partition-minority": Scenario(leader_partition_minority),
    "leader-partition-minority-n5-json": Scenario(leader_partition_minority, nodes=5,
                                                  cluster={"log_format": "json"}),
    "leader-partition-minority-info": Scenario(leader_partition_minority,
                                               cluster={"log_level": "info"}),
    "leader-restart": Scenario(leader_restart),
    "follower-restart": Scenario(follower_restart),
    "flapping": Scenario(flapping),
    "chaos": Scenario(chaos, nodes=5, cluster=SNAPSHOT_SETTINGS),
    "chaos-json": Scenario(chaos, nodes=5, cluster={**SNAPSHOT_SETTINGS, "log_format": "json"}),
    "grow-from-one": Scenario(grow_from_one, nodes=5, cluster={"bootstrap": "one"}),
    # in JSON lines a joining server's raft lines never name it (hashicorp prints it as {})
    "grow-from-one-json": Scenario(grow_from_one, nodes=5,
                                   cluster={"bootstrap": "one", "log_format": "json"}),
    "remove-leader": Scenario(remove_leader, nodes=3),
    "shrink-then-lose-leader": Scenario(shrink_then_lose_leader, nodes=5),
    "snapshot-catchup": Scenario(snapshot_catchup, cluster=SNAPSHOT_SETTINGS),
    "snapshot-catchup-json": Scenario(snapshot_catchup,
                                      cluster={**SNAPSHOT_SETTINGS, "log_format": "json"}),
    "leadership-transfer": Scenario(leadership_transfer),
}


def record(out_dir: Path, name: str, *, run_name: str | None = None, nodes: int | None = None,
           network: str = "netns", log_level: str | None = None, log_format: str | None = None,
           **script_args: Any) -> Path:
    """Run scenario ``name`` on a fresh cluster; write nodeK.log and scenario.json into
    ``out_dir/<run_name or name>`` (replacing what was there). Returns that folder."""
    scenario = SCENARIOS[name]
    folder = out_dir / (run_name or name)
    shutil.rmtree(folder, ignore_errors=True)
    kwargs: dict[str, Any] = {"network": network, **scenario.cluster}
    for option, value in (("log_level", log_level), ("log_format", log_format)):
        if value is not None:
            kwargs[option] = value
    cluster = HashicorpCluster(folder, nodes or scenario.nodes, scenario=name,
                               description=scenario.description, **kwargs)
    with cluster:
        assert cluster.recorder is not None
        cluster.recorder.meta["regenerate"] = " ".join(
            ["python -m raftcheck.harness.hashicorp_scenarios", str(out_dir), name,
             *([f"--name {run_name}"] if run_name else []),
             *([f"--nodes {nodes}"] if nodes else []),
             *([f"--network {network}"] if network != "netns" else []),
             *([f"--log-level {log_level}"] if log_level else []),
             *([f"--log-format {log_format}"] if log_format else []),
             *(f"--{k} {v}" for k, v in script_args.items())])
        scenario.script(cluster, **script_args)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("scenario", nargs="*", help=f"any of {', '.join(SCENARIOS)} (all)")
    parser.add_argument("--name", help="folder name of the run (one scenario only)")
    parser.add_argument("--nodes", type=int, help="cluster size instead of the scenario's")
    parser.add_argument("--network", choices=("netns", "loopback"), default="netns")
    parser.add_argument("--log-level", choices=("trace", "debug", "info"))
    parser.add_argument("--log-format", choices=("text", "json"))
    parser.add_argument("--duration", type=float,
                        help="flapping and chaos: seconds of faults")
    parser.add_argument("--seed", type=int,
                        help="flapping and chaos: seed of the fault schedule")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.scenario) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    names = args.scenario or list(SCENARIOS)
    if args.name and len(names) != 1:
        parser.error("--name needs exactly one scenario")
    script_args = {k: v for k, v in (("duration", args.duration), ("seed", args.seed))
                   if v is not None}
    if script_args and any(SCENARIOS[n].script not in (flapping, chaos) for n in names):
        parser.error("--duration and --seed apply to the flapping and chaos scenarios only")
    try:
        for name in names:
            t0 = time.monotonic()
            folder = record(args.out_dir, name, run_name=args.name, nodes=args.nodes,
                            network=args.network, log_level=args.log_level,
                            log_format=args.log_format, **script_args)
            size = sum(p.stat().st_size for p in folder.iterdir())
            print(f"{folder}: {size // 1024} KiB, {time.monotonic() - t0:.1f} s")
    except EtcdHarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
