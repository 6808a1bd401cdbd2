"""Stretches of a log that repeat its earlier lines, line for line: read once.

A log shipper that delivers at least once resends a batch after a timeout; a log gathered twice
(``journalctl ... >> node2.log`` run again, two exports whose times overlap, ``cat a a``) holds
its lines twice. Read as they stand, the repeated lines are a node going back in time: its term
falls (a false TermMonotonic), it votes twice. A node never writes the same line twice with
its clock gone back, so a repeat is told from an NTP step by the text alone: the line whose time
goes back (by more than the clock's resolution and ``MIN_BACK``) is looked for, byte for byte
with its timestamp, among the log's earlier lines; where found, it and the lines after it
that go on repeating the lines after its first occurrence are a replay, and are not read again.

A line can be repeated legitimately (a message delivered many times in one millisecond is
refused many times): where the first occurrence was the wrong one to follow, the replay breaks
off at the first line that differs, which, its time still gone back, starts the search again;
the two are reported as one.

Limits: a replay whose first line's time is not earlier than the line before it (a repeat
within one second of a whole-second clock) is not seen, and its events are read again; the
first occurrence of the first line is the one followed; each log is searched at most
``MAX_SEARCHES`` times (each search reads the log so far).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from raftcheck.grammar.outcomes import PRECISION_SECONDS
from raftcheck.grammar.wrappers import Lines

MIN_BACK = 0.25
"""Seconds a line's time must go back before a repeat is looked for: goroutines that log at
once put lines up to about 0.1 s out of order in etcd's logs (measured on this project's
recorded runs), and each search reads the log so far."""

MAX_SEARCHES = 32
"""Searches for a repeat per log, at most."""

@dataclass(frozen=True, slots=True)
class Replay:
    """Lines ``first``..``last`` (``(path, line)``) repeat ``of_first``..``of_last``."""

    first: tuple[str, int]
    last: tuple[str, int]
    of_first: tuple[str, int]
    of_last: tuple[str, int]

    @property
    def lines(self) -> int:
        """Lines repeated (within one file; across a rotated log's parts, the first part's)."""
        return self.last[1] - self.first[1] + 1 if self.first[0] == self.last[0] else \
            self.of_last[1] - self.of_first[1] + 1

    def __str__(self) -> str:
        return (f"{_span(self.first, self.last)} repeat {_span(self.of_first, self.of_last)} "
                "line for line and were read once (a log shipper's retry, or a log gathered "
                "twice?)")


def _span(first: tuple[str, int], last: tuple[str, int]) -> str:
    if first == last:
        return f"{first[0]}:{first[1]}"
    if first[0] == last[0]:
        return f"{first[0]}:{first[1]}–{last[1]}"
    return f"{first[0]}:{first[1]}–{last[0]}:{last[1]}"


class ReplayGuard:
    """One log's watch for replays, across its rotated parts. The reader asks
    :meth:`starts` when a line's time goes back by more than :attr:`tolerance`, and
    :meth:`goes_on` for each line while a replay is under way."""

    def __init__(self, lines_of: Callable[[str], Lines]) -> None:
        self._lines_of = lines_of
        self.parts: list[str] = []  # the log's parts read so far, the current one last
        self.found: list[Replay] = []
        self.last_time: datetime | None = None  # the time of the last line read (not a replay's)
        self.replaying = False  # a replay is under way
        self._searches = 0
        self._expected: Iterator[tuple[str, int, str | None]] | None = None
        self._start: tuple[str, int] = ("", 0)
        self._end: tuple[str, int] = ("", 0)
        self._of: tuple[str, int] = ("", 0)
        self._of_end: tuple[str, int] = ("", 0)

    def tolerance(self, precision: str | None) -> timedelta:
        """How far back a line's time must be to be looked for."""
        return timedelta(seconds=max(MIN_BACK, PRECISION_SECONDS.get(precision or "", 0.0)))

    def starts(self, path: str, number: int, text: str) -> bool:
        """Whether line ``number`` of ``path`` (whose time went back) repeats an earlier line
        of the log: then a replay starts with it."""
        if self._searches >= MAX_SEARCHES:
            return False
        self._searches += 1
        earlier = self._earlier(path, number)
        for where, line, seen in earlier:
            if seen == text:
                self._expected, self.replaying = earlier, True
                self._start = self._end = (path, number)
                self._of = self._of_end = (where, line)
                return True
        return False

    def goes_on(self, path: str, number: int, text: str | None) -> bool:
        """Whether this line, during a replay, repeats the next line of what it repeats; if
        not, the replay ends (and is recorded) before it."""
        assert self._expected is not None
        nxt = next(self._expected, None)
        if nxt is not None and text is not None and nxt[2] == text:
            self._end, self._of_end = (path, number), nxt[:2]
            return True
        self.end()
        return False

    def end(self) -> None:
        """The replay under way (if any) ends: recorded."""
        if self._expected is None:
            return
        replay = Replay(self._start, self._end, self._of, self._of_end)
        before = self.found[-1] if self.found else None
        if before is not None and before.last == (self._start[0], self._start[1] - 1):
            # one replay that a repeated line had sent down a wrong track, then found again
            of_first = before.of_first
            if before.first[0] == self._end[0] and of_first[0] == self._of_end[0]:
                of_first = (of_first[0], self._of_end[1] - (self._end[1] - before.first[1]))
            replay = Replay(before.first, self._end, of_first, self._of_end)
            self.found.pop()
        self.found.append(replay)
        close = getattr(self._expected, "close", None)
        if close is not None:
            close()
        self._expected, self.replaying = None, False

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
