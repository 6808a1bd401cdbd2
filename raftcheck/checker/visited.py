"""The states a search has found, and how each was reached, in as little memory as it takes.

Two parts:

- membership: a set of 64-bit fingerprints; or, where the model counts budgets in its states
  (model.budget_start, see below), a map from the fingerprint of the budget-free part to the
  budget vectors kept for it;
- parent links: per level, a compact array of fingerprints and one of their parents' (16 bytes a
  state), searched (at C speed) only along the chain of a counterexample.

Budget subsumption. A model may end its state tuples with counters of bounded resources used so
far (client writes, restarts, elections, ...). Two states equal but for those counters have the
same present, and the one that has used less of every budget can do everything the other can:
its future includes the other's. So once a state is kept, the same state with every counter at
least as high is skipped; verdicts and shortest counterexamples are unchanged (the kept one was
found first, so no later). The vectors kept for one budget-free part form an antichain, nearly
always of length one, packed into one int with a 16-bit lane per counter.

Restrictions. A model may also say that a state is a restricted form of another (model.lifted:
for Raft, a partitioned network is the whole network with some deliveries forbidden; over a lossy
network the whole one can do all the cut one can, one step for one step or none). Then a state
is skipped too when its lifted form was kept with no more budget used.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

from .model import Model

LANE = 16
LIMIT = 1 << (LANE - 1)  # counters stay below this, so lane-wise comparison is exact


class BudgetOverflow(ValueError):
    """A budget counter reached 2^15: far beyond any bound a search can explore."""


class Visited:
    def __init__(self, budget_start: int | None = None,
                 lifted: Callable[[tuple], tuple | None] | None = None) -> None:
        self.start = budget_start
        self.lifted = lifted
        self.fingerprints: set[int] = set()
        self.kept: dict[int, int | list[int]] = {}
        self.levels: list[array] = [array("q")]  # fingerprints, level by level
        self.parents: list[array] = [array("q")]  # their parents' fingerprints
        self._hint = 0  # the level where the next parent lookup will probably succeed
        self._high = 0  # the top bit of every lane, set lazily with the vector length

    def __len__(self) -> int:
        return sum(len(level) for level in self.levels)

    # --- membership -------------------------------------------------------------------------

    def add(self, state: tuple, fingerprint: int, parent: int) -> bool:
        """Keep the state unless it (or one that covers it) was kept; True if kept."""
        if self.start is None:
            if fingerprint in self.fingerprints:
                return False
            self.fingerprints.add(fingerprint)
        elif not self._keep_budget(state):
            return False
        self.levels[-1].append(fingerprint)
        self.parents[-1].append(parent)
        return True

    def _keep_budget(self, state: tuple) -> bool:
        start = self.start
        key = hash(state[:start])
        used = 0
        for lane, count in enumerate(state[start:]):  # type: ignore[misc]
            if count >= LIMIT:
                raise BudgetOverflow(f"budget counter {count} too large")
            used |= count << (lane * LANE)
        high = self._high
        if not high:
            high = self._high = sum(LIMIT << (lane * LANE)
                                    for lane in range(len(state) - start))  # type: ignore
        if self.lifted is not None:
            lifted = self.lifted(state)
            if lifted is not None:
                weaker = self.kept.get(hash(lifted))
                if weaker is not None:
                    for other in (weaker,) if isinstance(weaker, int) else weaker:
                        if ((used | high) - other) & high == high:
                            return False
        kept = self.kept.get(key)
        if kept is None:
            self.kept[key] = used
            return True
        # a <= b in every lane exactly when no lane of (b with its top bit set) - a borrows
        if isinstance(kept, int):
            if ((used | high) - kept) & high == high:  # kept covers used
                return False
            if ((kept | high) - used) & high == high:  # used covers kept: replaces it
                self.kept[key] = used
            else:
                self.kept[key] = [kept, used]
            return True
        for other in kept:
            if ((used | high) - other) & high == high:
                return False
        kept[:] = [o for o in kept if ((o | high) - used) & high != high]
        kept.append(used)
        return True

    # --- levels and parents -----------------------------------------------------------------

    def next_level(self) -> None:
        self.levels.append(array("q"))
        self.parents.append(array("q"))
        self._hint = len(self.levels) - 1

    def __getitem__(self, fingerprint: int) -> int:
        """The parent of a kept state (an initial state is its own parent). Lookups along a
        chain go one level up each time, so each is a search of one level."""
        order = [self._hint, *(k for k in range(len(self.levels) - 1, -1, -1) if k != self._hint)]
        for index in order:
            try:
                position = self.levels[index].index(fingerprint)
            except ValueError:
                continue
            self._hint = max(index - 1, 0)
            return self.parents[index][position]
        raise KeyError(fingerprint)


def visited_for(model: Model) -> Visited:
    start = model.budget_start
    return Visited(start, model.lifted if start is not None else None)
