"""The states a search has found, and how each was reached, in 12 to 16 bytes a state.

A search goes level by level (search.py). Each level that is complete is kept as three arrays,
sorted by fingerprint: the fingerprints (8 bytes), the parent links (4 bytes: where the parent
sits in its level, and which shard holds it), and, where the model counts budgets, the budget
vectors (4 bytes). Sorted arrays answer "was this state found before?" for a whole batch at C
speed (numpy's searchsorted), and a parent link is followed by indexing.

Per candidate state, Python's own sets answer for the level being built and the recent levels
before it (where most duplicates of a breadth-first search are found). A candidate they do not
know is kept tentatively; when the level is complete, the batch of tentative ones is checked
against the older levels' arrays at once, and the survivors are the level. Survivors keep their
order, so the result is the one-state-at-a-time search's, exactly. Without budgets, the recent
levels are as many as fit in WINDOW fingerprints (two at least), all in one set: in raft.tla's
state space a state comes back through cycles of up to twenty steps (restarts undo a server's
volatile variables, drops undo sends), and each candidate met again three or more levels later
would cost a tentative entry, a place in the batch and a binary search per older level.

With a spill directory (--disk), each complete level's arrays are written there and mapped
back from the file, so the older levels cost page cache, not memory.

Budget subsumption. A model may end its state tuples with counters of bounded resources used so
far (model.budget_start). Two states equal but for those counters have the same present, and
the one that has used less of every budget can do everything the other can: its future includes
the other's. So a state is skipped when the same state with every counter at most as high was
kept; verdicts and shortest counterexamples are unchanged (the kept one was found first, so no
later). Such stores are keyed by the fingerprint of the budget-free part, with the counters
packed one byte a lane. A model may also say that a state is a restricted form of another
(model.lifted: for Raft, a partitioned network is the whole network with some deliveries
forbidden): then a state is skipped too when its lifted form was kept with no more budget used.
Coverage is transitive, so checking a batch against older levels after the fact skips exactly
the states a one-at-a-time check would.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .model import Model

LANE = 8  # bits per budget counter in a packed budget vector
LIMIT = 1 << (LANE - 1)  # counters stay below this, so lane-wise comparison is exact
FINGERPRINT = np.int64
#: Without budgets: the fingerprints of the recent complete levels held in one Python set (about
#: 60 bytes each) while they number at most this many; the last two levels always are. Shards
#: of a search shared among processes each hold a part of it (shard.py).
WINDOW = 1 << 21
#: The same with --disk, which trades time for memory.
WINDOW_ON_DISK = 1 << 18
#: With budgets: how many complete levels keep a dict of their states (about 90 bytes a state)
#: for candidates to be looked up in one by one; older ones answer in one batch at the level's
#: end. With --disk one: a candidate met only two levels back then costs a tentative entry
#: instead (about 120 bytes, and fewer of them than the states of a level).
RECENT_TABLES = 2
RECENT_TABLES_ON_DISK = 1


class BudgetOverflow(ValueError):
    """A budget counter reached 128: far beyond any bound a search can explore."""


def pack_counters(counters: tuple[int, ...]) -> int:
    """Budget counters as one packed budget vector, LANE bits a counter (first counter lowest)."""
    used = 0
    for lane, count in enumerate(counters):
        used |= count << (lane * LANE)
    return used


def covers(kept: int, used: int, high: int) -> bool:
    """kept <= used in every lane: no lane of (used with its top bit set) - kept borrows."""
    return ((used | high) - kept) & high == high


class RecentLevels:
    """The fingerprints of the last complete levels, in one Python set, as many levels as fit
    in `limit` fingerprints (two at least), and those the level being built adds as it goes.

    A candidate is then looked up once, whatever level it was met in. Each complete level
    names the fingerprints it put in the set (close); when the set holds more than the limit,
    the oldest levels leave it whole, so it always holds every level since the oldest one in
    it. A fingerprint may leave with an older level than the one that put it in (the same
    state met again): then it is met again later, which costs time, never a state."""

    def __init__(self, limit: int) -> None:
        self.seen: set[int] = set()
        self.limit = limit
        self._members: deque[tuple[Iterable[int] | np.ndarray, ...]] = deque()  # oldest first

    def __len__(self) -> int:
        """How many complete levels the set holds."""
        return len(self._members)

    def close(self, *members: Iterable[int] | np.ndarray) -> None:
        """The level being built is complete; these are what it put in the set (already in)."""
        self._members.append(members)
        seen = self.seen
        while len(self._members) > 2 and len(seen) > self.limit:
            for put in self._members.popleft():
                seen.difference_update(put.tolist() if isinstance(put, np.ndarray) else put)

    def refill(self, levels: list[np.ndarray]) -> None:
        """Hold the last of these complete levels (oldest first) as fit (a resumed search)."""
        self.seen.clear()
        self._members.clear()
        taken: list[np.ndarray] = []
        for fingerprints in reversed(levels):
            if len(taken) >= 2 and len(self.seen) + len(fingerprints) > self.limit:
                break
            self.seen.update(fingerprints.tolist())
            taken.append(fingerprints)
        self._members.extend((fingerprints,) for fingerprints in reversed(taken))


class Level:
    """One complete level of one shard: arrays sorted by fingerprint (or budget-free key)."""

    __slots__ = ("fingerprints", "parents", "used")

    def __init__(self, fingerprints: np.ndarray, parents: np.ndarray,
                 used: np.ndarray | None) -> None:
        self.fingerprints = fingerprints
        self.parents = parents
        self.used = used

    def __len__(self) -> int:
        return len(self.fingerprints)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.fingerprints, self.parents, self.used)
                   if a is not None)


class LevelStore:
    """One shard's visited set and parent links (see the module docstring).

    Per level: offer() each candidate in search order; the caller keeps those it returns True
    for, in order; close_level() returns which of them survive and where each sits in the
    level's arrays (its index, for the parent links of its successors). Without budgets a
    caller may instead hand the level's distinct candidates over at once (keep_batch), having
    looked each up in the window of recent levels itself (recent.seen): they are then checked
    against the older levels when it closes. `share`: the part of WINDOW this store's window
    holds (a shard's part of a search shared among processes)."""

    def __init__(self, model: Model, spill: Path | None = None, share: float = 1.0) -> None:
        self.start = model.budget_start
        self.lifted: Callable | None = model.lifted if self.start is not None else None
        self.spill = spill
        if spill is not None:
            spill.mkdir(parents=True, exist_ok=True)
        self.levels: list[Level] = []
        self._high = 0  # the top bit of every lane, set with the first budget vector
        self._lanes = 0
        self._packed: dict[tuple, int] = {}  # counters -> packed budget vector
        # Without budgets: the fingerprints of this level's tentative states and of the recent
        # complete levels (see WINDOW).
        limit = WINDOW if spill is None else WINDOW_ON_DISK
        self.recent_levels = RecentLevels(max(int(limit * share), 1))
        self.seen = self.recent_levels.seen
        self.open_level()
        self.recent: list = []  # with budgets: the dicts of the last complete levels
        self.recent_tables = RECENT_TABLES if spill is None else RECENT_TABLES_ON_DISK

    # --- the level being built --------------------------------------------------------------

    def open_level(self) -> None:
        self.now: dict[int, int | list[int]] = {}  # with budgets: this level's vectors
        # 8 bytes an entry, not a pointer and an int object: the largest levels are millions
        self._fingerprints: array | np.ndarray = array("q")
        self._parents: array | np.ndarray = array("Q")
        self._used = array("Q")
        self._lift_keys = array("q")
        self._batch = False  # kept by keep_batch
        self._met: np.ndarray | None = None  # what the keep_batch caller put in the window

    def offer(self, state: tuple, fingerprint: int, parent: int) -> bool:
        """Keep the state tentatively unless it (or one that covers it) is in this level or
        a recent one; True if kept."""
        if self.start is None:
            if fingerprint in self.seen:
                return False
            self.seen.add(fingerprint)
            self._fingerprints.append(fingerprint)
            self._parents.append(parent)
            return True
        return self._offer_budget(state, parent)

    def _pack(self, counters: tuple) -> int:
        used = self._packed.get(counters)
        if used is not None:
            return used
        for count in counters:
            if count >= LIMIT:
                raise BudgetOverflow(f"budget counter {count} too large (at most {LIMIT - 1})")
        used = pack_counters(counters)
        if not self._high:
            self._lanes = len(counters)
            self._high = sum(LIMIT << (lane * LANE) for lane in range(len(counters)))
        self._packed[counters] = used
        return used

    def _offer_budget(self, state: tuple, parent: int) -> bool:
        start = self.start
        key = hash(state[:start])
        counters = state[start:]
        used = self._packed.get(counters)
        if used is None:
            used = self._pack(counters)
        high = self._high
        lift_key = 0
        if self.lifted is not None:
            lifted = self.lifted(state)
            if lifted is not None:
                lift_key = hash(lifted)
        now = self.now
        for table in (now, *self.recent):
            kept = table.get(key)
            if kept is not None:
                if isinstance(kept, int):
                    if ((used | high) - kept) & high == high:
                        return False
                elif any(((used | high) - other) & high == high for other in kept):
                    return False
            if lift_key:
                kept = table.get(lift_key)
                if kept is not None:
                    if isinstance(kept, int):
                        if ((used | high) - kept) & high == high:
                            return False
                    elif any(((used | high) - other) & high == high for other in kept):
                        return False
        kept = now.get(key)  # type: ignore[union-attr]
        if kept is None:
            now[key] = used  # type: ignore[index]
        elif isinstance(kept, int):
            now[key] = used if covers(used, kept, high) else [kept, used]  # type: ignore[index]
        else:
            kept[:] = [o for o in kept if not covers(used, o, high)]
            kept.append(used)
        self._fingerprints.append(key)
        self._parents.append(parent)
        self._used.append(used)
        self._lift_keys.append(lift_key)
        return True

    def plain_offer(self) -> tuple:
        """offer() without budgets, taken apart for a search loop to inline (a call per
        candidate is a fifth of the loop): (the set of this level's and the recent levels'
        fingerprints, and the appends for a kept fingerprint and its parent link). A candidate
        is new when it is not in the set; then it is added to it and both appends are called."""
        seen = self.seen
        return seen, seen.add, self._fingerprints.append, self._parents.append

    def keep_batch(self, fingerprints: np.ndarray, parents: np.ndarray, met: np.ndarray
                   ) -> None:
        """Without budgets: keep these distinct fingerprints (with their parent links) as the
        level's tentative states, none of them in the window (self.seen); close_level checks
        them against the older levels. met: the fingerprints the caller put in the window
        while finding this level (they leave it with this level)."""
        self._fingerprints, self._parents = fingerprints, parents  # type: ignore[assignment]
        self._batch, self._met = True, met

    def tentative(self) -> int:
        """How many states this level holds so far (before the check against older levels)."""
        return len(self._fingerprints)

    def close_level(self) -> tuple[np.ndarray, np.ndarray]:
        """End the level: (which tentative states survive the check against older levels,
        as a bool array; the index of each survivor in the level's arrays)."""
        keys = np.asarray(self._fingerprints, dtype=FINGERPRINT)
        used = np.asarray(self._used, dtype=np.uint64) if self.start is not None else None
        alive = self._not_found_before(keys, used)
        kept = keys[alive]
        order = np.argsort(kept, kind="stable")
        parents = np.asarray(self._parents, dtype=np.uint64)[alive][order]
        if len(parents) and int(parents.max()) < 1 << 32:
            parents = parents.astype(np.uint32)
        level_used = None
        if used is not None:
            level_used = used[alive][order]
            if self._lanes <= 4:
                level_used = level_used.astype(np.uint32)
        level = Level(kept[order], parents, level_used)
        self.levels.append(self._stored(level, len(self.levels)))
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        if self.start is not None:
            self.recent = [self.now, *self.recent][:self.recent_tables]
        elif self._batch:
            # the level's states others found are met from now on too
            self.seen.update(kept.tolist())
            self.recent_levels.close(self.levels[-1].fingerprints, self._met)
        else:
            self.seen.difference_update(keys[~alive].tolist())  # kept in an older level
            self.recent_levels.close(self.levels[-1].fingerprints)
        self.open_level()
        return alive, position

    @property
    def window(self) -> int:
        """How many complete levels the window holds."""
        return len(self.recent_levels)

    def _not_found_before(self, keys: np.ndarray, used: np.ndarray | None) -> np.ndarray:
        """Which candidates no state of the levels before the recent ones covers."""
        alive = np.ones(len(keys), dtype=bool)
        if not len(keys):
            return alive
        recent = self.window if self.start is None else len(self.recent)
        older = self.levels[:max(len(self.levels) - recent, 0)]
        if used is None:
            order = np.argsort(keys)
            ordered = keys[order]
            found = np.zeros(len(keys), dtype=bool)
            for level in older:
                found |= _members(level.fingerprints, ordered)
            alive[order] = ~found
            return alive
        lift = np.asarray(self._lift_keys, dtype=FINGERPRINT)
        lifted = lift != 0  # 0: the state has no lifted form
        high = np.uint64(self._high)
        for level in older:
            alive &= ~_covered(level, keys, used, high)
            if lifted.any():
                alive[lifted] &= ~_covered(level, lift[lifted], used[lifted], high)
        return alive

    def _stored(self, level: Level, index: int) -> Level:
        if self.spill is None:
            return level
        arrays = []
        for name in ("fingerprints", "parents", "used"):
            array = getattr(level, name)
            if array is None:
                arrays.append(None)
                continue
            path = self.spill / f"level{index:05d}-{name}.npy"
            np.save(path, array)
            arrays.append(np.load(path, mmap_mode="r"))
        return Level(*arrays)

    # --- checkpoints --------------------------------------------------------------------------

    def restore(self, levels: list[Level], lanes: int) -> None:
        """Take these complete levels as the visited set (a resumed search): the last ones
        become the recent sets again."""
        self.levels = [self._stored(level, k) if self.spill is not None else level
                       for k, level in enumerate(levels)]
        if lanes:
            self._lanes = lanes
            self._high = sum(LIMIT << (lane * LANE) for lane in range(lanes))
        self.recent = []  # the last level first
        if self.start is None:
            self.recent_levels.refill([level.fingerprints for level in self.levels])
            self.open_level()
            return
        for level in reversed(self.levels[-self.recent_tables:]):
            keys = level.fingerprints.tolist()
            table: dict[int, int | list[int]] = {}
            for key, used in zip(keys, level.used.tolist(), strict=True):  # type: ignore[union-attr]
                kept = table.get(key)
                if kept is None:
                    table[key] = used
                elif isinstance(kept, int):
                    table[key] = [kept, used]
                else:
                    kept.append(used)
            self.recent.append(table)
        self.open_level()

    @property
    def lanes(self) -> int:
        return self._lanes

    # --- parent links -----------------------------------------------------------------------

    def entry(self, level: int, index: int) -> tuple[int, int, int | None]:
        """(fingerprint or key, parent link, budget vector or None) of a kept state."""
        stored = self.levels[level]
        used = None if stored.used is None else int(stored.used[index])
        return int(stored.fingerprints[index]), int(stored.parents[index]), used

    def unpack(self, used: int) -> tuple[int, ...]:
        """A packed budget vector as the counters."""
        return tuple(used >> (lane * LANE) & (LIMIT - 1) for lane in range(self._lanes))

    def __len__(self) -> int:
        return sum(len(level) for level in self.levels)

    @property
    def nbytes(self) -> int:
        """Bytes held by the complete levels' arrays (the two recent sets not counted)."""
        return sum(level.nbytes for level in self.levels)


def _members(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which keys are in sorted_keys (keys themselves sorted: a merge, not random probes)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    index = np.searchsorted(sorted_keys, keys)
    index[index == len(sorted_keys)] = 0
    return sorted_keys[index] == keys


def _covered(level: Level, keys: np.ndarray, used: np.ndarray, high: np.uint64) -> np.ndarray:
    """Which (key, used) pairs a row of the level with the same key and no more used covers."""
    found = np.zeros(len(keys), dtype=bool)
    stored = level.fingerprints
    if not len(stored) or not len(keys):
        return found
    low = np.searchsorted(stored, keys, side="left")
    top = np.searchsorted(stored, keys, side="right")
    rows = level.used.astype(np.uint64)  # type: ignore[union-attr]
    offset = 0
    while True:
        index = low + offset
        present = index < top
        if not present.any():
            return found
        at = index[present]
        kept = rows[at]
        wanted = used[present]
        found[present] |= ((wanted | high) - kept) & high == high
        offset += 1
