"""CI: a real 3-member etcd cluster goes through faults; its logs must conform.

Marked ``etcd`` (skipped with the reason when etcd is not installed: .ci/install-etcd).
1. On 127.0.0.1: a leader kill, then the leader isolated by SIGSTOP past the election timeout
   (every link of it is cut at once: it hears nothing, sends nothing, then comes back as a
   deposed leader).
2. Real link cuts: each member in its own network namespace, the leader's links to both
   followers cut by nftables (docs/etcd-cluster-harness.md), a write through the minority that
   fails, writes on the majority, heal. Skipped with the reason where namespaces are not
   available (not root, no ``nft``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from raftcheck.harness import (
    EtcdCluster,
    EtcdNotInstalled,
    find_etcd_binaries,
    netns_unavailable_reason,
)
from raftcheck.validate import validate_paths


def _need_etcd() -> None:
    try:
        find_etcd_binaries()
    except EtcdNotInstalled as exc:
        pytest.skip(str(exc))


@pytest.mark.etcd
def test_real_cluster_with_faults_conforms(tmp_path: Path) -> None:
    _need_etcd()
    logs = tmp_path / "logs"
    with EtcdCluster(logs, 3, scenario="validate-ci") as cluster:
        first, term = cluster.wait_for_leader(10)
        for k in range(5):
            assert cluster.put(f"/ci/{k}", "v").ok
        cluster.kill(first)  # leader kill: the others elect
        second, term2 = cluster.wait_for_leader(10, min_term=term + 1)
        assert cluster.put("/ci/after-kill", "v").ok
        cluster.restart(first)
        cluster.wait_for_convergence(15)
        cluster.pause(second)  # the leader isolated from everyone, past the election timeout
        try:
            third, _ = cluster.wait_for_leader(10, min_term=term2 + 1)
            assert third != second
            assert cluster.put("/ci/isolated", "v", endpoint=third).ok
        finally:
            cluster.resume(second)
        cluster.wait_for_convergence(15)
        time.sleep(0.5)
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", "\n".join(verdict.lines())
    assert len(verdict.files) == 3


@pytest.mark.etcd
def test_leader_cut_off_in_a_minority_partition_conforms(tmp_path: Path) -> None:
    _need_etcd()
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(f"partitions unavailable: {reason}")
    logs = tmp_path / "logs"
    with EtcdCluster(logs, 3, network="netns", scenario="validate-ci-partition") as cluster:
        old, term = cluster.wait_for_leader(10)
        for k in range(3):
            assert cluster.put(f"/ci/before/{k}", "v").ok
        cluster.partition([[old]])  # cuts old-x and x-old for both followers x
        assert cluster.cuts == {frozenset((old, n)) for n in cluster.names if n != old}
        new, new_term = cluster.wait_for_leader(10, min_term=term + 1)
        assert new != old
        refused = cluster.put("/ci/minority", "x", endpoint=old, timeout=1.0)
        assert not refused.ok, "a write through the cut-off old leader must not succeed"
        for k in range(3):
            assert cluster.put(f"/ci/majority/{k}", "v", endpoint=new).ok
        assert sum(cluster.dropped_packets().values()) > 0  # the cut really drops packets
        cluster.heal()
        cluster.wait_for_leader(10, min_term=new_term)
        cluster.wait_for_convergence(15)
        time.sleep(0.5)
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", "\n".join(verdict.lines())
    assert len(verdict.files) == 3
    deposed = re.findall(r"became follower at term (\d+)", (logs / f"{old}.log").read_text())
    assert any(int(t) > term for t in deposed)  # the old leader stepped down
