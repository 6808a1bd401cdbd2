"""Real etcd 3.5 logs conform; copies mutated in one place violate, at that line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from raftcheck.validate import validate_paths

DATA = Path(__file__).parent / "data"
KILL = DATA / "etcd35" / "leader-kill"
PARTITION = DATA / "etcd35" / "leader-minority-partition"
N1, N2, N3 = "aaf06cecf87af88", "12e8e7f0e265b56c", "203c03cce64da127"  # leader-kill ids


def copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def edit(path: Path, change) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


def line(path: Path, number: int) -> str:
    return path.read_text().splitlines(keepends=True)[number - 1]


@pytest.mark.parametrize("fixture", [KILL, PARTITION], ids=["leader-kill", "minority"])
def test_real_logs_conform(fixture: Path) -> None:
    verdict = validate_paths([fixture])
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.exit_code == 0


def test_second_leader_in_a_term(tmp_path: Path) -> None:
    logs = copy(KILL, tmp_path)
    node2 = logs / "node2.log"
    fake = line(logs / "node3.log", 88).replace(N3, N2).replace("46.068Z", "48.164Z")
    edit(node2, lambda lines: [*lines, fake])
    verdict = validate_paths([logs])
    assert verdict.status == "violates"
    assert verdict.rule == "ElectionSafety"
    assert verdict.location == f"{node2}:92"
    assert "two leaders in term 3 — n3 at" in verdict.explanation
    assert verdict.related == [f"{logs / 'node3.log'}:88"]


def test_term_going_backwards(tmp_path: Path) -> None:
    logs = copy(KILL, tmp_path)
    node1 = logs / "node1.log"
    edit(node1, lambda lines: [*lines[:133], lines[133].replace("at term 3", "at term 1"),
                               *lines[134:]])
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "TermMonotonic")
    assert verdict.location == f"{node1}:134"


def test_voting_for_two_candidates_in_a_term(tmp_path: Path) -> None:
    logs = copy(KILL, tmp_path)
    node2 = logs / "node2.log"
    edit(node2, lambda lines: [*lines[:77], lines[76].replace(f"for {N3}", f"for {N1}"),
                               *lines[77:]])
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "VotedOncePerTerm")
    assert verdict.location == f"{node2}:78"
    assert "already voted for n3" in verdict.explanation


def test_leader_without_a_quorum_of_logged_votes(tmp_path: Path) -> None:
    logs = copy(KILL, tmp_path)
    node3 = logs / "node3.log"
    assert "received MsgVoteResp from" in line(node3, 86)
    edit(node3, lambda lines: [*lines[:85], *lines[87:]])  # drop n2's vote and the tally
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "BecomeLeader")
    assert verdict.location == f"{node3}:86"
    assert "not a quorum of its voters n1, n2, n3" in verdict.explanation


def test_committed_entry_disappears(tmp_path: Path) -> None:
    logs = copy(KILL, tmp_path)
    node1 = logs / "node1.log"
    conflict = line(PARTITION / "node1.log", 93).replace("index 14", "index 5") \
        .replace("12:12:53.330Z", "12:12:46.694Z")
    edit(node1, lambda lines: [*lines[:135], conflict, *lines[135:]])
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "CommittedNeverLost")
    assert verdict.location == f"{node1}:136"
    assert "no longer holds entry 5" in verdict.explanation
    assert "its commit index is 12" in verdict.explanation
    assert f"{node1}:93" in verdict.explanation
