"""Real etcd 3.5 logs conform; copies mutated in one place violate, at that line."""

from __future__ import annotations

from pathlib import Path

import pytest

from raftcheck.validate import validate_paths
from tests.forge import copy_run as copy

DATA = Path(__file__).parent / "data"
KILL = DATA / "etcd35" / "leader-kill"
PARTITION = DATA / "etcd35" / "leader-minority-partition"
N1, N2, N3 = "aaf06cecf87af88", "12e8e7f0e265b56c", "203c03cce64da127"  # leader-kill ids


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


def test_a_leader_of_five_with_two_votes(tmp_path: Path) -> None:
    # Five members: n1 wins term 3 with its own vote, then 1d64's (tally 2), then 8cd0's
    # (tally 3, a quorum of five). Without the third vote, two votes would make a quorum of
    # three members, not of five.
    logs = copy(DATA / "etcd" / "3.5-flapping-five-fast", tmp_path)
    node1 = logs / "node1.log"
    assert "has received 3 MsgVoteResp votes" in line(node1, 118)
    assert "became leader at term 3" in line(node1, 119)
    edit(node1, lambda lines: [*lines[:116], *lines[118:]])  # drop 8cd0's vote and the tally
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "BecomeLeader")
    assert verdict.location == f"{node1}:117"
    assert "not a quorum of its voters n1, n2, n3, n4, n5" in verdict.explanation


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


def test_an_unparsed_line_where_a_leader_was_elected_is_named(tmp_path: Path) -> None:
    # node3.log:88 "became leader at term 3", cut short: n3's first heartbeat as leader is then
    # unexplained, but the line that would have explained it is named, not passed over
    logs = copy(KILL, tmp_path)
    node3 = logs / "node3.log"
    assert "became leader at term 3" in line(node3, 88)
    edit(node3, lambda lines: [*lines[:87], lines[87][:60] + "\n", *lines[88:]])
    verdict = validate_paths([logs])
    assert verdict.status == "inconclusive", verdict.lines()
    assert f"the line that would have decided may be unparsed ({node3}:88" in verdict.reason


@pytest.mark.parametrize("inserted, status", [
    # a "became leader" line whose envelope is broken (its date written another way): the step
    # it logs (a second leader of term 4?) was never checked, so the run cannot conform
    ("raft2026-12-07 02:12:42.941095 INFO: ffd9a5b7864d4ed6 became leader at term 4",
     "inconclusive"),
    # a line cut inside its envelope logs no step: counted and named, the run conforms
    ("raft2026/12/07 02:12:4", "conforms"),
])
def test_an_unparsed_line_that_logs_a_step_keeps_the_run_from_conforming(
        tmp_path: Path, inserted: str, status: str) -> None:
    logs = copy(DATA / "etcd" / "3.4-chaos-capnslog", tmp_path)
    node2 = logs / "node2.log"
    edit(node2, lambda lines: [*lines[:184], inserted + "\n", *lines[184:]])
    verdict = validate_paths([logs])
    assert verdict.status == status, verdict.lines()
    assert verdict.problems == [f"{node2}:185: malformed raft log line (envelope)"]
    if status == "inconclusive":
        assert f"did not parse: {node2}:185" in verdict.reason
        assert "'became leader'" in verdict.reason


def test_an_unparsed_line_after_a_violation_does_not_excuse_it(tmp_path: Path) -> None:
    logs = copy(KILL, tmp_path)
    node1 = logs / "node1.log"
    edit(node1, lambda lines: [*lines[:133], lines[133].replace("at term 3", "at term 1"),
                               *lines[134:], lines[140][:50] + "\n"])
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "TermMonotonic"), verdict.lines()
    assert verdict.problems  # the cut-off line is listed all the same


def test_two_leaders_of_a_term_are_not_excused_by_an_unparsed_line(tmp_path: Path) -> None:
    logs = copy(KILL, tmp_path)
    node1, node2 = logs / "node1.log", logs / "node2.log"
    edit(node1, lambda lines: [*lines[:10], lines[10][:40] + "\n", *lines[11:]])
    fake = line(logs / "node3.log", 88).replace(N3, N2).replace("46.068Z", "48.164Z")
    edit(node2, lambda lines: [*lines, fake])
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "ElectionSafety"), verdict.lines()


def test_no_election_seen_names_the_unparsed_lines(tmp_path: Path) -> None:
    # n1's log up to its start as a follower, then its "became leader" line cut short
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = (KILL / "node1.log").read_text().splitlines(keepends=True)
    assert "became leader at term 2" in lines[71]
    (logs / "node1.log").write_text("".join([*lines[:20], lines[71][:60] + "\n"]))
    verdict = validate_paths([logs])
    assert verdict.status == "inconclusive", verdict.lines()
    assert "no election" in verdict.reason and f"{logs / 'node1.log'}:21" in verdict.reason


HASHICORP_RESTART = DATA / "hashicorp" / "leader-restart"


@pytest.mark.parametrize("fixture, file, number, shown, lower, same", [
    (KILL, "node3.log", 82, "became candidate at term 3", "became candidate at term 1",
     "became candidate at term 2"),
    (HASHICORP_RESTART, "node2.log", 16, "term=4", "term=2", "term=3"),
], ids=["etcd", "hashicorp"])
def test_a_candidate_line_below_the_node_s_term_is_a_term_gone_back(
        tmp_path: Path, fixture: Path, file: str, number: int, shown: str, lower: str,
        same: str) -> None:
    """A candidate line whose term is below the one the node was at is TermMonotonic at that
    line (not an election that does not add up); so is one at the node's own term: etcd and
    hashicorp both log the term the election moves to, one above the term just before, so the
    node was at a lower term than it had reached (hashicorp/raft 1.1.2 did this for real:
    tests/data/implementation-bugs)."""
    for k, edited in enumerate((lower, same)):
        rule = "TermMonotonic"
        logs = copy(fixture, tmp_path / str(k))
        path = logs / file
        assert shown in line(path, number)
        edit(path, lambda lines, edited=edited: [
            *lines[:number - 1], lines[number - 1].replace(shown, edited), *lines[number:]])
        verdict = validate_paths([logs])
        assert (verdict.status, verdict.rule) == ("violates", rule), verdict.lines()
        assert verdict.location == f"{path}:{number}"
        if edited == same:
            assert "just before (an election adds one to the term)" in verdict.explanation
