"""Raft's actions on one server, guard and effect, as raft.tla and the Raft paper state them."""

from __future__ import annotations

from raftcheck.spec import actions as act
from raftcheck.spec import server as srv
from raftcheck.spec.records import (
    NIL,
    AppendEntriesRequest,
    AppendEntriesResponse,
    MessageType,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
)
from raftcheck.spec.rules import Rules

TLA = Rules(3)  # raft.tla's step-per-branch behaviour
IMPL = Rules(3, self_vote=True, tidy=True, atomic=True)  # the raftcheck profile


def follower(term=1, log=(), commit=0, voted_for=NIL):
    return srv.initial_server(TLA)._replace(term=term, log=tuple(log), commit_index=commit,
                                            voted_for=voted_for)


def vote_request(term, src, dst, last_term=0, last_index=0):
    return RequestVoteRequest(MessageType.REQUEST_VOTE_REQUEST, term, src, dst, last_term,
                              last_index)


def append_request(term, src, dst, prev_index=0, prev_term=0, entries=(), commit=0):
    return AppendEntriesRequest(MessageType.APPEND_ENTRIES_REQUEST, term, src, dst, prev_index,
                                prev_term, tuple(entries), commit, ())


def test_restart_keeps_persistent_state_only():
    s = follower(term=3, log=[(2, 1)], commit=1, voted_for=2)._replace(
        role=Role.LEADER, votes_granted=0b111, next_index=(2, 2, 2), match_index=(1, 1, 1))
    after = srv.restart(TLA, 0, s)
    assert (after.term, after.voted_for, after.log) == (3, 2, ((2, 1),))
    assert after.role == Role.FOLLOWER and after.commit_index == 0
    assert after.votes_granted == 0 and after.next_index == (1, 1, 1)
    assert after.match_index == (0, 0, 0)


def test_timeout_starts_an_election_but_not_for_a_leader():
    after = srv.timeout(TLA, 0, follower(term=2, voted_for=1))
    assert (after.role, after.term, after.voted_for) == (Role.CANDIDATE, 3, NIL)
    assert srv.timeout(TLA, 0, follower()._replace(role=Role.LEADER)) is None
    # implementations vote for themselves at once
    after = srv.timeout(IMPL, 0, follower(term=2))
    assert (after.voted_for, after.votes_granted, after.votes_responded) == (0, 0b001, 0b001)


def test_request_vote_only_to_servers_that_have_not_answered():
    candidate = srv.timeout(TLA, 0, follower())._replace(votes_responded=0b010)
    assert srv.request_vote(TLA, 0, 1, candidate) is None
    m = srv.request_vote(TLA, 0, 2, candidate._replace(log=((1, 5),)))
    assert (m.term, m.src, m.dst, m.last_log_term, m.last_log_index) == (2, 0, 2, 1, 1)
    assert srv.request_vote(TLA, 0, 2, follower()) is None


def test_become_leader_needs_a_quorum_of_votes():
    candidate = srv.timeout(TLA, 0, follower(log=[(1, 1)]))
    assert srv.become_leader(TLA, 0, candidate._replace(votes_granted=0b001)) is None
    leader = srv.become_leader(TLA, 0, candidate._replace(votes_granted=0b011))
    assert leader.role == Role.LEADER
    assert leader.next_index == (2, 2, 2) and leader.match_index == (0, 0, 0)


def test_vote_granted_once_per_term_and_only_to_up_to_date_logs():
    voter = follower(term=2, log=[(2, 1)])
    granted = srv.handle_request_vote_request(TLA, voter, vote_request(2, 1, 0, 2, 1))
    assert granted.server.voted_for == 1 and granted.reply.vote_granted and granted.consumed
    # a second candidate in the same term is refused
    second = srv.handle_request_vote_request(TLA, granted.server, vote_request(2, 2, 0, 2, 1))
    assert not second.reply.vote_granted and second.server.voted_for == 1
    # the same candidate asking again is answered yes again
    again = srv.handle_request_vote_request(TLA, granted.server, vote_request(2, 1, 0, 2, 1))
    assert again.reply.vote_granted
    # a log that ends in an older term, or is shorter in the same term, is behind
    assert not srv.handle_request_vote_request(
        TLA, voter, vote_request(2, 1, 0, 1, 5)).reply.vote_granted
    assert not srv.handle_request_vote_request(
        TLA, follower(term=2, log=[(2, 1), (2, 2)]), vote_request(2, 1, 0, 2, 1)
    ).reply.vote_granted
    # a request from an older term is answered no, with the voter's term
    stale = srv.handle_request_vote_request(TLA, voter, vote_request(1, 1, 0))
    assert not stale.reply.vote_granted and stale.reply.term == 2


def test_append_entries_consistency_check_and_conflicts():
    f = follower(term=2, log=[(1, 1)])
    # the entry before the new one does not match: rejected
    rejected = srv.handle_append_entries_request(TLA, f, append_request(2, 1, 0, 1, 2, [(2, 3)]))
    assert not rejected.reply.success and rejected.server == f
    # a conflicting entry at the new index: raft.tla removes one entry and keeps the message
    conflict = srv.handle_append_entries_request(TLA, f, append_request(2, 1, 0, 0, 0, [(2, 3)]))
    assert conflict.server.log == () and not conflict.consumed
    # then appends it, still keeping the message
    appended = srv.handle_append_entries_request(TLA, conflict.server,
                                                 append_request(2, 1, 0, 0, 0, [(2, 3)]))
    assert appended.server.log == ((2, 3),) and not appended.consumed
    # then acknowledges it
    done = srv.handle_append_entries_request(TLA, appended.server,
                                             append_request(2, 1, 0, 0, 0, [(2, 3)], commit=1))
    assert done.consumed and done.reply.success and done.reply.match_index == 1
    assert done.server.commit_index == 1


def test_stale_append_request_is_rejected_and_candidate_steps_back():
    f = follower(term=3)
    stale = srv.handle_append_entries_request(TLA, f, append_request(2, 1, 0))
    assert not stale.reply.success and stale.reply.term == 3
    candidate = srv.timeout(TLA, 0, follower(term=2))
    back = srv.handle_append_entries_request(TLA, candidate, append_request(3, 1, 0))
    assert back.server.role == Role.FOLLOWER and not back.consumed


def test_duplicate_append_request_moves_commit_back_in_raft_tla_only():
    f = follower(term=2, log=[(2, 1)], commit=1)
    old = append_request(2, 1, 0, 0, 0, [], commit=0)
    assert srv.handle_append_entries_request(TLA, f, old).server.commit_index == 0
    assert srv.handle_append_entries_request(IMPL, f, old).server.commit_index == 1


def test_append_response_updates_progress():
    leader = srv.become_leader(TLA, 0, srv.timeout(TLA, 0, follower(log=[(1, 1)]))
                               ._replace(votes_granted=0b011))
    ok = AppendEntriesResponse(MessageType.APPEND_ENTRIES_RESPONSE, 2, 1, 0, True, 1)
    after = srv.handle_append_entries_response(TLA, leader, ok).server
    assert after.next_index[1] == 2 and after.match_index[1] == 1
    no = AppendEntriesResponse(MessageType.APPEND_ENTRIES_RESPONSE, 2, 2, 0, False, 0)
    after = srv.handle_append_entries_response(TLA, after, no).server
    assert after.next_index[2] == 1  # backed off from 2
    after = srv.handle_append_entries_response(TLA, after, no).server
    assert after.next_index[2] == 1  # never below 1


def test_commit_only_current_term_entries_by_counting():
    leader = follower(term=3, log=[(2, 1), (3, 2)])._replace(role=Role.LEADER,
                                                              match_index=(0, 1, 0))
    # index 1 (term 2) is on a quorum but is not of the current term: no commit
    assert srv.advance_commit_index(TLA, 0, leader).commit_index == 0
    # once index 2 (term 3) is on a quorum, both commit
    leader = leader._replace(match_index=(0, 2, 0))
    assert srv.advance_commit_index(TLA, 0, leader).commit_index == 2


def test_higher_term_raft_tla_updates_first_implementations_in_one_step():
    f = follower(term=1)
    m = vote_request(3, 1, 0)
    action, handled = srv.receive(TLA, 0, f, m)
    assert isinstance(action, act.UpdateTerm) and handled.server.term == 3
    assert not handled.consumed
    action, handled = srv.receive(IMPL, 0, f, m)
    assert isinstance(action, act.HandleRequestVoteRequest)
    assert handled.server.term == 3 and handled.server.voted_for == 1 and handled.consumed


def test_implementation_becomes_leader_on_the_deciding_vote():
    candidate = srv.timeout(IMPL, 0, follower())
    vote = RequestVoteResponse(MessageType.REQUEST_VOTE_RESPONSE, 2, 1, 0, True, ())
    _, handled = srv.receive(IMPL, 0, candidate, vote)
    assert handled.server.role == Role.LEADER
    _, handled = srv.receive(TLA, 0, srv.timeout(TLA, 0, follower()), vote)
    assert handled.server.role == Role.CANDIDATE  # raft.tla: BecomeLeader is its own step


def test_stale_responses_are_dropped():
    f = follower(term=3)
    old = AppendEntriesResponse(MessageType.APPEND_ENTRIES_RESPONSE, 2, 1, 0, True, 1)
    action, handled = srv.receive(TLA, 0, f, old)
    assert isinstance(action, act.DropStaleResponse) and handled.consumed
    assert handled.server == f
