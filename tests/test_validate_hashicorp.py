"""Quorums on real hashicorp/raft logs, where a follower never logs the configuration it uses.

A hashicorp follower's log shows no configuration of its own, so when it wins an election its
votes are counted against the configurations the cluster has recently shown (it may not have
caught up with the newest). That leniency must accept the elections real runs show (two voters
left of five after removals electing a leader; every other recorded run is validated in
test_validate_fixtures) and must still catch a leader without a quorum of any of them, at the
line where it becomes leader.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from raftcheck.validate import Verdict, validate_paths

DATA = Path(__file__).parent / "data" / "hashicorp"
SHRINK = DATA / "shrink-then-lose-leader"  # node3 leads 5, removes node1, node2; killed


def line(path: Path, number: int) -> str:
    return path.read_text().splitlines()[number - 1]


def test_two_voters_left_of_five_elect_a_leader() -> None:
    # node3 removed node1 and node2 (node3.log:22, 26) and was killed; node5 wins term 4 with
    # its own vote and node4's: a quorum of the three voters left, not of the five
    assert "command=RemoveServer server-id=node2" in line(SHRINK / "node3.log", 26)
    assert line(SHRINK / "node5.log", 25).endswith("election won: tally=2")
    verdict = validate_paths([SHRINK])
    assert verdict.status == "conforms", verdict.lines()


def test_a_leader_without_a_quorum_of_any_configuration(tmp_path: Path) -> None:
    # the same election with node4's vote taken away: one vote of three (or of five) is not
    # a quorum of any configuration the cluster has shown
    logs = tmp_path / SHRINK.name
    shutil.copytree(SHRINK, logs)
    verdict = _elected_with_its_own_vote_alone(logs)
    assert "votes from n5 only: not a quorum" in verdict.explanation


def _elected_with_its_own_vote_alone(logs: Path) -> Verdict:
    """node5's term-4 election (shrink-then-lose-leader) with node4's vote line dropped and the
    tally lowered to 1: BecomeLeader at the leader line, node5.log:25 (the verdict)."""
    node5 = logs / "node5.log"
    lines = node5.read_text().splitlines(keepends=True)
    assert lines[23].rstrip().endswith("vote granted: from=node4 term=4 tally=2")
    del lines[23]
    lines[23] = lines[23].replace("election won: tally=2", "election won: tally=1")
    node5.write_text("".join(lines))
    assert "entering leader state" in line(node5, 25)
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "BecomeLeader", f"{node5}:25"), verdict.lines()
    return verdict


def _rename_raft_logger(logs: Path, name: str) -> None:
    for path in logs.glob("node*.log"):
        path.write_text(path.read_text().replace("]  raft: ", f"]  {name}: ")
                        .replace("] raft: ", f"] {name}: "))


@pytest.mark.parametrize("name", ["consensus", "app.replication"])
def test_raft_logger_under_another_name_is_read(tmp_path: Path, name: str) -> None:
    # an application names hashicorp/raft's logger as it likes (Consul's agent.server.raft, or
    # anything); lines that say raft's own messages are raft's: skipped, the run was read as
    # logging no election, or a vote lost made a leader's tally look false
    logs = tmp_path / SHRINK.name
    shutil.copytree(SHRINK, logs)
    _rename_raft_logger(logs, name)
    assert f"{name}: election won: tally=2" in line(logs / "node5.log", 25)
    original = validate_paths([SHRINK])
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.events == original.events
    # and a leader without a quorum is caught there as under raft's own name
    _elected_with_its_own_vote_alone(logs)


def test_a_vote_under_a_garbled_module_name_is_still_counted(tmp_path: Path) -> None:
    # one JSON record's "@module" garbled (an invisible right-to-left mark inside "raft"): its
    # "vote granted" was skipped as another module's, and the leader's tally of 3 then looked
    # false (RequestVote at the next line)
    logs = tmp_path / "chaos-json"
    shutil.copytree(DATA / "chaos-json", logs)
    node1 = logs / "node1.log"
    lines = node1.read_text().splitlines(keepends=True)
    assert '"@message":"vote granted"' in lines[9] and '"tally":3' in lines[9]
    lines[9] = lines[9].replace('"@module":"raft"', '"@module":"ra\u200fft"')
    node1.write_text("".join(lines))
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.events == validate_paths([DATA / "chaos-json"]).events


def test_another_modules_configuration_line_is_not_raft_s(tmp_path: Path) -> None:
    # "updating configuration" is said by other modules too: an application's line is no
    # raft line, and does not excuse a leader elected with its own vote alone
    logs = tmp_path / "steady"
    shutil.copytree(DATA / "steady", logs)
    node1 = logs / "node1.log"
    lines = node1.read_text().splitlines(keepends=True)
    assert lines[8].rstrip().endswith("vote granted: from=node3 term=2 tally=2")
    lines[9] = lines[9].replace("election won: tally=2", "election won: tally=1")
    del lines[8]
    lines.insert(5, '2026-12-05T08:38:53.000Z [INFO]  agent: updating configuration: '
                    'servers="[{Voter web1 10.0.0.9:80"\n')
    node1.write_text("".join(lines))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "BecomeLeader", f"{node1}:11"), verdict.lines()
    assert verdict.problems == []


OWN_VOTE_LATE = DATA.parent / "cut" / "hashicorp-flapping-n7-trace-own-vote-late"
"""node7, last of seven in its configuration, asks the others first and puts its own vote in
its channel after: four answers came before it, and it won term 19 (tally=4 of needed=4)
without reading its own (node7.log:246-252)."""


def test_a_candidate_may_win_before_counting_its_own_vote() -> None:
    assert line(OWN_VOTE_LATE / "node7.log", 248).endswith(
        "vote granted: from=node3 term=19 tally=1")
    assert line(OWN_VOTE_LATE / "node7.log", 252).endswith("election won: tally=4")
    verdict = validate_paths([OWN_VOTE_LATE])
    assert verdict.status == "conforms", verdict.lines()


def _own_vote_late_copy(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    logs = tmp_path / OWN_VOTE_LATE.name
    shutil.copytree(OWN_VOTE_LATE, logs)
    node7 = logs / "node7.log"
    return logs, node7, node7.read_text().splitlines(keepends=True)


def test_a_tally_that_leaves_out_an_answer_read_is_caught(tmp_path: Path) -> None:
    logs, node7, lines = _own_vote_late_copy(tmp_path)
    lines[248] = lines[248].replace("from=node5 term=19 tally=2", "from=node5 term=19 tally=1")
    node7.write_text("".join(lines))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "RequestVote", f"{node7}:249"), verdict.lines()


def test_a_tally_after_the_own_vote_line_must_count_it(tmp_path: Path) -> None:
    logs, node7, lines = _own_vote_late_copy(tmp_path)
    own = lines[247].replace("from=node3 term=19 tally=1", "from=node7 term=19 tally=1")
    lines.insert(247, own)  # node7 reads its own vote first: node3's is then its second
    node7.write_text("".join(lines))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "RequestVote", f"{node7}:249"), verdict.lines()


def test_a_log_beginning_after_its_own_vote_is_not_taken_for_the_voters() -> None:
    # every log rotated: node5.log begins at the vote node1 gave it (tally=2), its own vote
    # line gone; that first vote is not node5's own, and node5.log is not node1's log (the
    # run was refused: "two logs of node n5 overlap in time")
    run = DATA.parent / "cut" / "hashicorp-leader-partition-minority-n5-json-rotated"
    first = json.loads(line(run / "node5.log", 1))
    assert (first["@message"], first["from"], first["tally"]) == ("vote granted", "node1", 2)
    verdict = validate_paths([run])
    assert verdict.status == "conforms", verdict.lines()
    assert {Path(f.path).name: f.node for f in verdict.files} == {
        f"node{k}.log": f"n{k}" for k in range(1, 6)}


GROW_JSON = DATA / "grow-from-one-json"
"""node1 bootstraps alone and adds node2..node5; in JSON lines hashicorp prints a node as
``{}``, so a joining follower's raft lines never name it: only its transport's ``accepted
connection`` line (debug level) gives its own address."""


@pytest.mark.parametrize("renamed", [False, True], ids=["named-by-id", "other-names"])
def test_a_joining_servers_json_log_is_read_as_its_own(tmp_path: Path, renamed: bool) -> None:
    """Files named by server ID are named by their file name as a last resort; renamed
    (``server-b.log``: as a deployment names them), by the transport's local address."""
    logs = tmp_path / "run"
    shutil.copytree(GROW_JSON, logs)
    if renamed:
        for k, letter in enumerate("abcde", 1):
            (logs / f"node{k}.log").rename(logs / f"server-{letter}.log")
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.problems) == ("conforms", [])
    assert sorted(f.node for f in verdict.files) == ["n1", "n2", "n3", "n4", "n5"]
    assert not any(note.startswith("no log of") for note in verdict.notes), verdict.notes
    assert verdict.events == 49  # as the same scenario's text log shows


def test_a_bind_address_does_not_name_the_file(tmp_path: Path) -> None:
    """A transport listening on 0.0.0.0 names no server of any configuration: node3's lines
    (in a file whose name is no server ID either) stay unattributed — reported, never checked
    as some made-up node's."""
    logs = tmp_path / "run"
    shutil.copytree(GROW_JSON, logs)
    node3 = logs / "server-c.log"
    (logs / "node3.log").rename(node3)
    address = json.loads((logs / "scenario.json").read_text())["members"]["node3"]["address"]
    text = node3.read_text()
    assert f'"local-address":"{address}"' in text
    node3.write_text(text.replace(f'"local-address":"{address}"',
                                  '"local-address":"0.0.0.0:8300"'))
    verdict = validate_paths([logs])
    assert sorted(verdict.nodes) == ["n1", "n2", "n3", "n4", "n5"]  # (n3: in others' lines)
    assert [f.node for f in verdict.files if f.path == str(node3)] == [None]
    assert verdict.problems and all(p.startswith(f"{node3}:") for p in verdict.problems)
    assert "cannot tell which node this line is about" in verdict.problems[0]


# A bad day (the chaos scenario: links, kills, stops, snapshots, a follower removed and added
# back): hashicorp names each snapshot by its last entry's term and index, as it writes it
# (``creating new snapshot: path=.../7-49-...``) and as a server starting restores it
# (``restored from snapshot: id=7-49-...``); both show that entry, committed, in its log.
CHAOS = {"text": (DATA / "chaos", 35, 64, "5-35-"), "json": (DATA / "chaos-json", 31, 45, "4-72-")}


@pytest.mark.parametrize("fmt", list(CHAOS))
def test_a_server_restores_the_snapshot_it_wrote(fmt: str) -> None:
    run, written, restored, name = CHAOS[fmt]
    assert "creating new snapshot" in line(run / "node3.log", written)
    assert name in line(run / "node3.log", written)
    assert "restored from snapshot" in line(run / "node3.log", restored)
    assert name in line(run / "node3.log", restored)
    verdict = validate_paths([run])
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.problems == [], verdict.lines()  # every raft line read


@pytest.mark.parametrize("fmt", list(CHAOS))
def test_a_restored_snapshot_that_is_not_the_one_written(tmp_path: Path, fmt: str) -> None:
    # the snapshot's last entry in another term than the snapshot the server wrote holds:
    # entries a snapshot holds are committed, so one of the two loses a committed entry
    run, _written, restored, name = CHAOS[fmt]
    term, index = name.split("-")[:2]
    logs = tmp_path / run.name
    shutil.copytree(run, logs)
    node3 = logs / "node3.log"
    lines = node3.read_text().splitlines(keepends=True)
    lines[restored - 1] = lines[restored - 1].replace(name, f"{int(term) - 1}-{index}-")
    node3.write_text("".join(lines))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "StateMachineSafety", f"{node3}:{restored}"), verdict.lines()
    assert (f"restores its snapshot ending at entry {index} of term {int(term) - 1}, but "
            f"entry {index} of term {term} is committed (at {logs}/node") in verdict.explanation


INFO = DATA / "leader-partition-minority-info"
"""3 servers at log level info: a candidate's votes are not logged, only its tally."""


@pytest.mark.parametrize("tally, status", [(2, "conforms"), (1, "violates")])
def test_an_info_level_leader_is_held_to_its_tally(tmp_path: Path, tally: int, status: str
                                                   ) -> None:
    # node1 wins term 3 with a tally of 2 of 3 (node1.log:10); one vote is not a quorum, and
    # the line that shows it is the one where node1 becomes leader
    logs = tmp_path / INFO.name
    shutil.copytree(INFO, logs)
    node1 = logs / "node1.log"
    lines = node1.read_text().splitlines(keepends=True)
    assert lines[9].rstrip().endswith("election won: tally=2")
    lines[9] = lines[9].replace("tally=2", f"tally={tally}")
    node1.write_text("".join(lines))
    verdict = validate_paths([logs])
    assert verdict.status == status, verdict.lines()
    if status == "violates":
        assert (verdict.rule, verdict.location) == ("BecomeLeader", f"{node1}:11")
        assert "with a tally of 1 votes: not a quorum of its 3 voters" in verdict.explanation


def test_lines_outside_hclog_in_a_hashicorp_log_are_skipped(tmp_path: Path) -> None:
    # what else a process prints into its log: a Go panic's goroutine dump, a wrapper's banner
    logs = tmp_path / "steady"
    shutil.copytree(DATA / "steady", logs)
    node1 = logs / "node1.log"
    lines = node1.read_text().splitlines(keepends=True)
    lines[3:3] = ["goroutine 1 [running]:\n", "main.main()\n", "\t/src/raftnode/main.go:42\n"]
    node1.write_text("".join(lines))
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.events == validate_paths([DATA / "steady"]).events
    assert verdict.problems == []
