"""Every event kind the readers make has a handler in validate's table (handlers.py)."""

from __future__ import annotations

from raftcheck.traces.events import EVENT_TYPES
from raftcheck.validate.handlers import HANDLERS


def test_every_event_kind_has_a_handler() -> None:
    assert set(EVENT_TYPES) - set(HANDLERS) == set()

