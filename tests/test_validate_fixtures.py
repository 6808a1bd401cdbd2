"""Every real run this project recorded (tests/data: etcd 3.4 and 3.5, hashicorp/raft; flapping
links, partitions with and without pre-vote, kills, pauses, restarts, snapshots caught up,
members added, removed, promoted from learner, a cluster grown from one server) conforms, with
every event checked and every raft line parsed. A false alarm on a real run, or a crash,
fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from raftcheck.validate import validate_runs

DATA = Path(__file__).parent / "data"

REPORT = validate_runs([DATA])
VERDICTS = {Path(v.run).relative_to(DATA).as_posix(): v for v in REPORT.verdicts}
"""By run: a folder, or a folder and a cluster (the logs of a cluster restored from a snapshot
hold two clusters: ``etcd/3.5-snapshot-restore (cluster <id>)``)."""


def test_every_recorded_run_is_validated() -> None:
    recorded = {p.parent.relative_to(DATA).as_posix() for p in DATA.rglob("node1.log")}
    assert {run.split(" (cluster ")[0] for run in VERDICTS} == recorded
    assert len(recorded) >= 35
    restored = {run for run in recorded if "snapshot-restore" in run}
    assert restored and all(
        sum(v.startswith(f"{run} (cluster ") for v in VERDICTS) == 2 for run in restored)


IMPLEMENTATION_BUGS = {  # run -> (rule, file, line): tests/data/implementation-bugs/README.md
    "implementation-bugs/hashicorp-1.1.2-term-goes-back": ("TermMonotonic", "node5.log", 305),
    "implementation-bugs/hashicorp-1.1.2-term-goes-back-json": ("TermMonotonic", "node4.log", 186),
}


@pytest.mark.parametrize("run", sorted(VERDICTS))
def test_recorded_run_verdict(run: str) -> None:
    """Every recorded run conforms, but one where a member was forced to a new cluster (the
    membership rewritten without a quorum: outside the model), which is inconclusive; the
    runs of data-loss/, where a member's disk lost what it acknowledged (its data directory
    rolled back): a violation at the line where etcd panics over it; and those of
    implementation-bugs/, where the implementation broke Raft by itself: a violation at the
    line where it shows."""
    verdict = VERDICTS[run]
    if run.startswith("implementation-bugs/"):
        rule, name, line = IMPLEMENTATION_BUGS[run]
        assert (verdict.status, verdict.rule, verdict.location) == \
            ("violates", rule, f"{DATA / run / name}:{line}"), verdict.lines()
    elif run.startswith("data-loss/"):
        doc = json.loads((DATA / run / "scenario.json").read_text())
        log = DATA / run / f"{doc['facts']['victim']}.log"
        lines = log.read_text().splitlines()
        if doc["log_level"] == "debug":  # its acknowledgements logged: lost at its restart
            rule, line = "Restart", max(k for k, text in enumerate(lines, 1)
                                        if "newRaft" in text)
        else:  # seen where etcd panics over it
            rule, line = "CommitIndexInLog", next(k for k, text in enumerate(lines, 1)
                                                  if "tocommit(" in text)
        assert (verdict.status, verdict.rule, verdict.location) == \
            ("violates", rule, f"{log}:{line}"), verdict.lines()
        assert verdict.checked == verdict.events - 1  # all but the violating one
    else:
        if "force-new-cluster" in run:
            assert verdict.status == "inconclusive", verdict.lines()
            assert set(verdict.features) == {"force-new-cluster"}
        else:
            assert verdict.status == "conforms", verdict.lines()
        # every event was checked, none set aside; but in logs cut where rotation left them
        # (cut/), the lines of a node before one shows its role and term may be taken
        # unchecked, and the verdict counts them
        unchecked = sum(int(n) for note in verdict.notes
                        for n in re.findall(r"(\d+) line\(s\) of \S+ taken unchecked", note))
        assert unchecked == 0 or run.startswith("cut/")
        assert verdict.checked + unchecked == verdict.events
    assert not verdict.problems  # every raft line parsed
