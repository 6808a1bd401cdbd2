"""Is there a linearization? The Wing–Gong search in Lowe's form, with memoisation.

The operations' invocations and responses form one list in real-time order. Walking it, an
invocation met before any pending response is an operation that may take effect now: if the
register allows it, and the pair (set of operations placed, register state) has not been seen,
it is placed and both its events leave the list, and the walk starts again from the head. A
response met means its operation should have been placed by now: the last placement is undone
and the walk goes on after it. The search succeeds when every operation that completed ``ok``
is placed. An indeterminate operation has no response (it is at infinity, as Knossos treats
``info``): it may be placed at any point after its invocation, or never. The cache of seen
(placed set, state) pairs makes each configuration explored once (Lowe; Porcupine does the
same), which is what keeps the search near linear for real histories.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from .model import UNKNOWN, Step, apply, bind

CHECK_CLOCK_EVERY = 4096

# The kinds of entries in the event list; at a tie in position an invocation sorts first (the
# two operations are then concurrent: the weaker claim).
INVOCATION, RESPONSE = 0, 1


class OutOfTime(Exception):
    """The search passed its deadline before deciding."""


@dataclass
class Outcome:
    linearizable: bool
    tried: int  # placements tried, for the statistics
    order: list[int] | None = None  # a linearization (Step.op values), when one exists


def linearizable(steps: Sequence[Step], initial: int, deadline: float | None = None,
                 want_order: bool = False, candidates: frozenset[int] = frozenset()) -> Outcome:
    """Whether the operations can be placed in an order that respects real time and the
    register, starting from state ``initial`` (model.UNKNOWN: any of ``candidates``)."""
    n = len(steps)
    required_left = sum(1 for s in steps if s.required)
    if required_left == 0:
        return Outcome(True, 0, [] if want_order else None)
    # The event list: entries 1..m, 0 is the head sentinel. An entry is an invocation
    # (owner >= 0, its step's index) or a response (owner = -1 - step index).
    events: list[tuple[int, int, int]] = []  # (position, INVOCATION/RESPONSE, step index)
    for i, s in enumerate(steps):
        events.append((s.invoke, INVOCATION, i))
        if s.complete is not None:
            events.append((s.complete, RESPONSE, i))
    events.sort()
    m = len(events)
    owner = [0] * (m + 1)
    response_of = [0] * n  # step index -> its response entry (0: none)
    for e, (_, what, i) in enumerate(events, start=1):
        if what == INVOCATION:
            owner[e] = i
        else:
            owner[e] = -1 - i
            response_of[i] = e
    nxt = list(range(1, m + 2))
    nxt[m] = 0
    prv = list(range(-1, m))
    prv[0] = m
    kinds = [s.kind for s in steps]
    first = [s.a for s in steps]
    second = [s.b for s in steps]
    required = [s.required for s in steps]

    placed = 0  # bitset of placed step indexes
    state = initial
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[int, int]] = []  # (invocation entry, state before it)
    tried = 0
    e = nxt[0]
    while True:
        i = owner[e] if e else -1
        if i < 0:
            # The end of the list (only invocations were left after the last response, so
            # nothing left to place helps), or a response whose operation is not placed:
            # undo the last placement and go on after it.
            if not stack:
                return Outcome(False, tried)
            e, state = stack.pop()
            i = owner[e]
            placed ^= 1 << i
            if required[i]:
                required_left += 1
            _relink(e, response_of[i], nxt, prv)
            e = nxt[e]
            continue
        tried += 1
        if tried % CHECK_CLOCK_EVERY == 0 and deadline is not None \
                and time.monotonic() > deadline:
            raise OutOfTime
        if state == UNKNOWN:
            after = bind(kinds[i], first[i], second[i], candidates)
        else:
            after = apply(kinds[i], first[i], second[i], state)
        if after is not None:
            key = (placed | (1 << i), after)
            if key not in seen:
                seen.add(key)
                stack.append((e, state))
                placed = key[0]
                state = after
                if required[i]:
                    required_left -= 1
                    if required_left == 0:
                        order = [owner[entry] for entry, _ in stack] if want_order else None
                        return Outcome(True, tried, order)
                _unlink(e, response_of[i], nxt, prv)
                e = nxt[0]
                continue
        e = nxt[e]


def _unlink(call: int, response: int, nxt: list[int], prv: list[int]) -> None:
    nxt[prv[call]] = nxt[call]
    prv[nxt[call]] = prv[call]
    if response:
        nxt[prv[response]] = nxt[response]
        prv[nxt[response]] = prv[response]


def _relink(call: int, response: int, nxt: list[int], prv: list[int]) -> None:
    if response:
        nxt[prv[response]] = response
        prv[nxt[response]] = response
    nxt[prv[call]] = call
    prv[nxt[call]] = call
