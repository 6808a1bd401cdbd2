"""Every real run this project recorded (tests/data: etcd 3.4 and 3.5, hashicorp/raft; flapping
links, partitions with and without pre-vote, kills, pauses, restarts, snapshots, member
changes) gets the verdict it must: conforms, or inconclusive for a feature outside the model,
named. A false alarm on a real run, or a crash, fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from raftcheck.validate import validate_runs

DATA = Path(__file__).parent / "data"

#: run -> the feature outside the model that makes it inconclusive; every other run conforms
OUTSIDE_THE_MODEL = {
    "etcd/3.5-member-add": "membership change",
    "etcd/3.5-member-grow": "membership change",
    "etcd/3.5-member-learner": "membership change",
    "hashicorp/grow-from-one": "membership change",
    "hashicorp/remove-leader": "membership change",
}

REPORT = validate_runs([DATA])
VERDICTS = {Path(v.run).relative_to(DATA).as_posix(): v for v in REPORT.verdicts}


def test_every_recorded_run_is_validated() -> None:
    recorded = {p.parent.relative_to(DATA).as_posix() for p in DATA.rglob("node1.log")}
    assert set(VERDICTS) == recorded
    assert len(recorded) >= 35


@pytest.mark.parametrize("run", sorted(VERDICTS))
def test_recorded_run_verdict(run: str) -> None:
    verdict = VERDICTS[run]
    if run in OUTSIDE_THE_MODEL:
        assert verdict.status == "inconclusive", verdict.lines()
        assert OUTSIDE_THE_MODEL[run] in verdict.features, verdict.lines()
    else:
        assert verdict.status == "conforms", verdict.lines()
    assert verdict.checked == verdict.events  # every event was checked, none set aside
    assert not verdict.problems  # every raft line parsed
