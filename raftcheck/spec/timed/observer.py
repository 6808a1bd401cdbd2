"""The client observer: every invocation and response clients saw, kept in the timed state, and
the property that some linearization of the whole history exists.

The history is a register's (one key: the model's clients all read and write one value, nil at
first). It is kept as a sorted tuple of operations

    (invoke, complete, client, kind, value, status)

with kind a register operation of raftcheck/history/model.py (R, W), status PENDING (no
response yet), OK, or INFO (a write whose outcome nobody knows: it timed out after a leader took
it). What cannot constrain a linearization is not kept: a read that failed or timed out (a read
changes nothing), a write refused before any leader took it (it did not happen), a write that
timed out before any leader took it (it never reached a log).

Real time is kept only as far as linearizability reads it: an operation precedes another when
its response comes before the other's invocation. invoke and complete count runs of events:
events of one kind with none of the other between them share a number, invocations have even
numbers and responses odd ones. Two histories with the same precedences between the same
operations are then the same tuple, whatever order concurrent events happened in, so the
history does not multiply states that differ only in such orders.

The check is raftcheck/history's (search.py: Wing and Gong's search with Lowe's memoisation of
(placed operations, register) pairs, the one definition of linearizability for the model and for
recorded histories), with the verdict memoised per history: many states share one.
"""

from __future__ import annotations

from ...history.model import R, Step, W
from ...history.search import linearizable

PENDING, OK, INFO = 0, 1, 2
NO_RESPONSE = -1
#: The register's value before any write (the model's writes are 1, 2, ...; reads of an empty
#: log return 0).
NIL_VALUE = 0

Operation = tuple[int, int, int, int, int, int]
History = tuple[Operation, ...]

INVOKE, COMPLETE, CLIENT, KIND, VALUE, STATUS = range(6)


def _now(history: History, response: bool) -> int:
    """The run number a new event of this kind gets."""
    latest = max((t for op in history for t in (op[INVOKE], op[COMPLETE])), default=-1)
    if latest < 0:
        return 0 if not response else 1
    if latest % 2 == int(response):
        return latest
    return latest + 1


def _normalised(ops: list[Operation]) -> History:
    """Runs renumbered from 0 (an operation left out may have been a run of its own), sorted."""
    times = sorted({t for op in ops for t in (op[INVOKE], op[COMPLETE]) if t != NO_RESPONSE})
    renumber: dict[int, int] = {}
    run = -1
    for t in times:
        if run < 0 or (run % 2) != (t % 2):
            run += 1
            if run % 2 != t % 2:  # an invocation run always gets an even number
                run += 1
        renumber[t] = run
    renumber[NO_RESPONSE] = NO_RESPONSE
    return tuple(sorted((renumber[op[INVOKE]], renumber[op[COMPLETE]], *op[CLIENT:])
                        for op in ops))


def pending(history: History, client: int) -> Operation | None:
    return next((op for op in history if op[CLIENT] == client and op[STATUS] == PENDING), None)


def invoke(history: History, client: int, kind: int, value: int = 0) -> History:
    """Client invokes a read (kind R) or a write (W; value 0 until a leader gives it one)."""
    op = (_now(history, False), NO_RESPONSE, client, kind, value, PENDING)
    return tuple(sorted((*history, op)))


def _replaced(history: History, old: Operation, new: Operation | None) -> History:
    ops = [op for op in history if op != old]
    if new is not None:
        ops.append(new)
    return _normalised(ops)


def valued(history: History, client: int, value: int) -> History:
    """The client's pending write was taken by a leader, which gave it this value."""
    op = pending(history, client)
    if op is None or op[VALUE] == value:
        return history
    return _replaced(history, op, (*op[:VALUE], value, PENDING))


def completed(history: History, client: int, value: int | None = None) -> History:
    """The client's pending operation completed ok (a read with the value it returned)."""
    op = pending(history, client)
    if op is None:
        return history
    result = op[VALUE] if value is None else value
    return _replaced(history, op, (op[INVOKE], _now(history, True), client, op[KIND], result, OK))


def abandoned(history: History, client: int, *, refused: bool) -> History:
    """The client gave up on its pending operation: refused (an error: it did not happen) or
    timed out (a write a leader took may still take effect: indeterminate)."""
    op = pending(history, client)
    if op is None:
        return history
    if op[KIND] == R or refused or op[VALUE] == 0:
        return _replaced(history, op, None)
    return _replaced(history, op, (*op[:STATUS], INFO))


def steps(history: History) -> list[Step]:
    """The search's view of the history (raftcheck/history/model.py)."""
    return [Step(k, op[KIND], op[VALUE], 0, op[STATUS] == OK, op[INVOKE],
                 op[COMPLETE] if op[STATUS] == OK else None)
            for k, op in enumerate(history)
            if op[STATUS] == OK or (op[KIND] == W and op[VALUE])]


class HistoryCheck:
    """Whether a history has a linearization, memoised per history."""

    LIMIT = 1_000_000

    def __init__(self) -> None:
        self.verdicts: dict[History, bool] = {}

    def __call__(self, history: History) -> bool:
        verdict = self.verdicts.get(history)
        if verdict is None:
            verdict = linearizable_history(history)
            if len(self.verdicts) > self.LIMIT:
                self.verdicts.clear()
            self.verdicts[history] = verdict
        return verdict


def linearizable_history(history: History) -> bool:
    """Some order of the operations clients saw respects real time (one that responded before
    another was invoked comes first) and is a register's: each read returns the value of the
    latest write before it, nil before any; a write whose outcome is unknown may take effect at
    any time after its invocation, or never."""
    return linearizable(steps(history), NIL_VALUE).linearizable


def text(history: History) -> str:
    """The history as a line: c1 w1 ok [0,1] means client c1's write of v1, invoked in run 0,
    acknowledged in run 1."""
    names = {R: "r", W: "w"}
    status = {PENDING: "...", OK: "ok", INFO: "info"}
    parts = []
    for op in history:
        span = f"[{op[INVOKE]},{op[COMPLETE]}]" if op[COMPLETE] != NO_RESPONSE else \
            f"[{op[INVOKE]},)"
        value = f"v{op[VALUE]}" if op[VALUE] else ("v0" if op[KIND] == R and op[STATUS] == OK
                                                   else "v?")
        parts.append(f"c{op[CLIENT] + 1} {names[op[KIND]]} {value} {status[op[STATUS]]} {span}")
    return "; ".join(parts) or "-"
