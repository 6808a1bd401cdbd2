"""Python's cyclic garbage collector, run rarely while a search runs.

A search makes containers at a high rate (a tuple for every successor, a list for every step
copied) and frees nearly all of them at once by reference counting; what it keeps (the states
of a level, the model's memo entries) lives for levels. With Python's default threshold the
collector walks the young containers every 700 more made than freed: some 2,000 times in a
search of 700k states, freeing nothing (the states are tuples of ints, with no cycles), and
touching memory the search is not using. Measured on the raft-tla profile at (2, 0, 1, 1)
(valgrind, instructions): 1 % of one process's, 3 % of two workers'; their CPU time falls more
(the walks evict what the search was using from the caches).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Containers made (and not freed) between two young collections while a search runs.
YOUNG = 100_000


def collect_rarely() -> tuple[int, ...]:
    """Collect young containers every YOUNG instead of the default; the threshold before."""
    before = gc.get_threshold()
    gc.set_threshold(YOUNG, *before[1:])
    return before


@contextmanager
def rarely_collected() -> Iterator[None]:
    """collect_rarely() for the duration of a block, the threshold restored after."""
    before = collect_rarely()
    try:
        yield
    finally:
        gc.set_threshold(*before)
