"""A real slow disk (raftcheck.harness.slow_disk): a loop device whose writes one etcd member
makes are throttled by the block-I/O cgroup. Recorded live, the run must show etcd's own
slow-fsync warnings on that member, and the timeline must diagnose its disk.

Marked ``etcd``; skipped with the reason where etcd, network namespaces, root, loop devices
or the block-I/O cgroup are missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raftcheck.harness import EtcdNotInstalled, find_etcd_binaries
from raftcheck.harness.network import netns_unavailable_reason
from raftcheck.harness.record import RecordOptions, record
from raftcheck.harness.slow_disk import unavailable_reason
from raftcheck.timeline import build_timeline

pytestmark = pytest.mark.etcd


def test_a_throttled_leader_disk_is_slow_for_it_alone_and_diagnosed(tmp_path: Path) -> None:
    try:
        find_etcd_binaries(version="3.5")
    except EtcdNotInstalled as exc:
        pytest.skip(str(exc))
    reason = netns_unavailable_reason() or unavailable_reason()
    if reason:
        pytest.skip(f"no slow disk here: {reason}")
    facts = record("slow-disk", tmp_path, RecordOptions(duration=4.0, load=True))
    victim = facts["victim"]
    assert facts["leader_during"] != victim and facts["term_during"] > facts["term_before"]
    logs = {p.stem: p.read_text() for p in tmp_path.glob("node*.log")}
    assert '"msg":"slow fdatasync"' in logs[victim]
    assert all('"msg":"slow fdatasync"' not in text for n, text in logs.items() if n != victim)
    t = build_timeline([tmp_path])
    disk = [f for f in t.findings if f.kind == "slow-disk"]
    assert [t.name(n) for f in disk for n in f.nodes] == [victim]
    doc = json.loads((tmp_path / "scenario.json").read_text())
    assert [s["action"] for s in doc["steps"]].count("slow-disk") == 1
