"""The engine spares retrying an unexplained event after another node's event whose handler
changes nothing but the World left the candidate Worlds as they were (engine.WORLD_ONLY): the
retry would fail as the try before it did. That holds only if those handlers never write the
Context; these tests check it on every recorded run, and that verdicts are the same with or
without the shortcut."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from raftcheck.validate import engine
from raftcheck.validate.context import Context
from raftcheck.validate.engine import check_run
from raftcheck.validate.handlers import HANDLERS, WORLD_ONLY
from raftcheck.validate.runs import find_runs
from tests.test_validate_fuzz import RUNS

NUMBERING = ("numbers", "names")
"""Context fields a handler may fill on first sight of a node (a number, once, for good)."""


def _state(cx: Context) -> dict:
    """The Context's fields as they are now (the rules object itself: it is replaced, never
    changed in place)."""
    return {f.name: getattr(cx, f.name) if f.name == "rules" else
            copy.deepcopy(getattr(cx, f.name))
            for f in dataclasses.fields(cx) if f.name not in NUMBERING}


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
def test_world_only_handlers_never_write_the_context() -> None:
    calls = 0

    def watched(handler):
        def run(w, e, cx):
            nonlocal calls
            calls += 1
            before = _state(cx)
            try:
                return list(handler(w, e, cx))
            finally:
                assert _state(cx) == before, f"{handler.__name__} wrote the Context at {e.source}"
        return run

    with pytest.MonkeyPatch.context() as mp:
        for kind, handler in HANDLERS.items():
            if handler in WORLD_ONLY:
                mp.setitem(HANDLERS, kind, watched(handler))
        for run in RUNS:
            check_run(find_runs([run])[0])
    assert calls > 1000  # the runs exercise them


def _verdict(run: Path) -> dict:
    body = check_run(find_runs([run])[0]).to_json()
    body.pop("seconds")
    return body


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
def test_verdicts_are_the_same_with_every_retry_made() -> None:
    spared = 0
    changes_only_worlds = engine.Validator._changes_only_worlds

    def counted(self, e):
        nonlocal spared
        quiet = changes_only_worlds(self, e)
        spared += quiet
        return quiet

    for run in RUNS:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(engine.Validator, "_changes_only_worlds", counted)
            shortcut = _verdict(run)
            mp.setattr(engine.Validator, "_changes_only_worlds", lambda self, e: False)
            assert _verdict(run) == shortcut, run
    assert spared > 0  # the shortcut was taken
