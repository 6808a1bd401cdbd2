"""A successor fingerprinted from its parent's is fingerprinted as itself.

Where neither symmetry nor budgets apply, a search expands a state by
model.fingerprinted_successors and builds only the successors whose fingerprints are new
(checker/search.py, shard.py): their fingerprints, actions and order must be those of
model.successors, and each change must build the very successor.
"""

from __future__ import annotations

import pytest

from raftcheck.spec.config import Bounds, SpecConfig
from raftcheck.spec.model import RaftModel


def reachable(model: RaftModel, limit: int) -> list[tuple]:
    """The first `limit` states a breadth-first walk of the model meets."""
    found = list(model.initial_states())
    seen = set(found)
    for state in found:
        if len(found) >= limit:
            break
        for _, after, _ in model.successors(state):
            if after not in seen:
                seen.add(after)
                found.append(after)
    return found[:limit]


CONFIGS = {
    # raft.tla itself: every step a change of a few slots
    "raft-tla": SpecConfig(nodes=3, profile="raft-tla", bounds=Bounds(
        max_term=2, max_log=1, max_msgs=1, max_dup=1, max_writes=None, max_restarts=None,
        max_elections=None, max_partitions=0)),
    # with restarts and elections counted: steps that count them change a counter too
    "raft-tla, counted": SpecConfig(nodes=3, profile="raft-tla", values=2, bounds=Bounds(
        max_term=3, max_log=1, max_msgs=2, max_dup=1, max_writes=None, max_restarts=1,
        max_elections=2, max_partitions=0)),
    # garbage collected and partitions: each successor given whole, as its change
    "raftcheck": SpecConfig(nodes=3, bounds=Bounds(max_term=2, max_log=1, max_msgs=2,
                                                   max_partitions=1)),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_each_change_builds_its_successor_with_its_fingerprint(name):
    model = RaftModel(CONFIGS[name])
    states = reachable(model, 3000)
    assert len(states) == 3000
    for state in states:
        steps = model.successors(state)
        changes = model.fingerprinted_successors(state, model.fingerprint(state))
        assert [(action, broken) for action, _, broken in steps] == \
            [(action, broken) for action, _, broken, _ in changes]
        for (_, after, _), (_, fingerprint, _, change) in zip(steps, changes, strict=True):
            assert model.successor(state, change) == after
            assert fingerprint == model.fingerprint(after)


def test_states_that_differ_have_different_fingerprints():
    """No two of the states met share a fingerprint, nor does a state share one with the
    same names in other slots (the slot is part of each slot's hash)."""
    model = RaftModel(CONFIGS["raft-tla"])
    states = reachable(model, 20000)
    assert len({model.fingerprint(state) for state in states}) == len(states)
    state = states[-1]
    swapped = (state[1], state[0], *state[2:])
    assert swapped != state
    assert model.fingerprint(swapped) != model.fingerprint(state)
