"""Checking a history: each key on its own (linearizability is compositional: a history is
linearizable exactly when its restriction to every key is, Herlihy & Wing's locality), then, for
a key that is not, the window that shows why (window.py)."""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field

from raftcheck import exit_codes

from .model import Values, step_of
from .operations import History
from .search import OutOfTime, linearizable
from .window import EXPLAIN_SECONDS, Window, explain


@dataclass
class KeyVerdict:
    """``linearizable`` None: the time budget ran out before the search decided."""

    key: Hashable
    operations: int
    linearizable: bool | None
    tried: int
    seconds: float
    window: Window | None = None


@dataclass
class HistoryVerdict:
    history: History
    keys: list[KeyVerdict]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def failing(self) -> list[KeyVerdict]:
        return [k for k in self.keys if k.linearizable is False]

    @property
    def undecided(self) -> list[KeyVerdict]:
        return [k for k in self.keys if k.linearizable is None]

    @property
    def exit_code(self) -> int:
        if self.failing:
            return exit_codes.VIOLATED
        if self.undecided:
            return exit_codes.STOPPED
        return exit_codes.HOLDS


def check_history(history: History, time_limit: float | None = None,
                  explain_failures: bool = True,
                  window_time: float = EXPLAIN_SECONDS) -> HistoryVerdict:
    """Check every key of ``history``, within ``time_limit`` seconds in all if given; for a
    key that fails, find its window (``window_time`` seconds to make it small)."""
    start = time.monotonic()
    deadline = start + time_limit if time_limit is not None else None
    verdicts = []
    for key, ops in history.by_key().items():
        began = time.monotonic()
        values = Values()
        initial = values.id(None)
        steps = [s for s in (step_of(op, values) for op in ops) if s is not None]
        try:
            outcome = linearizable(steps, initial, deadline)
        except OutOfTime:
            verdicts.append(KeyVerdict(key, len(ops), None, 0, time.monotonic() - began))
            continue
        verdict = KeyVerdict(key, len(ops), outcome.linearizable, outcome.tried,
                             time.monotonic() - began)
        if not outcome.linearizable and explain_failures:
            try:
                verdict.window = explain(ops, deadline, window_time)
            except OutOfTime:
                verdict.window = None
        verdict.seconds = time.monotonic() - began
        verdicts.append(verdict)
    return HistoryVerdict(history, verdicts, time.monotonic() - start, list(history.notes))
