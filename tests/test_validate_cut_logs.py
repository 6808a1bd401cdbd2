"""Node logs that begin mid-run: what log rotation kept of each node, from a different point
in each. A node whose first line is no start of its server is followed leniently until a line
shows its role and term (then it is resynced to it); what it did in the terms its log began
in may predate its log. Cut at six sets of points, every recorded etcd run here read as it
did whole before this existed gave a false VIOLATES in 37 of 156 cuts; the cuts below must
conform, and violations after the cut must still be found at their lines.

The runs are real recordings (tests/data/etcd, tests/data/hashicorp); the lines forged below
are found in the files themselves."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from raftcheck.grammar.detect import ETCD_ZAP
from raftcheck.spec.quorum import Configuration
from raftcheck.spec.rules import Rules
from raftcheck.traces.logfiles import LogStream
from raftcheck.validate.context import Context
from raftcheck.validate.engine import check_run
from raftcheck.validate.mapping import elected_before_log
from raftcheck.validate.observe import observes
from raftcheck.validate.report import CONFORMS, VIOLATES
from raftcheck.validate.runs import find_runs
from raftcheck.validate.world import EMPTY, Unexplained
from tests.forge import drop_lines, edit_line

DATA = Path(__file__).parent / "data" / "etcd"
RUNS = sorted(p for p in DATA.iterdir() if p.is_dir())
SEEDS = range(6)



def cut_run(run: Path, seed: int, tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A copy of the run whose node k's log begins 5 to 54 % into it (the fraction differs
    per node and seed); and the number of lines cut from each file."""
    out = tmp_path / f"{run.name}-cut{seed}"
    shutil.copytree(run, out)
    cut: dict[str, int] = {}
    for k, path in enumerate(sorted(run.glob("node*.log"))):
        lines = path.read_text().splitlines(keepends=True)
        cut[path.name] = int(len(lines) * (((seed * 7 + k * 13) % 50 + 5) / 100))
        (out / path.name).write_text("".join(lines[cut[path.name]:]))
    return out, cut


def _verdict(logs: Path):
    """The verdict of the run in ``logs`` (of its last cluster, where a restore made two)."""
    return [check_run(run) for run in find_runs([logs])][-1]


def _without_line(run: Path, tmp_path: Path, name: str, number: int, text: str) -> Path:
    """A copy of the run without line ``number`` (from 1) of its file ``name``, which must
    hold ``text``."""
    logs = tmp_path / "run"
    shutil.copytree(run, logs)
    path = logs / name
    assert text in path.read_text().splitlines()[number - 1], f"{name}:{number}"
    drop_lines(path, number)
    return logs


def _verdicts(logs: Path) -> list:
    return [check_run(run) for run in find_runs([logs])]


@pytest.mark.parametrize(("name", "seed"), [
    ("3.5-flapping", 3),  # a vote answering a request sent before the candidate's log began
    ("3.5-flapping", 4),  # a log whose first line is "became leader"
    ("3.4-kill-capnslog", 2),
    ("3.5-member-add", 5),  # a quorum counted before the log showed a configuration
    ("3.5-snapshot-catchup", 1),  # entries from a leader elected before the follower's log
    ("3.4-snapshot-restore-capnslog", 2),
    ("3.5-member-replace", 3),
    # a heartbeat its leader queued for a member not yet started, delivered 5 s later, after
    # the leader's log (cut after it won) showed it step down: no leader now, the sender was
    ("3.5-member-grow", 2),
    ("3.5-member-grow", 3),
])
def test_logs_cut_where_rotation_left_them_conform(tmp_path: Path, name: str,
                                                    seed: int) -> None:
    logs, _cut = cut_run(DATA / name, seed, tmp_path)
    verdict = _verdict(logs)
    assert verdict.status == CONFORMS, verdict.reason


HASHICORP = Path(__file__).parent / "data" / "hashicorp"


@pytest.mark.parametrize(("name", "seed"), [
    ("leader-restart", 3),  # "entering leader state" first: its term not shown
    ("leader-restart", 2),
    ("follower-restart", 5),
    ("grow-from-one", 4),
    ("flapping", 0),  # a server named by address and by ID, the configuration lines cut
    ("leader-partition-minority", 2),
    ("remove-leader", 2),
    ("leadership-transfer", 2),  # was refused: "never mention one another"
    ("flapping", 1),  # a candidate named by address, its own vote by ID: one server
    ("shrink-then-lose-leader", 3),  # was refused: linked only by a log showing no term
])
def test_hashicorp_logs_cut_where_rotation_left_them_conform(tmp_path: Path, name: str,
                                                              seed: int) -> None:
    logs, _cut = cut_run(HASHICORP / name, seed, tmp_path)
    verdict = _verdict(logs)
    assert verdict.status == CONFORMS, verdict.reason


def test_no_cut_of_any_recorded_run_is_a_false_alarm(tmp_path: Path) -> None:
    """(Two were till the twelfth stop: 3.5-member-grow, seeds 2 and 3.)"""
    alarms = set()
    for run in RUNS:
        for seed in SEEDS:
            logs, _cut = cut_run(run, seed, tmp_path)
            for verdict in _verdicts(logs):
                assert verdict.rule not in ("ElectionSafety", "StateMachineSafety"), \
                    verdict.reason
                if verdict.status == VIOLATES:
                    alarms.add((run.name, seed))
            shutil.rmtree(logs)
    assert alarms == set()


def test_no_cut_of_any_recorded_hashicorp_run_is_a_false_alarm(tmp_path: Path) -> None:
    """(9 of 96 cuts were, before a candidate's own vote named its server and logs were
    linked through a log that shows no term.)"""
    alarms = []
    for run in sorted(p for p in HASHICORP.iterdir() if p.is_dir()):
        for seed in SEEDS:
            logs, _cut = cut_run(run, seed, tmp_path)
            verdict = _verdict(logs)
            if verdict.status not in (CONFORMS, "inconclusive"):
                alarms.append((run.name, seed, verdict.reason))
            shutil.rmtree(logs)
    assert alarms == []


def test_a_candidates_own_vote_counted_twice_in_a_cut_log_is_found(tmp_path: Path) -> None:
    """node2's log (cut before its configuration lines) names it by address; its own vote by
    ID. Its second vote of term 6 (node3's) forged as its own again: n2 counts two votes of
    one voter, RequestVote at that line (before a candidate's own vote named its server, the
    first was a phantom fourth server's, and this cut was a false alarm at the line before)."""
    logs, _cut = cut_run(HASHICORP / "flapping", 1, tmp_path)
    path = logs / "node2.log"
    lines = path.read_text().splitlines()
    at = lines.index(next(s for s in lines if "vote granted: from=node3 term=6 tally=2" in s)) + 1
    assert "vote granted: from=node2 term=6 tally=1" in lines[at - 2]
    assert not any("node2 10.231.0.2" in s or "ID:node2" in s for s in lines)  # (no pair)
    assert _verdict(logs).status == CONFORMS
    edit_line(path, at, lambda s: s.replace("from=node3", "from=node2"))
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{path}:{at}"), verdict.reason
    assert "(n2)" in verdict.reason or "(n2)" in verdict.explanation


def _first_anchor(lines: list[str]) -> int:
    return next(k for k, s in enumerate(lines, 1)
                if re.search(r"became (?:follower|candidate|pre-candidate|leader) at term", s))


def test_a_term_going_back_after_the_cut_is_still_found_at_its_line(tmp_path: Path) -> None:
    logs, _cut = cut_run(DATA / "3.5-flapping-no-pre-vote", 2, tmp_path)
    path = logs / "node1.log"
    lines = path.read_text().splitlines()
    anchor = _first_anchor(lines)
    at = next(k for k in range(anchor + 1, len(lines) + 1)
              if (m := re.search(r"became (?:follower|candidate) at term (\d+)", lines[k - 1]))
              and int(m.group(1)) >= 3)
    edit_line(path, at, lambda s: re.sub(r"at term \d+", "at term 1", s))
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{path}:{at}")


def test_two_leaders_of_one_term_in_cut_logs_are_found(tmp_path: Path) -> None:
    """A node's log says it won a term that another node's log shows won by that node:
    ElectionSafety, at the second line, whatever the cut."""
    logs, _cut = cut_run(DATA / "3.5-flapping-no-pre-vote", 2, tmp_path)
    files = {p: p.read_text().splitlines() for p in sorted(logs.glob("node*.log"))}
    won = [(p, k, int(m.group(1))) for p, lines in files.items()
           for k, s in enumerate(lines, 1) if (m := re.search(r"became leader at term (\d+)", s))]
    path, line, term = won[-1]
    other = next(p for p in files if p != path)
    stamp = re.search(r'"ts":"[^"]+"', files[path][line - 1]).group(0)
    own = next(m.group(1) for s in files[other]
               if (m := re.search(r'"msg":"([0-9a-f]{12,}) became', s)))
    forged = files[path][line - 1].replace(stamp, stamp[:-5] + '999Z"')
    forged = re.sub(r'"msg":"[0-9a-f]+ became leader', f'"msg":"{own} became leader', forged)
    lines = files[other] + [forged]  # (at its end: a line of the same instant, 1 ms later)
    other.write_text("\n".join(lines) + "\n")
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule) == (VIOLATES, "ElectionSafety"), verdict.reason
    assert verdict.location == f"{other}:{len(lines)}"
    assert f"two leaders in term {term}" in verdict.explanation


def test_a_vote_never_cast_after_the_voters_log_began_is_found(tmp_path: Path) -> None:
    """A candidate counts a vote that the voter, whose log covers that term, never cast."""
    logs, _cut = cut_run(DATA / "3.5-flapping-no-pre-vote", 2, tmp_path)
    files = {p: p.read_text().splitlines() for p in sorted(logs.glob("node*.log"))}
    ids = {p: next(m.group(1) for s in lines
                   if (m := re.search(r'"msg":"([0-9a-f]{12,}) became', s)))
           for p, lines in files.items()}
    anchors = {p: _first_anchor(lines) for p, lines in files.items()}
    began = {p: int(re.search(r"at term (\d+)", lines[anchors[p] - 1]).group(1))
             for p, lines in files.items()}
    for voter, lines in files.items():
        anchor = anchors[voter]
        casts = [(k, m.group(1), int(m.group(2))) for k, s in enumerate(lines, 1)
                 if k > anchor and (m := re.search(
                     r"cast MsgVote for ([0-9a-f]+) .* at term (\d+)", s))
                 and int(m.group(2)) > began[voter]]
        for k, candidate, term in casts:
            counted = [(p, j) for p, other in files.items() if ids[p] == candidate
                       and term > began[p] for j, s in enumerate(other, 1)
                       if j > anchors[p]
                       and f"received MsgVoteResp from {ids[voter]} at term {term}" in s]
            if counted:
                voter.write_text("\n".join(s for j, s in enumerate(lines, 1) if j != k) + "\n")
                verdict = _verdict(logs)
                path, line = counted[0]
                assert (verdict.status, verdict.rule, verdict.location) == \
                    (VIOLATES, "RequestVote", f"{path}:{line}"), verdict.reason
                return
    pytest.fail("no counted vote after a voter's log began in this cut")


CUT = Path(__file__).parent / "data" / "cut" / "3.5-member-add-debug"
"""A real etcd 3.5 run at debug level (a fourth member added under load), each log as
rotation left it: node1's begins after its raft start, node2's in a pre-vote (the sweep's
etcd35-member-add-fast-debug, cut at seed 0, lines to 13:45:06; node3's log, which names
no member in that span, and node4's, which begins later, left out)."""


def test_an_anchor_given_back_by_a_failed_retry_resyncs_no_one(tmp_path: Path) -> None:
    """A retry took node1's "became follower at term 2" (the line that resyncs it), failed,
    and gave it back, but node1 stayed resynced: its pre-vote of term 1 before that line was
    then read strictly, a false UpdateTerm at node1.log:50. After the line, node1 is followed
    strictly: its vote of term 2 logged at term 1 is TermMonotonic at its line."""
    verdict = _verdict(CUT)
    assert verdict.status == CONFORMS, verdict.reason
    logs = tmp_path / "run"
    shutil.copytree(CUT, logs)
    path = logs / "node1.log"
    lines = path.read_text().splitlines()
    assert "became follower at term 2" in lines[51] and "cast MsgVote for" in lines[52]
    edit_line(path, 53, lambda s: s.replace("] at term 2", "] at term 1"))
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{path}:53"), verdict.reason


def test_a_pre_vote_granted_in_the_voters_own_term_may_answer_a_request_before_the_log(
        tmp_path: Path) -> None:
    """A real etcd 3.5 run (the leader cut off in a minority, five members), its logs cut: n1's
    log begins as it wins term 2 (its pre-vote requests of term 2, sent at term 1, cut away);
    n4, which voted for n1 in term 2, grants n1's late pre-vote request of term 2: a request
    n1 sent before its log began (a false RequestVote at node4.log:60 before). Where the
    candidate's log covers the term, a pre-vote it never asked for is still found: n1 granting
    n2 one at term 4 in the whole 3.5-flapping run (n2 was no pre-candidate then)."""
    run = Path(__file__).parent / "data" / "cut" / "3.5-leader-minority-n5"
    lines = (run / "node4.log").read_text().splitlines()
    assert "cast MsgPreVote for b095553654425209" in lines[59] and "at term 2" in lines[59]
    assert _verdict(run).status == CONFORMS
    logs = tmp_path / "flapping"
    shutil.copytree(DATA / "3.5-flapping", logs)
    path = logs / "node1.log"
    assert "cast MsgPreVote for 5e43254a546b41dd" in path.read_text().splitlines()[116]
    assert _verdict(logs).status == CONFORMS
    edit_line(path, 117, lambda s: s.replace("for 5e43254a546b41dd", "for 3eb92861e1635958"))
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{path}:117"), verdict.reason
    assert "pre-vote request from n2" in verdict.reason + verdict.explanation


def test_messages_to_a_node_whose_term_is_a_guess_are_not_forgotten_too_early(
        tmp_path: Path) -> None:
    """A real etcd 3.4 run (3 members, links flapping fast, no pre-vote, debug), its logs cut:
    node3's begins at 14:21:52 with a burst of vote requests n2 sent seconds before (queued
    while the link was down), the last of term 165. Until node3's own lines, its term is a
    guess from the others' logs, higher than its real 163, and the requests were forgotten as
    if every node had passed their terms: a false RequestVote at node3.log:20 before. A request
    n2 never sent, its log covering the term, is still found at that line."""
    run = Path(__file__).parent / "data" / "cut" / "3.4-flapping-n3-debug"
    assert _verdict(run).status == CONFORMS
    logs = _without_line(run, tmp_path, "node2.log", 307,
                         "sent MsgVote request to c5d455fe86669fe7 at term 165")
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{logs / 'node3.log'}:20"), verdict.reason


def test_a_node_whose_server_starts_late_is_a_guess_until_its_lines_show_its_term(
        tmp_path: Path) -> None:
    """A real etcd 3.5 run (5 members, 20 ms heartbeats, no pre-vote), trimmed to its first
    4.5 s, node3's log cut: node4's server starts 4 s after its log's first line, while n1
    campaigns in terms 2 to 6, then hears n1's term-2 vote request. n4's start-up lines show
    no term, yet they made its term count as its own; node3's a guess too, the request was
    forgotten as if every node had passed term 2: a false RequestVote at node4.log:79 before.
    A request n1 never sent is still found at that line (and the 4 s pause of n4's start-up
    is not read as its clock jumping ahead)."""
    run = Path(__file__).parent / "data" / "cut" / "3.5-late-start-n5-no-pre-vote"
    verdict = _verdict(run)
    assert verdict.status == CONFORMS, verdict.reason
    logs = _without_line(run, tmp_path, "node1.log", 71,
                         "sent MsgVote request to 1e3a70c55455017f at term 2")
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{logs / 'node4.log'}:79"), verdict.reason


def test_a_leader_elected_before_its_log_still_has_no_rival_in_its_term() -> None:
    """``elected_before_log`` (the late heartbeat above) records the election it proves, and
    ElectionSafety still holds it against another leader of that term."""
    cx = Context(Rules(3))
    n1, n3 = 0, 2
    assert elected_before_log(EMPTY, n1, 2, cx).elections == {(2, n1)}
    assert elected_before_log(EMPTY.electing(2, n1), n1, 2, cx).elections == {(2, n1)}
    with pytest.raises(Unexplained) as caught:
        elected_before_log(EMPTY.electing(2, n3), n1, 2, cx)
    assert caught.value.rule == "ElectionSafety" and "two leaders in term 2" in str(caught.value)


def _without_node3_pairs(logs: Path) -> None:
    """Every line that pairs node3's ID with its address, but its own vote, taken out."""
    for path in logs.glob("node*.log"):
        lines = path.read_text().splitlines()
        path.write_text("".join(f"{s}\n" for s in lines if not re.search(
            r"node3 10\.231\.0\.3|leader-id=node3|ID:node3", s)))


def _ids(logs: Path) -> dict[str, list[str]]:
    stream = LogStream([logs])
    for _event in stream:
        pass
    return {name: sorted(info.ids) for name, info in stream.nodes.items()}


def test_a_servers_own_vote_pairs_it_whatever_the_order_files_are_read_in(
        tmp_path: Path) -> None:
    """Cut hashicorp logs where node3 is paired with its address only by its own vote (node3.log
    read after node2.log): node2's candidacy counted node2 and node3, and once node3 is paired
    node2 is the one left for node2's address (the pairing was order-dependent before)."""
    logs, _cut = cut_run(HASHICORP / "flapping", 1, tmp_path)
    _without_node3_pairs(logs)
    assert _ids(logs) == {"n1": ["10.231.0.1:8300", "node1"], "n2": ["10.231.0.2:8300", "node2"],
                          "n3": ["10.231.0.3:8300", "node3"]}
    assert _verdict(logs).status == CONFORMS


def test_a_server_named_by_address_stays_apart_where_two_ids_could_be_it(tmp_path: Path) -> None:
    """The same without node3's log: node2's candidacy counted node2 and node3, neither paired
    with an address by any line, so neither is taken for node2's address."""
    logs, _cut = cut_run(HASHICORP / "flapping", 1, tmp_path)
    _without_node3_pairs(logs)
    (logs / "node3.log").unlink()
    ids = _ids(logs)
    assert ["10.231.0.2:8300"] in ids.values()
    assert ["node2"] in ids.values() and ["node3"] in ids.values()


def test_a_vote_read_by_a_retry_and_given_back_shows_nothing_of_the_voters_log() -> None:
    """A real etcd 3.4 run (7 members, the leader cut off in a minority, pre-vote, text logs
    stamped to the second), its logs cut: n4's log begins at its server's start, n1's as it
    counts n4's vote of term 2, both in one second. A retry read n4's vote line (its log
    ending at 7) and gave it back; its end stayed in the Context, n1's count took it for what
    n4 had persisted, and n4's start, read next (log empty), was a false Restart at
    node4.log:3. A vote counted keeps the voter's log only where its vote line was read
    (test_validate_log_checks.py: a restart shorter than a counted vote showed is found)."""
    run = Path(__file__).parent / "data" / "cut" / "3.4-leader-minority-n7-capnslog"
    assert "newRaft b9828ed079d8208a" in (run / "node4.log").read_text().splitlines()[2]
    assert _verdict(run).status == CONFORMS


def test_a_tally_is_a_quorum_of_what_a_mid_run_node_may_be_using() -> None:
    """A node whose log began mid-run, before any configuration line of its own: its tally
    ("has received 4 MsgVoteResp votes") is counted against the configurations the cluster
    has recently shown, not against every node ever named. A real 7-member etcd run with a
    member replaced (8 member IDs) cut mid-run said "4 votes: not a quorum of 8 voters"
    (/work/sweep/runs/chaos/c35-n7-120s-vfast, cut seed 3). A node that logs its own
    configuration is held to it."""
    cx = Context(Rules(8))
    seven = Configuration(0b1111111)  # n1..n7, n8 not (yet, or any more)
    cx.set_config(1, seven)  # (another node showed it)
    n1 = 0
    cx.unsynced.add(n1)
    assert cx.is_tally_quorum(n1, 4) and not cx.is_tally_quorum(n1, 3)
    cx.unsynced.discard(n1)
    cx.node_format[n1] = observes(ETCD_ZAP, False)
    cx.set_config(n1, Configuration(0b11111111))  # its own: 8 voters
    assert not cx.is_tally_quorum(n1, 4) and cx.is_tally_quorum(n1, 5)
    joint = Configuration(0b0000111, outgoing=0b1111000)  # 3 incoming, 4 outgoing voters
    cx.set_config(n1, joint)
    assert cx.is_tally_quorum(n1, 3) and not cx.is_tally_quorum(n1, 2)


def test_a_leaders_log_cut_after_its_election_names_the_cut_not_the_log_level(
        tmp_path: Path) -> None:
    """The leader's log begins after "entering leader state" (rotated away), and hashicorp's
    followers log no term: nothing shows the election. Inconclusive, saying why — not that
    the logs were kept at --log-level warn, which the followers' info lines disprove."""
    logs = tmp_path / "steady"
    shutil.copytree(DATA.parent / "hashicorp" / "steady", logs)
    node1 = logs / "node1.log"
    lines = node1.read_text().splitlines(keepends=True)
    assert "entering leader state" in lines[10]
    node1.write_text("".join(lines[11:]))
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == "inconclusive"
    assert verdict.reason == ("too little observed: the logs show no election, so no safety "
                              "property is exercised (n1: log begins mid-run; an election may "
                              "be in what was rotated away)")


TRANSCRIPT = (Path(__file__).resolve().parents[2] / "shared" / "corpus" / "etcd-raft-interaction"
              / "confchange_v1_remove_leader_stepdown.txt")


@pytest.mark.skipif(not TRANSCRIPT.is_file(), reason="the shared corpus is not beside the project")
def test_a_run_without_an_election_whose_logs_begin_whole_names_no_cut() -> None:
    """An etcd-raft transcript that shows no election (it starts its nodes in a state of its
    own): no log of it begins mid-run, so the verdict says no more than that."""
    verdict = check_run(find_runs([TRANSCRIPT])[0])
    assert verdict.reason == ("too little observed: the logs show no election, so no safety "
                              "property is exercised")


FAST_FLAPPING = Path(__file__).parent / "data" / "cut" / "3.5-flapping-n5-fast-no-pre-vote"
"""54 s of five etcd 3.5 members at 20 ms heartbeats, links flapping, no pre-vote: every log
cut mid-run, none showing a configuration (so any quorum of any configuration is taken)."""


def _shows_no_configuration(run: Path) -> bool:
    return not any(re.search(r"added member|applied a configuration|ConfChange", path.read_text())
                   for path in run.glob("node*.log"))


def test_a_leader_before_its_own_vote_is_caught_though_no_configuration_is_known(
        tmp_path: Path) -> None:
    """n5 (8d19372f952053ca) becomes candidate at term 178 (node5.log:442), then logs
    counting its own vote: a "became leader" forged between the two has counted no vote at
    all, which is no quorum of any configuration. etcd logs its own vote before any win, so
    the spec's vote for itself at Timeout is not taken as counted until that line (before: any
    quorum passed, and the own vote at the next line was blamed, RequestVote at 444)."""
    assert _shows_no_configuration(FAST_FLAPPING)
    logs = tmp_path / "run"
    shutil.copytree(FAST_FLAPPING, logs)
    path = logs / "node5.log"
    lines = path.read_text().splitlines(keepends=True)
    assert lines[441].rstrip().endswith('8d19372f952053ca became candidate at term 178"}')
    assert "received MsgVoteResp from 8d19372f952053ca at term 178" in lines[442]
    lines.insert(442, lines[441].replace("became candidate", "became leader"))
    path.write_text("".join(lines))
    verdict = _verdict(logs)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "BecomeLeader", f"{path}:443")
    assert "before counting any vote, its own included" in verdict.explanation


@pytest.mark.parametrize("first", [411, 419])
def test_a_leader_whose_log_begins_after_its_own_vote_counted_conforms(
        tmp_path: Path, first: int) -> None:
    """n2 wins term 160 (node2.log:409 candidacy, 410 its own vote, 419 "became leader"): its
    log rotated to begin after its own vote (411), or at its becoming leader (419), shows no
    own vote counted, which the campaign, begun before the log, may have counted."""
    logs = tmp_path / "run"
    shutil.copytree(FAST_FLAPPING, logs)
    path = logs / "node2.log"
    lines = path.read_text().splitlines(keepends=True)
    assert "received MsgVoteResp from e20b2cf765892c1f at term 160" in lines[409]
    assert "e20b2cf765892c1f became leader at term 160" in lines[418]
    path.write_text("".join(lines[first - 1:]))
    assert _verdict(logs).status == CONFORMS
