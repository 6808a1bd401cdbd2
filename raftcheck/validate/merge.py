"""Several logs, one per node, merged into one order of events.

Within a file, file order is the truth. Across files, the event with the earliest timestamp goes
first; but clocks differ and lines are written a little after the step they describe, so when
an event cannot be explained yet, the engine may first take events of other files that are at
most ``max_skew`` (plus the clock resolution of the event's file) later than it:
:meth:`Merge.candidates` lists them. That searches the orders consistent with causality (a
message is sent before it is received) instead of trusting timestamps. Where a node's
clock is found ahead of the others' by more than that (the engine's ``_pull_beyond_skew``),
its file's later events are merged at their times less what it was found ahead.

A line whose time stands apart from the lines around it (hours ahead or behind, the clock
right again at the next line: a line stamped by another clock, a garbled time) is an
*outlier*: file order says when it happened, between its neighbours. Its time is not taken
for the file's clock, and it is merged by its neighbours' times.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from datetime import datetime

from raftcheck.traces.events import Event, after_others

from .observe import Observes

OUTLIER = 10.0
"""Seconds (beyond the clock's resolution) by which a line's time must stand apart from the
lines around it to be an outlier: lines a few milliseconds out of order are written by threads
that took their time before the lock, and a clock set back moves every later line, not one."""
OUTLIER_LOOK = 16
"""How many lines after a line ahead of its file's clock are looked at for the clock's return."""


class FileQueue:
    """One file's events, read lazily, with a look-ahead buffer."""

    def __init__(self, number: int, path: str, fmt: str, events: Iterator[Event],
                 sees: Observes) -> None:
        self.number, self.path, self.format = number, path, fmt
        self.events = events
        self.observes = sees
        self.precision = sees.precision or 0.0
        self.buffer: deque[Event] = deque()
        self.last_time: datetime | None = None
        # the largest step back of the file's clock beyond its resolution (an NTP correction),
        # in seconds, and the first event after it: lines after a step may have happened that
        # much later than their times say, and are merged with that much more tolerance
        self.step: tuple[float, Event] | None = None
        self.last_event: Event | None = None  # the (first) event whose time is last_time
        self.last_stamp = -math.inf  # last_time as a timestamp
        self._apart_at = math.inf  # a head's timestamp beyond it may be an outlier ahead
        self.apart: Event | None = None  # the head, when key() found it an outlier ahead
        # lines whose times stand apart from their neighbours' (outliers), for the verdict
        self.outliers: list[Event] = []
        # seconds by which the file's clock was found ahead of the others' (the engine learns
        # it where nothing else explains an event: a clock stepped forward, or set apart), and
        # the first event read that much earlier than its time: later events are merged at
        # their time less that much
        self.ahead = 0.0
        self.ahead_from: Event | None = None
        # where the clock was found ahead, then with the others' again: (the first event read
        # earlier, the first at its time again, seconds)
        self.ahead_spans: list[tuple[Event, Event, float]] = []
        self.tolerance = self.precision  # (the merge's: its clock skew allowed, and this)
        self.first_timed: Event | None = None
        self.done = False
        # the head's place in the merged order as key() worked it out; None while it is to be
        # worked out again (read directly where every event asks: the merge)
        self.known_key: tuple | None = None
        self._time: datetime | None = None  # the last time turned into a timestamp, and it
        self._stamp = 0.0

    def head(self) -> Event | None:
        if self.buffer:
            return self.buffer[0]
        if not self.done:
            try:
                self.buffer.append(next(self.events))
            except StopIteration:
                self.done = True
            self.known_key = None
        return self.buffer[0] if self.buffer else None

    def peek(self, k: int) -> Event | None:
        """The file's k-th next event (0: the head), read ahead as needed."""
        if self.head() is None:
            return None
        while len(self.buffer) <= k and not self.done:
            try:
                self.buffer.append(next(self.events))
            except StopIteration:
                self.done = True
        return self.buffer[k] if k < len(self.buffer) else None

    def pop(self, outlier: bool = False) -> Event:
        """Take the head. ``outlier``: its time is known to stand apart from its neighbours'
        (it is not taken for the file's clock)."""
        e = self.buffer.popleft()
        self.known_key = None
        t = e.time
        if t is None:
            return e
        if outlier or e is self.apart:
            self.apart = None
            self.outliers.append(e)
            return e
        last = self.last_time
        if last is not None and t < last:
            back = (last - t).total_seconds()
            if back > OUTLIER + self.precision and self.last_event is self.first_timed:
                # the file's first line, ahead of every line after it, was the outlier (a line
                # ahead of a clock that key() had found is one before it is taken)
                self.outliers.append(self.last_event)
            elif back > OUTLIER + self.precision and self._back_at_once(last):
                self.outliers.append(e)  # this line alone is behind: an outlier
                return e
            elif back > self.precision:
                if back > self.stepped_back:
                    self.step = (back, e)
                if self.ahead:
                    self._set_back(back, e)
        if self.first_timed is None:
            self.first_timed = e
        if t != last:  # (a line's events share its time: the clock is the line's first)
            self.last_time, self.last_event = t, e
            stamp = self.last_stamp = self._stamp if t is self._time else t.timestamp()
            self._apart_at = stamp + OUTLIER + self.precision  # (as _set_stamp, inline: per event)
        return e

    def _set_stamp(self, stamp: float) -> None:
        """The file's clock as a timestamp (last_time set), and what stands apart from it."""
        self.last_stamp = stamp
        self._apart_at = math.inf if self.last_time is None else \
            stamp + OUTLIER + self.precision

    def _back_at_once(self, last: datetime) -> bool:
        """Whether the file's next timed line is back at ``last`` (its clock before the line
        just taken) or later."""
        for k in range(4):
            after = self.peek(k)
            if after is None:
                return False
            if after.time is not None:
                return (last - after.time).total_seconds() <= self.precision
        return False

    def _returning(self, stamp: float) -> float | None:
        """For a head at ``stamp`` (its time) ahead of the file's clock by more than OUTLIER:
        the time of a line within OUTLIER_LOOK after it that is back at that clock (not behind
        it, and OUTLIER before the head), if one is; the head is then an outlier."""
        floor = self.last_stamp - self.precision
        for k in range(1, OUTLIER_LOOK + 1):
            after = self.peek(k)
            if after is None:
                return None
            if after.time is not None:
                t = after.time.timestamp()
                if floor <= t <= stamp - OUTLIER - self.precision:
                    return t
        return None

    def outlier_at(self, e: Event) -> bool:
        """Whether ``e`` (just taken) is an outlier behind: its time is not when it came."""
        return bool(self.outliers) and self.outliers[-1] is e

    @property
    def stepped_back(self) -> float:
        """Seconds by which the file's clock went back, at most (0: never)."""
        return self.step[0] if self.step is not None else 0.0

    def when(self, e: Event) -> float:
        """The time of one of the file's timed events as the merge places it (its clock
        corrected by what the file was found ahead)."""
        assert e.time is not None
        return e.time.timestamp() - self.ahead

    def learn_ahead_by(self, events: list[Event], start: float, tolerance: float) -> None:
        """``events`` (just taken ahead of the merge's order, in file order) came before a
        moment at ``start``: where the last of them whose time is the file's clock is stamped
        later than that beyond ``tolerance``, the file's clock ran ahead by that much, from
        the first taken."""
        timed = [e for e in events if e.time is not None and
                 not any(e is o for o in self.outliers)]
        if timed and self.when(timed[-1]) - start > tolerance:
            self.learn_ahead(self.when(timed[-1]) - start, events[0])

    def learn_ahead(self, seconds: float, since: Event) -> None:
        """The file's clock was found ``seconds`` (more) ahead of the merge's at ``since``."""
        self.ahead += seconds
        self.ahead_from = self.ahead_from or since
        self.known_key = None

    def _set_back(self, back: float, at: Event) -> None:
        """The file's clock, found ahead, went back ``back`` seconds at ``at``: it is that
        much less ahead from there on (with the others' again, where that is all of it but
        the tolerance)."""
        rest = self.ahead - back
        self.clock_back(at)
        if rest > self.tolerance:
            self.learn_ahead(rest, at)

    def clock_back(self, at: Event) -> None:
        """The file's clock, found ahead, is with the others' again at ``at``: its lines
        from there on are merged at their times."""
        assert self.ahead_from is not None
        self.ahead_spans.append((self.ahead_from, at, self.ahead))
        self.ahead, self.ahead_from = 0.0, None
        self.known_key = None

    def push_back(self, e: Event) -> None:
        self.buffer.appendleft(e)
        self.known_key = None

    def clock(self) -> tuple:
        """What the file's clock has shown so far: to put back with :meth:`rewind`."""
        return self.last_time, self.step, self.last_event, self.last_stamp, len(self.outliers)

    def rewind(self, clock: tuple) -> None:
        """Events taken since ``clock`` were pushed back: their times were not read (a
        later time taken and given back must not make the next one look like a step back)."""
        self.last_time, self.step, self.last_event, stamp, outliers = clock
        self._set_stamp(stamp)
        del self.outliers[outliers:]
        self.known_key = None

    def key(self) -> tuple | None:
        """The head's place in the merged order (cached until the head changes); None once
        the file is exhausted."""
        if self.known_key is None:
            e = self.head()
            if e is None:
                return None
            t = e.time if e.time is not None else self.last_time
            if t is None:
                self.known_key = (0, self.number)
            else:
                if t is not self._time:  # a reader gives the lines of one instant one time
                    self._time, self._stamp = t, t.timestamp()
                stamp = self._stamp
                # far ahead of the file's clock: an outlier if the clock is back soon (a
                # file's first line has no clock to stand apart from: see pop)
                if stamp > self._apart_at and self._returning(stamp) is not None:
                    self.apart = e
                    stamp = self.last_stamp
                ahead = self.ahead
                if ahead and stamp < self.last_stamp - self.precision:  # (set back here)
                    ahead = max(ahead - (self.last_stamp - stamp), 0.0)
                self.known_key = (1, stamp - ahead, after_others(e), self.number)
        return self.known_key

    def outlier_ahead(self, e: Event) -> bool:
        """Whether ``e``, the head, stands ahead of its file's clock as an outlier."""
        self.key()
        return self.apart is e


class Taken:
    """Events taken from files ahead of the merge's order (a pull that tries whether they
    explain an event), in the order taken, with each file's clock before its first: given
    back, last first, where the pull fails."""

    def __init__(self) -> None:
        self.events: list[tuple[FileQueue, Event]] = []
        self._clocks: dict[int, tuple[FileQueue, tuple]] = {}  # file -> its clock before

    def take(self, q: FileQueue) -> Event:
        """Take ``q``'s head."""
        self._clocks.setdefault(q.number, (q, q.clock()))
        e = q.pop()
        self.events.append((q, e))
        return e

    def by_file(self) -> Iterator[tuple[FileQueue, list[Event]]]:
        """Each file's events taken, in file order."""
        for q, _clock in self._clocks.values():
            yield q, [e for f, e in self.events if f is q]

    def give_back(self) -> None:
        for q, e in reversed(self.events):
            q.push_back(e)
        for q, clock in self._clocks.values():
            q.rewind(clock)
        self.events.clear()
        self._clocks.clear()


class Merge:
    def __init__(self, queues: list[FileQueue], max_skew: float) -> None:
        self.queues = queues
        self.max_skew = max_skew
        for q in queues:
            q.tolerance = max_skew + q.precision

    def next_queue(self) -> FileQueue | None:
        """The file whose head event comes next by timestamp (ties: file order)."""
        first, first_key = None, None
        for q in self.queues:
            key = q.known_key  # (this runs for every event: the method only where unknown)
            if key is None:
                key = q.key()
                if key is None:
                    continue
            if first_key is None or key < first_key:
                first, first_key = q, key
        return first

    def candidates(self, e: Event, source: FileQueue, awaited: str | None = None
                   ) -> list[FileQueue]:
        """Other files whose head event may have happened before ``e`` given the clock
        tolerance: the ``awaited`` node's first (where ``e`` waits for a step of that node),
        then the others earliest first."""
        if e.time is None:
            return []
        limit = source.when(e) + self.max_skew + source.precision + source.stepped_back
        if source.outlier_at(e) and (after := source.head()) is not None and \
                after.time is not None:  # it came before the next line of its file
            limit = max(limit, source.when(after) + self.max_skew + source.precision)
        out = []
        for q in self.queues:
            key = q.key()  # a timed head's key holds its timestamp
            if q is source or key is None or q.buffer[0].time is None:
                continue
            if key[1] <= limit:
                out.append(q)
        out.sort(key=FileQueue.key)
        if awaited is not None:
            out.sort(key=lambda q: q.buffer[0].node != awaited)  # (stable: earliest next)
        return out
