"""What the logs have shown of a Raft log: the terms of some entries, and its length.

Production logs show a node's log by glimpses: the last entry at a vote or a restart, a
conflict's index and terms, the entries of an AppendEntries. A :class:`KnownLog` keeps what the
glimpses so far say about the log *as it is now*, and nothing more: known entries (index ->
term, run-length coded), the exact length where the last glimpse fixed it (valid while the log
cannot have grown unobserved: the checker demotes it to a lower bound when a follower or leader
moves on), and a lower bound. When a
glimpse contradicts what was known (a shorter log, another term at a known index, a term that
could not follow a known one), the log must have changed in between; every operation reports
the lowest index whose known content was removed or replaced (the *cut*), so the checker can ask
whether a committed entry was lost there.

Terms never decrease along a Raft log (a leader appends entries of its own term after the
entries it has), so an entry of term t between known entries of term t has term t too: runs of
one term are merged across gaps.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections.abc import Iterator
from typing import NamedTuple

Run = tuple[int, int, int]  # (first index, last index, term): entries first..last have term
_AFTER_EVERY_INDEX = sys.maxsize  # (i, _AFTER_EVERY_INDEX) sorts after every run from index i


class KnownLog:
    """Immutable and hashable: the known runs, the exact length (None: unknown) and the
    smallest length the log can have (``floor``)."""

    __slots__ = ("_hash", "floor", "length", "runs")

    def __init__(self, runs: tuple[Run, ...] = (), length: int | None = None,
                 floor: int = 0) -> None:
        self.runs = runs
        self.length = length
        top = runs[-1][1] if runs else 0
        self.floor = length if length is not None else max(floor, top)
        self._hash: int | None = None  # worked out when first asked: most logs never are

    # --- reading ------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, KnownLog) and self.runs == other.runs and \
            self.length == other.length and self.floor == other.floor

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.runs, self.length, self.floor))
        return self._hash

    def __len__(self) -> int:
        """The length if known, else the smallest it can be (the spec's functions read it only
        for a leader's nextIndex, which the checker never uses)."""
        return self.floor

    def __getitem__(self, k: int) -> tuple[int, int]:
        """``(term, 0)`` of entry ``k + 1`` (``-1``: the last entry), 0 where unknown: the view
        the spec's functions read (``last_term``); the checker never trusts what it says of
        unknown entries (it compares known last entries itself)."""
        if k == -1:
            last = self.last()
            return (last[1] if last else 0, 0)
        return (self.term_at(k + 1) or 0, 0)

    def __repr__(self) -> str:
        shown = ", ".join(f"{a}..{b}:t{t}" if a != b else f"{a}:t{t}" for a, b, t in self.runs)
        return f"KnownLog([{shown}], length={self.length}, floor={self.floor})"

    def term_at(self, index: int) -> int | None:
        """The term of entry ``index`` if known (0 for index 0: the empty prefix)."""
        if index <= 0:
            return 0
        k = bisect_right(self.runs, (index, _AFTER_EVERY_INDEX)) - 1  # last run from <= index
        if k >= 0:
            _first, last, term = self.runs[k]
            if index <= last:
                return term
        return None

    def last(self) -> tuple[int, int] | None:
        """The last entry (index, term) if both are known."""
        if self.length is None:
            return None
        term = self.term_at(self.length)
        return None if term is None else (self.length, term)

    def demoted(self) -> KnownLog:
        """The same knowledge once the log may have grown unobserved (a follower or leader
        between two lines about it): the length becomes a lower bound."""
        return self if self.length is None else KnownLog(self.runs, None, self.floor)

    def forgetting_below(self, index: int, keep_runs: int = 0) -> KnownLog:
        """The same log with what is known of entries before ``index`` forgotten (and, with
        ``keep_runs``, all but that many of the latest runs): knowledge that other knowledge
        already covers (the committed prefix), or that is too old to matter, so that what is
        kept does not grow with the length of a run. Forgetting only weakens checks."""
        runs = tuple(r for r in self.runs if r[1] >= index)
        if keep_runs and len(runs) > keep_runs:
            runs = runs[-keep_runs:]
        if runs == self.runs:
            return self
        return KnownLog(runs, self.length, self.floor)

    def known(self) -> Iterator[Run]:
        return iter(self.runs)

    # --- changes ------------------------------------------------------------------------
    def ending(self, index: int, term: int) -> tuple[KnownLog, int | None]:
        """The log's last entry is now (index, term); returns the new knowledge and the cut."""
        if self.length == index and self.term_at(index) == term:
            return self, None  # as known
        if index <= 0:
            return EMPTY_LOG, (1 if self.floor else None)
        cut = self._contradicted(index, term)
        if self.floor > index:  # it was longer: entries after index are gone
            cut = min(cut or index + 1, index + 1)
        kept = _below(self.runs, cut)
        return KnownLog(_put(kept, index, index, term), index), cut

    def appended(self, first: int, last: int, term: int) -> tuple[KnownLog, int | None]:
        """Entries first..last now hold ``term`` (AppendEntries accepted, or a leader's own
        append). Entries after them stay unless something known contradicts them."""
        if self.floor >= last and self.term_at(first) == term and self.term_at(last) == term:
            return self, None  # as known (terms never decrease: so is all between)
        cut = None
        for k in (first, last):
            c = self._contradicted(k, term)
            if c is not None:
                cut = c if cut is None else min(cut, c)
        for a, b, t in self.runs:  # a known entry of another term inside first..last
            if t != term and a <= last and b >= first:
                at = max(a, first)
                cut = at if cut is None else min(cut, at)
        kept = _below(self.runs, cut)
        if cut is not None:
            return KnownLog(_put(kept, first, last, term), last), cut
        length = None if self.length is None or self.length > last else last
        if self.length is not None and self.length <= last:
            length = last
        return KnownLog(_put(kept, first, last, term), length, max(self.floor, last)), None

    def entry(self, index: int, term: int) -> tuple[KnownLog, int | None]:
        """Entry ``index`` holds ``term`` (a single glimpse); the log is at least that long."""
        if self.floor >= index and self.term_at(index) == term:
            return self, None  # as known
        cut = self._contradicted(index, term)
        kept = _below(self.runs, cut)
        length = self.length if cut is None else None
        if length is not None and length < index:
            length = None
        floor = index if cut is not None else max(self.floor, index)
        return KnownLog(_put(kept, index, index, term), length, floor), cut

    def truncated(self, keep: int, *, had_more: bool = False) -> tuple[KnownLog, int | None]:
        """Entries after ``keep`` are removed (a conflict): the log now has ``keep`` entries.
        ``had_more``: the line says there were entries to remove."""
        had_more = had_more or self.floor > keep
        return KnownLog(_below(self.runs, keep + 1), keep), keep + 1 if had_more else None

    def with_length(self, length: int) -> tuple[KnownLog, int | None]:
        """The log has exactly ``length`` entries now (a state dump that shows the length)."""
        cut = length + 1 if self.floor > length else None
        return KnownLog(_below(self.runs, length + 1), length), cut

    def shorter_than(self, index: int) -> tuple[KnownLog, int | None]:
        """The log has no entry ``index`` (an AppendEntries refused for lack of it)."""
        if self.floor < index:
            return self, None
        return KnownLog(_below(self.runs, index), None, 0), index

    def restored(self, index: int, term: int, committed: int) -> tuple[KnownLog, int | None]:
        """The log was replaced by a snapshot ending at entry (index, term) (it did not hold
        that entry: else the snapshot would have been ignored). Entries up to ``committed`` were
        committed, so the snapshot holds them unchanged; anything else known is gone. The cut:
        known entries that cannot stand beside (index, term), or entries after ``index``."""
        cut = self._contradicted(index, term)
        if cut is not None and cut <= committed:
            cut = committed + 1  # what the node knew committed is in the snapshot
        if self.floor > index:
            cut = min(cut or index + 1, index + 1)
        kept = _below(self.runs, min(committed, index) + 1)
        return KnownLog(_put(kept, index, index, term), index), cut

    def rewritten_from(self, index: int) -> KnownLog:
        """Entries from ``index`` on were replaced by entries not shown (possibly the same)."""
        return KnownLog(_below(self.runs, index), None, index - 1)

    def _contradicted(self, index: int, term: int) -> int | None:
        """The lowest known entry that cannot stand beside entry (index, term) in one log."""
        for first, last, t in self.runs:
            if last < index and t > term:
                return first  # a higher term before it
            if first <= index <= last and t != term:
                return index if t < term else first
            if first > index and t < term:
                return first  # a lower term after it
        return None


def _below(runs: tuple[Run, ...], cut: int | None) -> tuple[Run, ...]:
    """The known runs of entries before ``cut``."""
    if cut is None:
        return runs
    out = []
    for first, last, term in runs:
        if first >= cut:
            break
        out.append((first, min(last, cut - 1), term))
    return tuple(out)


def _put(runs: tuple[Run, ...], first: int, last: int, term: int) -> tuple[Run, ...]:
    """``runs`` with entries first..last known to hold ``term`` (no contradiction checked),
    runs of one term merged across the gap between them."""
    if not runs or runs[-1][1] < first:  # after every known entry (most glimpses: a log's end)
        if runs and runs[-1][2] == term:
            return (*runs[:-1], (runs[-1][0], last, term))
        return (*runs, (first, last, term))
    out: list[Run] = []
    placed = False
    for a, b, t in runs:
        if b < first:
            out.append((a, b, t))
        elif a > last:
            if not placed:
                out.append((first, last, term))
                placed = True
            out.append((a, b, t))
        else:  # overlaps: same term (callers cut contradictions first)
            first, last = min(first, a), max(last, b)
    if not placed:
        out.append((first, last, term))
        out.sort()
    merged: list[Run] = []
    for a, b, t in out:
        if merged and merged[-1][2] == t:
            merged[-1] = (merged[-1][0], b, t)
        else:
            merged.append((a, b, t))
    return tuple(merged)


EMPTY_LOG = KnownLog((), 0)


def first_disagreement(a: KnownLog, b: KnownLog) -> int | None:
    """LogMatching between two logs: if both hold an entry of the same index and term, they are
    identical up to it. The lowest index at which both are known, differ, and lie below an
    entry they share; None if there is none."""
    ra, rb = a.runs, b.runs
    if not ra or not rb:
        return None
    shared_top = 0
    differ = 0
    i = j = 0
    na, nb = len(ra), len(rb)
    while i < na and j < nb:
        a0, a1, at = ra[i]
        b0, b1, bt = rb[j]
        lo = a0 if a0 > b0 else b0
        hi = a1 if a1 < b1 else b1
        if lo <= hi:
            if at == bt:
                shared_top = hi
            elif not differ:
                differ = lo
        if a1 < b1:
            i += 1
        else:
            j += 1
    return differ if differ and differ < shared_top else None


class Committed(NamedTuple):
    """What is known committed, cluster-wide: the committed prefix as a KnownLog (its floor is
    the highest index known committed; its runs the known terms), and ``marks``: increasing
    (term, index) pairs — entries up to index were committed by a leader of that term or an
    earlier one."""

    log: KnownLog
    marks: tuple[tuple[int, int], ...]

    def committed_before(self, term: int) -> int:
        """The highest index known committed by a leader of a term below ``term``."""
        best = 0
        for t, index in self.marks:
            if t < term:
                best = max(best, index)
        return best

    def with_commit(self, index: int, term: int) -> Committed:
        """Entries up to ``index`` are committed, by ``term`` at the latest."""
        marks = [m for m in self.marks if not (m[0] >= term and m[1] <= index)]
        if not any(t <= term and i >= index for t, i in marks):
            marks.append((term, index))
        marks.sort()
        log = self.log if self.log.floor >= index else KnownLog(self.log.runs, None, index)
        return Committed(log, tuple(marks))

    def forget_before(self, term: int) -> Committed:
        """Marks of terms below ``term`` matter only through the last of them."""
        older = [m for m in self.marks if m[0] < term]
        if len(older) <= 1:
            return self
        top = max(older, key=lambda m: m[1])
        return self._replace(marks=tuple(sorted({top, *(m for m in self.marks
                                                          if m[0] >= term)})))


NOTHING_COMMITTED = Committed(KnownLog(), ())
