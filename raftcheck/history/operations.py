"""A client history: events (one line each: an invocation or a completion) paired into
operations, the vocabulary every history format is read into.

An operation is invoked by a process and completes as ``ok`` (it happened, with this result),
``fail`` (it did not happen) or ``info`` (nobody knows: a timeout, a crash). A process has at
most one operation in flight, so a completion belongs to its process's open invocation. The
order of events in the file is their real-time order, as in Jepsen: operation A precedes B when
A's completion comes before B's invocation. An invocation still open at the end of the history
is indeterminate, like ``info``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from raftcheck.grammar.lines import iter_lines

READ, WRITE, CAS = "read", "write", "cas"
FUNCTIONS = (READ, WRITE, CAS)
INVOKE, OK, FAIL, INFO = "invoke", "ok", "fail", "info"
TYPES = (INVOKE, OK, FAIL, INFO)


class NoKey:
    """The key of a history of a single register (no ``key`` field, no [k v] tuples)."""

    def __repr__(self) -> str:
        return "NO_KEY"

    def __lt__(self, other: object) -> bool:
        return True


NO_KEY = NoKey()


class HistoryError(Exception):
    """Input that is not a usable history; ``str()`` is one line naming file and line."""

    def __init__(self, reason: str, path: str, line: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        # a damaged file's text quoted in the reason must not break the message's one line
        reason = "".join(c if c.isprintable() else repr(c)[1:-1] for c in reason)
        super().__init__(f"{where}: {reason}")
        self.reason, self.path, self.line = reason, path, line


def text_lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of the file at ``path``; HistoryError at the first
    line that is not text (binary data, too long). Raises OSError."""
    for number, text, problem in iter_lines(path):
        if text is None:
            raise HistoryError(problem or "not text", path, number)
        yield number, text


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a history. ``value`` is as the format wrote it (for a read invocation
    usually nil; for a cas the pair [old new]); ``key`` is NO_KEY unless the line names one."""

    process: Hashable
    type: str
    f: str
    value: Any
    line: int
    key: Hashable = NO_KEY
    time: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """An invocation and its completion.

    ``value``: for a write the value written; for a cas the pair (old, new); for a read the
    value returned (None unless ``ok``). ``invoke`` and ``complete`` are positions in the
    history's event order; ``complete`` is None for an operation that never completed.
    ``line`` and ``complete_line`` are the lines of the two events in the file (0 when the
    format has none; ``source`` then names the record)."""

    index: int
    process: Hashable
    f: str
    key: Hashable
    value: Any
    status: str
    invoke: int
    complete: int | None
    line: int
    complete_line: int | None = None
    invoke_time: float | None = None
    complete_time: float | None = None
    error: str | None = None
    source: str | None = None  # where it was read from when that is not a line

    @property
    def indeterminate(self) -> bool:
        return self.status == INFO

    def weakened(self) -> Operation:
        """The same operation with its outcome forgotten (as if it had timed out)."""
        return replace(self, status=INFO)


@dataclass
class History:
    """The operations of one file, in invocation order, and what reading it assumed."""

    path: str
    format: str
    operations: list[Operation]
    events: int
    notes: list[str] = field(default_factory=list)

    def by_key(self) -> dict[Hashable, list[Operation]]:
        out: dict[Hashable, list[Operation]] = {}
        for op in self.operations:
            out.setdefault(op.key, []).append(op)
        return out


def hashable(value: Any) -> Hashable:
    """A value as a register can hold it: lists become tuples, maps frozensets of pairs."""
    if isinstance(value, list | tuple):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return frozenset((hashable(k), hashable(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return frozenset(hashable(v) for v in value)
    return value


def split_tuples(events: list[Event]) -> bool:
    """Whether the values are jepsen.independent's [key value] tuples: no event names a key,
    and every invocation and ok completion carries a pair (a cas a pair [key [old new]])."""
    if not events or any(e.key is not NO_KEY for e in events):
        return False
    for e in events:
        if e.type not in (INVOKE, OK):
            continue
        v = e.value
        if not (isinstance(v, tuple) and len(v) == 2):
            return False
        if e.f == CAS and not (isinstance(v[1], tuple) and len(v[1]) == 2):
            return False
    return True


def keyed(events: list[Event]) -> list[Event]:
    """Events with [key value] tuples turned into a key and a value (see split_tuples)."""
    out = []
    for e in events:
        v = e.value
        if isinstance(v, tuple) and len(v) == 2:
            out.append(replace(e, key=v[0], value=v[1]))
        else:  # an info or fail completion may carry a bare reason (:timed-out)
            out.append(e)
    return out


def pair_events(events: Iterable[Event], path: str, fmt: str,
                notes: list[str] | None = None) -> History:
    """Operations from events in real-time order: each completion is matched with its
    process's open invocation. Raises HistoryError (file:line) for a history no client could
    have produced."""
    open_ops: dict[Hashable, tuple[int, Event]] = {}
    done: list[tuple[int, Event, int | None, Event | None]] = []
    last_time: tuple[float, int] | None = None
    position = -1
    for position, event in enumerate(events):
        if event.time is not None:
            if last_time is not None and event.time < last_time[0]:
                raise HistoryError(
                    f"time {event.time:g} is earlier than line {last_time[1]}'s "
                    f"{last_time[0]:g}: events must be in the order they happened", path,
                    event.line)
            last_time = (event.time, event.line)
        if event.type == INVOKE:
            if event.process in open_ops:
                earlier = open_ops[event.process][1]
                raise HistoryError(
                    f"process {event.process} invokes {event.f} while its {earlier.f} from "
                    f"line {earlier.line} has not completed", path, event.line)
            open_ops[event.process] = (position, event)
            continue
        opened = open_ops.pop(event.process, None)
        if opened is None:
            raise HistoryError(f"process {event.process} completes a {event.f} ({event.type}) "
                               "it never invoked", path, event.line)
        if opened[1].f != event.f:
            raise HistoryError(f"process {event.process} completes a {event.f} but invoked a "
                               f"{opened[1].f} on line {opened[1].line}", path, event.line)
        if opened[1].key != event.key and event.key is not NO_KEY:
            raise HistoryError(f"process {event.process} completes key {event.key!r} but "
                               f"invoked key {opened[1].key!r} on line {opened[1].line}", path,
                               event.line)
        done.append((opened[0], opened[1], position, event))
    for opened in open_ops.values():
        done.append((opened[0], opened[1], None, None))
    done.sort(key=lambda d: d[0])
    operations = [_operation(i, *d, path) for i, d in enumerate(done)]
    return History(path, fmt, operations, position + 1, notes or [])


def _operation(index: int, invoke: int, call: Event, complete: int | None,
               ret: Event | None, path: str) -> Operation:
    status = ret.type if ret is not None else INFO
    if call.f == READ:
        value = ret.value if ret is not None and status == OK else None
    else:
        value = call.value
    if call.f == CAS and not (isinstance(value, tuple) and len(value) == 2):
        raise HistoryError(f"a cas needs [old new], got {value!r}", path, call.line)
    if call.f == WRITE and ret is not None and status == OK and ret.value != call.value:
        raise HistoryError(f"write of {call.value!r} completes with another value "
                           f"{ret.value!r}", path, ret.line)
    return Operation(
        index=index, process=call.process, f=call.f, key=call.key, value=value, status=status,
        invoke=invoke, complete=complete, line=call.line,
        complete_line=ret.line if ret is not None else None, invoke_time=call.time,
        complete_time=ret.time if ret is not None else None,
        error=ret.error if ret is not None else None)
