"""Harnesses that run real Raft clusters on this machine with faults (etcd for now): users run
them to reproduce incidents (``python -m raftcheck.harness record SCENARIO --out DIR``), and the
tests run them to record real logs. See docs/etcd-cluster-harness.md."""

from raftcheck.harness.background import ClientLoad, StatusSampler
from raftcheck.harness.binaries import EtcdBinaries, find_etcd_binaries
from raftcheck.harness.errors import (
    ClusterTimeout,
    EtcdHarnessError,
    EtcdNotInstalled,
    EtcdStartError,
    PartitionUnsupported,
)
from raftcheck.harness.etcd_cluster import EtcdCluster
from raftcheck.harness.etcdctl import MemberInfo, MemberStatus, ReadResult, WriteResult
from raftcheck.harness.network import cleanup_stale_namespaces, netns_unavailable_reason
from raftcheck.harness.raft_status import RaftStatus

__all__ = [
    "ClientLoad",
    "ClusterTimeout",
    "EtcdBinaries",
    "EtcdCluster",
    "EtcdHarnessError",
    "EtcdNotInstalled",
    "EtcdStartError",
    "MemberInfo",
    "MemberStatus",
    "PartitionUnsupported",
    "RaftStatus",
    "ReadResult",
    "StatusSampler",
    "WriteResult",
    "cleanup_stale_namespaces",
    "find_etcd_binaries",
    "netns_unavailable_reason",
]
