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

from collections import deque
from collections.abc import Iterator
from datetime import datetime

from raftcheck.traces.events import Event

from .observe import Observes

OUTLIER = 1.0
"""Seconds by which a line's time must stand apart from the lines around it to be an outlier:
lines a few milliseconds out of order are written by threads that took their time before the
lock; a clock set back moves every later line, not one."""


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
        # the file's time before its last one: a line found after a step back to it shows
        # that the line before was an outlier ahead, not a clock that went back
        self.prior_time: datetime | None = None
        self.last_event: Event | None = None  # the event whose time is last_time
        # lines whose times stand apart from their neighbours' (outliers), for the verdict
        self.outliers: list[Event] = []
        # seconds by which the file's clock was found ahead of the others' (the engine learns
        # it where nothing else explains an event: a clock stepped forward, or set apart), and
        # the first event read that much earlier than its time: later events are merged at
        # their time less that much
        self.ahead = 0.0
        self.ahead_from: Event | None = None
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
        if outlier:
            self.outliers.append(e)
            return e
        last = self.last_time
        if last is not None and t < last:
            back = (last - t).total_seconds()
            if back > self.precision and back > OUTLIER:
                prior = self.prior_time
                if prior is not None and (prior - t).total_seconds() <= self.precision:
                    # back to the time before the last line: that line was an outlier ahead
                    self.outliers.append(self.last_event)
                    self.prior_time, self.last_time, self.last_event = None, t, e
                    return e
                if self._back_at_once(last):  # this line alone is behind: an outlier
                    self.outliers.append(e)
                    return e
            if back > self.precision and back > self.stepped_back:
                self.step = (back, e)
        self.prior_time, self.last_time, self.last_event = last, t, e
        return e

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

    def returns_by(self, limit: float, within: int) -> bool:
        """Whether one of the file's next ``within`` timed events after the head is merged
        no later than ``limit`` (seconds): the head then came before it, whatever its time."""
        for k in range(1, within + 1):
            after = self.peek(k)
            if after is None:
                return False
            if after.time is not None and self.when(after) <= limit:
                return True
        return False

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

    def learn_ahead(self, seconds: float, since: Event) -> None:
        """The file's clock was found ``seconds`` (more) ahead of the merge's at ``since``."""
        self.ahead += seconds
        self.ahead_from = self.ahead_from or since
        self.known_key = None

    def push_back(self, e: Event) -> None:
        self.buffer.appendleft(e)
        self.known_key = None

    def clock(self) -> tuple:
        """What the file's clock has shown so far: to put back with :meth:`rewind`."""
        return self.last_time, self.step, self.prior_time, self.last_event, len(self.outliers)

    def rewind(self, clock: tuple) -> None:
        """Events taken since ``clock`` were pushed back: their times were not read (a
        later time taken and given back must not make the next one look like a step back)."""
        self.last_time, self.step, self.prior_time, self.last_event, outliers = clock
        del self.outliers[outliers:]

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
                self.known_key = (1, self._stamp - self.ahead, self.number)
        return self.known_key


class Merge:
    def __init__(self, queues: list[FileQueue], max_skew: float) -> None:
        self.queues = queues
        self.max_skew = max_skew

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
