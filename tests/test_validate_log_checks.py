"""The log half of Raft on real etcd 3.5 logs (debug level: every applied entry with its term).

The run: 3 members; n3 leads term 2 and is killed after entry 10 is applied everywhere; n1
leads term 3; n3 restarts. Each test changes a few lines so that committed data is lost or
contradicted, and checks that the violation is caught at the line where it first shows, for
the rule it breaks; and each kind has a look-alike the spec allows that must conform.
"""

from __future__ import annotations

import re
from pathlib import Path

from raftcheck.validate import validate_paths
from tests.forge import copy_run
from tests.forge import drop_lines as drop
from tests.forge import edit_line as edit

DATA = Path(__file__).parent / "data"
RUN = DATA / "logs" / "etcd-3.5" / "leader-kill-zap-debug"
PARTITION = DATA / "etcd35" / "leader-minority-partition"
N1, N2 = "31c543cd447626b2", "68844d2c8c8b8f07"


def copy(tmp_path: Path, run: Path = RUN) -> Path:
    return copy_run(run, tmp_path)


def line(path: Path, number: int) -> str:
    return path.read_text().splitlines()[number - 1]


def test_the_real_run_conforms() -> None:
    verdict = validate_paths([RUN])
    assert verdict.status == "conforms", verdict.lines()


def test_a_restart_that_loses_entries_the_node_had_applied(tmp_path: Path) -> None:
    logs = copy(tmp_path)
    node3 = logs / "node3.log"
    assert '"Applying entry","index":10,' in line(node3, 130)  # applied before the kill
    edit(node3, 145, lambda s: s.replace("commit: 9,", "commit: 7,")
         .replace("lastindex: 10,", "lastindex: 8,"))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "Restart", f"{node3}:145"), verdict.lines()
    assert "log ending at index 8" in verdict.explanation
    assert f"{node3}:130" in verdict.explanation


def test_a_lagging_member_restarting_short_of_the_cluster_commit_conforms() -> None:
    # n3 restarts (node3.log:145) with 10 entries, while n1 had already applied entry 12
    # (node1.log:474): behind the cluster, but it lost nothing it held
    node1, node3 = RUN / "node1.log", RUN / "node3.log"
    assert '"index":12,' in line(node1, 474) and "12:02:33.266Z" in line(node1, 474)
    assert "lastindex: 10," in line(node3, 145) and "12:02:33.318Z" in line(node3, 145)
    assert validate_paths([RUN]).status == "conforms"


RESTART = DATA / "etcd" / "3.5-restart"  # info level: no commit or apply is logged


def restart_run(tmp_path: Path, n3_log_end: str) -> tuple[Path, Path]:
    """3.5-restart with what the restart lines say committed lowered to 5, so that only n3's
    vote for n1 in term 3 (node3.log:74, its log ending at 9; counted at node1.log:79) shows
    what n3 held on disk when it restarts (node3.log:134)."""
    logs = copy(tmp_path, RESTART)
    node1, node3 = logs / "node1.log", logs / "node3.log"
    assert "[logterm: 2, index: 9, vote: 0] cast MsgVote for" in line(node3, 74)
    assert "received MsgVoteResp from 75277a90f74fe3bb at term 3" in line(node1, 79)
    edit(logs / "node2.log", 138, lambda s: s.replace("commit: 10,", "commit: 5,"))
    edit(node3, 134, lambda s: re.sub(r"commit: 15, applied: 0, lastindex: 15, lastterm: 3",
                                      f"commit: 5, applied: 0, {n3_log_end}", s))
    return logs, node3


def test_a_restart_shorter_than_the_log_a_counted_vote_showed(tmp_path: Path) -> None:
    logs, node3 = restart_run(tmp_path, "lastindex: 8, lastterm: 2")
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "Restart", f"{node3}:134"), verdict.lines()
    assert f"{logs / 'node1.log'}:79" in verdict.explanation  # where the vote was counted


def test_a_restart_keeping_the_log_its_vote_showed_conforms(tmp_path: Path) -> None:
    logs, _node3 = restart_run(tmp_path, "lastindex: 9, lastterm: 2")
    assert validate_paths([logs]).status == "conforms"


def test_two_entries_applied_at_one_index(tmp_path: Path) -> None:
    logs = copy(tmp_path)
    node1, node2 = logs / "node1.log", logs / "node2.log"
    # n1 applied entry 7 of term 2 first (node1.log:...); n2 applies entry 7 of term 3
    edit(node2, 83, lambda s: s.replace('"index":7,"term":2', '"index":7,"term":3'))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "StateMachineSafety", f"{node2}:83"), verdict.lines()
    assert "entry 7 of term 2 is committed" in verdict.explanation
    assert str(node1) in verdict.explanation or verdict.related


def shorten_candidate(logs: Path, *, voter_too: bool) -> None:
    """n1's (pre-)vote requests for term 3 show a log ending at entry 9, not 10; so does n2's
    view of them; with ``voter_too``, so does n2's own log."""
    node1, node2 = logs / "node1.log", logs / "node2.log"
    for number in (193, 194, 200, 201):
        edit(node1, number, lambda s: s.replace("[logterm: 2, index: 10]",
                                                "[logterm: 2, index: 9]"))
    for number in (181, 184):
        edit(node2, number, lambda s: s.replace(f"for {N1} [logterm: 2, index: 10]",
                                                f"for {N1} [logterm: 2, index: 9]"))
        if voter_too:
            edit(node2, number, lambda s: s.replace(f"{N2} [logterm: 2, index: 10,",
                                                    f"{N2} [logterm: 2, index: 9,"))
    # and neither applied entry 10 (had they, they would have lost a committed entry)
    assert '"index":10,' in line(node1, 126) and '"index":10,' in line(node2, 117)
    drop(node1, 126)
    drop(node2, 117)


def test_a_voter_grants_a_pre_vote_to_a_shorter_log(tmp_path: Path) -> None:
    logs = copy(tmp_path)
    shorten_candidate(logs, voter_too=False)
    node2 = logs / "node2.log"
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "PreVote", f"{node2}:180"), verdict.lines()  # one line up: 117 dropped
    assert "cast MsgPreVote" in line(node2, 180)
    assert "n1's log (last entry 9 of term 2) is behind its own" in verdict.explanation


def test_a_leader_elected_without_a_committed_entry(tmp_path: Path) -> None:
    # n3 alone applied entry 10 (committed in term 2, node3.log:130); n1 and n2, whose logs
    # end at entry 9, elect n1 for term 3: a majority without entry 10
    logs = copy(tmp_path)
    shorten_candidate(logs, voter_too=True)
    node1 = logs / "node1.log"
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule) == ("violates", "LeaderCompleteness"), verdict.lines()
    assert verdict.location == f"{node1}:203"  # one line up: 126 dropped
    assert "became leader at term 3" in line(node1, 203)
    assert re.search(r"lacks entry 10, committed in an earlier term", verdict.explanation)
    assert f"{logs / 'node3.log'}:130" in verdict.explanation


def test_a_follower_removes_a_committed_entry_in_a_conflict(tmp_path: Path) -> None:
    logs = copy(tmp_path)
    node2 = logs / "node2.log"
    conflict = line(PARTITION / "node1.log", 93).replace("index 14", "index 8") \
        .replace("existing term: 3", "existing term: 2").replace("12:12:53.330Z", "12:02:30.000Z")
    assert "found conflict at index 8 [existing term: 2, conflicting term: " in conflict
    lines = node2.read_text().splitlines(keepends=True)
    at = next(k for k, s in enumerate(lines) if re.search(r'"ts":"[^"]*T12:02:3[0-9]', s)) + 1
    node2.write_text("".join([*lines[:at - 1], conflict + "\n", *lines[at - 1:]]))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "CommittedNeverLost", f"{node2}:{at}"), verdict.lines()
    assert "no longer holds entry 8" in verdict.explanation


def test_a_follower_truncating_an_uncommitted_suffix_conforms() -> None:
    # the old leader, cut off in a minority, appended entry 14 alone; after the heal it takes
    # the new leader's entry instead (node1.log:93)
    assert "found conflict at index 14" in line(PARTITION / "node1.log", 93)
    assert validate_paths([PARTITION]).status == "conforms"


SNAPSHOT = DATA / "etcd" / "3.5-snapshot-catchup"


def test_a_follower_catching_up_by_snapshot_conforms() -> None:
    # n2 restarts far behind (its log ends at 10) and installs the leader's snapshot of entry
    # 5417 (node2.log:136): its log is replaced, nothing committed is lost
    assert "restored snapshot [index: 5417, term: 2]" in line(SNAPSHOT / "node2.log", 136)
    verdict = validate_paths([SNAPSHOT])
    assert verdict.status == "conforms", verdict.lines()


def test_a_snapshot_that_contradicts_committed_entries(tmp_path: Path) -> None:
    # n2's restart line (83) shows entry 10 of term 2 and commit 9: a snapshot ending at entry
    # 5417 of term 1 cannot hold the committed entry 9 of term 2
    logs = copy(tmp_path, SNAPSHOT)
    node2 = logs / "node2.log"
    assert "commit: 9, applied: 0, lastindex: 10, lastterm: 2" in line(node2, 83)
    edit(node2, 136, lambda s: s.replace("lastterm: 2] restored snapshot [index: 5417, term: 2]",
                                         "lastterm: 1] restored snapshot [index: 5417, term: 1]"))
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "StateMachineSafety", f"{node2}:136"), verdict.lines()
    assert "installs a snapshot ending at entry 5417 of term 1" in verdict.explanation


REMOVE = DATA / "etcd" / "3.5-member-remove"
N3_REMOVED, N4, N1_KEPT = "d3f9069fdce700ef", "3b53827b10309e91", "ece98323e9ad772b"


def test_a_cluster_that_removes_members_conforms() -> None:
    # n3 and then the leader n2 are removed (node1.log:97, 113); n4 is elected by n4 and n1, a
    # quorum of the two voters left (node4.log:134)
    assert "became leader at term 3" in line(REMOVE / "node4.log", 134)
    assert validate_paths([REMOVE]).status == "conforms"


def test_a_vote_counted_from_a_removed_member(tmp_path: Path) -> None:
    # n4 asks the removed n3 as well, n3 answers, and n4 counts n3's vote instead of n1's: n4
    # and n3 are not a quorum of the voters n4 and n1
    logs = copy(tmp_path, REMOVE)
    node3, node4 = logs / "node3.log", logs / "node4.log"
    request = line(node4, 131)
    assert request.endswith(f"sent MsgVote request to {N1_KEPT} at term 3\"}}")
    lines = node4.read_text().splitlines(keepends=True)
    lines.insert(131, request.replace(N1_KEPT, N3_REMOVED) + "\n")
    lines[132] = lines[132].replace(f"from {N1_KEPT}", f"from {N3_REMOVED}")
    node4.write_text("".join(lines))
    raft = '{"level":"info","ts":"2026-12-05T08:08:31.664Z","logger":"raft",' \
        '"caller":"etcdserver/zap_raft.go:77","msg":"%s"}\n'
    with node3.open("a") as f:
        f.write(raft % f"{N3_REMOVED} [term: 2] received a MsgVote message with higher term "
                       f"from {N4} [term: 3]")
        f.write(raft % f"{N3_REMOVED} became follower at term 3")
        f.write(raft % f"{N3_REMOVED} [logterm: 2, index: 34, vote: 0] cast MsgVote for {N4} "
                       "[logterm: 2, index: 34] at term 3")
    verdict = validate_paths([logs])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "BecomeLeader", f"{node4}:135"), verdict.lines()
    assert "with votes from n3, n4 only: not a quorum of its voters n1, n4" in \
        verdict.explanation
