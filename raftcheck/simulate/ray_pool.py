"""`simulate --engine ray`: the walks of each generation on a Ray cluster.

A walk needs no shared visited set, so the cluster only carries walk numbers out and walk
records back: one actor per worker holds its own copy of the model (whose caches make walks
fast) and of the milestones (engine._Walks, the same class the local worker processes run),
applies each generation's milestone updates, then walks the chunks of walk numbers it is
handed. Since walk i depends only on the seed, i and the milestones at its generation's start
(engine.py), the report equals the one-process run's, on any cluster, with any number of
actors.

Ray is an optional extra (pip install 'raftcheck[ray]'), imported only when such a run starts;
without an address a local Ray instance on 127.0.0.1 is started for the run and stopped after.
"""

from __future__ import annotations

import time
from typing import Any

from ..checker.ray_engine import join_ray
from .milestones import Updates


class WalkActor:
    """One worker's walks (wrapped by ray.remote at run time)."""

    def __init__(self, walks: Any) -> None:
        self.walks = walks  # engine._Walks: the model, the seed, the depth, the milestones

    def apply(self, updates: Updates) -> None:
        self.walks.apply(updates)

    def run(self, low: int, high: int) -> list:
        return [self.walks.run(index) for index in range(low, high)]


class RayPool:
    """engine._Pool's interface, on Ray actors."""

    def __init__(self, walks: Any, count: int, chunk: int, address: str | None) -> None:
        ray, self.started_here = join_ray(count, address)
        self.ray = ray
        self.chunk = chunk
        try:
            remote = ray.remote(num_cpus=1)(WalkActor)
            walks_ref = ray.put(walks)
            self.actors = [remote.remote(walks_ref) for _ in range(count)]
        except BaseException:
            self.close()
            raise

    def generation(self, number: int, updates: Updates, low: int, high: int,
                   deadline: float | None) -> tuple[list, bool]:
        """Run walks low..high-1; their records, and whether all came in before the deadline.
        An actor runs its calls in the order this process made them: the updates first."""
        ray = self.ray
        for actor in self.actors:
            actor.apply.remote(updates)
        pending = [self.actors[k % len(self.actors)].run.remote(start,
                                                               min(start + self.chunk, high))
                   for k, start in enumerate(range(low, high, self.chunk))]
        records: list = []
        while pending:
            wait = None if deadline is None else deadline - time.perf_counter()
            if wait is not None and wait <= 0:
                return records, False
            ready, pending = ray.wait(pending, num_returns=1,
                                      timeout=min(wait, 0.5) if wait is not None else 0.5)
            for ref in ready:
                records += ray.get(ref)
        return records, True

    def close(self) -> None:
        for actor in getattr(self, "actors", []):
            self.ray.kill(actor)
        if self.started_here:
            self.ray.shutdown()
