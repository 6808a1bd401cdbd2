"""Errors of the real-cluster test harness; each carries a one-line, actionable message."""

from __future__ import annotations


class EtcdHarnessError(Exception):
    """Base class of every harness error."""


class EtcdNotInstalled(EtcdHarnessError):
    """The etcd/etcdctl binaries are missing; the message names what to install."""


class EtcdStartError(EtcdHarnessError):
    """A member exited while the cluster was starting; the message quotes its log tail."""


class PartitionUnsupported(EtcdHarnessError):
    """Partitions cannot be made with this network mode or on this machine."""


class ClusterTimeout(EtcdHarnessError, TimeoutError):
    """A wait_* condition did not hold before its deadline."""


class HashicorpNotInstalled(EtcdHarnessError):
    """Go or the hashicorp/raft sources are missing, or raftnode does not build; the message
    names what to install."""


class NodeStartError(EtcdHarnessError):
    """A hashicorp/raft node exited or never answered while starting; the message quotes its
    output."""
