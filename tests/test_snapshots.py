"""Snapshots: what a server may compact, what a follower keeps of its log when it installs a
leader's snapshot, that no action reads a compacted entry, and searches in which followers
catch up by snapshot."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first
from raftcheck.spec import server as srv
from raftcheck.spec.config import SpecConfig, profile_defaults
from raftcheck.spec.membership import JOINT, SINGLE
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import rules_for
from raftcheck.spec.quorum import Configuration
from raftcheck.spec.records import (
    AppendEntriesRequest,
    InstallSnapshotRequest,
    MessageType,
    RequestVoteRequest,
    Role,
)
from raftcheck.spec.snapshots import install_snapshot, take_snapshot
from tests.oracles.reachable import reachable_steps

RULES = rules_for(None, 3, history=False, realistic=True, snapshots=True)
LOG = ((2, 1), (2, 2), (3, 3))


def follower(log=LOG, commit=0, snapshot=0, term=3, rules=RULES):
    return srv.initial_server(rules)._replace(term=term, log=tuple(log), commit_index=commit,
                                              snapshot_index=snapshot)


def snapshot_message(entries, term=3, base=()):
    return InstallSnapshotRequest(MessageType.INSTALL_SNAPSHOT_REQUEST, term, 0, 1,
                                  tuple(entries), base)


# --- compaction -------------------------------------------------------------------------------


def test_a_server_compacts_up_to_its_commit_index_and_never_past_it():
    assert take_snapshot(RULES, 1, follower(commit=2)).snapshot_index == 2
    assert take_snapshot(RULES, 1, follower(commit=2), 3) is None  # past the commit index
    assert take_snapshot(RULES, 1, follower(commit=2, snapshot=2)) is None  # nothing new
    assert take_snapshot(RULES, 1, follower(commit=0)) is None
    off = rules_for(None, 3, history=False, realistic=True)
    assert take_snapshot(off, 1, follower(commit=2, rules=off)) is None


def test_the_mutant_compacts_what_is_not_committed():
    broken = rules_for("snapshot-past-commit", 3, history=False, realistic=True,
                       snapshots=True)
    assert take_snapshot(broken, 1, follower(commit=1)).snapshot_index == 3


def test_a_restart_keeps_the_snapshot_and_resumes_from_it():
    s = follower(commit=3, snapshot=2)
    after = srv.restart(RULES, 1, s)
    assert (after.log, after.snapshot_index, after.commit_index) == (LOG, 2, 2)
    joint = rules_for(None, 3, history=False, realistic=True, membership=JOINT,
                      snapshots=True)
    assert srv.restart(joint, 1, s).commit_index == 3  # etcd persists its commit index


# --- what a leader sends -----------------------------------------------------------------------


def test_a_leader_sends_a_snapshot_only_to_a_follower_behind_its_log_start():
    leader = follower(commit=2, snapshot=2)._replace(role=Role.LEADER, next_index=(4, 2, 3))
    assert srv.append_entries(RULES, 0, 1, leader) is None
    m = install_snapshot(RULES, 0, 1, leader)
    assert m is not None and m.entries == LOG[:2]
    assert install_snapshot(RULES, 0, 2, leader) is None
    assert srv.append_entries(RULES, 0, 2, leader).prev_log_index == 2


# --- what a follower does with one ------------------------------------------------------------


def install(s, m, rules=RULES):
    handled = srv.handle_install_snapshot_request(rules, s, m)
    assert handled.consumed and handled.reply.success
    return handled


def test_a_follower_keeps_the_entries_after_a_matching_snapshot():
    s = follower(log=LOG, commit=1)
    after = install(s, snapshot_message(LOG[:2])).server
    assert (after.log, after.snapshot_index, after.commit_index) == (LOG, 2, 2)


def test_a_follower_whose_log_conflicts_keeps_only_the_snapshot():
    s = follower(log=((2, 1), (3, 9), (3, 8)), commit=1)
    handled = install(s, snapshot_message(((2, 1), (2, 2))))
    assert handled.server.log == ((2, 1), (2, 2)) and handled.server.snapshot_index == 2
    assert handled.reply.match_index == 2


def test_a_follower_ignores_a_snapshot_older_than_what_it_applied():
    s = follower(log=LOG, commit=3)
    handled = install(s, snapshot_message(LOG[:2]))
    assert handled.server == s and handled.reply.match_index == 2
    broken = rules_for("installs-older-snapshot", 3, history=False, realistic=True,
                       snapshots=True)
    assert install(s, snapshot_message(LOG[:2]), broken).server.log == LOG[:2]


def test_a_snapshot_brings_its_configuration():
    rules = rules_for(None, 3, history=False, realistic=True, membership=SINGLE,
                      snapshots=True)
    c = Configuration(0b011)
    s = srv.initial_server(rules, Configuration(0))._replace(term=3)
    after = install(s, snapshot_message(((2, 1),), base=c), rules).server
    assert rules.config(after) == c


def test_a_stale_term_is_refused_and_a_candidate_steps_back_first():
    refused = srv.handle_install_snapshot_request(RULES, follower(term=4),
                                                  snapshot_message(LOG[:1]))
    assert refused.consumed and not refused.reply.success and refused.reply.term == 4
    candidate = follower()._replace(role=Role.CANDIDATE)
    stepped = srv.handle_install_snapshot_request(RULES, candidate, snapshot_message(LOG[:1]))
    assert not stepped.consumed and stepped.server.role == Role.FOLLOWER


# --- nothing reads a compacted entry ----------------------------------------------------------


def garbled(s):
    """s with every compacted entry but the last replaced: a server does not have them."""
    k = s.snapshot_index
    junk = tuple((t + 50, 100 + v) for t, v in s.log[:k - 1])
    return s._replace(log=(*junk, *s.log[k - 1:]))


def append_requests():
    for prev, entries, commit in itertools.product(range(4), ((), ((3, 3),), ((2, 7),)),
                                                   range(3)):
        prev_term = LOG[prev - 1][0] if prev else 0
        yield AppendEntriesRequest(MessageType.APPEND_ENTRIES_REQUEST, 3, 0, 1, prev,
                                   prev_term, entries, commit, ())


@pytest.mark.parametrize("snapshot", [1, 2, 3])
def test_no_action_reads_a_compacted_entry(snapshot):
    s = follower(commit=3, snapshot=snapshot)
    g = garbled(s)

    def same(a, b):
        """The action does the same from both, reads the same and replies the same."""
        if a is None or b is None:
            return a is b
        if isinstance(a, srv.Handled):
            if (a.consumed, a.reply) != (b.consumed, b.reply):
                return False
            a, b = a.server, b.server
        return garbled(a) == b  # b is the garbled server's: as garbled, and no more

    for m in append_requests():
        assert same(srv.handle_append_entries_request(RULES, s, m),
                    srv.handle_append_entries_request(RULES, g, m)), m
        if s.snapshot_index > m.prev_log_index:  # acknowledged unread, with what it brings
            reply = srv.handle_append_entries_request(RULES, s, m).reply
            assert reply.success and reply.match_index == m.prev_log_index + len(m.entries)
    vote = RequestVoteRequest(MessageType.REQUEST_VOTE_REQUEST, 3, 0, 1, 3, 3)
    assert same(srv.handle_request_vote_request(RULES, s, vote),
                srv.handle_request_vote_request(RULES, g, vote))
    assert same(srv.timeout(RULES, 1, s), srv.timeout(RULES, 1, g))
    assert srv.request_vote(RULES, 1, 0, srv.timeout(RULES, 1, s)) == srv.request_vote(
        RULES, 1, 0, srv.timeout(RULES, 1, g))


# --- searches ---------------------------------------------------------------------------------


def model(**bounds) -> RaftModel:
    scope = replace(profile_defaults("raftcheck", 3), **bounds)
    return RaftModel(SpecConfig(nodes=3, bounds=scope, max_snapshots=1))


SCOPE = dict(max_term=2, max_log=2, max_msgs=2, max_writes=2, max_restarts=0,
             max_elections=1, max_partitions=0)


def test_a_follower_catches_up_by_snapshot():
    """Some run compacts the leader's log and brings a follower that lacks those entries up
    to date with InstallSnapshot."""
    m = model(**SCOPE)
    installed = False
    for before, action, after in reachable_steps(m):
        if action.name == "HandleInstallSnapshotRequest":
            dst = action.message.dst
            old, new = m.servers_of(before)[dst], m.servers_of(after)[dst]
            if new.snapshot_index > old.snapshot_index and len(new.log) > len(old.log):
                installed = True
                break
    assert installed


def test_properties_hold_with_snapshots():
    result = breadth_first(model(**{**SCOPE, "max_restarts": 1}), symmetry=True)
    assert result.outcome is Outcome.HOLDS
