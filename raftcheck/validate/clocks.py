"""Clock steps that a node's own log shows, and the orders of events they allow.

Within a log, file order is the truth; across logs the merge goes by time (merge.py). Where a
node's time steps back from one line to the next by more than the clock tolerance (an NTP
correction, a clock set by hand), the lines on one side of the step carry times that are off
by about the step, and the merge may put them on the wrong side of other nodes' lines. Which
side was off the log cannot say: either lines before the step, from a pause in the log at
least as long as the step (the clock jumped forward there) or from the log's start, ran ahead,
or lines from the step on, up to such a pause (the clock came back) or to the log's end, ran
behind. Every line with a time counts, those the readers skip included: a clock shows in all.

Such a *slip* is tried only where the times as logged leave a line unexplained: the run is
checked again with the lines of the slip merged at their times corrected (:func:`shifted`).
An order that the spec explains is a behaviour of it, whatever the clocks said; the verdict
then names the slip and what the times as logged left unexplained. A log whose clock never
steps back (every real run recorded here) is never retried for a slip.

A clock that jumped ahead and stayed so to the log's end shows no step back: only a pause,
which a node that stood still shows too. Where a line is left unexplained that such a jump
before it in its own log would explain (:func:`find_jumps`), the verdict is inconclusive,
naming the jump: neither a violation the clocks may have made nor a pass a stall may hide.
A jump's size is a guess (the pause's length, or less: where the pause's length puts a line
before the unexplained one out of order, sizes a little less are tried), so one that
explains the line but not a later one leaves the run inconclusive too; pauses before the
node's lines show its Raft state (a server starting up) are not read as jumps.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from raftcheck.grammar import split
from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import LogStream

from .observe import observes
from .runs import Run

MOST_TRIED = 12
"""Slips tried before a violation is reported: those nearest in time to it first (and then
the same lines at the other size their step allows: engine._tried)."""
PAUSES_SIZED = 4
"""Slips whose step back shows only part of the clock's error (the rest in a pause) tried at
larger sizes, at most (those nearest in time to the unexplained line)."""
SIZES_TRIED = 6
"""Sizes of one jump (or of a step back, the rest of it in a pause) tried, at most: the
pause's length, then, where that is too large (engine._too_early tells), half a second less,
then halving between the largest size too small and the smallest too large."""
EDGE_SIZES_TRIED = 8
"""Sizes of a reading to a log's edge (a clock set back and left so) tried, at most: no pause
bounds it, so its sizes start from a guess, doubling while too small, then halving."""
PAUSES = 2
"""Pauses in a log, before and after a step back of its clock, that may be where the clock
jumped forward (a step back shows where a clock was set right, not where it went wrong): the
nearest ones, and as many nearest in length to the step."""
NEAREST_JUMPS = 3
"""Pauses before an unexplained line read as where its node's clock jumped ahead: the nearest
ones (a busy log pauses often after a jump too), and the PAUSES longest."""
QUIET = 16
"""Pauses of a log before a step back of its clock, the nearest, whose longest bounds the quiet
the step may hide (where no pause after it bounds how far off the lines were)."""
SCAN = 256
"""Pauses looked at on each side of a step back, at most (the nearest)."""


@dataclass(frozen=True)
class Slip:
    """Lines of one node's log whose times were off by ``seconds`` (negative: the clock ran
    ahead there), as a step back of its clock at ``step`` shows."""

    node: str
    parts: tuple[str, ...]  # the log's files, oldest first (a rotated log has several)
    first: ev.SourceRef  # the first line whose time is off
    last: ev.SourceRef  # the last one
    step: ev.SourceRef | None  # the line at which the clock steps back (None: a jump)
    seconds: float
    begins: float  # the times of the first and last lines, as logged
    ends: float
    # where a pause of the log at the reading's open end hides how far the lines were off
    # (the step back shows only part of it): the pause's length, the most they may have been
    room: float = 0.0
    hidden: bool = False  # a pause longer than those the step allows: tried only sized
    # from the log's start or to its end: ``room`` is the step and the longest quiet of the
    # log near it (the step shows the error less the quiet just before it), not a pause
    to_edge: bool = False

    @property
    def log(self) -> str:
        """The log's name in the merge (a rotated log's: its newest part)."""
        return self.parts[-1]

    @property
    def ahead(self) -> bool:
        return self.seconds < 0

    def span(self) -> tuple[float, float]:
        """The earliest and the latest time of the lines, as logged or corrected."""
        return (min(self.begins, self.begins + self.seconds),
                max(self.ends, self.ends + self.seconds))

    def distance(self, when: float) -> float:
        """Seconds between ``when`` and the nearest time, as logged or corrected, of the lines."""
        lo, hi = self.span()
        return 0.0 if lo <= when <= hi else min(abs(when - lo), abs(when - hi))

    def after(self, when: float) -> float:
        """Seconds by which every line of the slip, as logged and corrected, comes after
        ``when`` (0 or less: not all of them do)."""
        return self.span()[0] - when

    def sized(self, seconds: float) -> Slip:
        """The same lines off by ``seconds`` instead."""
        return dataclasses.replace(self, seconds=seconds)

    def lines(self) -> str:
        """Where the lines are: ``node3.log:43``, ``node3.log:43 to line 60``."""
        if self.first == self.last:
            return str(self.first)
        if self.first.path != self.last.path:
            return f"{self.first} to {self.last}"
        return f"{self.first} to line {self.last.line}"

    def evidence(self) -> str:
        """What in the log shows it."""
        if self.step is None:
            return "a pause in its log just before, and no step back after"
        return f"its time steps back at {self.step}"

    def describe(self) -> str:
        """What the slip says of the node's clock, and how its lines were merged."""
        seconds = f"{abs(self.seconds):.3f} s"
        one = self.first == self.last
        return (f"{self.node}'s clock ran {seconds} {'ahead' if self.ahead else 'behind'} in "
                f"{self.lines()} ({self.evidence()}): "
                f"{'that line was' if one else 'those lines were'} merged {seconds} "
                f"{'earlier' if self.ahead else 'later'} than "
                f"{'its time says' if one else 'their times say'}")


def find_slips(run: Run, max_skew: float, owners: Mapping[str, str | None]) -> list[Slip]:
    """Every slip the run's logs show (module doc) where a log's clock steps back beyond
    ``max_skew`` and its resolution. Reads the times of every line of the logs again.
    ``owners``: each file's node, as the verdict names it."""
    slips: list[Slip] = []
    for node, parts, tolerance, stamps in _clocked_logs(run, max_skew, owners):
        slips += _slips_of(node, parts, stamps, tolerance, max_skew)
    return slips


def _clocked_logs(run: Run, max_skew: float, owners: Mapping[str, str | None]
                  ) -> Iterator[tuple[str, tuple[str, ...], float,
                                      Iterator[tuple[str, int, datetime]]]]:
    """Each log of the run whose format has a clock: its node (as ``owners`` names it, else
    its file's stem), its parts, the clock tolerance (``max_skew`` and the resolution) and the
    time of each of its lines (LogStream.stamps)."""
    stream = LogStream(files=run.files, ignored=run.ignored, windows=run.windows)
    for parts, fmt, stamps in stream.stamps():
        precision = observes(fmt).precision
        if precision is None:
            continue  # (no clock)
        node = next((n for p in reversed(parts) if (n := owners.get(p))), None) or \
            split.stem(parts[-1])
        yield node, tuple(parts), max_skew + precision, stamps


Jump = tuple[float, float, ev.SourceRef, ev.SourceRef]
"""A line whose time is more than the tolerance away from the line before's: (seconds from it,
the line's time, the line, the line before)."""


def find_jumps(run: Run, max_skew: float, owners: Mapping[str, str | None],
               unexplained: ev.SourceRef, since: ev.SourceRef) -> list[Slip]:
    """Where the line ``unexplained`` is left unexplained: the readings of its log in which
    the clock jumped ahead at a pause after the line ``since`` (the first that showed its
    node's Raft state: a server starting up pauses before that) and before ``unexplained``,
    and stayed ahead to the log's end, or to its first step back after the line (beyond
    ``max_skew`` and the clock's resolution; find_slips reads such a step too, but from the
    pauses nearest it, where this reads those nearest the line). A log cannot tell such a
    clock from a node that stood still (a stopped process, a frozen VM), nor, where a step
    back shows less than the pause, how far off it was, so such a reading never makes a run
    conform (engine.py). The pauses are those of a second or more beyond that tolerance: the
    three nearest the line, and the two longest."""
    for node, parts, tolerance, stamps in _clocked_logs(run, max_skew, owners):
        if unexplained.path in parts:
            return _jumps_of(node, parts, stamps, tolerance, since, unexplained)
    return []


def _jumps_of(node: str, parts: tuple[str, ...], stamps: Iterator[tuple[str, int, datetime]],
              tolerance: float, since: ev.SourceRef, unexplained: ev.SourceRef) -> list[Slip]:
    place = {path: k for k, path in enumerate(parts)}
    until = place[unexplained.path], unexplained.line
    after = place.get(since.path, -1), since.line
    pauses: list[Jump] = []  # before the line and after every step back, nearest last
    last = None
    last_time = 0.0
    step = None  # the first step back after the line, if any
    for path, number, when in stamps:
        t = when.timestamp()
        here = ev.SourceRef(path, number, "")
        if last is not None:
            if t - last_time < -tolerance:
                if (place[path], number) > until:
                    step = here  # (the clock set right: the reading ends before)
                    break
                pauses.clear()  # (set right after them: a slip's readings)
            elif t - last_time >= tolerance + 1.0 and after < (place[path], number) <= until:
                pauses.append((t - last_time, t, here, last))
        last, last_time = here, t
    if last is None:
        return []
    nearest = pauses[::-1][:NEAREST_JUMPS]
    longest = sorted(pauses, key=lambda j: -j[0])[:PAUSES]
    return [Slip(node, parts, first, last, step, -pause, begins, last_time)
            for pause, begins, first, _before in nearest + [j for j in longest
                                                            if j not in nearest]]


def _slips_of(node: str, parts: tuple[str, ...], stamps: Iterator[tuple[str, int, datetime]],
              tolerance: float, max_skew: float) -> list[Slip]:
    jumps: list[Jump] = []
    first = last = None
    first_time = last_time = 0.0
    # a whole-second format's lines stamped with a fraction (etcd 3.4's server lines beside
    # raft's whole-second ones) show their time to the microsecond: a step back shows against
    # the latest time the lines before it must have reached (``floor``), not only the last's
    whole = tolerance - max_skew >= 1.0
    last_within = tolerance  # the tolerance of the line before's own stamp
    floor = -math.inf
    for path, number, when in stamps:
        t = when.timestamp()
        here = ev.SourceRef(path, number, "")
        within = max_skew + 1e-6 if whole and when.microsecond else tolerance
        if last is None:
            first, first_time = here, t
        elif floor - t > within:
            jumps.append((t - floor, t, here, last))
            floor = t  # (its clock from here on)
        elif t - last_time > last_within:
            jumps.append((t - last_time, t, here, last))
        last, last_time, last_within, floor = here, t, within, max(floor, t)
    if first is None or last is None:
        return []
    slips = []
    for k, (seconds, t, here, before) in enumerate(jumps):
        if seconds >= 0:
            continue
        back = -seconds
        # ahead: from a pause before the step at least as long as it, or from the log's start
        earlier = jumps[max(k - SCAN, 0):k][::-1]
        tried = _pauses(earlier, back, tolerance)
        for gap, begins_at, begins, _before in tried:
            for off in _offsets(back, gap, tolerance):
                slips.append(Slip(node, parts, begins, before, here, -off, begins_at, t + back,
                                  gap))
        # (from the log's start or to its end, no pause bounds how far off the lines were: the
        # step shows the error less the quiet just before it, which may be as long as the
        # log's longest of late)
        room = back + max((j[0] for j in jumps[max(k - QUIET, 0):k] if j[0] > 0), default=0.0)
        slips.append(Slip(node, parts, first, before, here, -back, first_time, t + back, room,
                          to_edge=True))
        for gap, begins_at, begins, _before in _hiding(earlier, back, tolerance, tried):
            slips.append(Slip(node, parts, begins, before, here, -back, begins_at, t + back,
                              gap, hidden=True))
        # behind: up to such a pause after the step, or to the log's end
        later = jumps[k + 1:k + 1 + SCAN]
        tried = _pauses(later, back, tolerance)
        for gap, ends_after, _after, ends in tried:
            for off in _offsets(back, gap, tolerance):
                slips.append(Slip(node, parts, here, ends, here, off, t, ends_after - gap,
                                  gap))
        slips.append(Slip(node, parts, here, last, here, back, t, last_time, room,
                          to_edge=True))
        for gap, ends_after, _after, ends in _hiding(later, back, tolerance, tried):
            slips.append(Slip(node, parts, here, ends, here, back, t, ends_after - gap, gap,
                              hidden=True))
    return slips


def _pauses(jumps: list[Jump], back: float, tolerance: float) -> list[Jump]:
    """Of the jumps (nearest to a step back first), those that may be where the clock jumped
    forward (or came back) by the ``back`` seconds it stepped back: at least that long, the
    nearest, and those nearest in length."""
    long_enough = [j for j in jumps if j[0] >= back - tolerance]
    nearest = long_enough[:PAUSES]
    alike = sorted(long_enough, key=lambda j: abs(j[0] - back))[:PAUSES]
    return nearest + [j for j in alike if j not in nearest]


def _hiding(jumps: list[Jump], back: float, tolerance: float, tried: list[Jump]
            ) -> list[Jump]:
    """Of the jumps (nearest to a step back first), the nearest longer than the step and the
    longest, where not among those ``tried`` (:func:`_pauses`'): a step back may show only
    part of a clock's error, the rest hidden in such a pause (Slip.hidden)."""
    longer = [j for j in jumps if j[0] > back + tolerance and j not in tried]
    nearest = longer[:PAUSES]
    return nearest + [j for j in sorted(longer, key=lambda j: -j[0])[:PAUSES]
                      if j not in nearest]


def _offsets(back: float, forward: float, tolerance: float) -> tuple[float, ...]:
    """How far off lines were between a step ``back`` of their clock and a jump ``forward``
    (seconds): each adds a pause of the log to the clock's error, so the error lies between
    the two; the step, and the jump where it is longer (by a millisecond or more: in a dense
    run, lines of several nodes lie milliseconds apart, and the step alone may put some out of
    order), but never more than a tenth beyond the step (a longer pause is the log's own, not
    the clock's)."""
    most = min(forward, back + back / 10 + tolerance)
    return (back, most) if most - back >= 0.001 else (back,)


def shifted(events: Iterator[ev.Event], slip: Slip) -> Iterator[ev.Event]:
    """The log's events, those of the slip's lines at their times corrected by it."""
    delta = timedelta(seconds=slip.seconds)
    part = {path: k for k, path in enumerate(slip.parts)}
    first = part[slip.first.path], slip.first.line  # (a line's place: its part, its number)
    last = part[slip.last.path], slip.last.line
    was: datetime | None = None
    now: datetime | None = None
    for e in events:
        if e.time is not None and first <= (part[e.source.path], e.source.line) <= last:
            if e.time is not was:  # (a line's events share one time, and its correction)
                was, now = e.time, e.time + delta
            e = dataclasses.replace(e, time=now)
        yield e
