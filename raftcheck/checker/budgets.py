"""Budget subsumption: skip a state when the same state with more budget left was found.

A model may end its state tuples with counters of bounded resources used so far (client writes,
restarts, elections, ...), naming where they start (model.budget_start). Two states equal but
for those counters have the same present, and the one that has used less of every budget can
still do everything the other can: its future includes the other's. So once a state has been
kept, the same state with every counter at least as high needs no exploring; safety verdicts
and shortest counterexamples are unchanged (the kept one was found first, so no later). For
each budget-free part, the counter vectors kept so far form an antichain (none dominates
another), usually of length one.
"""

from __future__ import annotations

from collections.abc import Hashable


class Coverage:
    def __init__(self, start: int) -> None:
        self.start = start
        self.kept: dict[int, list[tuple]] = {}

    def key(self, state: tuple) -> int:
        """The fingerprint of the budget-free part of the state."""
        return hash(state[:self.start])

    def subsumed(self, state: tuple, key: int | None = None) -> bool:
        """True if a state with no more of any budget used was kept; else keep this one."""
        used = state[self.start:]
        key = self.key(state) if key is None else key
        kept = self.kept.get(key)
        if kept is None:
            self.kept[key] = [used]
            return False
        for other in kept:
            if all(a <= b for a, b in zip(other, used, strict=True)):
                return True
        kept[:] = [o for o in kept if not all(b <= a for a, b in zip(o, used, strict=True))]
        kept.append(used)
        return False


def coverage_for(model: Hashable) -> Coverage | None:
    start = getattr(model, "budget_start", None)
    return None if start is None else Coverage(start)
