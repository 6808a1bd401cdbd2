"""The network bounds of the small scope: messages in flight, and the pairs they travel between."""

from __future__ import annotations

import pytest

from raftcheck.spec.config import Bounds, ConfigError, SpecConfig
from raftcheck.spec.model import RaftModel
from raftcheck.spec.network import links
from tests.oracles.reachable import reachable_states


def pairs_in_flight(model: RaftModel, state: tuple) -> int:
    return links((m.src, m.dst) for m in model.in_flight(state))


def scope(**bounds) -> RaftModel:
    small = dict(max_term=2, max_log=0, max_msgs=2, max_writes=0, max_restarts=0,
                 max_partitions=0)
    return RaftModel(SpecConfig(nodes=3, bounds=Bounds(**{**small, **bounds})))


def test_links_counts_pairs_whichever_the_direction():
    assert links([]) == 0
    assert links([(0, 1), (1, 0)]) == 1
    assert links([(0, 1), (0, 2), (2, 0)]) == 2


def test_without_a_link_bound_two_exchanges_run_side_by_side():
    model = scope()
    assert max(pairs_in_flight(model, s) for s in reachable_states(model)) == 2


def test_one_link_keeps_every_state_to_one_pair_but_lets_messages_overtake():
    model = scope(max_links=1)
    states = reachable_states(model)
    assert max(pairs_in_flight(model, s) for s in states) == 1
    # two different messages between the same two servers, so either may arrive first
    assert any(len(model.in_flight(s)) == 2 for s in states)
    assert len(states) < len(reachable_states(scope()))


def test_a_link_bound_below_one_is_refused():
    with pytest.raises(ConfigError, match="--max-links"):
        SpecConfig(bounds=Bounds(max_links=0)).validate()
