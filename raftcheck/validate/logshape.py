"""A log whose shape is known but not its contents: the term of every index, run-length coded.

Server logs show a log only by glimpses (the last index and term at a vote, at a restart, at a
conflict). The spec's functions need ``len(log)``, ``log[k]`` and ``last_term(log)``; a
:class:`ShapeLog` answers those in space proportional to the number of distinct terms, not to
the log length, so a long-running cluster does not grow the checker's state. Entries are
``(term, 0)``: the value is never observed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator


class ShapeLog:
    """An immutable, hashable log of ``(term, 0)`` entries stored as runs ``(term, last index)``."""

    __slots__ = ("_hash", "runs")

    def __init__(self, runs: tuple[tuple[int, int], ...] = ()) -> None:
        self.runs = runs
        self._hash = hash(runs)

    def __len__(self) -> int:
        return self.runs[-1][1] if self.runs else 0

    def __getitem__(self, k: int | slice) -> tuple[int, int] | ShapeLog:
        if isinstance(k, slice):
            if k.start not in (None, 0) or k.step not in (None, 1):
                raise IndexError("ShapeLog supports prefix slices only")
            return self.prefix(len(self) if k.stop is None else max(0, min(k.stop, len(self))))
        n = len(self)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(k)
        return (self.runs[bisect_right(self.runs, k, key=_end)][0], 0)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        start = 0
        for term, end in self.runs:
            for _ in range(start, end):
                yield (term, 0)
            start = end

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ShapeLog):
            return self.runs == other.runs
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"ShapeLog({self.runs})"

    def term_at(self, index: int) -> int:
        """The term of the entry at 1-based ``index`` (0 for index 0)."""
        return 0 if index <= 0 else self[index - 1][0]

    def prefix(self, length: int) -> ShapeLog:
        """The first ``length`` entries."""
        runs = self.runs
        r = bisect_left(runs, length, key=_end)  # the run that holds entry ``length``
        if r == len(runs):
            return self
        if runs[r][1] == length:
            return ShapeLog(runs[:r + 1])
        kept = runs[:r]
        if length > (kept[-1][1] if kept else 0):
            kept += ((runs[r][0], length),)
        return ShapeLog(kept)

    def with_entries(self, first: int, last: int, term: int) -> ShapeLog:
        """Entries ``first..last`` now hold ``term`` (later ones are gone); a gap before
        ``first`` is filled with ``term`` too (entries appended unobserved)."""
        base = self.prefix(min(len(self), first - 1))
        runs = list(base.runs)
        if runs and runs[-1][0] == term:
            runs[-1] = (term, last)
        elif last > len(base):
            runs.append((term, last))
        return ShapeLog(tuple(runs))

    def ending(self, index: int, term: int) -> ShapeLog:
        """This log changed so that its last entry is ``index`` of ``term``: unchanged if it
        already is, else the entries from the first one that must differ are replaced."""
        if len(self) == index and self.term_at(index) == term:
            return self
        if not index:
            return ShapeLog()
        keep = min(len(self), index - 1)
        runs = self.runs
        r = bisect_left(runs, keep, key=_end)  # the run that holds entry ``keep``
        while keep > 0 and runs[r][0] > term:  # terms never decrease along a log
            r -= 1
            keep = runs[r][1] if r >= 0 else 0
        return self.prefix(keep).with_entries(keep + 1, index, term)


def _end(run: tuple[int, int]) -> int:
    return run[1]
