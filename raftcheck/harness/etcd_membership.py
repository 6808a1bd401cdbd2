"""Membership changes of a running :class:`~raftcheck.harness.etcd_cluster.EtcdCluster`:
``etcdctl member add`` (voter or learner) and start with ``--initial-cluster-state existing``,
``member promote``, ``member remove``, ``member list``. Mixed into EtcdCluster, whose network
provides spare member slots (``EtcdCluster(spare=N)``) for members to add.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from raftcheck.harness.errors import ClusterTimeout, EtcdHarnessError
from raftcheck.harness.etcdctl import MemberInfo, parse_members

if TYPE_CHECKING:
    from raftcheck.harness.etcd_cluster import EtcdCluster, Member

#: etcd's refusals of a membership change it will not make *yet*, given before anything is
#: proposed (strict reconfiguration checks, a learner still catching up): safe to retry. A
#: timeout is not retried: the change may have been made.
_RETRYABLE_MEMBER_ERRORS = (
    "unhealthy cluster",
    "not enough started members",
    "in sync with leader",
    "too many learner",
)

class MembershipChanges:
    """The membership methods of EtcdCluster (each takes the cluster as ``self``)."""

    def add_member(self: EtcdCluster, name: str | None = None, *, learner: bool = False,
                   start: bool = True, timeout: float = 20.0, keep_log: bool = False) -> str:
        """``etcdctl member add`` (``--learner``) for a spare slot (the next unused one if
        ``name`` is None), then, with ``start``, start it with ``--initial-cluster-state
        existing`` and wait until it answers. Retries while etcd refuses the change as unsafe
        (e.g. "unhealthy cluster" while an earlier new member has not caught up). With
        ``keep_log`` its log goes on where one of that name was (replace_member). Returns the
        member's name."""
        if name is None:
            unused = [s for s in self.slots if s not in self.members]
            if not unused:
                raise EtcdHarnessError(f"no spare member slot left (slots: {self.slots}); "
                                       "create the cluster with spare=N")
            name = unused[0]
        if name not in self.slots or name in self.members:
            raise EtcdHarnessError(f"{name} is not an unused spare slot; unused: "
                                   f"{[s for s in self.slots if s not in self.members]}")
        peer_url = self.net.endpoints[name].peer_url
        args = ["member", "add", name, f"--peer-urls={peer_url}", "-w", "json",
                *(["--learner"] if learner else [])]
        before = self._snapshot()
        epoch = time.time()
        doc = self._member_command(args, timeout, "add")
        new_id = format(int(doc["member"]["ID"]), "x")  # type: ignore[index]
        self.id_to_name[new_id] = name
        initial = ",".join(f"{self.id_to_name.get(m.member_id, m.name)}={m.peer_urls[0]}"
                           for m in parse_members(doc))
        member = self._new_member(name, initial, "existing", keep_log=keep_log)
        member.member_id, member.learner, member.added = new_id, learner, True
        self.members[name] = member
        self.names.append(name)
        self._record("member-add", name, before, epoch=epoch, member_id=new_id, learner=learner,
                     peer_url=peer_url, initial_cluster=initial)
        if start:
            self.start_member(name, timeout=timeout)
        return name

    def start_member(self: EtcdCluster, name: str, *, timeout: float = 20.0) -> int:
        """Start an added member for the first time; return its PID once it answers."""
        member = self._member(name)
        if member.pids:
            raise EtcdHarnessError(f"{name} was started before; use restart()")
        epoch = time.time()
        pid = self._spawn(member)
        self._wait_members_up([name], timeout)
        self._rec().step("start", name, epoch=epoch, pid=pid)
        return pid

    def remove_member(self: EtcdCluster, name: str, *, timeout: float = 20.0) -> None:
        """``etcdctl member remove`` through the other members. etcd stops a removed member by
        itself; it is SIGKILLed if still running after ``timeout`` (said in the step)."""
        member = self._member(name)
        if member.member_id is None:
            self.status([name])
        if member.member_id is None:
            raise EtcdHarnessError(f"{name}'s member ID is unknown (it never answered)")
        before = self._snapshot()
        epoch = time.time()
        self._member_command(["member", "remove", member.member_id, "-w", "json"], timeout,
                             "remove", exclude=name)
        self.names.remove(name)
        member.removed = True
        exited = self._wait_exit(member, timeout)
        if not exited:
            self._kill_proc(member)
        self._record("member-remove", name, before, epoch=epoch, member_id=member.member_id,
                     exited_by_itself=exited,
                     exit_status=member.proc.returncode if member.proc else None)

    def replace_member(self: EtcdCluster, name: str, *, timeout: float = 20.0) -> str:
        """Replace a member as after a lost disk: remove it (etcd stops it), wipe its data
        directory, add it again under its name and peer URL (a new member ID) and start it,
        its log going on in the same file (one log per unit, as journald keeps it). Returns
        its new member ID."""
        self.remove_member(name, timeout=timeout)
        old = self.members.pop(name)
        shutil.rmtree(old.data_dir, ignore_errors=True)
        self._rec().step("wipe-data", name, data_dir=str(old.data_dir))
        self.add_member(name, timeout=timeout, keep_log=True)
        new = self.members[name]
        new.pids[:0] = old.pids  # every process that wrote the log
        assert new.member_id is not None
        return new.member_id

    def promote_member(self: EtcdCluster, name: str, *, timeout: float = 20.0) -> None:
        """``etcdctl member promote``: a learner becomes a voter; retried while etcd answers
        that the learner is not yet in sync with the leader."""
        member = self._member(name)
        if not member.learner:
            raise EtcdHarnessError(f"{name} is not a learner")
        assert member.member_id is not None
        before = self._snapshot()
        epoch = time.time()
        # not -w json: etcdctl 3.5.1 panics printing a promote answer as JSON (after etcd
        # has made the change)
        self._member_command(["member", "promote", member.member_id], timeout, "promote")
        member.learner = False
        self._record("member-promote", name, before, epoch=epoch, member_id=member.member_id)

    def member_list(self: EtcdCluster, endpoint: str | Sequence[str] | None = None
                    ) -> list[MemberInfo]:
        """``etcdctl member list`` as the members answer it (raises if none answers)."""
        return parse_members(self._member_list_answer(endpoint))

    def _member_list_answer(self: EtcdCluster, endpoint: str | Sequence[str] | None
                            ) -> dict[str, Any]:
        """The JSON of ``etcdctl member list -w json`` (header and members)."""
        return json.loads(self.etcdctl(["member", "list", "-w", "json"], endpoint)
                          .output("member list"))

    def _member_command(self: EtcdCluster, args: list[str], timeout: float, what: str,
                        exclude: str | None = None) -> dict[str, Any]:
        """Run a membership etcdctl command through the running voters (a learner refuses
        it; ``exclude`` one, e.g. the member being removed) until it succeeds; retry the
        refusals etcd gives while a change would be unsafe right now; raise on any other
        error."""
        last: list[str] = []
        endpoint = [n for n in self.voters if n != exclude and self.members[n].running
                    and not self.members[n].paused] or None

        def attempt() -> dict[str, Any] | None:
            res = self.etcdctl(args, endpoint, timeout=max(self.client_timeout, 5.0))
            if res.returncode == 0:
                return json.loads(res.stdout) if "-w" in args else {"text": res.stdout.strip()}
            last[:] = [res.error or ""]
            if any(text in res.stderr for text in _RETRYABLE_MEMBER_ERRORS):
                return None
            raise EtcdHarnessError(f"etcdctl member {what} failed: {res.error}")

        try:
            # every 0.5 s: each refusal is a log line, and etcd refuses a change until the
            # leader has been connected to every peer for 5 s (after a start, for instance)
            return self._poll(attempt, timeout, f"etcdctl member {what} to succeed", every=0.5)
        except ClusterTimeout as exc:
            raise ClusterTimeout(f"{exc}; last error: {last[0] if last else '-'}") from None

    def _wait_exit(self: EtcdCluster, member: Member, timeout: float) -> bool:
        if member.proc is None:
            return True
        try:
            member.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _kill_proc(self: EtcdCluster, member: Member) -> None:
        assert member.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(member.proc.pid, signal.SIGKILL)
        member.proc.wait(timeout=10)
