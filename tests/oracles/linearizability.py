"""A brute-force linearizability oracle for small register histories, for tests.

It shares nothing with raftcheck.history's search: it tries every subset of the indeterminate
operations and every order of the chosen operations, and accepts an order that respects real
time and a register's rules. Exponential, obviously faithful; fine up to ~8 operations.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Sequence

from raftcheck.history.operations import CAS, FAIL, INFO, OK, READ, WRITE, Operation


def legal(order: Sequence[Operation], start: Hashable) -> bool:
    value = start
    for op in order:
        if op.f == READ:
            if op.value != value:
                return False
        elif op.f == WRITE:
            value = op.value
        elif op.f == CAS:
            old, new = op.value
            if value != old:
                return False
            value = new
    return True


def respects_real_time(order: Sequence[Operation]) -> bool:
    for i, later in enumerate(order):
        for earlier in order[i + 1:]:
            # ``earlier`` is placed after ``later``: wrong if it responded before ``later``
            # was invoked (an indeterminate operation never responds).
            if earlier.status == OK and earlier.complete is not None \
                    and earlier.complete < later.invoke:
                return False
    return True


def linearizable(operations: Iterable[Operation], start_values: Sequence[Hashable] = (None,),
                 ) -> bool:
    """Whether some start value, some subset of the indeterminate operations and some order
    explain every ok operation."""
    ops = [op for op in operations if op.status != FAIL and not (op.f == READ and op.status != OK)]
    required = [op for op in ops if op.status == OK]
    optional = [op for op in ops if op.status == INFO]
    for start in start_values:
        for k in range(len(optional) + 1):
            for chosen in itertools.combinations(optional, k):
                for order in itertools.permutations(required + list(chosen)):
                    if respects_real_time(order) and legal(order, start):
                        return True
    return False
