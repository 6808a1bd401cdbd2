"""Stretches of a log that repeat its earlier lines, line for line: read once.

A log shipper that delivers at least once resends a batch after a timeout; a log gathered twice
(``journalctl ... >> node2.log`` run again, two exports whose times overlap, ``cat a a``) holds
its lines twice. Read as they stand, the repeated lines are a node going back in time: its term
falls (a false TermMonotonic), it votes twice. A node never writes the same line twice with
its clock gone back, so a repeat is told from an NTP step by the text alone: the line whose time
goes back (by more than the clock's resolution and ``MIN_BACK``) is looked for, byte for byte
with its timestamp, among the log's earlier lines; where found, it and the lines after it
that go on repeating the lines after that earlier one are a replay, and are not read again.

A line can be repeated legitimately (a message delivered many times in one millisecond is
refused many times; etcd 3.4 logs one configuration line three times in one second), so every
earlier line alike the one that went back (its twins, up to ``MAX_TWINS``) is followed side by
side, and the replay goes on while the lines after any of them are repeated; the verdict
names, of the twins followed to the end, the one whose ``CONTEXT`` lines before it are most
like the lines before the repeat (a stretch resent whole repeats those too). Where a replay
breaks off and the next line, its time still gone back, starts another (two stretches resent
together), the two are two replays.

A line whose time goes back to the log's first time or before it is looked for too, however
little it goes back, on clocks finer than whole seconds: a log that lived less than the
tolerance (a server killed at once) gathered twice goes back that little. (Within a whole
second a log repeats lines of its own, timestamp and all: etcd 3.4 logs one configuration
line three times in its first second.)

Limits: a replay whose first line's time goes back less than the tolerance, and not to the
log's start (a repeat within one second of a whole-second clock), is not seen, and its events
are read again; a log's searches read at most ``MAX_SCANNED`` lines in all (each search reads
the log so far, twice where a repeat is found).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from raftcheck.grammar.outcomes import PRECISION_SECONDS
from raftcheck.grammar.wrappers import Lines

MIN_BACK = 0.25
"""Seconds a line's time must go back before a repeat is looked for: goroutines that log at
once put lines up to about 0.1 s out of order in etcd's logs (measured on this project's
recorded runs), and each search reads the log so far."""

MAX_SCANNED = 2_000_000
"""Lines a log's searches for repeats may read in all (each search reads the log so far;
searches near its start, where whole-second clocks go back below its first line, cost
little)."""

MAX_TWINS = 64
"""Earlier lines alike a line that goes back in time, followed side by side (the first ones)."""

MAX_SPREAD = 100_000
"""Lines between the first twin and the others followed (a line's twins carry its timestamp:
they lie close together; the lines between are held while the twins are followed)."""

CONTEXT = 32
"""Lines before a repeat, compared with those before each twin to name the one repeated."""

@dataclass(frozen=True, slots=True)
class Replay:
    """Lines ``first``..``last`` (``(path, line)``) repeat ``of_first``..``of_last``."""

    first: tuple[str, int]
    last: tuple[str, int]
    of_first: tuple[str, int]
    of_last: tuple[str, int]

    def __str__(self) -> str:
        return (f"{_span(self.first, self.last)} repeat {_span(self.of_first, self.of_last)} "
                "line for line and were read once (a log shipper's retry, or a log gathered "
                "twice?)")


def _alike_backwards(a: list[str | None], b: list[str | None]) -> int:
    """How many of the last lines of ``a`` and ``b`` are alike, going back from the last."""
    alike = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        alike += 1
    return alike


def _span(first: tuple[str, int], last: tuple[str, int]) -> str:
    if first == last:
        return f"{first[0]}:{first[1]}"
    if first[0] == last[0]:
        return f"{first[0]}:{first[1]}–{last[1]}"
    return f"{first[0]}:{first[1]}–{last[0]}:{last[1]}"


@dataclass(slots=True)
class _Twin:
    """An earlier line alike the one that went back in time, followed while it matches."""

    place: int  # its place among the log's lines (0: the first)
    at: tuple[str, int]
    alike_before: int  # how many lines before it are alike the lines before the repeat
    last: tuple[str, int]  # the last line of it matched so far


class ReplayGuard:
    """One log's watch for replays, across its rotated parts. The reader asks
    :meth:`starts` when a line's time goes back by more than :meth:`tolerance`, or to the
    log's first time or before, and
    :meth:`goes_on` for each line while a replay is under way."""

    def __init__(self, lines_of: Callable[[str], Lines]) -> None:
        self._lines_of = lines_of
        self.parts: list[str] = []  # the log's parts read so far, the current one last
        self.found: list[Replay] = []
        self.last_time: datetime | None = None  # the time of the last line read (not a replay's)
        self.first_time: datetime | None = None  # the time of the log's first timed line
        self.replaying = False  # a replay is under way
        self._scanned = 0  # lines read by searches
        self._twins: list[_Twin] = []  # the twins still matching
        self._lines: Iterator[tuple[str, int, str | None]] | None = None  # after the first twin
        self._ahead: deque[tuple[str, int, str | None]] = deque()  # read from it, still needed
        self._base = 0  # the place of _ahead[0]
        self._matched = 0  # lines after the first that repeat
        self._start: tuple[str, int] = ("", 0)
        self._end: tuple[str, int] = ("", 0)

    def tolerance(self, precision: str | None) -> timedelta:
        """How far back a line's time must be to be looked for."""
        return timedelta(seconds=max(MIN_BACK, PRECISION_SECONDS.get(precision or "", 0.0)))

    def starts(self, path: str, number: int, text: str) -> bool:
        """Whether line ``number`` of ``path`` (whose time went back) repeats an earlier line
        of the log: then a replay starts with it."""
        if self._scanned >= MAX_SCANNED:
            return False
        recent: deque[str | None] = deque(maxlen=CONTEXT)  # the lines before the one read
        twins: list[tuple[int, tuple[str, int], list[str | None]]] = []
        place = 0
        for place, (where, line, seen) in enumerate(self._earlier(path, number), 1):
            if seen == text and len(twins) < MAX_TWINS and \
                    (not twins or place - twins[0][0] <= MAX_SPREAD):
                twins.append((place - 1, (where, line), list(recent)))
            recent.append(seen)
        self._scanned += place
        if not twins:
            return False
        before = list(recent)
        self._twins = [_Twin(place, at, _alike_backwards(context, before), at)
                       for place, at, context in twins]
        self._lines = self._earlier(path, number)
        first = twins[0][0]
        for _ in range(first + 1):
            next(self._lines)
        self._ahead.clear()
        self._base, self._matched = first + 1, 0
        self._start = self._end = (path, number)
        self.replaying = True
        return True

    def goes_on(self, path: str, number: int, text: str | None) -> bool:
        """Whether this line, during a replay, repeats the line after what the last one
        repeated (for any twin still followed); if not, the replay ends (and is recorded)
        before it."""
        step = self._matched + 1
        matching = []
        for twin in self._twins:
            seen = self._line_at(twin.place + step)
            if seen is not None and text is not None and seen[2] == text:
                twin.last = seen[:2]
                matching.append(twin)
        if not matching:
            self.end()
            return False
        self._twins, self._matched, self._end = matching, step, (path, number)
        while self._ahead and self._base <= matching[0].place + step:  # (no longer needed)
            self._ahead.popleft()
            self._base += 1
        return True

    def _line_at(self, place: int) -> tuple[str, int, str | None] | None:
        """The log's line at ``place`` (None: at or past the replay's own first line)."""
        assert self._lines is not None
        while self._base + len(self._ahead) <= place:
            line = next(self._lines, None)
            if line is None:
                return None
            self._ahead.append(line)
        return self._ahead[place - self._base]

    def end(self) -> None:
        """The replay under way (if any) ends: recorded, as a repeat of the twin followed to
        the end whose lines before it were most like the repeat's (the first of those)."""
        if not self.replaying:
            return
        twin = max(self._twins, key=lambda t: t.alike_before)
        self.found.append(Replay(self._start, self._end, twin.at, twin.last))
        close = getattr(self._lines, "close", None)
        if close is not None:
            close()
        self._lines, self._twins, self.replaying = None, [], False
        self._ahead.clear()

    def _earlier(self, path: str, number: int) -> Iterator[tuple[str, int, str | None]]:
        """The log's lines before line ``number`` of ``path``, oldest first."""
        for part in self.parts:
            lines = self._lines_of(part)
            try:
                for line, text, _problem in lines:
                    if part == path and line >= number:
                        return
                    yield part, line, text
            finally:
                close = getattr(lines, "close", None)
                if close is not None:
                    close()
