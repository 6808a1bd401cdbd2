"""A pre-vote that reaches a voter after the voter has reached the candidate's next term.

etcd grants it (raft.go Step: "we haven't voted and we don't think there's a leader yet in
this term"); the spec's pre-vote rule asks for a term above the voter's. Recorded by
tests/test_validate_etcd.py: the leader n3 was paused at term 3, n2 sent pre-votes for term 4
and won term 4 with n1; n3, resumed, reached term 4 by a response of n1 and then got n2's
pre-vote for term 4 — and granted it (node3.log:106).
"""

from __future__ import annotations

from pathlib import Path

from raftcheck.spec.records import NIL, MessageType, RequestVoteRequest
from raftcheck.spec.rules import Rules
from raftcheck.spec.server import initial_server
from raftcheck.validate import validate_paths

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
