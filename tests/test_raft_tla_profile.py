"""The raft-tla profile behaves exactly like Ongaro's raft.tla under TLC's constraint semantics.

Two references: TLC's own figure for unmodified raft.tla (3 servers, MaxTerm 2, MaxLogLen 0,
MaxMsgs 1, MaxDup 1, no symmetry: 705,532 distinct states, depth 39), and a naive independent
transcription of raft.tla (tests/oracles/raft_tla.py) compared at many small bounds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftcheck.checker.search import breadth_first
from raftcheck.spec import actions as act
from raftcheck.spec.config import Bounds, SpecConfig
from raftcheck.spec.model import RaftModel
from raftcheck.spec.records import Role
from tests.oracles.raft_tla import explore as oracle


def raft_tla(servers: int, max_term: int, max_log: int, max_msgs: int, max_dup: int,
             values: int = 1, symmetry: bool = False):
    config = SpecConfig(
        nodes=servers, profile="raft-tla", values=values,
        bounds=Bounds(max_term=max_term, max_log=max_log, max_msgs=max_msgs, max_dup=max_dup,
                      max_writes=None, max_restarts=None, max_elections=None, max_partitions=0),
    )
    return breadth_first(RaftModel(config), symmetry=symmetry)


@pytest.fixture(scope="module")
def tlc_reference_run():
    return raft_tla(3, max_term=2, max_log=0, max_msgs=1, max_dup=1)


def test_matches_tlc_reference_figure(tlc_reference_run):
    result = tlc_reference_run
    assert result.outcome.value == "holds"
    assert result.stats.distinct == 705_532
    assert result.stats.depth == 39


@pytest.mark.parametrize("bounds", [
    (2, 2, 1, 1, 1, 1),
    (2, 3, 1, 1, 2, 1),
    (2, 2, 2, 1, 1, 2),
    (2, 2, 1, 2, 2, 1),
    (1, 3, 2, 1, 1, 1),
])
def test_matches_independent_transcription(bounds):
    servers, max_term, max_log, max_msgs, max_dup, values = bounds
    expected = oracle(servers, max_term, max_log, max_msgs, max_dup, values)
    result = raft_tla(servers, max_term, max_log, max_msgs, max_dup, values)
    assert (result.stats.distinct, result.stats.depth) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(max_term=st.integers(1, 3), max_log=st.integers(0, 2), max_msgs=st.integers(0, 2),
       max_dup=st.integers(1, 2), values=st.integers(1, 2))
def test_any_small_bound_matches_transcription(max_term, max_log, max_msgs, max_dup, values):
    try:
        expected = oracle(2, max_term, max_log, max_msgs, max_dup, values, limit=60_000)
    except RuntimeError:
        return  # too large for the naive oracle; covered by the fixed cases above
    result = raft_tla(2, max_term, max_log, max_msgs, max_dup, values)
    assert (result.stats.distinct, result.stats.depth) == expected


def test_symmetry_reduces_but_keeps_depth(tlc_reference_run):
    full = tlc_reference_run
    reduced = raft_tla(3, max_term=2, max_log=0, max_msgs=1, max_dup=1, symmetry=True)
    # Each orbit has at most 3! = 6 members, so at least a sixth of the states remain.
    assert full.stats.distinct / 6 <= reduced.stats.distinct < full.stats.distinct
    assert reduced.stats.depth == full.stats.depth


def reachable(model: RaftModel) -> set[tuple]:
    """Every state the model reaches, by a plain search."""
    states, frontier = set(), model.initial_states()
    while frontier:
        states.update(frontier)
        frontier = list(dict.fromkeys(after for state in frontier
                                      for _, after, _ in model.successors(state)
                                      if after not in states))
    return states


def test_memoised_all_logs_and_client_requests_match_their_definitions():
    """Two of the model's memo tables against raft.tla's definitions, in every state of a
    search: allLogs' = allLogs \\cup {log[i] : i \\in Server} (known to hold the servers' logs
    already, or remembered by their logs), and ClientRequest(i, v) for every leader i with room
    in its log and every v in Value, after i's own steps and before the next server's."""
    config = SpecConfig(nodes=2, profile="raft-tla", values=2, bounds=Bounds(
        max_term=2, max_log=2, max_msgs=1, max_dup=1, max_writes=None, max_restarts=None,
        max_elections=None, max_partitions=0))
    model = RaftModel(config)
    states = reachable(model)
    assert len(states) == raft_tla(2, 2, 2, 1, 1, values=2).stats.distinct
    requests = 0
    for state in states:
        servers = model.servers_of(state)
        logs = model.sets[state[model.ALL_LOGS]] | {s.log for s in servers}
        assert model.sets[model._all_logs_after(state)] == logs
        actions = [action for action, _, _ in model.successors(state)]
        expected = [(i, v) for i, s in enumerate(servers) if s.role == Role.LEADER
                    and len(s.log) < config.bounds.max_log for v in (1, 2)]
        found = [(a.node, a.value) for a in actions if isinstance(a, act.ClientRequest)]
        assert found == expected
        # server by server, each one's client requests last; then the network's steps
        local = [(getattr(a, "node", getattr(a, "src", None)), isinstance(a, act.ClientRequest))
                 for a in actions if not hasattr(a, "message")]
        assert local == sorted(local)
        assert actions[:len(local)] == [a for a in actions if not hasattr(a, "message")]
        requests += len(found)
    assert requests > 100


def test_a_step_that_changes_nothing_gives_the_state_object_itself():
    """raft.tla keeps steps that change nothing but its history (a follower restarting as it
    was, a leader with nothing to commit): where allLogs' = allLogs as well, the model gives
    the state object itself, which a search counts and does not look up (checker/model.py)."""
    model = RaftModel(SpecConfig(nodes=2, profile="raft-tla", bounds=Bounds(
        max_term=2, max_log=1, max_msgs=1, max_dup=1, max_writes=None, max_restarts=None,
        max_elections=None, max_partitions=0)))
    itself = equal = 0
    for state in reachable(model):
        for _, after, _ in model.successors(state):
            if after == state:
                assert after is state
                itself += 1
            elif after[:model.ALL_LOGS] == state[:model.ALL_LOGS]:  # allLogs' grew
                equal += 1
    assert itself > 500
    assert equal > 0
