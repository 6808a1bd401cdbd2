"""The visited set: compact (at most 16 bytes a state, parent link included), exact (a batch
checked against older levels keeps what one-at-a-time checks keep), and on disk with --disk."""

from __future__ import annotations

import numpy as np

from raftcheck.checker import frontier
from raftcheck.checker import search as search_module
from raftcheck.checker import visited as visited_module
from raftcheck.checker.model import Model
from raftcheck.checker.result import Outcome
from raftcheck.checker.search import LevelSearch, breadth_first
from raftcheck.checker.visited import LevelStore
from raftcheck.spec.config import Bounds, SpecConfig, merged_config
from raftcheck.spec.model import RaftModel
from tests.test_search import Counters


def raft_tla() -> RaftModel:
    return RaftModel(merged_config(nodes=2, profile="raft-tla",
                                   bounds={"max_term": 3, "max_msgs": 2}))


def search(model, **options) -> LevelSearch:
    run = LevelSearch(model, **options)
    run.result = run.run()
    return run


def test_at_most_16_bytes_a_state_with_parent_links():
    for model, symmetry in ((raft_tla(), False),
                            (RaftModel(SpecConfig(nodes=3, bounds=Bounds(max_term=2))), True)):
        run = search(model, symmetry=symmetry)
        assert run.result.outcome is Outcome.HOLDS
        assert len(run.store) == run.result.stats.distinct
        assert run.store.nbytes / len(run.store) <= 16
        assert run.store.nbytes / len(run.store) >= 12  # fingerprint + link at least


def test_duplicates_of_old_levels_are_found_in_the_batch_check():
    """A state met again three or more levels after it was kept is only in the older levels'
    arrays, not in the recent sets: the batch check must catch it (or it is counted twice)."""

    class Cycle(Model):
        def initial_states(self):
            return [0]

        def successors(self, state):  # 0 -> 1 -> ... -> 5 -> 0: every state once
            return [("next", (state + 1) % 6, None)]

        def check_state(self, state):
            return None

        def variables(self, state):
            return {"x": state}

    result = breadth_first(Cycle())
    assert result.outcome is Outcome.HOLDS
    assert result.stats.distinct == 6 and result.stats.depth == 6


class Budgets(Model):
    """States ("name", budget used): no steps; only what the store does with budgets."""

    budget_start = 1

    def initial_states(self):
        return []

    def successors(self, state):
        return []

    def check_state(self, state):
        return None

    def variables(self, state):
        return {}


def test_budget_subsumption_skips_a_covered_state_and_keeps_an_uncovered_one():
    store = LevelStore(Budgets())
    assert store.offer(("s", 1, 2), 0, 0)
    assert not store.offer(("s", 1, 3), 0, 0)  # more of the second budget used: covered
    assert store.offer(("s", 2, 1), 0, 0)  # more of one, less of the other: kept
    assert store.offer(("t", 0, 0), 0, 0)  # another state
    store.close_level()
    for _ in range(3):  # three levels later, only the arrays remember
        store.close_level()
    alive_before = store.tentative()
    assert store.offer(("s", 1, 2), 0, 0) and store.offer(("s", 0, 2), 0, 0)
    assert store.tentative() == alive_before + 2
    alive, _ = store.close_level()
    assert alive.tolist() == [False, True]  # the equal one is old, the one using less is new


def test_with_disk_one_level_keeps_a_table_and_the_one_before_answers_at_the_end(tmp_path):
    """In memory the last two complete levels answer a candidate at once; with --disk only
    the last (a table of a big level costs hundreds of MB): a state met two levels back is then
    kept tentatively and dropped when the level ends, by the older levels' arrays."""
    for spill, at_once in ((None, True), (tmp_path, False)):
        store = LevelStore(Budgets(), spill)
        assert store.offer(("s", 1), 0, 0)
        store.close_level()
        assert store.offer(("t", 1), 0, 0)
        store.close_level()
        assert len(store.recent) == (2 if spill is None else 1)
        assert store.offer(("s", 2), 0, 0) is not at_once  # covered by ("s", 1)
        assert store.offer(("u", 1), 0, 0)
        alive, _ = store.close_level()
        assert alive.tolist() == ([True] if at_once else [False, True])


def test_disk_spill_keeps_the_counts_and_the_counterexample(tmp_path):
    config = merged_config(nodes=None, mutant="no-step-down")
    in_memory = breadth_first(RaftModel(config), symmetry=True)
    run = search(RaftModel(config), symmetry=True, spill=tmp_path)
    assert run.result.outcome is Outcome.VIOLATED
    assert (run.result.stats.distinct, run.result.stats.generated) == \
        (in_memory.stats.distinct, in_memory.stats.generated)
    assert [s.state for s in run.result.counterexample.steps] == \
        [s.state for s in in_memory.counterexample.steps]
    assert all(isinstance(level.fingerprints, np.memmap) for level in run.store.levels)
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "level00000-fingerprints.npy"
    holds = search(raft_tla(), spill=tmp_path / "holds")
    assert holds.result.outcome is Outcome.HOLDS
    assert holds.result.stats.distinct == breadth_first(raft_tla()).stats.distinct


def test_disk_checks_a_level_a_chunk_at_a_time_and_finds_the_same_violation(tmp_path,
                                                                              monkeypatch):
    """With --disk the survivors of a level are checked against the invariants a chunk at a
    time: the violation found in a later chunk is the one found in memory, with its counts."""
    monkeypatch.setattr(search_module, "CHUNK", 16)
    monkeypatch.setattr(frontier, "CHUNK", 16)
    config = merged_config(nodes=None, mutant="counts-self-twice")
    in_memory = breadth_first(RaftModel(config), symmetry=True)
    run = search(RaftModel(config), symmetry=True, spill=tmp_path)
    assert run.result.counterexample.kind == "state"
    assert len(run.store.levels[-1]) > 16  # the violation's level spans chunks
    assert (run.result.stats.distinct, run.result.stats.generated, run.result.stats.depth) == \
        (in_memory.stats.distinct, in_memory.stats.generated, in_memory.stats.depth)
    assert [s.state for s in run.result.counterexample.steps] == \
        [s.state for s in in_memory.counterexample.steps]


def test_counters_grid_counts_are_exact_through_the_levels():
    result = breadth_first(Counters(limit=12))
    assert result.stats.distinct == 13 * 13 and result.stats.depth == 25




def test_with_disk_the_levels_states_live_in_files_read_back_in_order(tmp_path, monkeypatch):
    """A level's states (built, then expanded) are kept in a file, not in memory; one file (the
    frontier's) is on disk at a level's end, and none after the search."""
    monkeypatch.setattr(frontier, "CHUNK", 64)  # many chunks a level
    config = merged_config(nodes=None, mutant="no-step-down")
    memory_levels: list[list] = []
    in_memory = LevelSearch(RaftModel(config), symmetry=True)
    in_memory.on_level = lambda run: memory_levels.append(list(run.frontier))
    in_memory_result = in_memory.run()
    on_disk = LevelSearch(RaftModel(config), symmetry=True, spill=tmp_path)
    disk_levels: list[list] = []

    def after_level(run: LevelSearch) -> None:
        assert isinstance(run.frontier, frontier.StateFile)
        assert list(tmp_path.glob("*.states")) == [run.frontier.path]
        disk_levels.append(list(run.frontier))
        assert disk_levels[-1] == list(run.frontier)  # read again, the same

    on_disk.on_level = after_level
    result = on_disk.run()
    assert result.outcome is Outcome.VIOLATED
    assert disk_levels == memory_levels[:len(disk_levels)]
    assert max(len(level) for level in disk_levels) > 64
    assert [s.state for s in result.counterexample.steps] == \
        [s.state for s in in_memory_result.counterexample.steps]
    assert not list(tmp_path.glob("*.states"))


def test_a_state_file_gives_back_every_64_bit_state_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(frontier, "CHUNK", 3)
    states = [(-(1 << 63), (1 << 63) - 1, 0), (5, -7, 1 << 40), *[(k, k, k) for k in range(8)]]
    kept = frontier.StateFile(tmp_path / "level.states", 3)
    for state in states:
        kept.append(state)
    assert len(kept) == len(states)
    assert list(kept) == states and list(kept) == states
    kept.remove()
    assert not (tmp_path / "level.states").exists()


def test_the_smaller_met_cache_on_disk_changes_no_count(tmp_path, monkeypatch):
    """--disk remembers fewer exact successors a level (a cache): the same counts."""
    monkeypatch.setattr(search_module, "MET_LIMIT_ON_DISK", 8)
    config = SpecConfig(nodes=3, bounds=Bounds(max_term=2))
    in_memory = breadth_first(RaftModel(config), symmetry=True)
    on_disk = LevelSearch(RaftModel(config), symmetry=True, spill=tmp_path)
    sizes: list[int] = []
    on_disk.on_level = lambda run: sizes.append(len(run._met))
    result = on_disk.run()
    assert max(sizes) == 8
    assert (result.stats.distinct, result.stats.generated, result.stats.depth) == \
        (in_memory.stats.distinct, in_memory.stats.generated, in_memory.stats.depth)


def test_the_window_of_recent_levels_changes_no_level(monkeypatch):
    """Without budgets, the recent levels held in one set are as many as WINDOW lets in: from
    the two every search keeps to every level. Duplicates it does not catch the batch check
    does, so each level holds the same fingerprints and parent links, whatever the window."""
    windows, runs = [], []
    for size in (0, 300, 1 << 40):
        monkeypatch.setattr(visited_module, "WINDOW", size)
        run = LevelSearch(raft_tla())
        tentative: list[int] = []
        close_level = run.store.close_level

        def counted(close_level=close_level, tentative=tentative, store=run.store):
            tentative.append(store.tentative())
            return close_level()

        run.store.close_level = counted
        run.run()
        windows.append(run.store.window)
        runs.append((run, sum(tentative)))
    assert windows[0] == 2 and 2 < windows[1] < len(runs[1][0].store.levels)
    assert windows[2] == len(runs[2][0].store.levels)
    (two, kept_two), (some, kept_some), (every, kept_every) = runs
    assert kept_every == len(every.store) < kept_some < kept_two  # fewer tentative states
    for other in (some, every):
        assert other.stats.distinct == two.stats.distinct
        assert other.stats.generated == two.stats.generated
        assert len(other.store.levels) == len(two.store.levels)
        for mine, theirs in zip(other.store.levels, two.store.levels, strict=True):
            assert np.array_equal(mine.fingerprints, theirs.fingerprints)
            assert np.array_equal(mine.parents, theirs.parents)
