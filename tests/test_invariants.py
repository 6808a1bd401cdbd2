"""Each property on hand-built states: one where it must fail and one where it must hold.

(The mutant tests show the properties catching real bugs in full searches; these pin down the
definitions themselves, including the edge cases the docs promise.)
"""

from __future__ import annotations

import pytest

from raftcheck.checker.model import SAME_VERDICT, Model
from raftcheck.checker.observer import ObservedModel, Observer
from raftcheck.checker.search import Budget, LevelSearch
from raftcheck.spec.config import Bounds, SpecConfig, profile_defaults
from raftcheck.spec.invariants import (
    PROPERTIES,
    View,
    first_violated,
    invariant_part,
    known_committed,
)
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS
from raftcheck.spec.quorum import everyone
from raftcheck.spec.records import NIL, Role, Server

F, C, L = Role.FOLLOWER, Role.CANDIDATE, Role.LEADER


def server(term=1, role=F, log=(), commit=0, voted_for=NIL, n=3) -> Server:
    return Server(term=term, voted_for=voted_for, log=tuple(log), role=role, commit_index=commit,
                  votes_responded=0, votes_granted=0, voter_log=(),
                  next_index=(1,) * n, match_index=(0,) * n)


def view(*servers, partition=0, elections=(), committed=()) -> View:
    return View(servers=tuple(servers), cluster=everyone(len(servers)), partition=partition,
                elections=frozenset(elections), committed=frozenset(committed))


def holds(name: str, v: View) -> bool:
    return PROPERTIES[name].check(v)


def step_ok(name: str, before: Server, after: Server) -> bool:
    return PROPERTIES[name].check(before, after)


# --- ElectionSafety ---------------------------------------------------------------------------

def test_election_safety_two_leaders_in_one_term_fail():
    assert not holds("ElectionSafety", view(server(2, L), server(2, L), server(2)))


def test_election_safety_leaders_of_different_terms_hold():
    assert holds("ElectionSafety", view(server(2, L), server(3, L), server(3)))


def test_election_safety_sees_past_elections_in_the_history():
    # n1 leads term 2 now; the history says n2 was elected in term 2 too (then restarted).
    elections = {(2, 1, (), 0b011, ())}
    assert not holds("ElectionSafety", view(server(2, L), server(2), server(2),
                                            elections=elections))
    assert holds("ElectionSafety", view(server(2, L), server(2), server(2),
                                        elections={(2, 0, (), 0b011, ())}))


# --- LogMatching ------------------------------------------------------------------------------

def test_log_matching_same_index_and_term_with_different_prefix_fails():
    a = server(log=[(2, 1), (3, 2)])
    b = server(log=[(1, 9), (3, 2)])
    assert not holds("LogMatching", view(a, b, server()))


def test_log_matching_divergent_suffix_holds():
    a = server(log=[(2, 1), (3, 2)])
    b = server(log=[(2, 1), (4, 3)])
    assert holds("LogMatching", view(a, b, server(log=[(2, 1)])))


# --- LeaderCompleteness -----------------------------------------------------------------------

def test_leader_completeness_leader_of_later_term_missing_committed_entry_fails():
    follower = server(term=2, log=[(2, 1)], commit=1)  # learned the commit by term 2
    leader = server(term=3, role=L, log=[(3, 7)])
    assert not holds("LeaderCompleteness", view(follower, leader, server(3)))


def test_leader_completeness_leader_of_same_term_is_not_judged_by_follower_knowledge():
    # The follower's commit happened in a term <= 3, so a leader of term 3 may be the one
    # that committed it; only leaders of later terms are bound. Here the leader has it anyway.
    follower = server(term=3, log=[(3, 1)], commit=1)
    leader = server(term=3, role=L, log=[(3, 1)])
    assert holds("LeaderCompleteness", view(follower, leader, server(3)))
    # and with the commit recorded in the committed history in term 2, a term-3 leader
    # holding the entry passes
    assert holds("LeaderCompleteness", view(server(3), leader, server(3),
                                            committed={(1, (3, 1), 2)}))


def test_leader_completeness_uses_the_committed_history():
    leader = server(term=4, role=L, log=[(3, 5)])
    assert not holds("LeaderCompleteness", view(server(4), leader, server(4),
                                                committed={(1, (2, 1), 2)}))


# --- StateMachineSafety -----------------------------------------------------------------------

def test_state_machine_safety_different_committed_entries_at_one_index_fail():
    a = server(log=[(2, 1)], commit=1)
    b = server(log=[(3, 2)], commit=1)
    assert not holds("StateMachineSafety", view(a, b, server()))


def test_state_machine_safety_uncommitted_divergence_holds():
    a = server(log=[(2, 1)], commit=1)
    b = server(log=[(3, 2)], commit=0)
    assert holds("StateMachineSafety", view(a, b, server(log=[(2, 1)])))


def test_state_machine_safety_compares_with_the_history():
    b = server(log=[(3, 2)], commit=1)
    assert not holds("StateMachineSafety", view(server(), b, server(),
                                                committed={(1, (2, 1), 2)}))


# --- CommittedNeverLost -----------------------------------------------------------------------

def test_committed_never_lost_entry_on_a_minority_fails():
    committed = {(1, (2, 1), 2)}
    v = view(server(log=[(2, 1)]), server(log=[(3, 4)]), server(), committed=committed)
    assert not holds("CommittedNeverLost", v)


def test_committed_never_lost_entry_on_a_quorum_holds():
    committed = {(1, (2, 1), 2)}
    v = view(server(log=[(2, 1)]), server(log=[(2, 1)]), server(), committed=committed)
    assert holds("CommittedNeverLost", v)


def test_known_committed_caps_commit_index_at_the_log_end():
    s = server(term=2, log=[(2, 1)], commit=3)
    assert known_committed(view(s, server(), server())) == {(1, (2, 1), 2)}


# --- MinorityNeverCommits ---------------------------------------------------------------------

def test_minority_side_commit_stored_only_on_that_side_fails():
    # 5 servers cut {n1,n2} | {n3,n4,n5}; n1 considers an entry committed that only n1, n2 hold.
    n = 5
    side = 0b00011
    a = server(term=2, role=L, log=[(2, 1)], commit=1, n=n)
    b = server(term=2, log=[(2, 1)], n=n)
    others = [server(term=2, n=n) for _ in range(3)]
    assert not holds("MinorityNeverCommits", view(a, b, *others, partition=side))


def test_minority_side_commit_also_stored_across_the_cut_holds():
    n = 5
    side = 0b00011
    a = server(term=2, role=L, log=[(2, 1)], commit=1, n=n)
    b = server(term=2, log=[(2, 1)], n=n)
    c = server(term=2, log=[(2, 1)], n=n)  # n3, across the cut, received it before the cut
    others = [server(term=2, n=n) for _ in range(2)]
    assert holds("MinorityNeverCommits", view(a, b, c, *others, partition=side))


def test_minority_never_commits_is_vacuous_without_a_partition():
    a = server(term=2, role=L, log=[(2, 1)], commit=1)
    assert holds("MinorityNeverCommits", view(a, server(), server()))


# --- transition properties --------------------------------------------------------------------

def test_leader_append_only():
    before = server(term=2, role=L, log=[(2, 1)])
    assert not step_ok("LeaderAppendOnly", before, before._replace(log=()))
    assert not step_ok("LeaderAppendOnly", before, before._replace(log=((2, 9),)))
    assert step_ok("LeaderAppendOnly", before, before._replace(log=((2, 1), (2, 2))))
    # stepping down (or a new term) ends the obligation
    assert step_ok("LeaderAppendOnly", before, before._replace(role=F, log=()))


def test_voted_once_per_term():
    voted = server(term=2, voted_for=0)
    assert not step_ok("VotedOncePerTerm", voted, voted._replace(voted_for=1))
    assert not step_ok("VotedOncePerTerm", voted, voted._replace(voted_for=NIL))
    assert step_ok("VotedOncePerTerm", server(term=2), server(term=2, voted_for=1))
    assert step_ok("VotedOncePerTerm", voted, server(term=3, voted_for=1))


def test_term_monotonic():
    assert not step_ok("TermMonotonic", server(term=3), server(term=2))
    assert step_ok("TermMonotonic", server(term=3), server(term=3))
    assert step_ok("TermMonotonic", server(term=3), server(term=5))


@pytest.mark.parametrize("name", sorted(PROPERTIES))
def test_every_property_is_documented(name):
    assert len(PROPERTIES[name].description) > 40


# --- what the invariants read -----------------------------------------------------------------


def searched(mutant: str | None, every: int) -> tuple[RaftModel, list]:
    """A search of the mutant's scope (raft.tla's history, elections, on a few thousand states
    where None): its model, and every `every`-th state of each level, then its
    counterexample's states."""
    if mutant is None:
        config = SpecConfig(nodes=3, profile="raft-tla", bounds=profile_defaults("raft-tla"))
    else:
        m = MUTANTS[mutant]
        config = SpecConfig(nodes=m.nodes, profile=m.profile, bounds=Bounds(**m.bounds),
                            mutant=mutant, **m.options)
    model = RaftModel(config)
    states: list = []
    search = LevelSearch(model, budget=Budget(max_states=None if mutant else 4000))
    search.on_level = lambda s: states.extend(s.frontier[::every])
    result = search.run()
    if result.counterexample is not None:
        states += [step.state for step in result.counterexample.steps]
    return model, states


@pytest.mark.parametrize("mutant", ["no-step-down", "counts-self-twice", "two-changes-in-flight",
                                    "snapshot-past-commit", None])
def test_invariants_read_only_the_invariant_part_of_each_server(mutant):
    """The model judges states whose servers agree on invariant_part once (check_state's
    invariant_key). Sound only if no state invariant reads another server variable: on the
    states of a search (and of its counterexample), every invariant gives the same verdict on
    servers reduced to invariant_part (another variable would raise AttributeError), and
    check_state gives the verdict of evaluating every invariant afresh."""
    model, states = searched(mutant, every=7)
    props = [p for p in model.properties if p.kind == "state"]
    verdicts = set()
    for state in states:
        full = model.view(state)
        reduced = full._replace(servers=tuple(invariant_part(s) for s in full.servers))
        verdict = first_violated(props, full)
        assert first_violated(props, reduced) == verdict
        assert model.check_state(state) == verdict
        verdicts.add(verdict)
    assert None in verdicts
    if mutant is not None:
        assert verdicts - {None}, "the mutant's counterexample violates an invariant"


@pytest.mark.parametrize("mutant", ["no-step-down", "counts-self-twice", None])
def test_first_violation_answers_as_check_state_in_order(mutant):
    """The model's first_violation (its verdict memo asked for a whole level at once) names the
    same state and invariant as check_state asked state by state (checker/model.py's default),
    whether the memo knows none, some or all of the verdicts."""
    model, states = searched(mutant, every=3)
    states += states[:20]  # the violation amid other states
    found = set()
    for turn, start in enumerate(range(0, len(states), max(len(states) // 9, 1))):
        if turn % 2 == 0:
            model.select(model.chosen)  # an empty memo
        at_once = model.first_violation(states[start:])
        assert at_once == Model.first_violation(model, states[start:])
        found.add(at_once)
    assert None in found
    if mutant is not None:
        assert found - {None}


def test_first_violation_asks_a_check_state_that_a_subclass_overrides():
    """A model that judges states its own way (tests, scenarios) gets its own verdicts from
    first_violation, not the memo of the properties it replaced."""
    class AlarmAfterTheFirstLevel(RaftModel):
        def check_state(self, state):
            return None if state in initial else "Alarm"

    model = AlarmAfterTheFirstLevel(SpecConfig(nodes=3, profile="raft-tla",
                                               bounds=profile_defaults("raft-tla")))
    initial = model.initial_states()
    later = [after for _, after, _ in model.successors(initial[0]) if after not in initial]
    assert model.first_violation(initial) is None
    assert model.first_violation(initial + later) == (len(initial), "Alarm")


def _steps_in_first_levels(model, levels: int):
    """(parent, next state, what the step said) for every step from the first levels."""
    frontier, seen = list(model.initial_states()), set()
    for _ in range(levels):
        later = []
        for state in frontier:
            for _, after, said in model.successors(state):
                yield state, after, said
                if after not in seen:
                    seen.add(after)
                    later.append(after)
        frontier = later


@pytest.mark.parametrize("config", [
    SpecConfig(nodes=3, profile="raft-tla", bounds=profile_defaults("raft-tla")),
    SpecConfig(nodes=3, bounds=profile_defaults("raftcheck", 3)),
    SpecConfig(nodes=3, bounds=profile_defaults("raftcheck", 3), membership="single",
               initial_voters=2, max_snapshots=1),
], ids=["raft-tla", "raftcheck", "membership-snapshots"])
def test_a_step_says_same_verdict_only_where_the_verdict_key_stays(config):
    """The spec says SAME_VERDICT (checker/model.py) of drops, duplicates and deliveries that
    change only the network, and of nothing that changes a server, the partition or a
    history the invariants read: the search then skips judging those states."""
    model = RaftModel(config)
    model.select(None)
    said = 0
    for before, after, verdict in _steps_in_first_levels(model, 7):
        if verdict is SAME_VERDICT:
            said += 1
            assert model.verdict_key(after) == model.verdict_key(before), (before, after)
    assert said > 500  # (not vacuous)


def test_a_spec_judged_by_more_than_its_verdict_key_never_says_same_verdict():
    """A subclass with its own check_state (a test's alarm, a scenario's claim) may read the
    network: its steps say None. And an observer's product passes no SAME_VERDICT on."""
    class QuietAlarm(RaftModel):
        def check_state(self, state):
            return "Quiet" if not self.bags[state[self.BAG]] else None

    config = SpecConfig(nodes=3, profile="raft-tla", bounds=profile_defaults("raft-tla"))
    assert not any(said is SAME_VERDICT
                   for _, _, said in _steps_in_first_levels(QuietAlarm(config), 5))

    class Anything(Observer):
        def start(self, state):
            return [0]

        def step(self, phase, before, action, after):
            return [phase]

        def check(self, phase, state):
            return None

    observed = ObservedModel(RaftModel(config), Anything())
    assert not any(said is SAME_VERDICT for _, _, said in _steps_in_first_levels(observed, 5))
    assert any(said is SAME_VERDICT
               for _, _, said in _steps_in_first_levels(RaftModel(config), 5))
