"""Pre-votes as etcd-io/raft handles them, on real runs: a late pre-vote request granted at the
voter's own term, and a pre-vote grant of the pre-candidate's own term counted (the answer to
the campaign before).

A pre-vote that reaches a voter after the voter has reached the candidate's next term:

etcd grants it (raft.go Step: "we haven't voted and we don't think there's a leader yet in
this term"); the spec's pre-vote rule asks for a term above the voter's. Recorded by
tests/test_validate_etcd.py: the leader n3 was paused at term 3, n2 sent pre-votes for term 4
and won term 4 with n1; n3, resumed, reached term 4 by a response of n1 and then got n2's
pre-vote for term 4 — and granted it (node3.log:106).
"""

from __future__ import annotations

from pathlib import Path

from raftcheck.spec.records import (
    NIL,
    MessageType,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
)
from raftcheck.spec.rules import Rules
from raftcheck.spec.server import handle_pre_vote_response, initial_server
from raftcheck.validate import validate_paths
from tests.forge import copy_run, drop_lines, edit_line

RUN = Path(__file__).parent / "data" / "etcd35" / "stale-pre-vote"


def test_a_late_pre_vote_granted_at_the_voters_term_conforms() -> None:
    line = (RUN / "node3.log").read_text().splitlines()[105]
    assert "vote: 0] cast MsgPreVote for" in line and line.endswith('at term 4"}')
    verdict = validate_paths([RUN])
    assert verdict.status == "conforms", "\n".join(verdict.lines())


def test_which_pre_vote_requests_the_spec_grants() -> None:
    rules = Rules(3, pre_vote=True)
    voter = initial_server(rules)._replace(term=4)
    request = RequestVoteRequest(MessageType.PRE_VOTE_REQUEST, 4, 1, 2, 3, 16)
    assert rules.grants_pre_vote(voter, request)                        # not voted in term 4
    assert rules.grants_pre_vote(voter._replace(voted_for=1), request)  # voted for it
    assert not rules.grants_pre_vote(voter._replace(voted_for=0), request)  # for another
    assert not rules.grants_pre_vote(voter, request._replace(term=3))   # an older term
    assert rules.grants_pre_vote(voter._replace(voted_for=0), request._replace(term=5))
    assert not rules.grants_pre_vote(voter._replace(log=((5, 1),)), request)  # log behind
    assert voter.voted_for == NIL


def test_which_pre_vote_grants_a_pre_candidate_counts() -> None:
    # etcd-io/raft polls a grant of the pre-candidate's own term as well as one of the next:
    # the former answers the pre-vote it asked for before it reached this term.
    rules = Rules(5, pre_vote=True)
    candidate = initial_server(rules)._replace(term=8, role=Role.PRE_CANDIDATE)

    def grant(term: int, granted: bool = True) -> RequestVoteResponse:
        return RequestVoteResponse(MessageType.PRE_VOTE_RESPONSE, term, 4, 2, granted, ())

    for term in (8, 9):  # the last campaign's grant, this campaign's
        handled = handle_pre_vote_response(rules, candidate, grant(term))
        assert handled is not None and handled.server.votes_granted == 1 << 4
    assert handle_pre_vote_response(rules, candidate, grant(7)) is None  # two campaigns ago
    assert handle_pre_vote_response(rules, candidate._replace(role=Role.FOLLOWER),
                                    grant(9)) is None
    refused = handle_pre_vote_response(rules, candidate, grant(8, granted=False))
    assert refused is not None and refused.server.votes_granted == 0
    assert refused.server.votes_responded == 1 << 4


# A real run of five etcd 3.5 members with links flapping and 50/300 ms timers (recorded with
# `python -m raftcheck.harness record flapping --nodes 5 --duration 15 --seed 42
# --heartbeat-ms 50 --election-ms 300`). n2 (c9ac...) pre-campaigns at term 4, wins, loses the
# real election of term 5 and pre-campaigns again at term 5 (node2.log:233). n1 (d86a...),
# which voted for n2 in term 5, grants a pre-vote "at term 5" (node1.log:224) with the same
# last entry as n2's requests of both campaigns; n2 counts it (node2.log:243). Which request
# it answered the logs do not say: a grant of term 5 answers the first campaign's, and etcd
# counts that one too (its term is the pre-candidate's own).
STALE_GRANT = Path(__file__).parent / "data" / "etcd35" / "stale-pre-vote-grant"


def test_a_pre_vote_grant_of_the_pre_candidates_own_term_conforms() -> None:
    lines = (STALE_GRANT / "node2.log").read_text().splitlines()
    assert "became pre-candidate at term 5" in lines[232]
    assert "received MsgPreVoteResp from d86a138e197ed871 at term 5" in lines[242]
    granted = (STALE_GRANT / "node1.log").read_text().splitlines()[223]
    assert "cast MsgPreVote for c9ac397a91f6cb75 [logterm: 4, index: 22] at term 5" in granted
    verdict = validate_paths([STALE_GRANT])
    assert verdict.status == "conforms", "\n".join(verdict.lines())
    assert verdict.checked == verdict.events


def test_a_grant_of_an_earlier_campaign_does_not_count_for_this_one(tmp_path: Path) -> None:
    # n4 (b5bf...) counts n3's (1145...) pre-vote in its campaign for term 5 (node4.log:231);
    # n3's grants to it (node3.log:161 and 175) cut, n3 had granted n4 a pre-vote only in its
    # campaign for term 3 (node3.log:125): that answer is no answer to this campaign.
    run = copy_run(STALE_GRANT, tmp_path)
    node3, node4 = run / "node3.log", run / "node4.log"
    lines = node3.read_text().splitlines()
    assert all("cast MsgPreVote for b5bf63e71175a2c [logterm: 4, index: 21] at term 4" in
               lines[k - 1] for k in (161, 175))
    assert "cast MsgPreVote for b5bf63e71175a2c [logterm: 2, index: 12] at term 2" in lines[124]
    drop_lines(node3, 161, 175)
    verdict = validate_paths([run])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "RequestVote", f"{node4}:231")
    assert verdict.explanation == ("n4 counts a vote from n3 at term 4, but n3 never granted a "
                                   "pre-vote to n4 in that term (only one of term 3)")


def test_a_pre_vote_counted_that_the_voter_never_granted(tmp_path: Path) -> None:
    # n4 (b5bf...) refuses n2's pre-vote of term 5 (node2.log:239) and granted it none of
    # term 5 or 6; made a grant, n2 counts a pre-vote nobody gave.
    run = copy_run(STALE_GRANT, tmp_path)
    node2 = run / "node2.log"
    assert "received MsgPreVoteResp rejection from b5bf63e71175a2c at term 5" in \
        node2.read_text().splitlines()[238]
    edit_line(node2, 239, lambda s: s.replace("MsgPreVoteResp rejection from",
                                              "MsgPreVoteResp from"))
    edit_line(node2, 240, lambda s: s.replace("1 MsgPreVoteResp votes and 1 vote rejections",
                                              "2 MsgPreVoteResp votes and 0 vote rejections"))
    verdict = validate_paths([run])
    assert (verdict.status, verdict.rule) == ("violates", "RequestVote")
    assert verdict.location == f"{node2}:239"
    assert "n4 never granted a pre-vote to n2" in verdict.explanation
