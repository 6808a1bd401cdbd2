"""The register: the sequential specification operations on one key are checked against.

A register holds one value (initially nil). ``read`` returns it; ``write v`` sets it;
``cas [old new]`` sets it to ``new`` if it holds ``old``, and otherwise fails (a failed cas is a
``fail`` completion: it did not happen). Values are interned as small integers for the search.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from .operations import CAS, OK, READ, WRITE, Operation

R, W, C = 0, 1, 2
KINDS = {READ: R, WRITE: W, CAS: C}


@dataclass(frozen=True, slots=True)
class Step:
    """One operation as the search sees it. ``a``/``b``: read -> (value returned, -),
    write -> (value, -), cas -> (old, new), as interned values. ``required``: the operation
    completed ok, so it must be placed; otherwise it may be placed or left out (it may never
    have happened). ``complete`` None: no response (its response is at infinity)."""

    op: int
    kind: int
    a: int
    b: int
    required: bool
    invoke: int
    complete: int | None


class Values:
    """Interning of register values (nil included) as small integers."""

    def __init__(self) -> None:
        self.ids: dict[Hashable, int] = {}
        self.values: list[Hashable] = []

    def id(self, value: Hashable) -> int:
        i = self.ids.get(value)
        if i is None:
            i = self.ids[value] = len(self.values)
            self.values.append(value)
        return i


def apply(kind: int, a: int, b: int, state: int) -> int | None:
    """The register's next state, or None where the operation's result contradicts it."""
    if kind == R:
        return state if state == a else None
    if kind == W:
        return a
    return b if state == a else None


#: The state "one of a set of values, not known which" (a window's start, window.py).
UNKNOWN = -1


def bind(kind: int, a: int, b: int, candidates: frozenset[int]) -> int | None:
    """``apply`` from UNKNOWN: the first operation to look at the register fixes which
    candidate it held (a write needs none of them)."""
    if kind == W:
        return a
    if a not in candidates:
        return None
    return a if kind == R else b


def step_of(op: Operation, values: Values, position: int | None = None) -> Step | None:
    """The search's view of ``op``; None for an operation with no effect to place (a failed
    one, or a read without an ok result: a read changes nothing)."""
    if op.status == "fail" or (op.f == READ and op.status != OK):
        return None
    kind = KINDS[op.f]
    if kind == C:
        a, b = values.id(op.value[0]), values.id(op.value[1])
    else:
        a, b = values.id(op.value), 0
    required = op.status == OK
    return Step(position if position is not None else op.index, kind, a, b, required,
                op.invoke, op.complete if required else None)


def written(op: Operation) -> tuple[Hashable, ...]:
    """The value ``op`` writes when it takes effect (none for a read)."""
    if op.f == WRITE:
        return (op.value,)
    if op.f == CAS:
        return (op.value[1],)
    return ()


def observed(op: Operation) -> tuple[Hashable, ...]:
    """The value ``op`` needs the register to hold when it takes effect (none for a write;
    none for a read without a result)."""
    if op.f == READ:
        return (op.value,) if op.status == OK else ()
    if op.f == CAS:
        return (op.value[0],)
    return ()
