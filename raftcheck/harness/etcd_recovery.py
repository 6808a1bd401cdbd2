"""Disaster recovery of a :class:`~raftcheck.harness.etcd_cluster.EtcdCluster`, as SREs run it
after losing a quorum: restart the one member left with ``--force-new-cluster``, or restore every
member from an ``etcdctl snapshot save`` into new data directories under a new cluster token;
and the disaster itself: a member's data directory rolled back to an older copy.
Mixed into EtcdCluster. Both make a new cluster out of an old one, and the harness's bookkeeping
(``names``, each member's argv) follows, so that status, waits and later restarts see the new
cluster.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from raftcheck.harness.errors import EtcdHarnessError

if TYPE_CHECKING:
    from raftcheck.harness.etcd_cluster import EtcdCluster

FORCE_NEW_CLUSTER = "--force-new-cluster"
#: what etcd logs when it starts with --force-new-cluster: zap (3.4, 3.5) and capnslog (3.4)
_FORCED_COMMIT = re.compile(r'"msg":"forcing restart member".*?"commit-index":(\d+)'
                            r"|forcing restart of member \S+ in cluster \S+ at commit index (\d+)")


class DisasterRecovery:
    """The recovery methods of EtcdCluster (each takes the cluster as ``self``)."""

    def cluster_id(self: EtcdCluster, endpoint: str | None = None) -> str:
        """The cluster ID (lowercase hex, as etcd logs it) that ``endpoint`` answers with."""
        return format(int(self._member_list_answer(endpoint)["header"]["cluster_id"]), "x")

    def force_new_cluster(self: EtcdCluster, name: str, *, timeout: float = 20.0
                          ) -> int | None:
        """Start the killed member ``name`` with ``--force-new-cluster`` while every other
        member is down: etcd drops the others from the configuration and ``name`` alone is the
        cluster (what it had not received is lost). ``names`` becomes ``[name]``, the others
        are marked removed. Returns the commit index etcd logged it restarted at (None if it
        did not say)."""
        others = [n for n in self.names if n != name]
        if up := [n for n in others if self.members[n].running]:
            raise EtcdHarnessError(f"force-new-cluster needs the other members down; {up} "
                                   "still run")
        log = self._member(name).log_path
        logged = log.stat().st_size
        self.restart(name, timeout=timeout, extra_args=(FORCE_NEW_CLUSTER,))
        for n in others:
            self.names.remove(n)
            self.members[n].removed = True
        with open(log, "rb") as f:
            f.seek(logged)
            found = _FORCED_COMMIT.search(f.read().decode(errors="replace"))
        commit = int(found.group(1) or found.group(2)) if found else None
        self._rec().step("force-new-cluster", name, members_removed=others, commit_index=commit)
        return commit

    def copy_data(self: EtcdCluster, name: str) -> Path:
        """A copy of the stopped member ``name``'s data directory, beside it: what a backup of
        its disk or a VM snapshot holds. Returned for :meth:`roll_back_data`."""
        member = self._member(name)
        if member.running:
            raise EtcdHarnessError(f"{name} is running; stop it before copying its data")
        copy = member.data_dir.with_name(f"{member.data_dir.name}.copy")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(member.data_dir, copy, symlinks=True)
        self._rec().step("copy-data", name, copy=str(copy))
        return copy

    def roll_back_data(self: EtcdCluster, name: str, copy: Path) -> None:
        """Put the stopped member ``name``'s data directory back as it was in ``copy``: its
        disk loses every write since, those it persisted and acknowledged too (a VM snapshot
        reverted, a disk that acknowledged writes it never made durable)."""
        member = self._member(name)
        if member.running:
            raise EtcdHarnessError(f"{name} is running; stop it before rolling its data back")
        shutil.rmtree(member.data_dir)
        shutil.copytree(copy, member.data_dir, symlinks=True)
        self._rec().step("roll-back-data", name, copy=str(copy))

    def save_snapshot(self: EtcdCluster, endpoint: str, *, timeout: float = 30.0
                      ) -> tuple[Path, int]:
        """``etcdctl snapshot save`` from one member into the cluster's data directory (removed
        with it); returns the file and the revision it holds (``snapshot status``)."""
        assert self._data_root is not None
        path = self._data_root / f"snapshot{_done(self, 'snapshot-save') + 1}.db"
        epoch = time.time()
        self.etcdctl(["snapshot", "save", str(path)], endpoint, timeout).output("snapshot save")
        status = self.etcdctl(["snapshot", "status", str(path), "-w", "json"], endpoint,
                              timeout).output("snapshot status")
        revision = int(json.loads(status)["revision"])
        self._rec().step("snapshot-save", endpoint, epoch=epoch, file=path.name,
                         revision=revision)
        return path, revision

    def restore_snapshot(self: EtcdCluster, snapshot: Path, *, token: str | None = None,
                         timeout: float = 30.0) -> str:
        """With every member down, ``etcdctl snapshot restore`` the snapshot for each member
        (same name and peer URL) into a new data directory under a new cluster token, then
        start them all on it (each log appended to). The members' argv keep the new data
        directory and token for later restarts. Returns the token."""
        if up := [n for n in self.names if self.members[n].running]:
            raise EtcdHarnessError(f"restore needs every member down; {up} still run")
        assert self._data_root is not None
        restores = _done(self, "snapshot-restore") + 1
        token = token or f"{self._token}-restored{restores}"
        eps = self.net.endpoints
        initial = ",".join(f"{n}={eps[n].peer_url}" for n in self.names)
        epoch = time.time()
        for n in self.names:
            member = self.members[n]
            data_dir = self._data_root / f"{n}-restored{restores}"
            self._ctl.run([self._url(n)], [
                "snapshot", "restore", str(snapshot), "--name", n, "--data-dir", str(data_dir),
                "--initial-cluster", initial, "--initial-cluster-token", token,
                "--initial-advertise-peer-urls", eps[n].peer_url], timeout
            ).output("snapshot restore")
            member.data_dir = data_dir
            _set_flag(member.argv, "--data-dir", str(data_dir))
            _set_flag(member.argv, "--initial-cluster-token", token)
        self._token = token
        self._rec().step("snapshot-restore", list(self.names), epoch=epoch,
                         file=snapshot.name, token=token)
        for n in self.names:
            self.restart(n, wait=False)
        self._wait_members_up(list(self.names), timeout)
        return token


def _done(cluster: EtcdCluster, action: str) -> int:
    """How many ``action`` steps the cluster has recorded (numbers files and directories)."""
    return sum(s["action"] == action for s in cluster._rec().steps)


def _set_flag(argv: list[str], flag: str, value: str) -> None:
    """Replace the value that follows ``flag`` in an argv."""
    argv[argv.index(flag) + 1] = value
