"""The model forgets what its frontier does not name (RaftModel.forget), and no answer changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import raftcheck.checker.search as search_module
import raftcheck.spec.model as spec_model
from raftcheck.checker.result import Outcome
from raftcheck.checker.search import Budget, LevelSearch, breadth_first
from raftcheck.spec.config import SpecConfig, profile_defaults
from raftcheck.spec.model import RaftModel

SMALL = SpecConfig(nodes=3, bounds=replace(profile_defaults("raftcheck", 3), max_writes=1,
                                           max_elections=2, max_term=3))


def named(model: RaftModel, frontier: list[tuple]) -> tuple[set, set, set]:
    servers = {sid for state in frontier for sid in state[:model.n]}
    bags = {state[model.BAG] for state in frontier}
    messages = {mid for bid in bags for mid, _ in model.bags[bid]}
    return servers, bags, messages


def search(config: SpecConfig, *, forget_above: int, symmetry: bool = True,
           monkeypatch: pytest.MonkeyPatch, spill: Path | None = None):
    monkeypatch.setattr(spec_model, "FORGET_ABOVE", forget_above)
    return breadth_first(RaftModel(config), symmetry=symmetry, spill=spill)


@pytest.mark.parametrize("config, symmetry, outcome", [
    (SMALL, True, Outcome.HOLDS),
    (SpecConfig(nodes=3, mutant="stale-append-truncates", bounds=replace(
        profile_defaults("raftcheck", 3), max_term=3, max_log=1, max_msgs=2, max_writes=1,
        max_restarts=0, max_partitions=0)), True, Outcome.VIOLATED),
    (SpecConfig(nodes=2, profile="raft-tla", bounds=replace(
        profile_defaults("raft-tla"), max_term=3, max_log=1, max_msgs=1, max_dup=1)), False,
     Outcome.HOLDS),
], ids=["holds", "stale-append-truncates", "raft-tla"])
def test_forgetting_at_every_level_changes_no_count_and_no_counterexample(
        config, symmetry, outcome, monkeypatch, tmp_path):
    """In memory, and with --disk, where forget reads the frontier and the level so far from
    their files; between levels only (a check every 512 states of a level: these levels are
    small), and after every state expanded."""
    kept = search(config, forget_above=10**12, symmetry=symmetry, monkeypatch=monkeypatch)
    assert kept.outcome is outcome
    for spill, check_every in ((None, 512), (tmp_path / "a", 512), (None, 1),
                               (tmp_path / "b", 1)):
        monkeypatch.setattr(search_module, "CHECK_EVERY", check_every)
        forgot = search(config, forget_above=0, symmetry=symmetry, monkeypatch=monkeypatch,
                        spill=spill)
        assert forgot.outcome is kept.outcome
        assert (forgot.stats.distinct, forgot.stats.generated, forgot.stats.depth) == (
            kept.stats.distinct, kept.stats.generated, kept.stats.depth)
        if outcome is Outcome.VIOLATED:
            assert [(s.action, s.state) for s in forgot.counterexample.steps] == [
                (s.action, s.state) for s in kept.counterexample.steps]


def frontier_at(model: RaftModel, depth: int) -> list[tuple]:
    levels = LevelSearch(model, symmetry=True, budget=Budget(max_depth=depth))
    levels.run()
    return levels.frontier


def test_forget_keeps_exactly_what_the_frontier_names_and_its_steps(monkeypatch):
    monkeypatch.setattr(spec_model, "FORGET_ABOVE", 10**12)  # the search itself forgets nothing
    model = RaftModel(SMALL)
    frontier = frontier_at(model, 14)
    servers, bags, messages = named(model, frontier)
    assert len(model.bags) > len(bags) and len(model.servers) > len(servers)
    steps_before = [model.successors(state) for state in frontier]

    monkeypatch.setattr(spec_model, "FORGET_ABOVE", 0)
    model._forget_above = 0
    model.forget(iter(frontier))  # read once, as a frontier in a file is
    assert set(model.bags.values) == bags
    assert set(model.servers.values) == servers
    assert set(model.messages.values) == messages
    assert [model.successors(state) for state in frontier] == steps_before


def test_forget_keeps_only_the_recorded_components_it_keeps(monkeypatch):
    """A checkpointed search records what the model names for its log (new_components); what
    the model forgets leaves the record too (named again, it is recorded again), or a level
    that forgets as it goes would hold every bag it ever named until the level is saved."""
    monkeypatch.setattr(spec_model, "FORGET_ABOVE", 10**12)
    model = RaftModel(SMALL)
    frontier = frontier_at(model, 14)
    model.new_components()  # the record starts
    found = [successor for state in frontier for _, successor, _ in model.successors(state)]
    kept = frontier + found[: len(found) // 2]  # a level half built
    gone = {state[model.BAG] for state in found} - {state[model.BAG] for state in kept}
    assert gone
    bag = next(iter(gone))
    contents = model.bags[bag]
    recorded_before = len(model._journal)
    model._forget_above = 0
    model.forget(kept)
    recorded = model.new_components()
    assert 0 < len(recorded) < recorded_before
    tables = {"server": model.servers, "message": model.messages, "bag": model.bags,
              "history set": model.sets}
    assert all(key in tables[kind].values for kind, key, _ in recorded)
    assert bag not in model.bags.values
    for state in frontier:
        model.successors(state)
    assert model.bags[bag] == contents  # named again: the same name, recorded again
    assert ("bag", bag) in {(kind, key) for kind, key, _ in model.new_components()}


def test_forget_waits_until_the_model_holds_more_than_its_limit(monkeypatch):
    monkeypatch.setattr(spec_model, "FORGET_ABOVE", 10**12)
    model = RaftModel(SMALL)
    frontier = frontier_at(model, 14)
    before = model._named()
    model._forget_above = before  # at the limit, not above it
    model.forget(frontier)
    assert model._named() == before


def test_the_search_keeps_the_model_within_twice_what_its_frontier_names(monkeypatch):
    limit = 300
    monkeypatch.setattr(spec_model, "FORGET_ABOVE", limit)
    model = RaftModel(SMALL)
    levels = LevelSearch(model, symmetry=True, budget=Budget(max_depth=22))
    # (held after the level, named by the frontier and the level before it: the level was
    # built from that frontier, and the model may forget as it builds it)
    seen: list[tuple[int, int]] = []
    before: list[set] = [set(), set(), set()]

    def after_level(search: LevelSearch) -> None:
        now = named(model, search.frontier)
        both = [a | b for a, b in zip(before, now, strict=True)]
        seen.append((model._named(), sum(map(len, both))))
        before[:] = now

    levels.on_level = after_level
    levels.run()
    assert max(h for h, _ in seen) > limit  # the limit was reached: forgetting had work to do
    most_named = 0
    for after, frontier_names in seen:
        most_named = max(most_named, frontier_names)
        assert after <= max(limit, 2 * most_named)


def unshared(model: RaftModel) -> tuple[int, int, int]:
    """(pairs held in bags, those that are not the first object of their value met, endpoint
    triples that are not the first object of their message met)."""
    first_pair: dict[tuple, tuple] = {}
    first_triple: dict[int, tuple] = {}
    pairs = extra_pairs = extra_triples = 0
    for bid, bag in model.bags.values.items():
        for pair in bag:
            pairs += 1
            extra_pairs += first_pair.setdefault(pair, pair) is not pair
        for triple in model._bag_info[bid][1]:
            extra_triples += first_triple.setdefault(triple[0], triple) is not triple
    return pairs, extra_pairs, extra_triples


def test_bags_share_one_pair_and_one_endpoint_triple_per_message(monkeypatch):
    """Millions of bags in a big scope: each holds its set only, not copies of what other bags
    hold (a pair made afresh for every bag cost ~390 bytes a bag at five servers)."""
    monkeypatch.setattr(spec_model, "FORGET_ABOVE", 10**12)
    model = RaftModel(SMALL)
    frontier = frontier_at(model, 14)
    pairs, extra_pairs, extra_triples = unshared(model)
    assert pairs > 2 * len(model.messages)  # messages sit in many bags: sharing has work to do
    assert (extra_pairs, extra_triples) == (0, 0)

    model._forget_above = 0
    model.forget(frontier)  # what is kept stays shared, and so is what is named after
    for state in frontier:
        model.successors(state)
    assert unshared(model)[1:] == (0, 0)

    other = RaftModel(SMALL)  # a resumed search adopts the bags a checkpoint saved
    for bid, bag in model.bags.values.items():
        for mid, _ in bag:
            other.adopt("message", mid, model.messages[mid])
        other.adopt("bag", bid, frozenset((*pair,) for pair in bag))  # new pair objects
    pairs, *extra = unshared(other)
    assert pairs > 0 and extra == [0, 0]


def test_a_resumed_search_keeps_only_what_its_frontier_names(monkeypatch, tmp_path):
    """A checkpoint's log holds every component the search ever named; a resume adopts them
    and then forgets what the saved frontier does not name, as the search had."""
    from raftcheck.checker.checkpoint import Checkpoint

    monkeypatch.setattr(spec_model, "FORGET_ABOVE", 200)
    saved = Checkpoint(tmp_path / "saved")
    first = LevelSearch(RaftModel(SMALL), symmetry=True, budget=Budget(max_depth=16))
    first.keep_checkpoints(saved, {}, resume=False)
    first.run()

    model = RaftModel(SMALL)
    again = LevelSearch(model, symmetry=True)
    again.keep_checkpoints(saved, {}, resume=True)
    logged = {(kind, key) for kind, key, _ in saved.components(1)}
    servers, bags, messages = named(model, again.frontier)
    assert len(logged) > 2 * (len(servers) + len(bags) + len(messages))
    assert (set(model.servers.values), set(model.bags.values), set(model.messages.values)) == (
        servers, bags, messages)
