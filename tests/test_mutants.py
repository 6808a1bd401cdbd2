"""Every mutant is caught, with a shortest trace; the correct spec passes at the same bounds."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import Budget, breadth_first
from raftcheck.spec.config import Bounds, SpecConfig, profile_defaults
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS
from raftcheck.spec.timed.config import mutant_config
from raftcheck.spec.timed.model import TimedRaftModel


def model_for(name: str, mutant: str | None, properties=None) -> RaftModel | TimedRaftModel:
    m = MUTANTS[name]
    if m.timed is not None:
        return TimedRaftModel(mutant_config(name, broken=mutant is not None), properties)
    config = SpecConfig(nodes=m.nodes, profile=m.profile, bounds=Bounds(**m.bounds), mutant=mutant,
                        **m.options)
    return RaftModel(config, properties)


def symmetric(name: str) -> bool:
    """The timed model has no symmetry reduction (spec/timed/model.py)."""
    return MUTANTS[name].timed is None


def assert_replays(model: RaftModel, cex) -> None:
    """Each step of the trace is a real step of the model, and the end breaks the property."""
    assert cex.steps[0].state in model.initial_states()
    for before, after in itertools.pairwise(cex.steps):
        steps = {(a, s) for a, s, _ in model.successors(before.state)}
        assert (after.action, after.state) in steps
    if cex.kind == "state":
        assert model.check_state(cex.steps[-1].state) == cex.property
    else:
        last, previous = cex.steps[-1], cex.steps[-2]
        broken = [b for a, s, b in model.successors(previous.state)
                  if (a, s) == (last.action, last.state)]
        assert cex.property in broken


@pytest.fixture(scope="module", params=sorted(MUTANTS))
def caught(request):
    name = request.param
    model = model_for(name, name)
    return name, model, breadth_first(model, symmetry=symmetric(name))


def test_mutant_is_caught_by_an_expected_property(caught):
    name, model, result = caught
    assert result.outcome is Outcome.VIOLATED
    assert result.counterexample.property in MUTANTS[name].catches
    assert_replays(model, result.counterexample)


def test_counterexample_is_shortest(caught):
    name, _, result = caught
    length = result.counterexample.length
    shorter = breadth_first(model_for(name, name), symmetry=symmetric(name),
                            budget=Budget(max_depth=length))
    assert shorter.outcome is not Outcome.VIOLATED


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_correct_spec_passes_at_the_same_bounds(name):
    result = breadth_first(model_for(name, None), symmetry=symmetric(name))
    assert result.outcome is Outcome.HOLDS


@pytest.mark.parametrize("name", ["double-vote", "no-step-down", "no-consistency-check"])
def test_full_and_reduced_search_find_the_same_violation(name):
    reduced = breadth_first(model_for(name, name), symmetry=True).counterexample
    full = breadth_first(model_for(name, name), symmetry=False).counterexample
    assert (full.property, full.length) == (reduced.property, reduced.length)


def test_double_vote_trace_is_the_four_step_one():
    """Derived by hand: n1 campaigns and asks n2; n2 campaigns (votes for itself) and then
    grants n1's request in the same term."""
    result = breadth_first(model_for("double-vote", "double-vote"), symmetry=False)
    cex = result.counterexample
    assert cex.property == "VotedOncePerTerm" and cex.length == 4
    names = [step.action.name for step in cex.steps[1:]]
    assert sorted(names) == sorted(
        ["Timeout", "Timeout", "RequestVote", "HandleRequestVoteRequest"])
    assert names[-1] == "HandleRequestVoteRequest"


def test_minority_never_commits_alone_catches_the_self_counting_leader():
    """With only MinorityNeverCommits checked, the violation needs a partition: a leader that
    counts itself twice commits on a 2|2 cut with one follower."""
    model = model_for("counts-self-twice", "counts-self-twice", ["MinorityNeverCommits"])
    result = breadth_first(model, symmetry=True)
    cex = result.counterexample
    assert cex.property == "MinorityNeverCommits"
    assert any(step.action.name == "Partition" for step in cex.steps[1:])
    assert_replays(model, cex)
    correct = model_for("counts-self-twice", None, ["MinorityNeverCommits"])
    assert breadth_first(correct, symmetry=True).outcome is Outcome.HOLDS


def _stale_append(nodes: int, mutant: str | None, **bounds) -> RaftModel:
    scope = {**MUTANTS["stale-append-truncates"].bounds, **bounds}
    return RaftModel(SpecConfig(nodes=nodes, bounds=Bounds(**scope), mutant=mutant))


def _sent_at(model: RaftModel, cex, message) -> int:
    """The step after which the message is first in flight."""
    return next(k for k, step in enumerate(cex.steps) if message in model.in_flight(step.state))


def test_stale_append_truncates_needs_a_message_overtaken():
    """The mutant's trace delivers two AppendEntries in the opposite order to their sending;
    with one message in flight, where nothing can overtake, it holds."""
    model = _stale_append(3, "stale-append-truncates")
    cex = breadth_first(model, symmetry=True).counterexample
    delivered = [(k, step.action.message) for k, step in enumerate(cex.steps)
                 if step.action is not None and step.action.name == "HandleAppendEntriesRequest"]
    assert len(delivered) == 2
    (first_delivered, newer), (second_delivered, older) = delivered
    assert first_delivered < second_delivered
    assert _sent_at(model, cex, older) < _sent_at(model, cex, newer)  # older sent first...
    assert newer.entries and not older.entries  # ...arrives last, and wipes the entry
    lone = breadth_first(_stale_append(3, "stale-append-truncates", max_msgs=1), symmetry=True)
    assert lone.outcome is Outcome.HOLDS


def test_the_five_server_default_catches_what_one_message_in_flight_lets_through():
    """The mutant at the five-server default scope (two messages on one link) and at the same
    scope with one message in flight, as the default was before."""
    default = profile_defaults("raftcheck", 5)
    assert default.max_msgs == 2 and default.max_links == 1

    def search(bounds: Bounds):
        config = SpecConfig(nodes=5, bounds=bounds, mutant="stale-append-truncates")
        return breadth_first(RaftModel(config), symmetry=True)

    result = search(default)
    assert result.outcome is Outcome.VIOLATED
    assert result.counterexample.property in MUTANTS["stale-append-truncates"].catches
    assert search(replace(default, max_msgs=1)).outcome is Outcome.HOLDS
