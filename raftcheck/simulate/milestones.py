"""Milestones: states kept per budget level, from which later walks start.

The scopes are bounded by budgets: so many elections, client writes, restarts, partitions. A
walk that spends its elections badly (two candidates splitting the vote, a timeout in the
middle of an election) has nothing left for the interleaving a bug needs, and starting every
walk from the initial state asks luck to get every step right at once. So each time a walk
first reaches a higher budget level (the sum of the budget counters its state has used), the
state is a candidate milestone; up to KEEP per level are kept by reservoir sampling (a fair
sample of all the candidates so far), and most walks start from a milestone of a level chosen
uniformly. Progress made by one walk is then kept for the next, the way a fuzzer keeps the
inputs that reached somewhere new.

A milestone is kept as a path (walk.Path), so any process can replay it to its state, and the
sample depends only on the seed and the order of the walks: candidates are offered generation
by generation, in walk order, whichever process walked them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .walk import Path

#: Milestones kept per budget level.
KEEP = 256
#: The share of walks that start from an initial state instead of a milestone.
FROM_INITIAL = 0.25


@dataclass
class Snapshot:
    """The milestones as the walks of one generation see them: per level, the ids of the kept
    paths; every process holds a copy and applies the same updates."""

    levels: dict[int, list[int]] = field(default_factory=dict)
    paths: dict[int, Path] = field(default_factory=dict)

    def apply(self, updates: list[tuple[int, int, int, Path]]) -> list[int]:
        """Apply (level, slot, id, path) updates; returns the ids no longer kept."""
        dropped = []
        for level, slot, key, path in updates:
            kept = self.levels.setdefault(level, [])
            if slot == len(kept):
                kept.append(key)
            else:
                dropped.append(kept[slot])
                del self.paths[kept[slot]]
                kept[slot] = key
            self.paths[key] = path
        return dropped

    def choose(self, rng: random.Random) -> tuple[int, Path] | None:
        """Where a walk starts: a milestone (its id and path), or None for an initial state."""
        if not self.levels or rng.random() < FROM_INITIAL:
            return None
        kept = self.levels[rng.choice(sorted(self.levels))]
        key = kept[rng.randrange(len(kept))]
        return key, self.paths[key]


class Milestones:
    """The coordinator's side: offers candidates in walk order and says what changed."""

    def __init__(self, seed: int, keep: int | None = None) -> None:
        self.rng = random.Random(f"milestones:{seed}")
        self.keep = KEEP if keep is None else keep
        self.offered: dict[int, int] = {}  # level -> candidates offered so far
        self.kept: dict[int, list[int]] = {}  # level -> fingerprints of the kept states
        self.next_id = 0
        self.pending: list[tuple[int, int, int, Path]] = []

    def offer(self, level: int, fingerprint: int, path: Path) -> None:
        kept = self.kept.setdefault(level, [])
        if fingerprint in kept:
            return
        count = self.offered[level] = self.offered.get(level, 0) + 1
        if len(kept) < self.keep:
            slot = len(kept)
            kept.append(fingerprint)
        else:
            slot = self.rng.randrange(count)
            if slot >= self.keep:
                return
            kept[slot] = fingerprint
        self.pending.append((level, slot, self.next_id, path))
        self.next_id += 1

    def updates(self) -> list[tuple[int, int, int, Path]]:
        """The changes since the last call, in order."""
        out, self.pending = self.pending, []
        return out
