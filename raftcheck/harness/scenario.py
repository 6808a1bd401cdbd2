"""The record of a real-cluster run: what was done when, and what the cluster said.

The JSON layout follows the corpus's ``scenario.json`` (shared/corpus/etcd-3.4/FORMATS.md):
``members``, ``id_to_name``, ``steps[]`` with ``t``/``epoch``/``action``/``target`` and
``leader_before``/``leader_after``/``term_after``/``status_before``/``status_after``,
``status_samples[]``, ``writes[]``, ``reads[]`` and their summaries.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from raftcheck.harness.etcdctl import MemberStatus, ReadResult, WriteResult, now_iso
from raftcheck.harness.raft_status import RaftStatus

StatusMap = dict[str, MemberStatus | None]
RaftMap = dict[str, RaftStatus | None]


def status_json(statuses: StatusMap) -> dict[str, Any]:
    return {
        name: (st.to_json() if st is not None else {"error": "unreachable"})
        for name, st in statuses.items()
    }


def leader_of(statuses: StatusMap) -> tuple[str | None, int | None]:
    """The member that reports itself leader at the highest term, and that term."""
    best: MemberStatus | None = None
    for st in statuses.values():
        if st is not None and st.is_leader and (best is None or st.raft_term > best.raft_term):
            best = st
    return (best.name, best.raft_term) if best else (None, None)


class ScenarioRecorder:
    """Collects steps, samples, writes and reads; serialises them as scenario.json."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.t_start = time.time()
        self.steps: list[dict[str, Any]] = []
        self.status_samples: list[dict[str, Any]] = []
        self.writes: list[WriteResult] = []
        self.reads: list[ReadResult] = []
        self.bulk_writes: list[dict[str, Any]] = []
        self.leaders_seen: list[str] = []

    def step(self, action: str, target: Any = None, *, epoch: float | None = None,
             **fields: Any) -> dict[str, Any]:
        epoch = time.time() if epoch is None else epoch
        entry: dict[str, Any] = {"t": now_iso(epoch), "epoch": round(epoch, 6), "action": action}
        if target is not None:
            entry["target"] = target
        for key, value in fields.items():
            entry[key] = status_json(value) if key.startswith("status_") else value
        self.steps.append(entry)
        return entry

    def sample(self, label: str, statuses: StatusMap, raft: RaftMap | None = None
               ) -> dict[str, Any]:
        """``leader``/``term`` come from ``endpoint status`` (the term there is that of the
        last applied entry); with ``raft``, also each member's own Raft state and
        ``raft_leader``/``max_raft_term`` (a member in StateLeader at the highest term)."""
        epoch = time.time()
        leader, term = leader_of(statuses)
        entry: dict[str, Any] = {"t": now_iso(epoch), "epoch": round(epoch, 6), "label": label,
                                 "leader": leader, "term": term,
                                 "status": status_json(statuses)}
        if raft is not None:
            answered = [r for r in raft.values() if r is not None]
            leaders = [r for r in answered if r.is_leader]
            entry["raft_leader"] = max(leaders, key=lambda r: r.term).name if leaders else None
            entry["max_raft_term"] = max((r.term for r in answered), default=None)
            entry["raft"] = {n: (r.to_json() if r is not None else {"error": "unreachable"})
                             for n, r in raft.items()}
        self.status_samples.append(entry)
        return entry

    def saw_leader(self, name: str) -> None:
        if not self.leaders_seen or self.leaders_seen[-1] != name:
            self.leaders_seen.append(name)

    def to_json(self, *, members: dict[str, Any], id_to_name: dict[str, str],
                error: str | None) -> dict[str, Any]:
        t_end = time.time()
        return {
            **self.meta,
            "t_start": now_iso(self.t_start),
            "t_end": now_iso(t_end),
            "duration_s": round(t_end - self.t_start, 3),
            "members": members,
            "id_to_name": id_to_name,
            "leaders_seen": self.leaders_seen,
            "error": error,
            "steps": self.steps,
            "writes_summary": _summary(self.writes),
            "writes": [w.to_json() for w in self.writes],
            "reads_summary": _summary(self.reads),
            "reads": [r.to_json() for r in self.reads],
            "bulk_writes": self.bulk_writes,
            "status_samples": self.status_samples,
        }

    def save(self, path: Path, **kwargs: Any) -> None:
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(**kwargs), indent=1) + "\n")
        tmp.replace(path)


def _summary(results: list[WriteResult] | list[ReadResult]) -> dict[str, int]:
    outcomes = [r.outcome for r in results]
    ok = outcomes.count("ok")
    return {"total": len(results), "ok": ok, "failed": len(results) - ok,
            "unknown": outcomes.count("unknown")}


class Outages:
    """The members a fault schedule (the ``chaos`` scenarios) has taken down, killed or
    stopped, each until its time to come back; fewer than half at once, so that the cluster can
    make progress between faults. ``cluster``: an EtcdCluster or a HashicorpCluster (kill,
    pause, restart, resume, names); ``wait``: whether a restart waits until the member
    answers."""

    def __init__(self, cluster: Any, *, wait: bool) -> None:
        self.cluster, self.wait = cluster, wait
        self._back_at: dict[str, tuple[float, str]] = {}  # member -> (when it is back, how)
        self._restarted: dict[str, float] = {}  # member -> when it was last started again

    def __contains__(self, name: object) -> bool:
        return name in self._back_at

    def up(self) -> list[str]:
        """The running members neither down nor started again within the last second (one
        started without waiting may not have logged its start yet: killed then, its log would
        not show that life)."""
        now = time.monotonic()
        return [n for n in self.cluster.running if n not in self._back_at
                and now - self._restarted.get(n, float("-inf")) >= 1.0]

    def may_take_one(self) -> bool:
        """Whether one more member may go down with a majority staying up, and one is up."""
        return (len(self._back_at) + 1) * 2 < len(self.cluster.names) and bool(self.up())

    def take(self, name: str, how: str, seconds: float) -> None:
        """Kill (``how="kill"``) or stop (``"pause"``) ``name`` for ``seconds``."""
        (self.cluster.kill if how == "kill" else self.cluster.pause)(name)
        self._back_at[name] = (time.monotonic() + seconds, how)

    def bring_back(self, now: float = float("inf")) -> None:
        """Restart (on its data) or resume every member whose time down has passed by ``now``
        (by default: all of them)."""
        for name, (when, how) in sorted(self._back_at.items()):
            if when <= now:
                if how == "kill":
                    self.cluster.restart(name, wait=self.wait)
                    self._restarted[name] = time.monotonic()
                else:
                    self.cluster.resume(name)
                del self._back_at[name]
