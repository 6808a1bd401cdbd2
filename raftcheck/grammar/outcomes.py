"""What a format reader makes of each line: parsed drafts, a skipped line, or a problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from raftcheck.grammar.drafts import Draft, RawId


@dataclass(slots=True)
class Parsed:
    """A record (``lines`` physical lines from ``line`` on) that yields ``drafts``."""

    line: int
    raw: str
    time: datetime | None
    drafts: Sequence[Draft]  # a shapes.Filled for a text of a learnt message shape
    lines: int = 1


@dataclass(slots=True)
class Bad:
    """A Raft-looking record that does not parse. ``fatal``: the file cannot be read on
    (another format's line inside it)."""

    line: int
    raw: str
    message: str
    fatal: bool = False
    lines: int = 1


class _Skip:
    """A line that carries no Raft state (non-raft component, banner, blank, command)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SKIP"


SKIP = _Skip()
Outcome = Parsed | Bad | _Skip
SKIPPED: Sequence[Outcome] = (SKIP,)
PENDING: Sequence[Outcome] = ()


PRECISION_SECONDS = {"1s": 1.0, "1ms": 1e-3, "1us": 1e-6, "1ns": 1e-9}
"""A reader's ``time_precision`` in seconds."""


class Reader(Protocol):
    """One file's reader: fed every line in order, it returns the outcome of each record.

    A reader may hold a multi-line record back (returning PENDING) and return it with a later
    line or from finish(). ``owner`` is the file's own node once known (None for files that
    hold several nodes); ``time_precision`` e.g. "1s", "1ms", or None (no clock).
    """

    path: str
    format: str
    owner: RawId | None
    time_precision: str | None

    def feed(self, lineno: int, line: str) -> Sequence[Outcome]: ...

    def finish(self) -> Sequence[Outcome]: ...

    def stamp(self, line: str) -> datetime | None:
        """The time a line of the file carries, whether or not the reader reads the line
        (None: it has none), by the reader's own reading of times. For the clock a log shows
        (validate/clocks.py), on a reader of its own: it may note the clock's precision as
        feeding a line does, and is not to be mixed with feeding lines."""
        ...
