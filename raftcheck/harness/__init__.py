"""Harnesses that run real Raft clusters on this machine with faults (etcd, hashicorp/raft):
users run them to reproduce incidents, and the tests run them to record real logs. See
docs/etcd-cluster-harness.md and docs/hashicorp-cluster-harness.md."""

from raftcheck.harness.binaries import EtcdBinaries, find_etcd_binaries
from raftcheck.harness.errors import (
    ClusterTimeout,
    EtcdHarnessError,
    EtcdNotInstalled,
    EtcdStartError,
    HashicorpNotInstalled,
    NodeStartError,
    PartitionUnsupported,
)
from raftcheck.harness.etcd_cluster import EtcdCluster
from raftcheck.harness.etcdctl import MemberStatus, ReadResult, WriteResult
from raftcheck.harness.hashicorp_cluster import HashicorpCluster
from raftcheck.harness.hashicorp_control import ClientOp, NodeStatus
from raftcheck.harness.network import cleanup_stale_namespaces, netns_unavailable_reason

__all__ = [
    "ClientOp",
    "ClusterTimeout",
    "EtcdBinaries",
    "EtcdCluster",
    "EtcdHarnessError",
    "EtcdNotInstalled",
    "EtcdStartError",
    "HashicorpCluster",
    "HashicorpNotInstalled",
    "MemberStatus",
    "NodeStartError",
    "NodeStatus",
    "PartitionUnsupported",
    "ReadResult",
    "WriteResult",
    "cleanup_stale_namespaces",
    "find_etcd_binaries",
    "netns_unavailable_reason",
]
