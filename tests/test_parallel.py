"""The search shared among processes agrees with the one-process search."""

from __future__ import annotations

from raftcheck.checker.parallel import parallel_breadth_first
from raftcheck.checker.result import Outcome
from raftcheck.checker.search import Budget, breadth_first
from raftcheck.spec.config import Bounds, SpecConfig
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS


def raft_tla(servers: int = 3) -> RaftModel:
    return RaftModel(SpecConfig(nodes=servers, profile="raft-tla", bounds=Bounds(
        max_term=2, max_log=0, max_msgs=1, max_dup=1, max_writes=None, max_restarts=None,
        max_elections=None, max_partitions=0)))


def test_same_counts_as_one_process_where_no_budget_counters_exist():
    one = breadth_first(raft_tla(2))
    three = parallel_breadth_first(raft_tla(2), workers=3)
    assert three.outcome is Outcome.HOLDS
    assert (three.stats.distinct, three.stats.generated, three.stats.depth) == \
        (one.stats.distinct, one.stats.generated, one.stats.depth)


def test_same_counts_with_symmetry():
    one = breadth_first(raft_tla(3), symmetry=True)
    two = parallel_breadth_first(raft_tla(3), workers=2, symmetry=True)
    assert two.stats.distinct == one.stats.distinct and two.stats.depth == one.stats.depth


def test_finds_a_shortest_violation_with_a_real_trace():
    m = MUTANTS["no-step-down"]
    config = SpecConfig(nodes=m.nodes, bounds=Bounds(**m.bounds), mutant=m.name)
    one = breadth_first(RaftModel(config), symmetry=True).counterexample
    model = RaftModel(config)
    two = parallel_breadth_first(model, workers=2, symmetry=True).counterexample
    assert (two.property, two.length) == (one.property, one.length)
    for before, after in zip(two.steps, two.steps[1:], strict=False):
        assert (after.action, after.state) in {(a, s) for a, s, _ in model.successors(before.state)}


def test_correct_spec_holds_and_budget_stops():
    m = MUTANTS["no-step-down"]
    config = SpecConfig(nodes=m.nodes, bounds=Bounds(**m.bounds))
    assert parallel_breadth_first(RaftModel(config), workers=2).outcome is Outcome.HOLDS
    stopped = parallel_breadth_first(RaftModel(config), workers=2, budget=Budget(max_states=50))
    assert stopped.outcome is Outcome.STOPPED and stopped.stop_reason == "max-states"
    assert stopped.stats.distinct >= 50
