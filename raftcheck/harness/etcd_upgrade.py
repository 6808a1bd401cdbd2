"""A rolling upgrade of a running :class:`~raftcheck.harness.etcd_cluster.EtcdCluster`: one
member at a time stopped gracefully and started again by another etcd version on the same data
directory, logging on to the same file (as journald keeps one log per unit). etcd 3.5 logs only
through zap, so a member of a 3.4 cluster that logs capnslog text goes on in JSON. Mixed into
EtcdCluster.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from raftcheck.harness.binaries import find_etcd_binaries
from raftcheck.harness.errors import EtcdHarnessError

if TYPE_CHECKING:
    from raftcheck.harness.etcd_cluster import EtcdCluster


class RollingUpgrade:
    """The upgrade method of EtcdCluster (it takes the cluster as ``self``)."""

    def upgrade(self: EtcdCluster, name: str, version: str, *, timeout: float = 20.0) -> int:
        """Stop ``name`` (SIGTERM: a leader hands its leadership over first) and start it with
        etcd ``version``'s binary (binaries.VERSIONS), same data directory and flags but for
        the log flags where the new version lacks the old format. Returns the new PID."""
        binaries = find_etcd_binaries(version=version)
        member = self._member(name, running=True)
        old_log_args = self._log_args()
        at = next((k for k in range(len(member.argv))
                   if member.argv[k:k + len(old_log_args)] == old_log_args), None)
        if at is None:
            raise EtcdHarnessError(f"{name}'s command line has no log flags to carry over")
        new_log_args = old_log_args if self.log_format != "capnslog" or \
            binaries.supports_capnslog else self._log_args(log_format="zap")
        self.terminate(name)
        member.argv = [str(binaries.etcd), *member.argv[1:at], *new_log_args,
                       *member.argv[at + len(old_log_args):]]
        epoch = time.time()
        pid = self.restart(name, timeout=timeout)
        self._rec().step("upgrade", name, epoch=epoch, version=binaries.version_str,
                         binary=str(binaries.etcd))
        return pid

    def versions(self: EtcdCluster, timeout: float = 1.0) -> dict[str, str | None]:
        """The etcd version each member reports (``endpoint status``; None: not answering)."""
        found: dict[str, str | None] = {}
        for name in self.names:
            raw = self._ctl.status(self._url(name), timeout)
            found[name] = str(raw["version"]) if isinstance(raw, dict) else None
        return found
