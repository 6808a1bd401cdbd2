"""Test helper: the shards of a search driven in this process, one after another, in the
order parallel.py's workers take their steps, so a test can read every shard's visited set
(the worker processes keep theirs to themselves)."""

from __future__ import annotations

from raftcheck.checker.model import Model
from raftcheck.checker.shard import Shard


def run_shards(make_model, count: int, symmetry: bool = False) -> list[Shard]:
    """A whole search with `count` shards, each with its own model (as each worker has)."""
    shards = [Shard(make_model(), index, count, symmetry) for index in range(count)]
    first: Model = shards[0].model
    canonical = first.canonical if symmetry else None
    initial = [canonical(s) if canonical else s for s in first.initial_states()]

    def exchange(outgoing: list[list]) -> list[list]:
        """outgoing[k][j]: what shard k sends j; for each j, what every k sent it."""
        return [[None if k == j else outgoing[k][j] for k in range(count)]
                for j in range(count)]

    def close_level(decided: list[list]) -> int:
        replies = exchange(decided)
        for j in range(count):
            replies[j][j] = decided[j][j]
        reports = [shard.settle(replies[j]) for j, shard in enumerate(shards)]
        places = [shard.kept_places() for shard in shards]
        for shard in shards:
            shard.set_ranks(places)
        moves = [shard.moves() for shard in shards]
        if moves[0] is not None:
            for shard, arrived in zip(shards, exchange(moves), strict=True):
                shard.take_moves(arrived)
        assert all(r.violation is None for r in reports), "a model that holds was expected"
        return sum(r.frontier for r in reports)

    frontier = close_level([shard.initial_level(initial) for shard in shards])
    while frontier:
        batches = exchange([shard.expand() for shard in shards])
        frontier = close_level([shard.decide(batches[j]) for j, shard in enumerate(shards)])
    return shards


def parents_by_level(shards: list[Shard]) -> list[dict[int, int]]:
    """For each level: fingerprint -> its parent's fingerprint (0 for an initial state), over
    all shards, parent links followed to the shard that holds the parent."""
    count = len(shards)
    levels = len(shards[0].store.levels)
    out: list[dict[int, int]] = []
    for depth in range(levels):
        links: dict[int, int] = {}
        for shard in shards:
            level = shard.store.levels[depth]
            for fingerprint, link in zip(level.fingerprints.tolist(), level.parents.tolist(),
                                         strict=True):
                if depth == 0:
                    links[fingerprint] = 0
                    continue
                owner, index = link % count, link // count
                links[fingerprint] = int(shards[owner].store.levels[depth - 1]
                                         .fingerprints[index])
        out.append(links)
    return out
