"""Searches run Python's cyclic collector rarely (checker/collector.py), in the calling process
only while the search runs, and in every worker process."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from raftcheck.checker.collector import YOUNG
from raftcheck.checker.model import Model
from raftcheck.checker.parallel import parallel_breadth_first
from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first


@dataclass
class Line(Model):
    """0..length-1 in steps of one; the invariant "Rare" holds while the young generation is
    collected every YOUNG containers, which the process expanding the state can tell."""

    length: int = 50

    def initial_states(self):
        return [(0,)]

    def successors(self, state):
        (n,) = state
        return [("step", (n + 1,), None)] if n + 1 < self.length else []

    def check_state(self, state):
        return None if gc.get_threshold()[0] == YOUNG else "Rare"

    def summary(self, state):
        return {"n": str(state[0])}


def test_one_process_collects_rarely_while_searching_and_as_before_after():
    before = gc.get_threshold()
    assert before[0] != YOUNG, "the test needs Python's threshold to differ from YOUNG"
    result = breadth_first(Line())
    assert result.outcome is Outcome.HOLDS and result.stats.distinct == 50
    assert gc.get_threshold() == before


def test_worker_processes_collect_rarely():
    result = parallel_breadth_first(Line(), workers=2)
    assert result.outcome is Outcome.HOLDS and result.stats.distinct == 50


def test_the_invariant_sees_the_default_threshold_outside_a_search():
    """The model's own check: outside a search it finds "Rare" broken (else the two tests
    above could not fail)."""
    assert Line().check_state((0,)) == "Rare"
