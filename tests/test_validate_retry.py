"""The engine spares retrying an unexplained event after another node's event whose handler
changes nothing but the World left the candidate Worlds as they were (engine.WORLD_ONLY): the
retry would fail as the try before it did. That holds only if those handlers never write the
Context; these tests check it on every recorded run, and that verdicts are the same with or
without the shortcut."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from raftcheck.traces import events as ev
from raftcheck.traces.events import SourceRef
from raftcheck.validate import engine
from raftcheck.validate import merge as merge_module
from raftcheck.validate.context import Context
from raftcheck.validate.engine import check_run
from raftcheck.validate.handlers import HANDLERS, WORLD_ONLY
from raftcheck.validate.merge import FileQueue, Merge
from raftcheck.validate.observe import observes
from raftcheck.validate.runs import find_runs
from raftcheck.validate.world import Unexplained
from tests.forge import copy_run, edit_line
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


def _count_spares(mp: pytest.MonkeyPatch) -> list[int]:
    """Count the retries the engine spares (engine._same is asked only where it may spare
    one, and spares it where it answers yes)."""
    spared = [0]
    same = engine._same

    def counted(before, after):
        result = same(before, after)
        spared[0] += result
        return result

    mp.setattr(engine, "_same", counted)
    return spared


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
def test_verdicts_are_the_same_with_every_retry_made() -> None:
    spared = [0]
    for run in RUNS:
        with pytest.MonkeyPatch.context() as mp:
            counted = _count_spares(mp)
            shortcut = _verdict(run)
            spared[0] += counted[0]
            mp.setattr(engine.Validator, "_changes_only_worlds", lambda self, e: False)
            assert _verdict(run) == shortcut, run
    assert spared[0] > 0  # the shortcut was taken


FLAPPING = Path(__file__).parent / "data" / "etcd" / "3.5-flapping-no-pre-vote"


def test_a_violation_after_spared_retries_is_found_at_its_line_either_way(
        tmp_path: Path) -> None:
    """A term gone back late in the flapping run (node1's last campaign, term 12 logged as
    10): after retries the engine spared, it is TermMonotonic at that line, as with every
    retry made; the run unedited conforms both ways (tested above)."""
    logs = copy_run(FLAPPING, tmp_path)
    path = logs / "node1.log"
    assert "became candidate at term 12" in path.read_text().splitlines()[191]
    edit_line(path, 192, lambda s: s.replace("at term 12", "at term 10"))
    verdicts = []
    for spare in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            counted = _count_spares(mp)
            if not spare:
                mp.setattr(engine.Validator, "_changes_only_worlds", lambda self, e: False)
            verdict = check_run(find_runs([logs])[0])
            verdicts.append((verdict.status, verdict.rule, verdict.location))
            assert (counted[0] > 0) == spare
    assert verdicts[0] == verdicts[1] == ("violates", "TermMonotonic", f"{path}:192")


# --- the awaited node's file first --------------------------------------------------------

def _without_direction(mp: pytest.MonkeyPatch) -> None:
    """The merge as before: other files' events earliest first, whatever e waits for."""
    candidates = Merge.candidates
    mp.setattr(Merge, "candidates", lambda self, e, source, awaited=None:
               candidates(self, e, source))


def _count_failed_tries(mp: pytest.MonkeyPatch) -> list[int]:
    failed = [0]
    step = engine.Validator.step

    def counted(self, e, sees):
        try:
            return step(self, e, sees)
        except Unexplained:
            failed[0] += 1
            raise

    mp.setattr(engine.Validator, "step", counted)
    return failed


def test_the_merge_offers_the_awaited_nodes_file_first() -> None:
    def queue(number: int, node: str, second: int) -> FileQueue:
        e = ev.TermObserved(node=node, source=SourceRef(f"{node}.log", 1, ""), term=1,
                            time=datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC))
        return FileQueue(number, f"{node}.log", "capnslog", iter([e]), observes("capnslog"))

    waiting, early, later = queue(0, "n1", 1), queue(1, "n2", 0), queue(2, "n3", 1)
    merge = Merge([waiting, early, later], max_skew=1.0)
    e = waiting.head()
    assert merge.candidates(e, waiting) == [early, later]  # by time
    assert merge.candidates(e, waiting, "n3") == [later, early]  # what e waits for first
    assert merge.candidates(e, waiting, "n9") == [early, later]  # no file of that node


CAPNSLOG_FLAPPING = Path(__file__).parent / "data" / "etcd" / "3.4-flapping-capnslog"


def test_whole_second_clocks_fail_fewer_tries_with_the_awaited_file_first() -> None:
    """etcd 3.4's text log stamps whole seconds: an event waiting for another node's step is
    retried among every node's events of that second. Looking in the awaited node's file
    first fails fewer tries (here 67 instead of 89; on a 300 s five-member run of 26,150 lines,
    11,161 instead of 19,343) and changes no verdict (every recorded run, below)."""
    with_it, without = _failed_tries_both_ways(_without_direction)
    assert with_it < without


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
def test_verdicts_are_the_same_without_the_awaited_file_first() -> None:
    _same_verdicts_without(_without_direction)


def _failed_tries_both_ways(undo, run: Path = CAPNSLOG_FLAPPING) -> tuple[int, int]:
    """Failed tries on a run (the capnslog flapping one) with a shortcut, and with ``undo``
    taking it away; the run conforms both ways."""
    tries = []
    for keep in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            if not keep:
                undo(mp)
            failed = _count_failed_tries(mp)
            verdict = _verdict(run)
            tries.append(failed[0])
        assert verdict["status"] == "conforms"
    return tries[0], tries[1]


def _same_verdicts_without(undo) -> None:
    """Every recorded run's verdict is the same with a shortcut and with ``undo`` taking it
    away."""
    for run in RUNS:
        kept = _verdict(run)
        with pytest.MonkeyPatch.context() as mp:
            undo(mp)
            assert _verdict(run) == kept, run


# --- tried again only after the awaited node's steps ---------------------------------------

def _retry_after_every_step(mp: pytest.MonkeyPatch) -> None:
    """The engine as before: a failed event, and a file's failed head, tried again after any
    step of any node."""
    mp.setattr(engine.Validator, "_may_explain", lambda self, waits, h: True)


def test_whole_second_clocks_fail_fewer_tries_retrying_after_the_awaited_nodes_steps() -> None:
    """On whole-second clocks a chain of waits (e waits for n2, whose next event waits for n5)
    tried e and n2's event again after each of n5's events. Trying an event that waits for a
    node again only after that node's steps (and, once nothing more can be taken, after any)
    fails fewer tries (on the 300 s five-member capnslog run, 5,799 instead of 11,161)."""
    precise, after_every_step = _failed_tries_both_ways(_retry_after_every_step)
    assert precise < after_every_step


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
def test_verdicts_are_the_same_retrying_after_every_step() -> None:
    _same_verdicts_without(_retry_after_every_step)


def test_a_violation_on_whole_second_clocks_is_found_at_its_line_either_way(
        tmp_path: Path) -> None:
    """node1 counts a vote of term 4 that node2 refused (its own line says so): in the
    capnslog run the count waits for node2's steps of that second. The same rule at the same
    line with precise retries and with a retry after every step."""
    logs = copy_run(CAPNSLOG_FLAPPING, tmp_path)
    path = logs / "node1.log"
    refused = "received MsgVoteResp rejection from 3eb92861e1635958 at term 4"
    assert refused in path.read_text().splitlines()[86]
    assert "rejected MsgVote from e216362c8e00c211 [logterm: 2, index: 13] at term 4" in \
        (logs / "node2.log").read_text()
    edit_line(path, 87, lambda line: line.replace("rejection ", ""))
    results = []
    for precise in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            if not precise:
                _retry_after_every_step(mp)
            verdict = check_run(find_runs([logs])[0])
            results.append((verdict.status, verdict.rule, verdict.location))
    assert results[0] == results[1] == ("violates", "RequestVote", f"{path}:87")


# --- at one instant, the line that follows fewer other nodes' steps first -------------------

def test_at_one_instant_the_merge_takes_the_line_that_follows_fewer_steps_first() -> None:
    """Two nodes' lines of one millisecond: the vote cast (it follows a request) before the
    vote counted (it follows the cast), whatever the files' order; a candidate's own vote
    counted follows no one, and goes before a third node hearing its request."""
    at = datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)

    def queue(number: int, e: ev.Event) -> FileQueue:
        return FileQueue(number, f"{e.node}.log", "etcd-zap", iter([e]), observes("etcd-zap"))

    def source(node: str) -> SourceRef:
        return SourceRef(f"{node}.log", 1, "")

    counted = ev.VoteReceived(node="n1", source=source("n1"), time=at, voter="n2", term=2)
    cast = ev.VoteCast(node="n2", source=source("n2"), time=at, candidate="n1", term=2,
                       granted=True)
    merge = Merge([queue(0, counted), queue(1, cast)], max_skew=0.1)
    assert merge.next_queue().head() is cast
    own = ev.VoteReceived(node="n1", source=source("n1"), time=at, voter="n1", term=2)
    heard = ev.TermObserved(node="n3", source=source("n3"), time=at, term=2)
    merge = Merge([queue(0, heard), queue(1, own)], max_skew=0.1)
    assert merge.next_queue().head() is own


FIVE_FAST = Path(__file__).parent / "data" / "etcd" / "3.5-flapping-five-fast"


def _ties_by_file_order(mp: pytest.MonkeyPatch) -> None:
    """The merge as before: lines of one instant in the order of their files."""
    mp.setattr(merge_module, "after_others", lambda e: 0)


def test_lines_of_one_millisecond_fail_fewer_tries_the_cause_first() -> None:
    """Five members at 20 ms heartbeats log a vote and its count, a request and the term it
    raises, in the same millisecond: taking the line that follows fewer other nodes' steps
    first fails fewer tries (on a 240 s seven-member run, 108 retries instead of 1,667)."""
    with_it, without = _failed_tries_both_ways(_ties_by_file_order, FIVE_FAST)
    assert with_it < without


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
def test_verdicts_are_the_same_with_lines_of_one_instant_in_file_order() -> None:
    for run in RUNS:
        kept = _verdict(run)
        with pytest.MonkeyPatch.context() as mp:
            _ties_by_file_order(mp)
            other = _verdict(run)
        assert [other[k] for k in ("status", "rule", "location")] == \
            [kept[k] for k in ("status", "rule", "location")], run
