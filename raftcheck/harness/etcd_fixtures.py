"""Regenerate the small real-etcd fixture runs kept in the tests.

    python -m raftcheck.harness.etcd_fixtures tests/data/etcd                  # every FIXTURE
    python -m raftcheck.harness.etcd_fixtures tests/data/etcd 3.5-flapping 3.4-kill-capnslog
    python -m raftcheck.harness.etcd_fixtures tests/data/etcd35 leader-kill    # the first two

``FIXTURES`` (tests/data/etcd/<version>-<scenario>[-variant]/) are runs of the scenarios in
:mod:`raftcheck.harness.etcd_scenarios`, recorded as ``python -m raftcheck.harness record``
records them (each folder's scenario.json ``regenerate`` holds the equivalent command).
``LEGACY`` are the first two fixtures, in tests/data/etcd35/. Every log line is printed by a
real etcd process; timing makes each run differ (member IDs, leaders, terms), so tests must
read the facts from each run's scenario.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raftcheck.harness.errors import EtcdHarnessError
from raftcheck.harness.etcd_cluster import EtcdCluster
from raftcheck.harness.record import RecordOptions, record


def leader_kill(cluster: EtcdCluster) -> None:
    leader, term = cluster.wait_for_leader(10)
    for i in range(1, 6):
        cluster.put(f"/fixture/k{i}", f"v{i}")
    cluster.kill(leader)
    cluster.wait_for_leader(10, min_term=term + 1)
    for i in range(6, 9):
        cluster.put(f"/fixture/k{i}", f"v{i}")
    cluster.restart(leader)
    cluster.wait_for_catch_up(leader, 10)
    for i in range(9, 11):
        cluster.put(f"/fixture/k{i}", f"v{i}")
    cluster.wait_for_convergence(10)


def leader_minority_partition(cluster: EtcdCluster) -> None:
    leader, term = cluster.wait_for_leader(10)
    for i in range(1, 6):
        cluster.put(f"/fixture/k{i}", f"v{i}")
    majority = [n for n in cluster.names if n != leader]
    cluster.partition([[leader]])
    _, new_term = cluster.wait_for_leader(10, min_term=term + 1)
    cluster.put("/fixture/lost", "minority", endpoint=leader, timeout=1.5)
    for i in range(6, 9):
        cluster.put(f"/fixture/k{i}", f"v{i}", endpoint=majority)
    cluster.sample_status("partitioned")
    cluster.heal()
    cluster.wait_for_leader(10, min_term=new_term)
    cluster.wait_for_convergence(15)
    for i in range(9, 11):
        cluster.put(f"/fixture/k{i}", f"v{i}")


LEGACY: dict[str, tuple[str, str, Callable[[EtcdCluster], None]]] = {
    "leader-kill": (
        "loopback",
        "kill -9 the leader, re-elect, writes continue, restart the victim, it catches up",
        leader_kill,
    ),
    "leader-minority-partition": (
        "netns",
        "isolate the leader alone (1|2), the majority elects, a write via the old leader fails, "
        "writes via the majority succeed, heal, all converge",
        leader_minority_partition,
    ),
}


@dataclass(frozen=True)
class Fixture:
    """One kept run: a scenario and how it was recorded."""

    name: str
    scenario: str
    options: RecordOptions
    why: str


V34: dict[str, Any] = {"version": "3.4", "pre_vote": False}  # 3.4's own default: no pre-vote
FIXTURES: dict[str, Fixture] = {f.name: f for f in [
    Fixture("3.5-flapping", "flapping",
            RecordOptions(duration=20, pattern="leader-links"),
            "the leader's links cut and healed every 0.2-2 s; pre-vote on"),
    Fixture("3.5-flapping-no-pre-vote", "flapping",
            RecordOptions(duration=20, pre_vote=False),
            "random links every 0.2-2 s, pre-vote off: the term climbs"),
    Fixture("3.5-flapping-five-fast", "flapping",
            RecordOptions(nodes=5, duration=10, pre_vote=False, heartbeat_ms=50,
                          election_ms=300),
            "five members, random links, 50/300 ms timers, pre-vote off: elections by the "
            "dozen"),
    Fixture("3.4-flapping-capnslog", "flapping",
            RecordOptions(duration=20, logger="capnslog", **V34),
            "random links, etcd 3.4 text logs (3.4's default: no pre-vote)", ),
    Fixture("3.4-flapping-zap-debug", "flapping",
            RecordOptions(duration=12, logger="zap", debug=True, pattern="leader-links",
                          load=False, **V34),
            "etcd 3.4 zap JSON at debug level (12 s, no client load: debug lines are many)"),
    Fixture("3.5-leader-minority", "leader-minority", RecordOptions(),
            "leader alone in a minority for 5 s with pre-vote: its term stays"),
    Fixture("3.5-leader-minority-no-pre-vote", "leader-minority",
            RecordOptions(pre_vote=False),
            "the same without pre-vote: its term climbs and it disrupts on heal"),
    Fixture("3.5-kill", "kill", RecordOptions(),
            "kill -9 the leader then a follower under load; restarted, caught up"),
    Fixture("3.4-kill-capnslog", "kill", RecordOptions(logger="capnslog", **V34),
            "the same on etcd 3.4, text logs"),
    Fixture("3.5-restart", "restart", RecordOptions(),
            "graceful SIGTERM of the leader (leadership transfer) then a follower"),
    Fixture("3.5-pause", "pause", RecordOptions(),
            "SIGSTOP the leader then a follower for 3 s under load"),
    Fixture("3.5-slow-disk", "slow-disk", RecordOptions(),
            "the leader's disk throttled for 6 s (loop device, block-I/O cgroup): slow "
            "fsyncs, late heartbeats, an election"),
    Fixture("3.4-slow-disk-capnslog", "slow-disk", RecordOptions(logger="capnslog", **V34),
            "the same on etcd 3.4, text logs ('sync duration of ...')"),
    Fixture("3.5-snapshot-catchup", "snapshot-catchup", RecordOptions(),
            "a follower caught up by snapshot after 5,400 writes; log and history "
            "compaction"),
    Fixture("3.4-snapshot-catchup-capnslog", "snapshot-catchup",
            RecordOptions(logger="capnslog", **V34), "the same on etcd 3.4, text logs"),
    Fixture("3.5-member-add", "member-add", RecordOptions(),
            "a fourth member added under load"),
    Fixture("3.5-member-learner", "member-learner", RecordOptions(),
            "a learner added, caught up, promoted"),
    Fixture("3.4-member-learner-capnslog", "member-learner",
            RecordOptions(logger="capnslog", **V34),
            "the same on etcd 3.4, text logs (its own words for learners and promotion)"),
    Fixture("3.5-member-remove", "member-remove", RecordOptions(),
            "a follower removed, then the leader"),
    Fixture("3.5-member-grow", "member-grow", RecordOptions(),
            "a cluster grown from one member to three"),
    Fixture("3.5-member-replace", "member-replace", RecordOptions(),
            "a follower removed, its data wiped, added again under its name: two member IDs "
            "in one log"),
    Fixture("3.5-force-new-cluster", "force-new-cluster", RecordOptions(),
            "quorum lost; a lagging follower forced into a one-member cluster: a second "
            "history in the same logs, the writes it missed lost"),
    Fixture("3.4-force-new-cluster-capnslog", "force-new-cluster",
            RecordOptions(logger="capnslog", **V34), "the same on etcd 3.4, text logs"),
    Fixture("3.5-snapshot-restore", "snapshot-restore", RecordOptions(),
            "every member restored from a snapshot under a new token: new cluster and member "
            "IDs, terms from 1 again, in the same logs"),
    Fixture("3.4-snapshot-restore-capnslog", "snapshot-restore",
            RecordOptions(logger="capnslog", **V34), "the same on etcd 3.4, text logs"),
    Fixture("3.4-chaos-capnslog", "chaos",
            RecordOptions(version="3.4", logger="capnslog", duration=20, seed=31,
                          heartbeat_ms=50, election_ms=300),
            "a bad day for 20 s on etcd 3.4 (pre-vote on): links, kills, stops and a "
            "follower replaced at random under load"),
    Fixture("3.4-to-3.5-rolling-upgrade-capnslog", "rolling-upgrade",
            RecordOptions(logger="capnslog", **V34),
            "every member of a 3.4 cluster restarted by etcd 3.5 in turn, the leader last: "
            "each log goes on from 3.4's text to 3.5's JSON"),
]}


def generate_fixture(out_dir: Path, name: str) -> Path:
    """Record FIXTURES[name] into out_dir/name (replacing what was there)."""
    fixture = FIXTURES[name]
    folder = out_dir / name
    shutil.rmtree(folder, ignore_errors=True)
    record(fixture.scenario, folder, fixture.options)
    return folder


def generate(out_dir: Path, name: str, nodes: int = 3) -> Path:
    """Run one LEGACY scenario on a fresh cluster; write nodeK.log and scenario.json to
    out_dir/name."""
    network, description, script = LEGACY[name]
    folder = out_dir / name
    shutil.rmtree(folder, ignore_errors=True)
    cluster = EtcdCluster(folder, nodes, network=network,  # type: ignore[arg-type]
                          scenario=name, description=description)
    with cluster:
        assert cluster.recorder is not None
        cluster.recorder.meta["regenerate"] = (
            f"python -m raftcheck.harness.etcd_fixtures {out_dir} {name}")
        script(cluster)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("name", nargs="*",
                        help=f"any of {', '.join([*FIXTURES, *LEGACY])} (default: every "
                             "FIXTURE)")
    args = parser.parse_args(argv)
    known = [*FIXTURES, *LEGACY]
    unknown = sorted(set(args.name) - set(known))
    if unknown:
        parser.error(f"unknown fixture {', '.join(unknown)}; known: {', '.join(known)}")
    try:
        for name in args.name or list(FIXTURES):
            folder = (generate_fixture if name in FIXTURES else generate)(args.out_dir, name)
            size = sum(p.stat().st_size for p in folder.iterdir())
            print(f"{folder}: {size // 1024} KiB", flush=True)
    except (EtcdHarnessError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
