"""A node's clock stepped back (an NTP correction): its later lines carry times earlier than they
happened. The merge takes the step as it reads it and tolerates that much more for the file's
later lines; the verdict names the line and the step."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from raftcheck.validate.engine import check_run
from raftcheck.validate.report import CONFORMS, VIOLATES
from raftcheck.validate.runs import find_runs
from tests.forge import copy_run, edit_line
from tests.test_validate_fuzz import RUNS

KILL = Path(__file__).parent / "data" / "etcd" / "3.5-kill"
_TS = re.compile(r'"ts":"([^"]+)"')


def step_back(path: Path, seconds: float) -> int:
    """Shift the times of the file's second half back by ``seconds``, from its first raft line
    there; returns that line's number."""
    lines = path.read_text().splitlines(keepends=True)
    first = next(k for k in range(len(lines) // 2, len(lines))
                 if '"logger":"raft"' in lines[k]) + 1

    def earlier(found: re.Match) -> str:
        t = datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))
        t -= timedelta(seconds=seconds)
        return f'"ts":"{t.strftime("%Y-%m-%dT%H:%M:%S.")}{t.microsecond // 1000:03d}Z"'

    path.write_text("".join(lines[:first - 1]) +
                    "".join(_TS.sub(earlier, line) for line in lines[first - 1:]))
    return first


def _notes_of_steps(verdict) -> list[str]:
    return [n for n in verdict.notes if "clock went back" in n]


def test_a_clock_stepped_back_two_seconds_conforms_with_a_note(tmp_path: Path) -> None:
    logs = copy_run(KILL, tmp_path)
    line = step_back(logs / "node2.log", 2.0)
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    notes = _notes_of_steps(verdict)
    assert [n.split(" is ")[0] for n in notes] == [f"{logs / 'node2.log'}:{line}"]
    step = re.search(r" is (\d+\.\d{3}) s earlier than the line before it", notes[0])
    assert step is not None and 1.9 < float(step.group(1)) <= 2.0  # (less the time between)
    before = check_run(find_runs([KILL])[0])
    assert (verdict.events, verdict.checked) == (before.events, before.checked)


def test_a_violation_after_the_step_is_still_found_at_its_line(tmp_path: Path) -> None:
    logs = copy_run(KILL, tmp_path)
    path = logs / "node2.log"
    line = step_back(path, 2.0)
    lines = path.read_text().splitlines()
    term_line = next(k for k in range(line, len(lines) + 1)
                     if re.search(r"became (follower|candidate|pre-candidate) at term [3-9]",
                                  lines[k - 1]))
    edit_line(path, term_line, lambda s: re.sub(r"at term (\d+)", "at term 1", s))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{path}:{term_line}")


def test_no_recorded_run_has_its_clock_go_back() -> None:
    """The real runs kept here: their clocks only went forward (within their resolution)."""
    for run in RUNS:
        for part in find_runs([run]):
            assert not _notes_of_steps(check_run(part)), run
