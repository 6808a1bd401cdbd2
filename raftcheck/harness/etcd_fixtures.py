"""Regenerate the small real-etcd fixture logs in tests/data/etcd35/.

    python -m raftcheck.harness.etcd_fixtures tests/data/etcd35            # both scenarios
    python -m raftcheck.harness.etcd_fixtures tests/data/etcd35 leader-kill

Every log line is printed by a real etcd process; timing makes each run differ (member IDs,
leaders, terms), so tests must read the facts from each run's scenario.json.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from raftcheck.harness.errors import EtcdHarnessError
from raftcheck.harness.etcd_cluster import EtcdCluster


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


SCENARIOS: dict[str, tuple[str, str, Callable[[EtcdCluster], None]]] = {
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


def generate(out_dir: Path, name: str, nodes: int = 3) -> Path:
    """Run one scenario on a fresh cluster; write nodeK.log and scenario.json to out_dir/name."""
    network, description, script = SCENARIOS[name]
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
    parser.add_argument("scenario", nargs="*", help=f"any of {', '.join(SCENARIOS)} (all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.scenario) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    try:
        for name in args.scenario or list(SCENARIOS):
            folder = generate(args.out_dir, name)
            size = sum(p.stat().st_size for p in folder.iterdir())
            print(f"{folder}: {size // 1024} KiB")
    except EtcdHarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
