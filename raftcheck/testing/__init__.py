"""Test harnesses that run real Raft implementations on this machine (etcd for now)."""

from raftcheck.testing.binaries import EtcdBinaries, find_etcd_binaries
from raftcheck.testing.errors import (
    ClusterTimeout,
    EtcdHarnessError,
    EtcdNotInstalled,
    EtcdStartError,
    PartitionUnsupported,
)
from raftcheck.testing.etcd_cluster import EtcdCluster
from raftcheck.testing.etcdctl import MemberStatus, ReadResult, WriteResult
from raftcheck.testing.network import cleanup_stale_namespaces, netns_unavailable_reason

__all__ = [
    "ClusterTimeout",
    "EtcdBinaries",
    "EtcdCluster",
    "EtcdHarnessError",
    "EtcdNotInstalled",
    "EtcdStartError",
    "MemberStatus",
    "PartitionUnsupported",
    "ReadResult",
    "WriteResult",
    "cleanup_stale_namespaces",
    "find_etcd_binaries",
    "netns_unavailable_reason",
]
