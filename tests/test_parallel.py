"""The search shared among processes agrees with the one-process search: the same distinct
states, states generated, depth, verdict, and the very same counterexample."""

from __future__ import annotations

import pytest

from raftcheck.checker import visited as visited_module
from raftcheck.checker.checkpoint import Checkpoint
from raftcheck.checker.parallel import parallel_breadth_first
from raftcheck.checker.result import Outcome
from raftcheck.checker.search import Budget, LevelSearch, breadth_first
from raftcheck.checker.shard import even_out
from raftcheck.spec.config import Bounds, SpecConfig, merged_config
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS
from raftcheck.spec.records import Role
from tests.shards_in_process import parents_by_level, run_shards
from tests.test_search import Blinking, LampAlarm, counts


def raft_tla(servers: int = 3) -> RaftModel:
    return RaftModel(SpecConfig(nodes=servers, profile="raft-tla", bounds=Bounds(
        max_term=2, max_log=0, max_msgs=1, max_dup=1, max_writes=None, max_restarts=None,
        max_elections=None, max_partitions=0)))


def test_same_counts_as_one_process_where_no_budget_counters_exist():
    one = breadth_first(raft_tla(2))
    three = parallel_breadth_first(raft_tla(2), workers=3)
    assert three.outcome is Outcome.HOLDS
    assert counts(three) == counts(one)


def test_same_counts_with_symmetry():
    one = breadth_first(raft_tla(3), symmetry=True)
    two = parallel_breadth_first(raft_tla(3), workers=2, symmetry=True)
    assert counts(two) == counts(one)


@pytest.mark.parametrize("workers", [2, 3])
def test_same_counts_where_budgets_make_the_order_matter(workers):
    """The raftcheck profile skips a state covered by one with less budget used, so which
    states are kept depends on the order they are met in (checker/visited.py): the shards
    must offer them in the one-process order. Cut states are covered by their lifted forms,
    which may belong to another fingerprint: both must meet in one shard."""
    config = SpecConfig(nodes=3, bounds=Bounds(max_term=2))  # the base scope: with partitions
    one = breadth_first(RaftModel(config), symmetry=True)
    shared = parallel_breadth_first(RaftModel(config), workers=workers, symmetry=True)
    assert one.outcome is Outcome.HOLDS
    assert counts(shared) == counts(one)


@pytest.mark.parametrize("mutant", ["no-step-down", "stale-append-truncates",
                                    "two-changes-in-flight", "joint-new-majority-only",
                                    "installs-older-snapshot"])
def test_the_same_shortest_counterexample_and_counts_at_the_violation(mutant):
    config = merged_config(nodes=None, mutant=mutant)
    one = breadth_first(RaftModel(config), symmetry=True)
    model = RaftModel(config)
    two = parallel_breadth_first(model, workers=2, symmetry=True)
    assert one.outcome is two.outcome is Outcome.VIOLATED
    assert counts(two) == counts(one)  # the states and steps counted up to the violation
    assert [(s.action, s.state) for s in two.counterexample.steps] == \
        [(s.action, s.state) for s in one.counterexample.steps]
    for before, after in zip(two.counterexample.steps, two.counterexample.steps[1:],
                             strict=False):
        assert (after.action, after.state) in {
            (a, s) for a, s, _ in model.successors(before.state)}


class LeaderInTermTwoAlarm(RaftModel):
    """raft.tla with a false alarm: every server in term 2, one of them leader, nothing in
    flight. Met eleven steps deep by many traces, on a profile without budget counters."""

    def check_state(self, state):
        servers = [self.servers[sid] for sid in state[:self.n]]
        quiet = not self.bags[state[self.BAG]]
        if quiet and all(s.term == 2 for s in servers) and any(
                s.role == Role.LEADER for s in servers):
            return "NoLeaderInTermTwo"
        return None


@pytest.mark.parametrize("workers", [2, 3])
def test_the_same_counterexample_where_states_stay_with_the_shard_that_finds_them(workers):
    """Without budgets, a state stays with the shard that found it, and its owner records
    the parent of the candidate found first in the one-process order (the least place),
    whichever shard found it: the trace rebuilt through those parents is the one-process
    trace, and the counts up to the violation are the same."""
    def model():
        return LeaderInTermTwoAlarm(raft_tla(3).config)

    one = breadth_first(model())
    shared = parallel_breadth_first(model(), workers=workers)
    assert one.outcome is shared.outcome is Outcome.VIOLATED
    assert counts(shared) == counts(one)
    assert [(s.action, s.state) for s in shared.counterexample.steps] == \
        [(s.action, s.state) for s in one.counterexample.steps]


def test_a_resumed_search_without_budgets_rebuilds_the_same_counterexample(tmp_path):
    """Stopped with two workers and resumed: the shards' frontiers, saved with their whole
    parent links (states held by a shard that does not own them), lead to the one-process
    trace."""
    def model():
        return LeaderInTermTwoAlarm(raft_tla(3).config)

    one = breadth_first(model())
    saved = Checkpoint(tmp_path)
    stopped = parallel_breadth_first(model(), workers=2, checkpoint=saved,
                                     budget=Budget(max_depth=6))
    assert stopped.outcome is Outcome.STOPPED
    resumed = parallel_breadth_first(model(), workers=2, checkpoint=saved, resume=True)
    assert counts(resumed) == counts(one)
    assert [(s.action, s.state) for s in resumed.counterexample.steps] == \
        [(s.action, s.state) for s in one.counterexample.steps]


@pytest.mark.parametrize("sizes", [[100, 0], [0, 100], [70, 20, 10], [5, 300, 5, 0]])
def test_uneven_frontiers_are_evened_out(sizes):
    """States found stay where they were found: a shard holding more than its part of the
    frontier sends the surplus to those holding less, each ending with its part."""
    after = list(sizes)
    for source, to, amount in even_out(sizes):
        assert amount > 0
        after[source] -= amount
        after[to] += amount
    assert sum(after) == sum(sizes)
    assert max(after) - min(after) <= 1


def test_even_frontiers_stay_where_they_are():
    assert even_out([1000, 1010]) == []
    assert even_out([0, 0, 0]) == []


@pytest.mark.parametrize("options", [
    {"membership": "single", "initial_voters": 2, "max_snapshots": 1},
    {"membership": "joint", "max_config_changes": 1},
])
def test_same_counts_with_membership_changes_and_snapshots(options):
    """Configurations and snapshots travel between processes with the servers (in their logs
    and in the committed history), the budget counters they add are in the packed states, and
    symmetry renames configurations: the shards still walk the one-process search."""
    config = merged_config(nodes=3, bounds={"max_term": 2, "max_log": 2, "max_msgs": 1,
                                            "max_restarts": 0, "max_partitions": 0},
                           membership=options)
    one = breadth_first(RaftModel(config), symmetry=True)
    two = parallel_breadth_first(RaftModel(config), workers=2, symmetry=True)
    assert one.outcome is Outcome.HOLDS
    assert counts(two) == counts(one)


def test_correct_spec_holds_and_budget_stops():
    m = MUTANTS["no-step-down"]
    config = SpecConfig(nodes=m.nodes, bounds=Bounds(**m.bounds))
    assert parallel_breadth_first(RaftModel(config), workers=2).outcome is Outcome.HOLDS
    stopped = parallel_breadth_first(RaftModel(config), workers=2, budget=Budget(max_states=50))
    assert stopped.outcome is Outcome.STOPPED and stopped.stop_reason == "max-states"
    assert stopped.stats.distinct >= 50


@pytest.mark.parametrize("window", [0, 300, 1 << 40])
def test_every_window_keeps_the_one_process_levels_and_parent_links(monkeypatch, window):
    """Each shard holds the recent levels it found or owns in one set, as many as its share of
    WINDOW lets in (from the two every search keeps to every level): whatever the window and
    the number of shards, each level holds the one-process states, each with the parent the
    one-process search records (the first found, wherever it was found)."""
    one = LevelSearch(raft_tla(2))
    one.run()
    expected = parents_by_level([one])  # type: ignore[list-item]
    levels = len(expected)
    monkeypatch.setattr(visited_module, "WINDOW", window)
    for count in (1, 2, 3):
        shards = run_shards(lambda: raft_tla(2), count)
        assert parents_by_level(shards) == expected
        held = [shard.store.window for shard in shards]
        if window == 0:
            assert held == [2] * count
        elif window == 1 << 40:
            assert held == [levels] * count
        else:
            assert min(held) > 2 and max(held) < levels


@pytest.mark.parametrize("window", [0, 300])
@pytest.mark.parametrize("workers", [2, 3])
def test_a_small_window_still_finds_the_shortest_counterexample(monkeypatch, window, workers):
    """States met again beyond the window reach their owner, which finds them in its older
    levels: the violation is still met at the one-process place, with its trace and counts."""
    def model():
        return LeaderInTermTwoAlarm(raft_tla(3).config)

    one = breadth_first(model())
    monkeypatch.setattr(visited_module, "WINDOW", window)  # the forked workers inherit it
    shared = parallel_breadth_first(model(), workers=workers)
    assert one.outcome is shared.outcome is Outcome.VIOLATED
    assert counts(shared) == counts(one)
    assert [(s.action, s.state) for s in shared.counterexample.steps] == \
        [(s.action, s.state) for s in one.counterexample.steps]


def test_workers_leave_out_what_a_step_said_same_verdict_of():
    """Shards judge a level's new states as one process does: the counts and counterexample
    are one process's, and a state whose step said SAME_VERDICT is not judged (a model that
    says it falsely hides its bad state there too)."""
    one, two = breadth_first(Blinking(bad=(2, 1))), parallel_breadth_first(
        Blinking(bad=(2, 1)), workers=2)
    assert counts(two) == counts(one)
    assert [s.state for s in two.counterexample.steps] == [
        s.state for s in one.counterexample.steps]
    assert parallel_breadth_first(LampAlarm(limit=2), workers=2).outcome is Outcome.HOLDS
    assert parallel_breadth_first(LampAlarm(limit=2, declares=False),
                                  workers=2).outcome is Outcome.VIOLATED
