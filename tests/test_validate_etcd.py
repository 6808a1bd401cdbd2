"""CI: a real 3-member etcd cluster on 127.0.0.1 goes through faults; its logs must conform.

Marked ``etcd`` (skipped with the reason when etcd is not installed: .ci/install-etcd).
On loopback the leader is isolated by SIGSTOP past the election timeout (every link of it is
cut at once: it hears nothing, sends nothing, then comes back as a deposed leader); the
minority-partition scenario with real link cuts (nftables in per-member network namespaces,
docs/etcd-cluster-harness.md) is validated from its recorded logs in
tests/data/etcd35/leader-minority-partition.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from raftcheck.testing import EtcdCluster, EtcdNotInstalled, find_etcd_binaries
from raftcheck.validate import validate_paths


@pytest.mark.etcd
def test_real_cluster_with_faults_conforms(tmp_path: Path) -> None:
    try:
        find_etcd_binaries()
    except EtcdNotInstalled as exc:
        pytest.skip(str(exc))
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
