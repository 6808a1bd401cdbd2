"""Lines that a log holds twice (a log shipper's retry, a log gathered twice, rotated parts that
overlap) are read once: without that, the repeat is a node going back in time, and a
conforming run VIOLATES TermMonotonic. A line that only looks like a repeat (its text differs,
by a millisecond) is read, and caught at its line; a clock that steps back is not a repeat.

The runs are real recordings (tests/data/etcd); line numbers and times below are read from the
files themselves, never from the validator."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from raftcheck.timeline import build_timeline
from raftcheck.traces import replays
from raftcheck.traces.events import ServerConfig
from raftcheck.traces.logfiles import read_logs
from raftcheck.validate.engine import check_run
from raftcheck.validate.report import CONFORMS, VIOLATES
from raftcheck.validate.runs import find_runs
from tests.forge import copy_run
from tests.test_validate_clock_steps import step_back

DATA = Path(__file__).parent / "data" / "etcd"
ZAP = DATA / "3.5-flapping-no-pre-vote"
CAPNSLOG = DATA / "3.4-flapping-capnslog"
RUNS = [pytest.param(ZAP, id="zap"), pytest.param(CAPNSLOG, id="capnslog")]

_ZAP_TS = re.compile(r'"ts":"([^"]+)"')
_RAFT_TS = re.compile(r"^raft(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) ")
_BECAME = re.compile(r"became (?:follower|candidate|pre-candidate|leader) at term (\d+)")


def _raft_time(line: str) -> datetime | None:
    """The time of a raft line (zap's logger "raft", or 3.4's "raft2026/..." lines)."""
    if '"logger":"raft"' in line:
        return datetime.fromisoformat(_ZAP_TS.search(line).group(1).replace("Z", "+00:00"))
    found = _RAFT_TS.match(line)
    return datetime.strptime(found.group(1), "%Y/%m/%d %H:%M:%S") if found else None


def _a_second_later(line: str) -> str:
    """The same raft line stamped one second later (so no longer a repeat of it)."""
    t = _raft_time(line) + timedelta(seconds=1)
    if '"logger":"raft"' in line:
        stamp = f'"ts":"{t.strftime("%Y-%m-%dT%H:%M:%S.")}{t.microsecond // 1000:03d}Z"'
        return _ZAP_TS.sub(stamp, line, count=1)
    return _RAFT_TS.sub(f"raft{t.strftime('%Y/%m/%d %H:%M:%S')} ", line, count=1)


def _stretch(lines: list[str], seconds: float = 2.0) -> tuple[int, int]:
    """(a, b), line numbers from 1: b about two thirds into the file, a the last raft line at
    least ``seconds`` earlier than b's last raft line before it."""
    b = len(lines) * 2 // 3
    end = next(_raft_time(lines[k]) for k in range(b - 1, -1, -1) if _raft_time(lines[k]))
    a = max(k + 1 for k in range(b) if (t := _raft_time(lines[k])) is not None
            and t <= end - timedelta(seconds=seconds))
    return a, b


def _replay_notes(verdict) -> list[str]:
    return [n for n in verdict.notes if "line for line" in n]


def _verdict(logs: Path):
    [run] = find_runs([logs])
    return check_run(run)


def _reads_as_the_run(run: Path, logs: Path):
    """The verdict of ``logs``, asserted to conform as ``run`` does, with the same events."""
    original, verdict = _verdict(run), _verdict(logs)
    assert original.status == verdict.status == CONFORMS, verdict.reason
    assert (verdict.events, verdict.checked) == (original.events, original.checked)
    return verdict


def _span(path: Path, first: int, last: int) -> str:
    return f"{path}:{first}–{last}"


HASHICORP = Path(__file__).parent / "data" / "hashicorp" / "flapping"


@pytest.mark.parametrize("run", [*RUNS, pytest.param(HASHICORP, id="hashicorp")])
def test_a_log_gathered_twice_is_read_once(tmp_path: Path, run: Path) -> None:
    logs = copy_run(run, tmp_path)
    path = logs / "node2.log"
    text = path.read_text()
    n = len(text.splitlines())
    path.write_text(text + text)
    verdict = _reads_as_the_run(run, logs)
    [note] = _replay_notes(verdict)
    found = re.fullmatch(rf"{re.escape(str(path))}:(\d+)–(\d+) repeat "
                         rf"{re.escape(str(path))}:(\d+)–(\d+) line for line.*", note)
    assert found is not None, note
    first, last, of_first, of_last = map(int, found.groups())
    assert (last, of_last) == (2 * n, n) and first == n + of_first
    # the repeat is read from the first line that goes back in time: the copy's first raft
    # line at the latest (lines before it carry no Raft state)
    first_raft = next((k for k, line in enumerate(text.splitlines(), 1) if _raft_time(line)),
                      n)  # (hashicorp's lines: not told apart here)
    assert 1 <= of_first <= first_raft


@pytest.mark.parametrize("run", RUNS)
def test_without_looking_for_repeats_a_log_gathered_twice_is_a_false_alarm(
        tmp_path: Path, run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logs = copy_run(run, tmp_path)
    path = logs / "node2.log"
    path.write_text(path.read_text() * 2)
    monkeypatch.setattr(replays, "MAX_SCANNED", 0)
    verdict = _verdict(logs)
    assert verdict.status == VIOLATES and verdict.rule == "TermMonotonic"
    assert not _replay_notes(verdict)


@pytest.mark.parametrize("run", RUNS)
def test_a_line_that_differs_from_what_it_seems_to_repeat_is_read_and_caught(
        tmp_path: Path, run: Path) -> None:
    logs = copy_run(run, tmp_path)
    path = logs / "node2.log"
    lines = path.read_text().splitlines(keepends=True)
    n = len(lines)
    terms = [int(m.group(1)) for line in lines if (m := _BECAME.search(line))]
    # a state change to a term below the last one, past the copy's first raft line
    first_raft = next(k for k, line in enumerate(lines, 1) if _raft_time(line))
    m = next(k for k, line in enumerate(lines, 1) if k > first_raft + 5
             and (found := _BECAME.search(line)) and int(found.group(1)) < max(terms))
    copy = list(lines)
    copy[m - 1] = _a_second_later(copy[m - 1])
    path.write_text("".join(lines + copy))
    verdict = _verdict(logs)
    assert verdict.status == VIOLATES, verdict.reason
    assert verdict.rule == "TermMonotonic"
    assert verdict.location == f"{path}:{n + m}"
    # the repeat ends before the changed line (the lines after it may repeat again)
    first = re.match(rf"{re.escape(str(path))}:(\d+)–{n + m - 1} repeat ",
                     _replay_notes(verdict)[0])
    assert first is not None and n < int(first.group(1)) < n + m


@pytest.mark.parametrize("run", RUNS)
def test_a_shippers_retry_in_the_middle_is_read_once(tmp_path: Path, run: Path) -> None:
    logs = copy_run(run, tmp_path)
    path = logs / "node2.log"
    lines = path.read_text().splitlines(keepends=True)
    a, b = _stretch(lines)
    path.write_text("".join(lines[:b] + lines[a - 1:b] + lines[b:]))
    verdict = _reads_as_the_run(run, logs)
    assert _replay_notes(verdict) == [
        f"{_span(path, b + 1, 2 * b - a + 1)} repeat {_span(path, a, b)} line for line and "
        "were read once (a log shipper's retry, or a log gathered twice?)"]


@pytest.mark.parametrize("run", RUNS)
def test_rotated_parts_that_overlap_are_read_once(tmp_path: Path, run: Path) -> None:
    logs = copy_run(run, tmp_path)
    path = logs / "node2.log"
    lines = path.read_text().splitlines(keepends=True)
    a, b = _stretch(lines)
    (logs / "node2.log.1").write_text("".join(lines[:b]))
    path.write_text("".join(lines[a - 1:]))
    verdict = _reads_as_the_run(run, logs)
    [note] = _replay_notes(verdict)
    assert note.startswith(f"{_span(path, 1, b - a + 1)} repeat "
                           f"{_span(logs / 'node2.log.1', a, b)} line for line")


def test_a_repeat_of_the_second_of_two_twins_is_named_so(tmp_path: Path) -> None:
    """A message refused many times in one millisecond logs the same line many times: a
    repeat starting at the second of two twins is followed from both, read once, and named
    as a repeat of the second (after the first comes the second itself, which the repeat does
    not go on with)."""
    logs = copy_run(ZAP, tmp_path)
    path = logs / "node3.log"
    lines = path.read_text().splitlines(keepends=True)
    twins = [k for k in range(2, len(lines)) if lines[k - 1] == lines[k - 2]
             and _raft_time(lines[k - 1]) and lines[k] != lines[k - 1]]
    a = twins[len(twins) // 2]  # the second of two like lines, followed by another line
    end = _raft_time(lines[a - 1]) + timedelta(seconds=2)
    b = next(k for k in range(a, len(lines) + 1)
             if (t := _raft_time(lines[k - 1])) is not None and t > end)
    path.write_text("".join(lines[:b] + lines[a - 1:b] + lines[b:]))
    verdict = _reads_as_the_run(ZAP, logs)
    [note] = _replay_notes(verdict)
    assert note.startswith(f"{_span(path, b + 1, 2 * b - a + 1)} repeat {_span(path, a, b)} ")


def test_a_clock_stepped_back_is_not_a_repeat(tmp_path: Path) -> None:
    logs = copy_run(ZAP, tmp_path)
    line = step_back(logs / "node2.log", 2.0)
    verdict = _verdict(logs)
    original = _verdict(ZAP)
    assert verdict.status == CONFORMS, verdict.reason
    assert (verdict.events, verdict.checked) == (original.events, original.checked)
    assert not _replay_notes(verdict)
    assert any(n.startswith(f"{logs / 'node2.log'}:{line} is ") for n in verdict.notes)


def test_the_timeline_reads_a_repeat_once_and_says_so(tmp_path: Path) -> None:
    logs = copy_run(ZAP, tmp_path)
    path = logs / "node2.log"
    path.write_text(path.read_text() * 2)
    original, doubled = build_timeline([ZAP]), build_timeline([logs])
    assert [(e.term, e.leader, e.at) for e in doubled.elections] == \
        [(e.term, e.leader, e.at) for e in original.elections]
    assert doubled.events == original.events
    assert [n for n in doubled.notes if "line for line" in n and n.startswith(str(path))]


_EVENT_LINES: dict[Path, dict[int, datetime]] = {}


def _event_times(run: Path, name: str) -> dict[int, datetime]:
    """Line -> time of each line of the run's file ``name`` that gives a timed event."""
    key = run / name
    if key not in _EVENT_LINES:
        events = read_logs([run]).events
        # (a server's start-up banner is one event, read where its member id shows: not at
        # its own line)
        _EVENT_LINES[key] = {e.source.line: e.time for e in events
                             if e.source.path == str(key) and e.time is not None
                             and not isinstance(e, ServerConfig)}
    return _EVENT_LINES[key]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_stretch_resent_anywhere_later_is_read_once(tmp_path_factory, data) -> None:
    """A stretch a..b of a real log resent after any later line c: where its first event line
    goes back in time (past the tolerance), the run reads as it did, every event once."""
    run = data.draw(st.sampled_from([ZAP, CAPNSLOG]))
    path_in_run = run / "node2.log"
    lines = path_in_run.read_text().splitlines(keepends=True)
    times = _event_times(run, "node2.log")
    n = len(lines)
    a = data.draw(st.integers(1, n))
    b = data.draw(st.integers(a, min(n, a + 80)))
    c = data.draw(st.integers(b, n))
    first = next((k for k in range(a, b + 1) if k in times), None)
    before = max((k for k in times if k <= c), default=None)
    tolerance = 1.0 if run is CAPNSLOG else replays.MIN_BACK
    assume(first is not None and before is not None)
    assume(times[first] < times[before] - timedelta(seconds=tolerance + 0.01))
    logs = tmp_path_factory.mktemp("resent") / run.name
    shutil.copytree(run, logs)
    path = logs / "node2.log"
    path.write_text("".join(lines[:c] + lines[a - 1:b] + lines[c:]))
    original, verdict = _verdict(run), _verdict(logs)
    assert verdict.status == original.status, verdict.reason
    assert (verdict.events, verdict.checked) == (original.events, original.checked)
    [note] = _replay_notes(verdict)
    start = re.match(rf"{re.escape(str(path))}:(\d+)", note)
    assert start is not None and c + 1 <= int(start.group(1)) <= c + 1 + first - a, note


def test_a_log_shorter_than_the_tolerance_gathered_twice_is_read_once(tmp_path: Path) -> None:
    """A server killed within 0.2 s of its start: its log, gathered twice, goes back less than
    the 0.25 s a line must go back to be looked for, but back to the log's first time: a
    repeat. The run reads as it does with the log once (whatever that verdict is)."""
    run = DATA / "3.5-kill"
    lines = (run / "node2.log").read_text().splitlines(keepends=True)
    times = [datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
             if (m := _ZAP_TS.search(s)) else None for s in lines]
    start = next(t for t in times if t is not None)
    k = max(n for n, t in enumerate(times, 1)
            if t is not None and (t - start).total_seconds() < 0.2)
    assert sum('"logger":"raft"' in s for s in lines[:k]) >= 5  # (it logged Raft lines)
    once = copy_run(run, tmp_path / "once")
    (once / "node2.log").write_text("".join(lines[:k]))
    twice = copy_run(run, tmp_path / "twice")
    path = twice / "node2.log"
    path.write_text("".join(lines[:k] * 2))
    expected, verdict = _verdict(once), _verdict(twice)
    assert (verdict.status, verdict.rule, verdict.events, verdict.checked) == \
        (expected.status, expected.rule, expected.events, expected.checked)
    assert (verdict.location or "").replace(str(twice), "") == \
        (expected.location or "").replace(str(once), "")
    [note] = _replay_notes(verdict)
    assert re.match(rf"{re.escape(str(path))}:\d+–{2 * k} repeat ", note), note
