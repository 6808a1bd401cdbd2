"""Breadth-first search on a Ray cluster: one actor per shard (shard.py), batches through
Ray's object store.

Each level, every actor's expand() returns one object per peer (Ray's num_returns), and so do
decide() (the owners' replies) and moves() (states moved to even out the frontiers); the
driver hands each actor the references to the objects meant for it, and Ray moves them from
the producing node's object store to the consuming one: states never pass through the driver,
which only starts levels, adds up counts and watches the budgets. Counts, depth, verdicts and
the counterexample equal the one-process search's.

Ray is an optional extra (pip install 'raftcheck[ray]'); this module imports it only when a
search runs. Running on a real cluster: docs/scale.md.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from .collector import collect_rarely
from .model import Model
from .result import SearchResult, Statistics
from .search import Budget, ProgressFn
from .shard import Shard, add_up, count_to, sharded_result


class RayMissing(RuntimeError):
    """--engine ray without Ray installed."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissing("--engine ray needs Ray: pip install 'raftcheck[ray]'") from None
    return ray


def join_ray(workers: int, address: str | None) -> tuple[Any, bool]:
    """Ray, joined to the cluster at ``address`` or, without one, to a local instance started
    for this run on 127.0.0.1 with ``workers`` CPUs; and whether this call started or joined it
    (then the caller shuts it down when done). A Ray already initialised is used as it is."""
    ray = _ray()
    if ray.is_initialized():
        return ray, False
    if address is None:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 _node_ip_address="127.0.0.1", logging_level=logging.ERROR)
    else:
        ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    return ray, True


class ShardActor:
    """A shard living in a Ray actor (the class is wrapped by ray.remote at run time)."""

    def __init__(self, model: Model, index: int, count: int, symmetry: bool,
                 spill: str | None) -> None:
        collect_rarely()  # the actor's process only searches
        path = None
        if spill is not None:
            path = Path(spill) / f"shard{index}"
            path.mkdir(parents=True, exist_ok=True)
        self.shard = Shard(model, index, count, symmetry, path)
        self._moves: list | None = None

    def initial_level(self, initial: list) -> Any:
        return self._fanned(self.shard.initial_level(initial))

    def expand(self) -> Any:
        return self._fanned(self.shard.expand())

    def decide(self, *batches: Any) -> Any:
        return self._fanned(self.shard.decide(list(batches)))

    def settle(self, *replies: Any) -> Any:
        return self.shard.settle(list(replies))

    def kept_places(self) -> Any:
        return self.shard.kept_places()

    def set_ranks(self, *places: Any) -> bool:
        """Take the ranks; whether the frontiers are to be evened out (every shard agrees)."""
        self.shard.set_ranks(list(places))
        self._moves = self.shard.moves()
        return self._moves is not None

    def moves(self) -> Any:
        return self._fanned(self._moves)

    def take_moves(self, *batches: Any) -> None:
        self.shard.take_moves(list(batches))

    def _fanned(self, out: list) -> Any:
        """One return per shard (Ray's num_returns): a list, or its one item."""
        return out if len(out) > 1 else out[0]

    def entry(self, level: int, index: int) -> tuple:
        return self.shard.entry(level, index)

    def counts_before(self, place: int, inclusive: bool) -> tuple[int, int]:
        return self.shard.counts_before(place, inclusive)


def ray_breadth_first(
    model: Model,
    *,
    workers: int,
    address: str | None = None,
    symmetry: bool = False,
    budget: Budget | None = None,
    progress: ProgressFn | None = None,
    progress_every: float = 1.0,
    checked: list[str] | None = None,
    spill: Path | None = None,
) -> SearchResult:
    """search.breadth_first on a Ray cluster with `workers` shard actors. address: the
    cluster to join (None: start a local Ray instance for this search)."""
    budget = budget or Budget()
    ray, started_here = join_ray(workers, address)
    try:
        return _run(ray, model, workers, symmetry, budget, progress, progress_every,
                    checked or [], spill)
    finally:
        if started_here:
            ray.shutdown()


def _run(ray: Any, model: Model, workers: int, symmetry: bool, budget: Budget,
         progress: ProgressFn | None, progress_every: float, checked: list[str],
         spill: Path | None) -> SearchResult:
    canonical = model.canonical if symmetry else None
    initial = [canonical(s) if canonical else s for s in model.initial_states()]
    remote = ray.remote(num_cpus=1)(ShardActor)
    plain = model.budget_start is None  # the shards then reply to what they decide
    model_ref = ray.put(model)
    actors = [remote.remote(model_ref, index, workers, symmetry,
                            None if spill is None else str(spill))
              for index in range(workers)]
    fanned = {name: [getattr(actor, name).options(num_returns=workers) for actor in actors]
              for name in ("initial_level", "expand", "decide", "moves")}
    stats = Statistics()
    started = time.perf_counter()
    next_report = started + progress_every
    reason = None
    violation = None

    def per_shard(outs: list) -> list[list]:
        """outs[k][j], what shard k made for shard j (a call of one return gives it bare)."""
        return [[out] for out in outs] if workers == 1 else outs

    def exchange(outs: list) -> list[list]:
        """For each shard j, what every shard k made for it (None from itself)."""
        outs = per_shard(outs)
        return [[None if k == j else outs[k][j] for k in range(workers)]
                for j in range(workers)]

    def close_level(decided: list) -> list:
        """settle, ranks and the evening out of a level whose decide calls returned these."""
        if plain:
            replies = exchange(decided)
            decided = per_shard(decided)
            for j in range(workers):
                replies[j][j] = decided[j][j]
        else:
            replies = [[None] * workers for _ in range(workers)]
        reports = [actor.settle.remote(*replies[j]) for j, actor in enumerate(actors)]
        places = [actor.kept_places.remote() for actor in actors]
        moving = ray.get([actor.set_ranks.remote(*places) for actor in actors])
        reports = ray.get(reports)
        if moving[0]:
            moves = exchange([call.remote() for call in fanned["moves"]])
            ray.get([actor.take_moves.remote(*moves[j]) for j, actor in enumerate(actors)])
        return reports

    try:
        reports = close_level([call.remote(initial) for call in fanned["initial_level"]])
        level = 0
        while True:
            level += 1
            frontier, violation = add_up(stats, reports, level)
            now = time.perf_counter()
            if progress and now >= next_report:
                stats.seconds = now - started
                progress(stats)
                next_report = now + progress_every
            if violation is not None:
                count_to(stats, reports, ray.get([
                    actor.counts_before.remote(violation[0], violation[2] == "state")
                    for actor in actors]))
                break
            if not frontier:
                break
            if budget.seconds is not None and now - started >= budget.seconds:
                reason = "time-limit"
                break
            reason = budget.reached(level, stats.distinct)
            if reason:
                break
            batches = exchange([call.remote() for call in fanned["expand"]])
            reports = close_level([call.remote(*batches[j])
                                   for j, call in enumerate(fanned["decide"])])
    except KeyboardInterrupt:
        reason = "interrupted"
    stats.seconds = time.perf_counter() - started

    def entry(shard: int, depth: int, index: int) -> tuple:
        return ray.get(actors[shard].entry.remote(depth, index))

    result = sharded_result(model, canonical, checked, stats, violation, reason, entry, workers)
    if progress:
        progress(stats)
    return result
