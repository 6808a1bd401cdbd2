"""The checker on small models that have nothing to do with Raft: it must stay spec-agnostic."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from raftcheck.checker.model import SAME_VERDICT, Model
from raftcheck.checker.result import Outcome
from raftcheck.checker.search import Budget, breadth_first
from raftcheck.checker.trace import identity_chain


@dataclass
class Counters(Model):
    """Two counters, each incremented up to `limit`; optionally a bug when they reach `bad`."""

    limit: int = 5
    bad: tuple[int, int] | None = None  # violates "NotBad", and so does its mirror image
    decrement_at: int | None = None  # when a == decrement_at, a step may decrement a

    def initial_states(self):
        return [(0, 0)]

    def successors(self, state):
        a, b = state
        out = []
        if a < self.limit:
            out.append((("inc", "a"), (a + 1, b), None))
        if b < self.limit:
            out.append((("inc", "b"), (a, b + 1), None))
        if self.decrement_at is not None and a == self.decrement_at:
            out.append((("dec", "a"), (a - 1, b), "Monotonic"))
        return out

    def check_state(self, state):
        # Symmetric in a and b, as a property must be for symmetry reduction to be sound.
        return "NotBad" if self.bad and sorted(state) == sorted(self.bad) else None

    def variables(self, state):
        return {"a": state[0], "b": state[1]}

    def canonical(self, state):
        return tuple(sorted(state))


def test_holds_counts_every_state_and_the_depth():
    result = breadth_first(Counters(limit=4))
    assert result.outcome is Outcome.HOLDS
    assert result.stats.distinct == 25  # (0..4) x (0..4)
    assert result.stats.depth == 9  # (0,0) .. (4,4): 8 steps, 9 states, as TLC counts depth
    assert result.stats.generated == 2 * 4 * 5  # every increment, duplicates included
    assert result.counterexample is None


def test_violation_comes_with_a_shortest_trace():
    result = breadth_first(Counters(limit=4, bad=(3, 2)))
    assert result.outcome is Outcome.VIOLATED
    cex = result.counterexample
    assert cex.property == "NotBad" and cex.kind == "state"
    assert cex.length == 5  # no path to (3, 2) or (2, 3) is shorter than 5 increments
    assert cex.steps[0].state == (0, 0) and cex.steps[-1].state in ((3, 2), (2, 3))
    for before, after in itertools.pairwise(cex.steps):
        assert (after.action, after.state, None) in Counters().successors(before.state)


def test_transition_property_is_checked_on_every_edge():
    result = breadth_first(Counters(limit=4, decrement_at=2))
    assert result.outcome is Outcome.VIOLATED
    cex = result.counterexample
    assert (cex.property, cex.kind) == ("Monotonic", "transition")
    assert cex.steps[-1].action == ("dec", "a")
    assert cex.steps[-2].state[0] == 2 and cex.steps[-1].state[0] == 1
    assert cex.length == 3  # two increments of a, then the decrement


def test_no_violation_when_the_bad_state_is_out_of_reach():
    result = breadth_first(Counters(limit=2, bad=(3, 0)))
    assert result.outcome is Outcome.HOLDS


def test_symmetry_stores_one_state_per_orbit_and_finds_the_same_violation():
    full = breadth_first(Counters(limit=4))
    reduced = breadth_first(Counters(limit=4), symmetry=True)
    assert reduced.stats.distinct == 15  # unordered pairs from 0..4: 5 * 6 / 2
    assert full.stats.distinct == 25
    bad_full = breadth_first(Counters(limit=4, bad=(1, 3)))
    bad_reduced = breadth_first(Counters(limit=4, bad=(1, 3)), symmetry=True)
    assert bad_full.counterexample.length == bad_reduced.counterexample.length == 4
    # The replayed trace is a concrete behaviour: every step a real successor.
    steps = bad_reduced.counterexample.steps
    assert steps[-1].state in ((1, 3), (3, 1))
    for before, after in itertools.pairwise(steps):
        assert (after.action, after.state, None) in Counters().successors(before.state)


def test_max_states_budget_stops_with_partial_statistics():
    result = breadth_first(Counters(limit=50), budget=Budget(max_states=100))
    assert result.outcome is Outcome.STOPPED and result.stop_reason == "max-states"
    assert 100 <= result.stats.distinct < 51 * 51
    assert result.stats.queue > 0
    assert result.outcome.exit_code == 3


def test_max_depth_budget_explores_exactly_the_first_levels():
    result = breadth_first(Counters(limit=10), budget=Budget(max_depth=3))
    assert result.outcome is Outcome.STOPPED and result.stop_reason == "max-depth"
    assert result.stats.distinct == 1 + 2 + 3  # levels 1..3 of the grid
    assert result.stats.depth == 3


def test_time_budget_stops_a_search_that_would_run_long():
    class Endless(Counters):
        def successors(self, state):
            return [(("inc",), (state[0] + 1, 0), None)]

    result = breadth_first(Endless(), budget=Budget(seconds=0.2))
    assert result.outcome is Outcome.STOPPED and result.stop_reason == "time-limit"
    assert result.stats.distinct > 1


def test_interrupt_gives_partial_statistics():
    class Interrupted(Counters):
        calls = 0

        def successors(self, state):
            self.calls += 1
            if self.calls == 7:
                raise KeyboardInterrupt
            return super().successors(state)

    result = breadth_first(Interrupted(limit=20))
    assert result.outcome is Outcome.STOPPED and result.stop_reason == "interrupted"
    assert result.stats.distinct >= 7


def test_counts_are_deterministic():
    runs = [breadth_first(Counters(limit=6, bad=(6, 5))) for _ in range(2)]
    assert runs[0].stats.distinct == runs[1].stats.distinct
    assert runs[0].stats.generated == runs[1].stats.generated
    assert [s.state for s in runs[0].counterexample.steps] == \
        [s.state for s in runs[1].counterexample.steps]


def test_progress_is_reported_and_final_statistics_delivered():
    seen = []
    breadth_first(Counters(limit=30), progress=seen.append, progress_every=0.0)
    assert seen, "progress callback never called"
    assert seen[-1].distinct == 31 * 31


def test_chain_follows_parent_links_across_shards_to_the_root():
    # Two shards; a link is index * 2 + shard. Level 0: "a" on shard 1; level 1: "b" on
    # shard 0 (parent link 1: index 0 of shard 1); level 2: "c" with a budget vector, on
    # shard 1 at index 1 (parent link 0: index 0 of shard 0).
    entries = {(1, 0, 0): ("a", 0, None), (0, 1, 0): ("b", 1, None), (1, 2, 1): ("c", 0, 5)}
    chain = identity_chain(lambda shard, level, index: entries[shard, level, index], 2, 2, 3)
    assert chain == ["a", "b", ("c", 5)]


def test_collision_probability_grows_with_the_search():
    small = breadth_first(Counters(limit=3)).stats
    large = breadth_first(Counters(limit=30)).stats
    assert 0 < small.collision_probability < large.collision_probability < 1e-9


@pytest.mark.parametrize("bad", [(0, 0), (2, 2)])
def test_initial_or_later_violation(bad):
    result = breadth_first(Counters(limit=3, bad=bad))
    assert result.counterexample.length == sum(bad)


def counts(result):
    """What two searches of the same space must agree on."""
    return result.outcome, result.stats.distinct, result.stats.generated, result.stats.depth


@dataclass
class Blinking(Model):
    """Two counters and a lamp that any state may switch: the lamp is not read by the
    invariant (bad counters), so a switch may say SAME_VERDICT, or None where `declares` is
    off. `judged` records every state check_state was asked about."""

    limit: int = 3
    bad: tuple[int, int] | None = None
    declares: bool = True

    def __post_init__(self) -> None:
        self.judged: list[tuple] = []

    def initial_states(self):
        return [(0, 0, 0)]

    def successors(self, state):
        a, b, lamp = state
        out = []
        if a < self.limit:
            out.append((("inc", "a"), (a + 1, b, lamp), None))
        if b < self.limit:
            out.append((("inc", "b"), (a, b + 1, lamp), None))
        out.append((("switch",), (a, b, 1 - lamp), SAME_VERDICT if self.declares else None))
        return out

    def check_state(self, state):
        self.judged.append(state)
        return "NotBad" if self.bad and state[:2] == self.bad else None

    def variables(self, state):
        return {"a": state[0], "b": state[1], "lamp": state[2]}


@pytest.mark.parametrize("bad", [None, (2, 1)])
def test_a_state_whose_step_said_same_verdict_is_not_judged_again(bad):
    """The search leaves out of the level's check the states whose step said SAME_VERDICT
    (their parent held), and finds the same counts, verdict and counterexample as where no
    step says it."""
    declared, plain = Blinking(bad=bad), Blinking(bad=bad, declares=False)
    with_it, without = breadth_first(declared), breadth_first(plain)
    assert counts(with_it) == counts(without)
    assert (with_it.counterexample is None) == (bad is None)
    if bad is not None:
        assert [s.state for s in with_it.counterexample.steps] == [
            s.state for s in without.counterexample.steps]
        assert with_it.counterexample.steps[-1].state[:2] == bad
    # (0, 0, 1) is found only by switching (0, 0, 0): never judged where the switch says so
    assert (0, 0, 1) in plain.judged and (0, 0, 1) not in declared.judged
    assert len(declared.judged) < len(plain.judged)


def test_same_verdict_is_trusted_as_declared():
    """What SAME_VERDICT means to the search: the state is not judged. A model that says it of
    a step into a bad state hides that state (so a model must say it only where its verdict
    key is unchanged: test_invariants.py holds the Raft spec to that); said None, the bad
    state is found."""
    assert breadth_first(LampAlarm(limit=0, declares=False)).counterexample.steps[-1].state == (
        0, 0, 1)
    assert breadth_first(LampAlarm(limit=0)).outcome is Outcome.HOLDS


class LampAlarm(Blinking):
    """Blinking with an alarm that reads the lamp: its switch must not say SAME_VERDICT."""

    def check_state(self, state):
        self.judged.append(state)
        return "LampOn" if state == (0, 0, 1) else None
