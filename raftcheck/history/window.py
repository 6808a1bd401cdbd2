"""Why a key's history is not linearizable: the smallest window of operations that shows it.

Three reductions, each of which can only add behaviours, so a window that still cannot be
linearized proves that the whole history cannot either:

1. The shortest failing prefix. Cut the history after some event: operations that had not
   responded by then are indeterminate (they may or may not take effect). Linearizability is
   closed under prefixes, so there is a first response after which no linearization exists:
   the failing operation's. It is an ok response no order explains, or a fail response that
   takes away an effect an earlier response needed. Found by bisection over those responses.
2. The latest start. Drop the operations that completed before some invocation ``c`` and
   start the register in any value written before ``c`` (or nil); an operation invoked before
   ``c`` and still open at ``c`` may have taken effect before it, so a read among those is
   dropped and a write or cas becomes indeterminate. Any linearization of the history gives
   one of this window (start where the last operation completed before ``c`` sits), and a
   later start only drops more, so the latest start that still fails is found by galloping
   back from the end and bisecting.
3. Minimisation, one operation at a time, while the window still fails: drop a read (a read
   only constrains); drop a failed operation; drop a write or cas whose written value no
   operation left in the window needs to see (it cannot be the write a read or cas observes,
   so it explains nothing); and, when nothing more can be dropped, forget the outcome of an
   ok write or cas (make it indeterminate), then drop again. The failing operation stays.

What is left is 1-minimal: removing or weakening any single operation of it gives a window
that can be linearized. Moving the start and minimising have a time budget; a window cut short
by it is still a valid explanation, only perhaps not the smallest.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace

from .model import UNKNOWN, Values, observed, step_of, written
from .operations import FAIL, INFO, OK, READ, Operation
from .search import OutOfTime, linearizable

EXPLAIN_SECONDS = 10.0
"""How long moving the window's start and minimising it may take, per key."""

#: Why an operation's status in a window is not the one recorded.
BEFORE = "invoked before the window: it may have taken effect before it"
PENDING = "no response yet when the failing operation responded"
FORGOTTEN = "its outcome is not needed to show the failure"


@dataclass
class Window:
    """``failing``: the operation whose response no linearization of the history before it
    explains. ``operations``: the window, in invocation order, each with the status the
    window gives it; ``reasons`` says why, for one whose status is not the recorded one.
    ``start``: the event position the window starts at; ``start_values``: what the register
    may hold there (nil and every value written before it). ``context``: every operation on
    the key that overlaps the window's span, as recorded, for pictures. ``minimal``: the
    window is 1-minimal (the time budget did not stop the minimisation)."""

    failing: Operation
    operations: list[Operation]
    reasons: dict[int, str]
    start: int
    start_values: list[Hashable]
    context: list[Operation]
    minimal: bool = True

    @property
    def end(self) -> int:
        assert self.failing.complete is not None
        return self.failing.complete


def fails(operations: Sequence[Operation], start_values: Iterable[Hashable],
          deadline: float | None = None) -> bool:
    """True when no start value makes the operations linearizable."""
    values = Values()
    steps = [s for s in (step_of(op, values, i) for i, op in enumerate(operations))
             if s is not None]
    starts = list(start_values)
    if len(starts) == 1:
        return not linearizable(steps, values.id(starts[0]), deadline).linearizable
    candidates = frozenset(values.ids[v] for v in starts if v in values.ids)
    return not linearizable(steps, UNKNOWN, deadline, candidates=candidates).linearizable


def prefix(operations: Sequence[Operation], end: int) -> list[Operation]:
    """The history up to event position ``end``: what had not responded is indeterminate."""
    out = []
    for op in operations:
        if op.invoke > end:
            continue
        if op.complete is not None and op.complete > end:
            op = replace(op, status=INFO, complete=None, complete_line=None)
        out.append(op)
    return out


def from_start(operations: Sequence[Operation], start: int) -> tuple[list[Operation],
                                                                      list[Hashable]]:
    """Reduction 2: the operations of a window starting at event position ``start``, and the
    values the register may hold there."""
    window: list[Operation] = []
    start_values: dict[Hashable, None] = {None: None}
    for op in operations:
        if op.invoke >= start:
            window.append(op)
        elif op.status != FAIL:
            start_values.update((v, None) for v in written(op))
            finished = op.status == OK and op.complete is not None and op.complete < start
            if not finished and op.f != READ:  # an indeterminate one may act at any time
                window.append(op.weakened())
    return window, list(start_values)


def explain(operations: Sequence[Operation], deadline: float | None = None,
            budget: float = EXPLAIN_SECONDS) -> Window:
    """The window of a key's operations that are not linearizable (see the module doc).

    Finding the failing operation must finish (OutOfTime past ``deadline``). Moving the start
    and minimising stop after ``budget`` seconds: the window is then valid but perhaps not
    the smallest (``Window.minimal`` False)."""
    # An ok response can be one no order explains; a fail response can take away the effect
    # an earlier response needed (until then the operation might have taken effect).
    responses = sorted(op.complete for op in operations
                       if op.status in (OK, FAIL) and op.complete is not None)
    lo, hi = 0, len(responses) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if fails(prefix(operations, responses[mid]), [None], deadline):
            hi = mid
        else:
            lo = mid + 1
    end = responses[lo]
    failing = next(op for op in operations if op.complete == end)
    history = prefix(operations, end)

    soft = time.monotonic() + budget
    soft = min(soft, deadline) if deadline is not None else soft
    minimal = True
    starts = sorted({op.invoke for op in history if op.invoke <= failing.invoke})
    try:
        start = latest_failing_start(history, starts, soft)
    except OutOfTime:
        minimal, start = False, starts[0]  # the whole prefix: known to fail
    window, start_values = from_start(history, start)
    if minimal:
        window, minimal = minimise(window, failing, start_values, soft)

    recorded = {op.index: op for op in operations}
    reasons = {}
    for op in window:
        was = recorded[op.index]
        if op.status != was.status:
            if op.invoke < start:
                reasons[op.index] = BEFORE
            elif was.complete is not None and was.complete > end:
                reasons[op.index] = PENDING
            else:
                reasons[op.index] = FORGOTTEN
    context = [op for op in operations if op.invoke <= end
               and (op.complete is None or op.complete >= start)]
    window.sort(key=lambda op: op.invoke)
    return Window(failing, window, reasons, start, start_values, context, minimal)


def latest_failing_start(history: list[Operation], starts: list[int],
                         deadline: float | None) -> int:
    """The latest of ``starts`` from which the window still fails (starts[0] does). Windows
    that start late are small and cheap to search, so the search gallops back from the end
    (1, 2, 4, ... starts back) and then bisects."""
    known_good = len(starts)  # index of the earliest start known to give a linearizable window
    step, i = 1, len(starts) - 1
    while i > 0 and not fails(*from_start(history, starts[i]), deadline=deadline):
        known_good = i
        step *= 2
        i = max(known_good - step, 0)
    lo, hi = i, known_good - 1  # starts[lo] fails; the answer is in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fails(*from_start(history, starts[mid]), deadline=deadline):
            lo = mid
        else:
            hi = mid - 1
    return starts[lo]


def removable(op: Operation, window: Sequence[Operation]) -> bool:
    """Whether dropping ``op`` from the window can only add behaviours: a read, a failed
    operation, or a write no other operation in the window needs to see."""
    if op.f == READ or op.status == FAIL:
        return True
    seen = {v for o in window if o.index != op.index for v in observed(o)}
    return not seen.intersection(written(op))


def minimise(window: list[Operation], failing: Operation, start_values: list[Hashable],
             deadline: float | None = None) -> tuple[list[Operation], bool]:
    """Reduction 3: drop what can be dropped, then forget outcomes one by one (each time
    dropping what that allows), farthest from the failing operation first. Returns the window
    and whether it is 1-minimal (False: ``deadline`` passed first)."""

    def distance(op: Operation) -> int:
        return -abs(op.invoke - failing.invoke)

    def drop(window: list[Operation]) -> list[Operation]:
        changed = True
        while changed:
            changed = False
            for op in sorted(window, key=distance):
                if op.index == failing.index or not removable(op, window):
                    continue
                trial = [o for o in window if o.index != op.index]
                if fails(trial, start_values, deadline):
                    window, changed = trial, True
        return window

    try:
        window = drop(window)
        changed = True
        while changed:
            changed = False
            for op in sorted(window, key=distance):
                current = next((o for o in window if o.index == op.index), None)
                if current is None or current.index == failing.index or current.status != OK \
                        or current.f == READ:
                    continue
                trial = [o.weakened() if o.index == op.index else o for o in window]
                if fails(trial, start_values, deadline):
                    window, changed = drop(trial), True
    except OutOfTime:
        return window, False
    return window, True
