"""Milestones: states kept per budget level, from which later walks start.

The scopes are bounded by budgets: so many elections, client writes, restarts, partitions. A
walk that spends its elections badly (two candidates splitting the vote, a timeout in the
middle of an election) has nothing left for the interleaving a bug needs, and starting every
walk from the initial state asks luck to get every step right at once. So each time a walk
first reaches a higher budget level (the sum of the budget counters its state has used), the
state is a candidate milestone, and so is a state within a level with a part no milestone had
(walk.py). A level here is the vector of counters (writes used, elections used, ...), not their
sum: a state that has both writes done and an election left is not sampled against the many
of the same sum that spent an election on a split vote. Up to KEEP per level are kept by
reservoir sampling (a fair sample of all the candidates so far), up to NOVEL for novelty, and
most walks start from a milestone: a sum chosen with weight sum + 1 (deeper progress a little
more often), a level of that sum, a pool, a milestone. Progress made by one walk is then kept
for the next, the way a fuzzer keeps the inputs that reached somewhere new.

A milestone is kept as a path (walk.Path), so any process can replay it to its state, and the
sample depends only on the seed and the order of the walks: candidates are offered generation
by generation, in walk order, whichever process walked them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .walk import Path

#: Milestones kept per budget level by reservoir sampling.
KEEP = 256
#: Milestones kept per budget level for novelty, at most.
NOVEL = 4096
#: The share of walks that start from an initial state instead of a milestone.
FROM_INITIAL = 0.25

#: A budget level: the counters of a state (model.budget_start onwards).
Level = tuple[int, ...]
#: A pool of milestones: (budget level, "sample" or "novel").
Pool = tuple[Level, str]
Update = tuple[Pool, int, int, Path]  # pool, slot, id, path
#: What changed in a generation: the milestones kept, and the (level, feature) pairs met.
Updates = tuple[list[Update], list[tuple[Level, int]]]


@dataclass
class Snapshot:
    """The milestones as the walks of one generation see them: per pool, the ids of the kept
    paths; every process holds a copy and applies the same updates."""

    pools: dict[Pool, list[int]] = field(default_factory=dict)
    paths: dict[int, Path] = field(default_factory=dict)
    #: (level, feature) pairs some milestone had: a walk offers a state with another as a
    #: milestone of its level (walk.py)
    features: set[tuple[Level, int]] = field(default_factory=set)

    def apply(self, updates: Updates) -> list[int]:
        """Apply the (pool, slot, id, path) updates and the features met; returns the ids no
        longer kept."""
        kept_updates, features = updates
        self.features.update(features)
        dropped = []
        for pool, slot, key, path in kept_updates:
            kept = self.pools.setdefault(pool, [])
            if slot == len(kept):
                kept.append(key)
            else:
                dropped.append(kept[slot])
                del self.paths[kept[slot]]
                kept[slot] = key
            self.paths[key] = path
        return dropped

    def choose(self, rng: random.Random) -> tuple[int, Path] | None:
        """Where a walk starts: a milestone (its id and path), or None for an initial state.
        A sum of budgets first (weighted sum + 1), then a level of that sum, then one of its
        pools, then a milestone of it."""
        if not self.pools or rng.random() < FROM_INITIAL:
            return None
        totals = sorted({sum(level) for level, _ in self.pools})
        total = rng.choices(totals, [t + 1 for t in totals])[0]
        level = rng.choice(sorted({level for level, _ in self.pools if sum(level) == total}))
        pool = rng.choice(sorted(p for p in self.pools if p[0] == level))
        kept = self.pools[pool]
        key = kept[rng.randrange(len(kept))]
        return key, self.paths[key]


class Milestones:
    """The coordinator's side: offers candidates in walk order and says what changed.

    Two pools per level. The sample: KEEP candidates by reservoir sampling, a fair picture of
    where walks get. The novel: every candidate with a feature (a part of its state, such as
    one server's variables) no milestone of its level had before, up to NOVEL; once full, a new
    one replaces one at random, so novelty found late still gets in. A state that is rare among
    the walks' (a leader in a late term still holding an old entry) is as likely a start as a
    common one."""

    def __init__(self, seed: int, keep: int | None = None) -> None:
        self.rng = random.Random(f"milestones:{seed}")
        self.keep = KEEP if keep is None else keep
        self.offered: dict[Level, int] = {}  # level -> candidates offered so far
        self.sampled: dict[Level, list[int]] = {}  # level -> fingerprints in the sample
        self.features: set[tuple[Level, int]] = set()  # (level, feature) seen in a milestone
        self.novel: dict[Level, int] = {}  # level -> novel milestones offered
        self.next_id = 0
        self.pending: list[Update] = []
        self.new_features: list[tuple[Level, int]] = []

    def offer(self, level: Level, fingerprint: int, features: tuple[int, ...], path: Path,
              sample: bool = True) -> None:
        """A candidate: one that reached a new level (sample), or one met within a level for
        a feature its walk had not seen a milestone have (sample=False: novelty only)."""
        fresh = [(level, f) for f in features if (level, f) not in self.features]
        if fresh:
            self.features.update(fresh)
            self.new_features += fresh
            kept = self.novel.get(level, 0)
            slot = kept if kept < NOVEL else self.rng.randrange(NOVEL)
            self._keep((level, "novel"), slot, path)
            self.novel[level] = kept + 1
        if not sample:
            return
        sample = self.sampled.setdefault(level, [])
        if fingerprint in sample:
            return
        count = self.offered[level] = self.offered.get(level, 0) + 1
        if len(sample) < self.keep:
            slot = len(sample)
            sample.append(fingerprint)
        else:
            slot = self.rng.randrange(count)
            if slot >= self.keep:
                return
            sample[slot] = fingerprint
        self._keep((level, "sample"), slot, path)

    def _keep(self, pool: Pool, slot: int, path: Path) -> None:
        self.pending.append((pool, slot, self.next_id, path))
        self.next_id += 1

    def updates(self) -> Updates:
        """The changes since the last call, in order."""
        out = (self.pending, self.new_features)
        self.pending, self.new_features = [], []
        return out
