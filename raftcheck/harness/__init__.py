"""Harnesses that run real Raft clusters on this machine with faults (etcd, hashicorp/raft):
users run them to reproduce incidents (``python -m raftcheck.harness record SCENARIO --out DIR``
for etcd, ``python -m raftcheck.harness.hashicorp_scenarios OUT`` for hashicorp/raft), and the
tests run them to record real logs. See docs/etcd-cluster-harness.md and
docs/hashicorp-cluster-harness.md."""

from raftcheck.harness.background import ClientLoad, StatusSampler
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
from raftcheck.harness.etcdctl import MemberInfo, MemberStatus, ReadResult, WriteResult
from raftcheck.harness.hashicorp_cluster import HashicorpCluster
from raftcheck.harness.hashicorp_control import ClientOp, NodeStatus
from raftcheck.harness.network import cleanup_stale_namespaces, netns_unavailable_reason
from raftcheck.harness.raft_status import RaftStatus

__all__ = [
    "ClientLoad",
    "ClientOp",
    "ClusterTimeout",
    "EtcdBinaries",
    "EtcdCluster",
    "EtcdHarnessError",
    "EtcdNotInstalled",
    "EtcdStartError",
    "HashicorpCluster",
    "HashicorpNotInstalled",
    "MemberInfo",
    "MemberStatus",
    "NodeStartError",
    "NodeStatus",
    "PartitionUnsupported",
    "RaftStatus",
    "ReadResult",
    "StatusSampler",
    "WriteResult",
    "cleanup_stale_namespaces",
    "find_etcd_binaries",
    "netns_unavailable_reason",
]
