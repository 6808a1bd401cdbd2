"""A node's clock stepped back (an NTP correction): its later lines carry times earlier than they
happened. The merge takes the step as it reads it and tolerates that much more for the file's
later lines; the verdict names the line and the step.

A clock that jumps ahead shows nothing in its own file: it shows where another node's line needs
one of its lines that its times put later than the clock tolerance. The engine then takes that
node's lines up to --max-clock-gap later, and, where that explains the line, merges the node's
file that much earlier from then on; the verdict names the line and the gap."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from raftcheck.traces import events as ev
from raftcheck.validate import engine
from raftcheck.validate.clocks import find_jumps, find_slips
from raftcheck.validate.engine import ValidateOptions, Validator, check_run
from raftcheck.validate.report import CONFORMS, INCONCLUSIVE, VIOLATES
from raftcheck.validate.runs import find_runs
from tests.forge import copy_run, drop_lines, edit_line
from tests.test_validate_fuzz import RUNS

KILL = Path(__file__).parent / "data" / "etcd" / "3.5-kill"
FLAPPING = Path(__file__).parent / "data" / "etcd" / "3.5-flapping-no-pre-vote"
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


def term_back_after(path: Path, first: int) -> int:
    """The first line from ``first`` on where the node takes a term of 3 or more, changed to
    term 1 (a term going back: TermMonotonic there); returns its number."""
    lines = path.read_text().splitlines()
    line = next(k for k in range(first, len(lines) + 1)
                if re.search(r"became (follower|candidate|pre-candidate) at term [3-9]",
                             lines[k - 1]))
    edit_line(path, line, lambda s: re.sub(r"at term (\d+)", "at term 1", s))
    return line


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


@pytest.mark.parametrize("shift", ["step back 2 s", "jump ahead 10 s"])
def test_a_violation_after_the_clock_changed_is_still_found_at_its_line(tmp_path: Path,
                                                                       shift: str) -> None:
    logs = copy_run(KILL, tmp_path)
    path = logs / "node2.log"
    line = step_back(path, 2.0) if shift == "step back 2 s" else jump_ahead(path, 10)
    term_line = term_back_after(path, line)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{path}:{term_line}")


def test_no_recorded_run_has_its_clock_go_back() -> None:
    """The real runs kept here: their clocks only went forward (within their resolution)."""
    for run in RUNS:
        for part in find_runs([run]):
            assert not _notes_of_steps(check_run(part)), run


# --- a clock that jumps ahead ---------------------------------------------------------------

CAPNSLOG_FLAPPING = Path(__file__).parent / "data" / "etcd" / "3.4-flapping-capnslog"
_CAPNSLOG_TS = re.compile(r"^(raft)?(\d{4}[-/]\d\d[-/]\d\d \d\d:\d\d:\d\d)")


def jump_ahead(path: Path, seconds: int) -> int:
    """Shift the times of the file's second half forward by ``seconds`` (zap or capnslog), from
    its first raft line there; returns that line's number."""
    lines = path.read_text().splitlines(keepends=True)
    first = next(k for k in range(len(lines) // 2, len(lines))
                 if '"logger":"raft"' in lines[k] or lines[k].startswith("raft")) + 1

    _stamp_later(path, first, seconds)
    return first


def _stamp_later(path: Path, first: int, seconds: float) -> None:
    """The file's lines from ``first`` (from 1) to its end stamped ``seconds`` later (zap, or
    capnslog to the whole second)."""
    lines = path.read_text().splitlines(keepends=True)

    def later_zap(found: re.Match) -> str:
        t = datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))
        t += timedelta(seconds=seconds)
        return f'"ts":"{t.strftime("%Y-%m-%dT%H:%M:%S.")}{t.microsecond // 1000:03d}Z"'

    def later_text(found: re.Match) -> str:
        stamp = found.group(2)
        sep = "/" if "/" in stamp else "-"
        t = datetime.strptime(stamp, f"%Y{sep}%m{sep}%d %H:%M:%S") + timedelta(seconds=seconds)
        return (found.group(1) or "") + t.strftime(f"%Y{sep}%m{sep}%d %H:%M:%S")

    path.write_text("".join(lines[:first - 1]) + "".join(
        _CAPNSLOG_TS.sub(later_text, _TS.sub(later_zap, line)) for line in lines[first - 1:]))


def _notes_of_jumps(verdict) -> list[str]:
    return [n for n in verdict.notes if "s ahead of n" in n]


@pytest.mark.parametrize("seconds", [2, 10, 45])
@pytest.mark.parametrize("run", [KILL, CAPNSLOG_FLAPPING], ids=["zap", "capnslog"])
def test_a_clock_that_jumps_ahead_conforms_with_a_note(tmp_path: Path, run: Path,
                                                        seconds: int) -> None:
    logs = copy_run(run, tmp_path)
    path = logs / "node2.log"
    line = jump_ahead(path, seconds)
    verdict = check_run(find_runs([logs])[0])
    original = check_run(find_runs([run])[0])
    assert original.status == verdict.status == CONFORMS, verdict.reason
    assert (verdict.events, verdict.checked) == (original.events, original.checked)
    [note] = _notes_of_jumps(verdict)
    found = re.fullmatch(rf"{re.escape(str(path))}:(\d+): n2's clock ran (\d+\.\d{{3}}) s "
                         r"ahead of n[13]'s .*", note)
    assert found is not None, note
    assert int(found.group(1)) >= line  # (found where a line of n2 was first needed early)
    # the gap is the jump, less what the merge tolerates anyway (skew, clock resolution)
    assert seconds - 1.2 <= float(found.group(2)) <= seconds + 1.0


@pytest.mark.parametrize("run", [KILL, CAPNSLOG_FLAPPING], ids=["zap", "capnslog"])
def test_with_clocks_trusted_a_jump_ahead_is_a_false_alarm(tmp_path: Path, run: Path) -> None:
    logs = copy_run(run, tmp_path)
    jump_ahead(logs / "node2.log", 10)
    verdict = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert verdict.status == VIOLATES
    assert not _notes_of_jumps(verdict)


def test_a_jump_beyond_the_gap_allowed_is_not_taken_nor_trusted(tmp_path: Path) -> None:
    """A jump of 10 s with 5 allowed: not merged away, but not a violation either — the line
    is explained if n2's clock ran 10 s ahead, and the verdict says so."""
    logs = copy_run(KILL, tmp_path)
    jump_ahead(logs / "node2.log", 10)
    verdict = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=5))
    assert verdict.status == INCONCLUSIVE, verdict.reason
    found = re.match(r"not explained unless n2's clock ran (\d+) s ahead of n[13]'s, beyond "
                     r"--max-clock-gap 5 s \(clocks set apart\? local times of different "
                     r"zones\?\): \w+ at ", verdict.reason)
    assert found is not None, verdict.reason
    assert 9 <= int(found.group(1)) <= 11
    assert not _notes_of_jumps(verdict)


def test_a_vote_never_cast_is_not_explained_by_a_clock_ahead(tmp_path: Path) -> None:
    """A leader counts a vote that the voter never cast: no later line of the voter explains
    it, so no clock gap does, and the line is a violation."""
    logs = copy_run(KILL, tmp_path)
    files = {p: p.read_text().splitlines() for p in logs.glob("node*.log")}
    counted = re.compile(r"received MsgVoteResp from ([0-9a-f]+) at term (\d+)")
    # the first vote a candidate counts from another node, and the line where it was cast
    leader, line, voter, term = next(
        (p, k, m.group(1), m.group(2)) for p, lines in sorted(files.items())
        for k, s in enumerate(lines, 1)
        if (m := counted.search(s)) and f'"msg":"{m.group(1)} ' not in s)
    voter_file, cast = next((p, k) for p, lines in files.items() for k, s in enumerate(lines, 1)
                            if f'"msg":"{voter} [' in s and "cast MsgVote for" in s
                            and s.endswith(f'at term {term}"}}'))
    voter_file.write_text("".join(s + "\n" for k, s in enumerate(files[voter_file], 1)
                                  if k != cast))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{leader}:{line}")
    assert not _notes_of_jumps(verdict)


def test_clocks_set_apart_from_the_start_conform_with_a_note(tmp_path: Path) -> None:
    """n2's clock 3 s behind the others' all along: the others' lines are the ones found
    ahead, each of n2's."""
    logs = copy_run(FLAPPING, tmp_path)
    path = logs / "node2.log"

    def earlier(found: re.Match) -> str:
        t = datetime.fromisoformat(found.group(1).replace("Z", "+00:00")) - timedelta(seconds=3)
        return f'"ts":"{t.strftime("%Y-%m-%dT%H:%M:%S.")}{t.microsecond // 1000:03d}Z"'

    path.write_text(_TS.sub(earlier, path.read_text()))
    verdict = check_run(find_runs([logs])[0])
    original = check_run(find_runs([FLAPPING])[0])
    assert verdict.status == CONFORMS, verdict.reason
    assert (verdict.events, verdict.checked) == (original.events, original.checked)
    notes = _notes_of_jumps(verdict)
    assert notes and all(re.search(r": n[13]'s clock ran 2\.9\d\d s ahead of n2's", n)
                         or re.search(r": n[13]'s clock ran 3\.0\d\d s ahead of n2's", n)
                         for n in notes), notes


# --- a line whose time stands apart from its neighbours' ------------------------------------

LEADER_KILL = Path(__file__).parent / "data" / "etcd35" / "leader-kill"


def _restamp(path: Path, lines: range, hours: int) -> None:
    """Lines ``lines`` (numbered from 1) of a zap log stamped ``hours`` off, the rest kept."""
    for number in lines:
        edit_line(path, number, lambda s: _TS.sub(
            lambda m: '"ts":"' + (datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
                                  + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            + 'Z"', s))


def _notes_of_outliers(verdict) -> list[str]:
    return [n for n in verdict.notes if "stands apart from the lines around it" in n]


@pytest.mark.parametrize("node, lines, hours", [
    ("node1", range(60, 61), 3),   # n1's pre-candidacy, stamped 3 h ahead: n3's grant waits
    ("node1", range(60, 67), 3),   # n1's whole pre-vote campaign, 7 lines
    ("node3", range(59, 60), -3),  # n3's pre-vote grant, stamped 3 h behind
], ids=["one-ahead", "seven-ahead", "one-behind"])
def test_a_line_stamped_hours_off_is_merged_by_its_place(tmp_path: Path, node: str,
                                                        lines: range, hours: int) -> None:
    logs = copy_run(LEADER_KILL, tmp_path)
    path = logs / f"{node}.log"
    _restamp(path, lines, hours)
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    [note] = _notes_of_outliers(verdict)
    assert note.startswith(f"{path}:{lines[0]}: its time (")
    assert (f"; {len(lines) - 1} more such line(s)" in note) == (len(lines) > 1)


def test_a_line_stamped_hours_ahead_is_still_checked(tmp_path: Path) -> None:
    """The line out of time breaks a rule itself (n1 back at term 1): caught at that line."""
    logs = copy_run(LEADER_KILL, tmp_path)
    node1 = logs / "node1.log"
    assert "at term 3" in node1.read_text().splitlines()[133]
    edit_line(node1, 134, lambda s: s.replace("at term 3", "at term 1"))
    _restamp(node1, range(134, 135), 3)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node1}:134")


def test_a_clock_hours_ahead_from_a_line_on_is_no_outlier(tmp_path: Path) -> None:
    """n1's clock 3 h ahead from its line 60 to its end: beyond the gap, not explained, the
    verdict names the clocks; allowed a gap of 4 h, it conforms."""
    logs = copy_run(LEADER_KILL, tmp_path)
    node1 = logs / "node1.log"
    _restamp(node1, range(60, len(node1.read_text().splitlines()) + 1), 3)
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == INCONCLUSIVE
    assert verdict.reason.startswith("not explained unless n1's clock ran 10800 s ahead of "
                                     "n3's, beyond --max-clock-gap 60 s")
    assert not _notes_of_outliers(verdict)
    verdict = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=4 * 3600))
    assert verdict.status == CONFORMS, verdict.reason


def _shift_lines(path: Path, first: int, last: int, seconds: float) -> None:
    """Lines first..last (from 1) of a zap log stamped ``seconds`` later (earlier if < 0)."""
    for number in range(first, last + 1):
        edit_line(path, number, lambda s: _TS.sub(
            lambda m: '"ts":"' + (datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
                                  + timedelta(seconds=seconds)).strftime(
                                      "%Y-%m-%dT%H:%M:%S.%f")[:-3] + 'Z"', s))


def test_a_clock_beyond_the_gap_is_not_hidden_by_a_garbled_line(tmp_path: Path) -> None:
    """n2's clock 300 s ahead from its line 83 on, and its line 97 garbled 3 h back: the
    garbled line is an outlier, but it does not make n2's lines before it outliers too (they
    are on n2's clock, 300 s ahead): inconclusive, naming the gap."""
    logs = copy_run(KILL, tmp_path)
    node2 = logs / "node2.log"
    count = len(node2.read_text().splitlines())
    _shift_lines(node2, 83, count, 300)
    _shift_lines(node2, 97, 97, -3 * 3600)
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == INCONCLUSIVE, verdict.reason
    assert verdict.reason.startswith("not explained unless n2's clock ran 300 s ahead of n1's")
    assert [n.split(": its time")[0] for n in _notes_of_outliers(verdict)] == [f"{node2}:97"]


def test_a_line_half_a_minute_ahead_is_an_outlier_not_a_clock_ahead(tmp_path: Path) -> None:
    logs = copy_run(KILL, tmp_path)
    node2 = logs / "node2.log"
    _shift_lines(node2, 93, 93, 30)
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    assert [n.split(": its time")[0] for n in _notes_of_outliers(verdict)] == [f"{node2}:93"]
    assert not _notes_of_jumps(verdict)


def test_lines_beyond_the_gap_tried_for_a_verdict_leave_no_trace_in_it(tmp_path: Path) -> None:
    """n1 answers a vote request of n2 for term 9 that n2 never sent (a violation); n2's lines
    beyond the gap, tried to see whether a clock ahead explains it, include a forced restart
    (a feature outside the model): that must not make the violation an inconclusive one."""
    logs = copy_run(KILL, tmp_path)
    node1, node2 = logs / "node1.log", logs / "node2.log"
    n1, n2 = "9fadd4d9a0ae55e", "a5eb9dd2db016c9a"
    lines = node1.read_text().splitlines(keepends=True)
    lines.insert(107, '{"level":"info","ts":"2026-12-05T07:56:52.000Z","logger":"raft",'
                      '"caller":"etcdserver/zap_raft.go:77","msg":"' + n1 + ' [term: 3] received'
                      ' a MsgVote message with higher term from ' + n2 + ' [term: 9]"}\n')
    node1.write_text("".join(lines))
    lines = node2.read_text().splitlines(keepends=True)
    lines.insert(127, '{"level":"info","ts":"2026-12-05T07:58:00.000Z","caller":'
                      '"etcdserver/raft.go:556","msg":"forcing restart member","cluster-id":'
                      '"e807991b60d486d8","local-member-id":"' + n2 + '","commit-index":11}\n')
    node2.write_text("".join(lines))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{node1}:108"), verdict.reason
    assert verdict.features == {}  # (the forced restart, 68 s later, was never reached)


def test_a_files_first_line_stamped_hours_ahead_is_an_outlier(tmp_path: Path) -> None:
    logs = copy_run(Path(__file__).parent / "data" / "hashicorp" / "steady", tmp_path)
    node2 = logs / "node2.log"
    edit_line(node2, 3, lambda s: s.replace("T08:38:52", "T11:38:52", 1))
    assert "raft: initial configuration" in node2.read_text().splitlines()[2]
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    assert [n.split(": its time")[0] for n in _notes_of_outliers(verdict)] == [f"{node2}:3"]
    assert not _notes_of_steps(verdict)


@pytest.mark.parametrize("node", ["node1", "node2"])
def test_a_whole_second_clock_two_seconds_back_is_a_step_not_an_outlier(tmp_path: Path,
                                                                        node: str) -> None:
    logs = copy_run(Path(__file__).parent / "data" / "etcd" / "3.4-chaos-capnslog", tmp_path)
    path = logs / f"{node}.log"
    jump_ahead(path, -2)
    verdict = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert verdict.status == CONFORMS, verdict.reason
    assert len(_notes_of_steps(verdict)) == 1 and not _notes_of_outliers(verdict)


# --- a clock set wrong, then set right: a slip --------------------------------------------

HASHICORP = Path(__file__).parent / "data" / "hashicorp"
_HCLOG_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _shift_hclog(path: Path, first: int, last: int, seconds: float) -> None:
    """Lines first..last (from 1) of an hclog text log stamped ``seconds`` later."""
    for number in range(first, last + 1):
        edit_line(path, number, lambda s: _HCLOG_TS.sub(
            lambda m: (datetime.fromisoformat(m.group().replace("Z", "+00:00"))
                       + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            + "Z", s))


def _slip_notes(verdict) -> list[str]:
    return [n for n in verdict.notes if "(its time steps back at " in n]


def test_lines_on_a_clock_behind_until_it_was_set_right_conform_naming_them(
        tmp_path: Path) -> None:
    """n3's clock 1.5 s behind in its lines 74 to 115, then set right: its time steps back at
    line 74 (in lines raft does not log: the step shows in every line with a time) and jumps
    ahead at 116. Merged by their times, a heartbeat of n1 comes before n1 won its election;
    the lines merged 1.5 s later explain it."""
    logs = copy_run(FLAPPING, tmp_path)
    node3 = logs / "node3.log"
    _shift_lines(node3, 74, 115, -1.5)
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (trusted.status, trusted.rule, trusted.location) == \
        (VIOLATES, "AppendEntries", f"{node3}:79")
    verdict = check_run(find_runs([logs])[0])
    original = check_run(find_runs([FLAPPING])[0])
    assert verdict.status == CONFORMS, verdict.reason
    assert (verdict.events, verdict.checked) == (original.events, original.checked)
    [note] = _slip_notes(verdict)
    found = re.fullmatch(
        rf"n3's clock ran (\d\.\d{{3}}) s behind in {re.escape(str(node3))}:74 to line "
        rf"(\d+) \(its time steps back at {re.escape(str(node3))}:74\): those lines were "
        r"merged \1 s later than their times say; with the times as logged, AppendEntries "
        rf"at {re.escape(str(node3))}:79 is not explained", note)
    assert found is not None, note
    assert 1.4 <= float(found.group(1)) <= 1.6 and int(found.group(2)) == 115


def test_one_line_stamped_a_second_and_a_half_ahead_conforms_naming_it(tmp_path: Path) -> None:
    """hashicorp: n3's candidacy for term 12 stamped 1.5 s late (its next line is back on
    time): merged by its time, n3 would campaign for term 12 after voting in term 13."""
    logs = copy_run(HASHICORP / "flapping", tmp_path)
    node3 = logs / "node3.log"
    assert "entering candidate state" in node3.read_text().splitlines()[42]
    _shift_hclog(node3, 43, 43, 1.5)
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (trusted.status, trusted.rule, trusted.location) == \
        (VIOLATES, "TermMonotonic", f"{node3}:43")
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    [note] = _slip_notes(verdict)
    assert re.fullmatch(
        rf"n3's clock ran 1\.[45]\d\d s ahead in {re.escape(str(node3))}:43 \(its time steps "
        rf"back at {re.escape(str(node3))}:44\): that line was merged 1\.[45]\d\d s earlier "
        r"than its time says; with the times as logged, TermMonotonic at "
        rf"{re.escape(str(node3))}:43 is not explained", note), note


def test_lines_on_a_clock_hours_behind_are_inconclusive_naming_them(tmp_path: Path) -> None:
    """n4's clock 3 h behind from its line 19 to its end: the step explains the run only
    beyond --max-clock-gap, so the verdict is inconclusive, naming the lines and the rule the
    times as logged break; allowed a gap of 4 h, the run conforms."""
    logs = copy_run(HASHICORP / "chaos", tmp_path)
    node4, node5 = logs / "node4.log", logs / "node5.log"
    _shift_hclog(node4, 19, 125, -3 * 3600)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (INCONCLUSIVE, "TermMonotonic", f"{node5}:16")
    assert verdict.reason == (
        f"not explained unless n4's clock ran 10800 s behind in {node4}:19 to line 125 (its "
        f"time steps back at {node4}:19), beyond --max-clock-gap 60 s: TermMonotonic at "
        f"{node5}:16")
    assert _slip_notes(verdict)[0].endswith("so, the run conforms (every event is explained "
                                            "by the spec (480 events))")
    verdict = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=4 * 3600))
    assert verdict.status == CONFORMS, verdict.reason
    assert _slip_notes(verdict)


def test_a_violation_after_a_slip_is_found_at_its_own_line(tmp_path: Path) -> None:
    """n3's clock slipped as above, and n2 later goes back to term 1: the slip explains n3's
    lines, not n2's; the violation is n2's, at its line, and the verdict names the slip."""
    logs = copy_run(FLAPPING, tmp_path)
    node2, node3 = logs / "node2.log", logs / "node3.log"
    _shift_lines(node3, 74, 115, -1.5)
    back = term_back_after(node2, 120)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node2}:{back}")
    [note] = _slip_notes(verdict)
    assert note.endswith(f"with the times as logged, AppendEntries at {node3}:79 was the first "
                         "line not explained")


def test_a_step_back_does_not_explain_a_term_that_goes_back(tmp_path: Path) -> None:
    """n2 back at term 1 in a line on a clock 1.5 s behind: no order of the lines explains
    it, whichever lines the step says were off."""
    logs = copy_run(FLAPPING, tmp_path)
    node2 = logs / "node2.log"
    back = term_back_after(node2, 100)
    _shift_lines(node2, back - 5, back + 5, -1.5)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node2}:{back}")
    assert not _slip_notes(verdict)


def test_no_recorded_run_shows_a_slip() -> None:
    """No clock of the real runs kept here steps back beyond the tolerance in any line: no
    retry is ever made for them."""
    for run in RUNS:
        for part in find_runs([run]):
            assert find_slips(part, ValidateOptions.max_skew, {}) == [], run


def test_a_step_back_offers_both_readings_of_the_lines_off(tmp_path: Path) -> None:
    """Lines 20 to 30 of n1's log stamped 5 s early: the time steps back at line 20 and jumps
    ahead at 31. The slips found: lines 20 to 30 behind by between the step back and the
    jump ahead (5 s, less and more the log's own pauses there), and lines before 20 ahead."""
    logs = copy_run(HASHICORP / "flapping", tmp_path)
    node1 = logs / "node1.log"
    times = [datetime.fromisoformat(s.split(" ", 1)[0]) for s in
             node1.read_text().splitlines()]
    _shift_hclog(node1, 20, 30, -5)
    slips = find_slips(find_runs([logs])[0], ValidateOptions.max_skew, {str(node1): "n1"})
    assert {s.node for s in slips} == {"n1"}
    assert {s.step for s in slips} == {ev.SourceRef(str(node1), 20, "")}
    behind = {(s.first.line, s.last.line, round(s.seconds, 3)) for s in slips if not s.ahead}
    before, after = (times[19] - times[18]).total_seconds(), (times[30] - times[29]).total_seconds()
    assert (20, 30, round(5 - before, 3)) in behind and (20, 30, round(5 + after, 3)) in behind
    assert (20, len(times), round(5 - before, 3)) in behind  # (or to the log's end)
    ahead = {(s.first.line, s.last.line) for s in slips if s.ahead}
    assert (1, 19) in ahead


def test_a_small_step_back_does_not_pass_lines_seconds_out_of_order(tmp_path: Path) -> None:
    """n3's lines 79 to 81 stamped 1.5 s early (a MsgApp from n1 before n1 is elected: a
    violation as logged), and its lines before them 0.2 s late, so that its time steps back
    0.1 s at line 79: the step says its clock was off by about 0.1 s, and the 4.6 s pause
    after line 81 may hold the rest of its error or the node's own quiet. Read off by the
    pause, the run is explained; a step of 0.1 s never licenses that as a pass: the verdict
    is inconclusive, naming the reading (before, a violation at the line)."""
    logs = copy_run(FLAPPING, tmp_path)
    node3 = logs / "node3.log"
    _shift_lines(node3, 79, 81, -1.5)
    _shift_lines(node3, 1, 78, 0.2)
    assert find_slips(find_runs([logs])[0], ValidateOptions.max_skew, {})  # (a step is seen)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (INCONCLUSIVE, "AppendEntries", f"{node3}:79")
    assert verdict.reason == (
        f"not explained unless n3's clock ran 5 s behind in {node3}:79 to line 81 (its time "
        f"steps back at {node3}:79), and its log cannot tell that from its node standing still "
        f"(its step back shows less: the rest would lie in a pause): AppendEntries at "
        f"{node3}:79")
    assert not _slip_notes(verdict)[1:]  # (the one note: the reading, and what it explains)
    with_gap_zero = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (with_gap_zero.status, with_gap_zero.location) == (VIOLATES, f"{node3}:79")


def test_a_slip_elsewhere_does_not_move_a_violation_within_its_line(tmp_path: Path) -> None:
    """n2 reports three votes granted where two were: the line's first event (a vote received)
    is explained, its second (the tally) is not, whatever n1's clock did; the verdict names
    no slip."""
    logs = copy_run(HASHICORP / "flapping", tmp_path)
    node2 = logs / "node2.log"
    assert "tally=2" in node2.read_text().splitlines()[27]
    edit_line(node2, 28, lambda s: s.replace("tally=2", "tally=3"))
    _shift_hclog(logs / "node1.log", 5, 10, 1.5)
    assert find_slips(find_runs([logs])[0], ValidateOptions.max_skew, {})
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{node2}:28")
    assert not _slip_notes(verdict)


def test_a_slip_long_after_a_violation_is_not_tried(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight copies of a run one after the other (minutes): a term going back in the first, a
    block of n3's lines 1.5 s behind in the last. The readings of that step whose lines all
    lie beyond what the merge may take early (--max-clock-gap included) cannot change the
    order of any line before the violation: they are not tried."""
    from benchmarks.longrun import build_long_run
    logs = tmp_path / "long"
    build_long_run(FLAPPING, logs, 8)
    node2, node3 = logs / "node2.log", logs / "node3.log"
    back = term_back_after(node2, 100)
    when = datetime.fromisoformat(
        _TS.search(node2.read_text().splitlines()[back - 1]).group(1)).timestamp()
    lines = node3.read_text().splitlines()
    last = max(k for k in range(1, len(lines) - 10)  # (a block of zap records only)
               if all('"ts":' in s for s in lines[k - 40:k]))
    _shift_lines(node3, last - 39, last, -1.5)
    run = find_runs([logs])[0]
    reach = ValidateOptions.max_skew + 1.0 + ValidateOptions.max_clock_gap
    slips = find_slips(run, ValidateOptions.max_skew, {})
    beyond = [s for s in slips if s.after(when) > reach]
    assert beyond  # (the step's readings from it on, and from the pauses just before it)
    checked = []
    real_run = Validator.run
    monkeypatch.setattr(Validator, "run", lambda self, stream: checked.append(self.slip)
                        or real_run(self, stream))
    monkeypatch.setattr(engine, "MOST_TRIED", len(slips))  # (every reading, were it not far)
    verdict = check_run(run)
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node2}:{back}")
    assert checked[0] is None  # (the run, with the times as logged)
    def where(found: list) -> set:
        return {(s.first, s.last, s.seconds) for s in found}

    tried = checked[1:]
    stepped = [s for s in tried if s.step is not None]
    near = [s for s in slips if s not in beyond]
    assert where(near) <= where(stepped)
    # (and a reading without a pause to bound it, from the log's start or to its end, at
    # larger sizes: the quiet before its step may hide part of it)
    assert {(s.first, s.last) for s in stepped} == {(s.first, s.last) for s in near}
    # then the jumps its own log may hide in a pause before the line (none explains it)
    first = Validator()
    first.run(engine._stream(run))
    jumps = find_jumps(run, ValidateOptions.max_skew, {}, ev.SourceRef(str(node2), back, ""),
                       first.termed["n2"])
    assert jumps and where(s for s in tried if s.step is None) == where(jumps)


# --- a chain of two waits across a clock ahead --------------------------------------------

ETCD_FLAPPING = Path(__file__).parent / "data" / "etcd" / "3.5-flapping"


def test_a_clock_ahead_that_two_waits_lead_to_conforms_with_a_note(tmp_path: Path) -> None:
    """n2's clock 2 s ahead from its line 101 to its end: n1 hears n2's vote request (n1.log:106)
    before n2's campaign, and n2's campaign needs n3's pre-vote (n3.log:81), which itself waits
    for n2's pre-candidacy. Taking n2's lines early explains neither alone: n3's line is taken
    too where n2's waits for it (before, a false RequestVote violation)."""
    logs = copy_run(ETCD_FLAPPING, tmp_path)
    _shift_lines(logs / "node2.log", 101, 157, 2)
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert trusted.status == VIOLATES
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    [note] = _notes_of_jumps(verdict)
    assert re.match(rf"{re.escape(str(logs / 'node2.log'))}:\d+: n2's clock ran "
                    r"(1\.9\d\d|2\.000) s ahead of n1's and n3's", note), note


def test_a_request_never_sent_is_caught_though_a_clock_ran_ahead(tmp_path: Path) -> None:
    """The same clock, and n2's pre-vote requests cut from its log: n3's answer to a request
    n2 never sent is a violation, at n3's line."""
    logs = copy_run(ETCD_FLAPPING, tmp_path)
    node2 = logs / "node2.log"
    _shift_lines(node2, 101, 157, 2)
    assert all("sent MsgPreVote request" in s for s in node2.read_text().splitlines()[115:117])
    drop_lines(node2, 116, 117)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{logs / 'node3.log'}:81")


STALE_GRANT = Path(__file__).parent / "data" / "etcd35" / "stale-pre-vote-grant"


def test_an_answer_a_clock_ahead_stamps_after_its_count_conforms(tmp_path: Path) -> None:
    """n3's clock 1.5 s ahead from its line 159: n4 counts n3's pre-vote of term 4
    (node4.log:231) before n3's grant (node3.log:161) by their times, and n3 had granted n4 a
    pre-vote in an earlier campaign (of term 3). That older answer cannot be counted; n3's
    answer to this campaign is a line of n3's still to come, taken early (before, the older
    answer was found and the count a false RequestVote violation)."""
    logs = copy_run(STALE_GRANT, tmp_path)
    node3 = logs / "node3.log"
    _stamp_later(node3, 159, 1.5)
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (trusted.status, trusted.rule, trusted.location) == \
        (VIOLATES, "RequestVote", f"{logs / 'node4.log'}:231")
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    [note] = _notes_of_jumps(verdict)
    assert re.match(rf"{re.escape(str(node3))}:\d+: n3's clock ran 1\.[45]\d\d s ahead", note), \
        note


SEVEN_START = Path(__file__).parent / "data" / "cut" / "3.4-capnslog-flapping-n7-start"


def _n7_thirty_seconds_ahead(tmp_path: Path) -> Path:
    """The seven-node run, n7's clock 30 s ahead from its line 381 (mid-way through a burst of
    lines in one second) to its end."""
    logs = copy_run(SEVEN_START, tmp_path)
    _stamp_later(logs / "node7.log", 381, 30)
    return logs


def test_a_clock_ahead_at_the_end_of_a_chain_of_three_waits_conforms(tmp_path: Path) -> None:
    """etcd 3.4, seven nodes: n1's line waits for n5's, which waits for n6's vote request of
    term 5 (node6.log:259), and n6's campaign waits for n7's pre-vote (node7.log:420), stamped
    30 s late. n6's lines are taken early, and where one waits for n7, n7's lines too (before,
    a false RequestVote violation at node5.log:333)."""
    assert check_run(find_runs([SEVEN_START])[0]).status == CONFORMS
    _assert_conforms_with_a_clock_ahead(_n7_thirty_seconds_ahead(tmp_path), "n7", r"30\.000")


def test_a_pre_vote_never_granted_is_caught_at_its_count_though_a_clock_ran_ahead(
        tmp_path: Path) -> None:
    """The same clock, and n7's grant of n6's pre-vote cut from its log: n6 counts a pre-vote
    nobody gave, a violation at n6's line (n1's and n5's lines only wait for it)."""
    _assert_a_cut_grant_is_caught_at_its_count(
        _n7_thirty_seconds_ahead(tmp_path), "n7", 420,
        "cast MsgPreVote for c7cc6ba57684cee8 [logterm: 4, index: 22] at term 4", 250, 4)


def _assert_conforms_with_a_clock_ahead(logs: Path, node: str, seconds: str) -> None:
    """With the clocks trusted the run is a violation; as read, it conforms, and its one note
    of a clock ahead names ``node``'s log and ``seconds`` (a pattern)."""
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert trusted.status == VIOLATES
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    [note] = _notes_of_jumps(verdict)
    path = logs / f"node{node[1:]}.log"
    assert re.match(rf"{re.escape(str(path))}:\d+: {node}'s clock ran {seconds} s ahead of "
                    r"n1's", note), note


def _assert_a_cut_grant_is_caught_at_its_count(logs: Path, voter: str, line: int, grant: str,
                                               count: int, term: int) -> None:
    """The ``voter``'s grant of n6's pre-vote (``grant``, at its log's ``line``) cut: n6
    counts a pre-vote nobody gave, a RequestVote violation at its ``count`` line."""
    path = logs / f"node{voter[1:]}.log"
    assert grant in path.read_text().splitlines()[line - 1]
    drop_lines(path, line)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "RequestVote", f"{logs / 'node6.log'}:{count}")
    assert verdict.explanation == (f"n6 counts a vote from {voter} at term {term}, but {voter} "
                                   "never granted a pre-vote to n6 in that term")


def _n3_ahead_in_the_seven(tmp_path: Path) -> Path:
    """The seven-node run, n3's clock 36.34 s ahead from its line 195 to its end."""
    logs = copy_run(SEVEN_START, tmp_path)
    _stamp_later(logs / "node3.log", 195, 36.34)
    return logs


def test_a_chain_of_waits_three_nodes_deep_across_a_clock_ahead_conforms(
        tmp_path: Path) -> None:
    """n2's line waits for n6's vote request of term 3; n6's campaign counts n4's pre-vote
    (in time) and n3's, whose grant (node3.log:283) is stamped 36 s late; and n3's lines
    before it wait for other nodes' lines in turn. Each is taken where the one before waits
    for it (before, a false RequestVote at node6.log:174)."""
    _assert_conforms_with_a_clock_ahead(_n3_ahead_in_the_seven(tmp_path), "n3", r"3\d\.\d{3}")


def test_a_pre_vote_never_granted_three_nodes_deep_is_caught_at_its_count(
        tmp_path: Path) -> None:
    """The same clock, and n3's grant of n6's pre-vote cut: a violation at n6's count."""
    _assert_a_cut_grant_is_caught_at_its_count(
        _n3_ahead_in_the_seven(tmp_path), "n3", 283,
        "cast MsgPreVote for c7cc6ba57684cee8 [logterm: 2, index: 18] at term 2", 174, 2)


def _leaders_config_late(tmp_path: Path) -> Path:
    """hashicorp, five voters shrunk to three by the leader n3 (node3.log:22 and 26), n3's
    clock 35.71 s ahead from its line 23: the second removal is stamped after n5, in the
    configuration of three, wins an election with two votes (node5.log:26)."""
    logs = copy_run(HASHICORP / "shrink-then-lose-leader", tmp_path)
    _shift_hclog(logs / "node3.log", 23, 28, 35.71)
    return logs


def test_a_configuration_shown_late_by_a_clock_ahead_explains_a_leader(tmp_path: Path) -> None:
    """hashicorp's followers do not log the configurations they use: a quorum of a recent one
    shown by any node will do, and where the votes are a quorum of none shown yet, the lines
    of the node that showed the latest may be taken early (before, a false BecomeLeader)."""
    logs = _leaders_config_late(tmp_path)
    node5 = logs / "node5.log"
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (trusted.status, trusted.rule, trusted.location) == \
        (VIOLATES, "BecomeLeader", f"{node5}:26")
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason
    [note] = _notes_of_jumps(verdict)
    assert re.match(rf"{re.escape(str(logs / 'node3.log'))}:23: n3's clock ran 3\d\.\d{{3}} s "
                    r"ahead of n1's", note), note


def test_a_leader_without_a_quorum_of_any_configuration_is_caught_at_its_line(
        tmp_path: Path) -> None:
    """The same clock, and the leader's second removal cut from its log: the votes are a
    quorum of no configuration any line shows, and the election is the violation."""
    logs = _leaders_config_late(tmp_path)
    node3 = logs / "node3.log"
    assert "updating configuration: command=RemoveServer server-id=node2" in \
        node3.read_text().splitlines()[25]
    drop_lines(node3, 26)
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "BecomeLeader", f"{logs / 'node5.log'}:26")


# --- a clock ahead to its log's end (a jump, no step back) -----------------------------------

def _jump_notes(verdict) -> list[str]:
    return [n for n in verdict.notes if "(a pause in its log just before, and no step back after)"
            in n]


def _assert_n2_jump_inconclusive(verdict, node2: Path, last: int, later: str) -> None:
    """The TermMonotonic at n2's line 61, inconclusive for the jump of 30 s at its line 44 (its
    log ending at ``last``); ``later``: what the run read so leaves unexplained, if anything."""
    assert (verdict.status, verdict.rule, verdict.location) == \
        (INCONCLUSIVE, "TermMonotonic", f"{node2}:61")
    assert verdict.reason == (
        f"not explained unless n2's clock ran 30 s ahead in {node2}:44 to line {last} (a pause "
        "in its log just before, and no step back after), and its log cannot tell that from "
        f"its node standing still{later}: TermMonotonic at {node2}:61")


def test_a_clock_ahead_to_its_logs_end_is_inconclusive_not_a_violation(tmp_path: Path) -> None:
    """hashicorp: n2's clock 30 s ahead from its line 44 to its end, never set right. Merged by
    their times, n2's candidacy for term 12 (line 61) comes after the others counted its vote
    in term 14 (a vote n2 logs nothing of): a term going back. Its log shows a 30 s pause
    before line 44, as a node that stood still would: the reading that explains the run is
    named, and the verdict is inconclusive, neither a violation nor a pass (before, a false
    TermMonotonic)."""
    logs = copy_run(HASHICORP / "chaos", tmp_path)
    node2 = logs / "node2.log"
    _shift_hclog(node2, 44, 67, 30)
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (trusted.status, trusted.rule, trusted.location) == \
        (VIOLATES, "TermMonotonic", f"{node2}:61")
    verdict = check_run(find_runs([logs])[0])
    _assert_n2_jump_inconclusive(verdict, node2, 67, "")
    [note] = _jump_notes(verdict)
    assert note.endswith("so, the run conforms (every event is explained by the spec "
                         "(480 events))"), note


def test_a_jump_offers_the_nearest_and_the_longest_pauses_before_the_line(
        tmp_path: Path) -> None:
    """The readings of a jump: from a pause of more than a second beyond the skew before the
    unexplained line (the three nearest, and the two longest) to the log's end; none from a
    pause after the line."""
    logs = copy_run(HASHICORP / "chaos", tmp_path)
    node2 = logs / "node2.log"
    _shift_hclog(node2, 44, 67, 30)
    run = find_runs([logs])[0]
    owners = {str(node2): "n2"}
    since = ev.SourceRef(str(node2), 1, "")  # (its first line that shows n2's term, say)
    jumps = find_jumps(run, 0.1, owners, ev.SourceRef(str(node2), 61, ""), since)
    times = [datetime.fromisoformat(s[:23]).timestamp()
             for s in node2.read_text().splitlines()]
    pauses = [(k + 1, times[k] - times[k - 1]) for k in range(1, 61)
              if times[k] - times[k - 1] >= 1.1 + 0.001]
    nearest = {k for k, _ in pauses[-3:]}
    longest = {k for k, _ in sorted(pauses, key=lambda p: -p[1])[:2]}
    assert 44 in longest
    assert {j.first.line for j in jumps} == nearest | longest
    for j in jumps:
        assert (j.node, j.last.line, j.step) == ("n2", 67, None)
        assert j.seconds == pytest.approx(-dict(pauses)[j.first.line], abs=1e-3)
    before = find_jumps(run, 0.1, owners, ev.SourceRef(str(node2), 43, ""), since)
    assert before and all(j.first.line <= 43 for j in before)
    later = ev.SourceRef(str(node2), 44, "")  # (a pause at or before that line is not read)
    assert 44 not in {j.first.line for j in find_jumps(
        run, 0.1, owners, ev.SourceRef(str(node2), 61, ""), later)}


def test_a_line_unexplained_after_a_jump_leaves_the_run_inconclusive(tmp_path: Path) -> None:
    """The same clock, and n2 logged as leader in term 12 with its own vote only (of three
    needed): the jump explains the term going back at line 61, not the leader. A jump's size
    is a guess (here the pause's 30.4 s for a clock 30 s ahead), and a line the run read so
    leaves unexplained may be the guess's own: inconclusive, naming both lines."""
    logs = copy_run(HASHICORP / "chaos", tmp_path)
    node2 = logs / "node2.log"
    lines = node2.read_text().splitlines(keepends=True)
    assert "vote granted: from=node2 term=12 tally=1" in lines[62]
    leader = lines[62][:24] + ' [INFO]  raft: entering leader state: leader="Node at ' \
        '10.231.0.2:8300 [Leader]"\n'
    node2.write_text("".join([*lines[:63], leader, *lines[63:]]))
    _shift_hclog(node2, 44, 68, 30)
    verdict = check_run(find_runs([logs])[0])
    _assert_n2_jump_inconclusive(verdict, node2, 68, f"; read so, BecomeLeader at {node2}:64 "
                                 "is not explained either")


def test_a_term_going_back_in_a_nodes_own_lines_is_not_excused_by_a_jump(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """hashicorp, clocks as recorded: n2's own candidacy line names a term below one its own
    earlier line named. The readings of a jump at the pauses before it are tried, and none
    explains it (file order is kept within a log): the violation stands, at its line."""
    logs = copy_run(HASHICORP / "chaos", tmp_path)
    node2 = logs / "node2.log"
    assert "entering candidate state" in node2.read_text().splitlines()[60]
    edit_line(node2, 61, lambda s: s.replace("term=12", "term=2"))
    tried = []
    real_run = Validator.run
    monkeypatch.setattr(Validator, "run", lambda self, stream: tried.append(self.slip)
                        or real_run(self, stream))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node2}:61")
    jumps = [s for s in tried if s is not None and s.step is None]
    assert jumps and all(j.first.path == str(node2) and j.first.line <= 61 for j in jumps)


def test_a_jump_just_after_a_node_showed_its_role_is_read(tmp_path: Path) -> None:
    """hashicorp: n3's clock 30 s ahead from its line 7, a second after its Raft node entered
    the follower state (a role, no term) and before any line of its showed a term. The pause
    there is read as a jump: inconclusive, not a violation (before, only pauses after a line
    showing the node's term were read, and this was a false TermMonotonic). A server starting
    up, before its lines show a role, is still not read so (see
    test_validate_cut_logs.py, the late start)."""
    logs = copy_run(HASHICORP / "leader-partition-minority", tmp_path)
    node3 = logs / "node3.log"
    assert "entering follower state" in node3.read_text().splitlines()[3]
    _shift_hclog(node3, 7, 20, 30)
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (trusted.status, trusted.rule, trusted.location) == \
        (VIOLATES, "TermMonotonic", f"{node3}:9")
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (INCONCLUSIVE, "TermMonotonic", f"{node3}:9")
    assert verdict.reason.startswith(f"not explained unless n3's clock ran 30 s ahead in "
                                     f"{node3}:7 to line 20 (a pause in its log just before")


N7_DEBUG_START = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-n7-debug-start"


def _n7_twelve_seconds_ahead(tmp_path: Path) -> Path:
    """hashicorp at DEBUG, seven nodes: n7's clock 12 s ahead from its line 67 (after a real
    pause of a second: 13.02 s between lines 66 and 67 as stamped) to its end."""
    logs = copy_run(N7_DEBUG_START, tmp_path)
    _shift_hclog(logs / "node7.log", 67, 196, 12)
    return logs


def test_a_jump_smaller_than_its_pause_is_read_where_the_pause_is_too_much(
        tmp_path: Path) -> None:
    """Read as a jump of the whole pause (13.02 s), n7's lines come a second too early and
    another node's line is out of order; read as half a second less, the run is explained:
    inconclusive, naming that size (before, the pause's length only was tried, and this was
    a false TermMonotonic at node7.log:189)."""
    assert check_run(find_runs([N7_DEBUG_START])[0]).status == CONFORMS
    logs = _n7_twelve_seconds_ahead(tmp_path)
    node7 = logs / "node7.log"
    trusted = check_run(find_runs([logs])[0], ValidateOptions(max_clock_gap=0))
    assert (trusted.status, trusted.rule, trusted.location) == \
        (VIOLATES, "TermMonotonic", f"{node7}:189")
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (INCONCLUSIVE, "TermMonotonic", f"{node7}:189")
    [note] = _jump_notes(verdict)
    assert re.match(rf"n7's clock ran 12\.52\d s ahead in {re.escape(str(node7))}:67 to line "
                    r"196 \(", note), note


def test_a_term_going_back_in_its_own_lines_stays_a_violation_whatever_the_jump(
        tmp_path: Path) -> None:
    """The same clock, and n7's candidacy at line 189 forged to term 12, below term 14 its own
    line 91 showed: no size of any jump explains that; a violation at its line."""
    logs = _n7_twelve_seconds_ahead(tmp_path)
    node7 = logs / "node7.log"
    for number in (189, 191):
        edit_line(node7, number, lambda s: s.replace("term=17", "term=12"))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node7}:189")


def test_a_jump_is_read_to_the_first_step_back_after_the_line() -> None:
    """A pause before the unexplained line is read as where the clock jumped ahead: to the
    log's end, or, where the clock steps back after the line (set right), to the line before
    that step; a step back between the pause and the line set right what ran ahead before
    it, so no jump is read from a pause before it."""
    from raftcheck.validate.clocks import _jumps_of
    start = datetime(2026, 12, 7, 12, 0, 0)
    seconds = {1: 0.0}
    for line in range(2, 51):
        seconds[line] = seconds[line - 1] + {10: 2.0, 20: 5.0, 25: -3.0, 30: 2.5}.get(line, 0.1)

    def stamps():
        return (("n.log", line, start + timedelta(seconds=t)) for line, t in seconds.items())

    def jumps(line: int) -> list[tuple[int, int, int | None, float]]:
        """(first line, last line, the step back ending it, seconds ahead) of each reading"""
        return sorted((j.first.line, j.last.line, j.step and j.step.line, round(-j.seconds, 3))
                      for j in _jumps_of("n1", ("n.log",), stamps(), 0.101,
                                         ev.SourceRef("n.log", 1, ""),
                                         ev.SourceRef("n.log", line, "")))

    assert jumps(40) == [(30, 50, None, 2.5)]  # (the step back at 25 set right the pauses
    assert jumps(22) == [(10, 24, 25, 2.0), (20, 24, 25, 5.0)]  # before it: none from them)
    assert jumps(9) == []


CHAOS_SEVEN = Path(__file__).parent / "data" / "cut" / "3.4-capnslog-chaos-n7-52s"


def test_a_violation_within_a_clock_step_back_is_blamed_not_the_line_waiting_behind_it(
        tmp_path: Path) -> None:
    """etcd 3.4, seven nodes: n5's clock 30 s behind from its line 346 (a step back), so its
    line 455 (a heartbeat from n7, leader of term 10) is merged before n7's election, which
    waits for n1's vote. Forged, n1's term goes back at node1.log:383 (stamped 27 s after
    n5's line, within the 30 s its clock went back): the violation is there, not the
    heartbeat that waits for it (before: AppendEntries at node5.log:455)."""
    logs = copy_run(CHAOS_SEVEN, tmp_path)
    _stamp_later(logs / "node5.log", 346, -30)
    assert check_run(find_runs([logs])[0]).status == CONFORMS
    n1 = logs / "node1.log"
    edit_line(n1, 383, lambda s: s.replace("became follower at term 10",
                                           "became follower at term 1"))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{n1}:383")


CHAOS_SEVEN_HASHICORP = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-json-n7-9s"
_HCLOG_JSON_TS = re.compile(r'"@timestamp":"([^"]+)"')


def _shift_hclog_json(path: Path, first: int, last: int, seconds: float) -> None:
    """Lines first..last (from 1) of an hclog JSON log stamped ``seconds`` later."""
    for number in range(first, last + 1):
        edit_line(path, number, lambda s: _HCLOG_JSON_TS.sub(
            lambda m: '"@timestamp":"' + (datetime.fromisoformat(m.group(1).replace(
                "Z", "+00:00")) + timedelta(seconds=seconds)).strftime(
                    "%Y-%m-%dT%H:%M:%S.%f") + 'Z"', s))


def test_a_violation_after_a_slip_read_from_a_pause_is_found_at_its_own_line(
        tmp_path: Path) -> None:
    """hashicorp/raft, seven nodes: n5's clock 1.5 s behind in its lines 135 to 175; its step
    back shows 0.16 s, the rest lies in a pause. As read, inconclusive (only a size read
    from the pause explains it). With n6's term forged back at node6.log:78, 8 s later, that
    reading explains everything up to the forged line, and the violation is reported there
    (before: at node6.log:44, a line that only the 0.16 s reading leaves out of order)."""
    logs = copy_run(CHAOS_SEVEN_HASHICORP, tmp_path)
    _shift_hclog_json(logs / "node5.log", 135, 175, -1.5)
    assert check_run(find_runs([logs])[0]).status == INCONCLUSIVE
    node6 = logs / "node6.log"
    edit_line(node6, 78, lambda s: s.replace('"term":11', '"term":1'))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node6}:78")
    assert "(a size read from a pause: a guess)" in verdict.notes[0]


FAST_FLAPPING = Path(__file__).parent / "data" / "cut" / "3.5-flapping-n5-fast-no-pre-vote"


def _n2_ahead_in_its_lines_61_to_221(tmp_path: Path) -> Path:
    """The run with n2's clock 1.5 s ahead in its lines 61 to 221 (set forward, then set
    right): its step back at line 222 shows 1.2 s of it, the rest lies in a pause before."""
    logs = copy_run(FAST_FLAPPING, tmp_path)
    _stamp_later(logs / "node2.log", 61, 1.5)
    _stamp_later(logs / "node2.log", 222, -1.5)
    return logs


def test_a_step_back_showing_less_than_the_clock_was_off_conforms(tmp_path: Path) -> None:
    """etcd 3.5, five nodes, 20 ms heartbeats, no pre-vote: n2's lines 61 to 221 run 1.5 s
    ahead; its step back at line 222 shows 1.2 s of it. The merge finds n2's clock ahead where
    its lines come before what they answer (from line 61), and less so by the step back it
    shows (before: the merge kept it ahead to the log's end; a slip read at the step's size
    left node2.log:350 unexplained, and the run conformed only with the block read at its other
    size, 1.421 s; before that, a false RequestVote at node2.log:350)."""
    logs = _n2_ahead_in_its_lines_61_to_221(tmp_path)
    verdict = check_run(find_runs([logs])[0], ValidateOptions(pre_vote=False))
    assert verdict.status == CONFORMS, (verdict.rule, verdict.location)
    assert any(note.startswith(f"{logs / 'node2.log'}:61: n2's clock ran 1.499 s ahead of ")
               and "its lines from there to line 221 (its clock was set back by line 222)"
               in note for note in verdict.notes), verdict.notes


def test_a_second_vote_in_a_term_after_a_step_back_showing_less_is_blamed_at_its_line(
        tmp_path: Path) -> None:
    """The same run, n2 forged to vote for n4 as well as n5 in term 191 (node2.log:519, 30 s
    after its clock was set right): the violation is there (before: RequestVote at
    node2.log:350, a line that the readings of 1.2 s leave out of order)."""
    logs = _n2_ahead_in_its_lines_61_to_221(tmp_path)
    node2 = logs / "node2.log"
    edit_line(node2, 518, lambda s: s + s.replace("for 8d19372f952053ca", "for 1e3a70c55455017f"))
    verdict = check_run(find_runs([logs])[0], ValidateOptions(pre_vote=False))
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "VotedOncePerTerm", f"{node2}:519")


CHAOS_HASHICORP = Path(__file__).parent / "data" / "hashicorp" / "chaos"


def _n1_set_back_for_good(tmp_path: Path) -> Path:
    """hashicorp/raft, five nodes under chaos: n1's clock set 2.3 s back at its line 49 and
    left so (its lines 49 to 165, its last, stamped 2.3 s early). The log was quiet for a
    while before line 49, so its step back shows less than 2.3 s."""
    logs = copy_run(CHAOS_HASHICORP, tmp_path)
    _shift_hclog(logs / "node1.log", 49, 165, -2.3)
    return logs


def test_a_clock_set_back_for_good_by_more_than_its_step_shows_is_doubted(
        tmp_path: Path) -> None:
    """No pause after the step bounds how far n1's lines were off (no clock came back): the
    quiet before the step may hide part of it, as long as the log's longest of late. A size
    within that explains the run, so the run is inconclusive, naming the guess (before: a
    false TermMonotonic at node2.log:31, the step's own 2 s and a tenth more explaining
    nothing)."""
    logs = _n1_set_back_for_good(tmp_path)
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == INCONCLUSIVE, (verdict.rule, verdict.location)
    assert f"n1's clock ran 3 s behind in {logs / 'node1.log'}:49 to line 165" in verdict.reason
    assert "the rest would lie in the quiet of its log before the step" in verdict.reason


def test_a_term_going_back_after_a_clock_set_back_for_good_is_blamed_at_its_line(
        tmp_path: Path) -> None:
    """The same run, n2's term forged back at node2.log:61 (term 12 said as 9): the guessed
    size explains every line before it, and the violation is reported there (a guess never
    hides a violation)."""
    logs = _n1_set_back_for_good(tmp_path)
    node2 = logs / "node2.log"
    edit_line(node2, 61, lambda s: s.replace("term=12", "term=9"))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{node2}:61")
    assert "(a size read from the quiet of its log before the step: a guess)" in \
        verdict.notes[0]


HASHICORP_SEVEN_TRACE = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-n7-trace"
HASHICORP_SEVEN_JSON = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-json-n7"
HASHICORP_SEVEN_INFO = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-n7-info"


def _as_run_and_forged(forgery: tuple[str, int, str, str]):
    """A test run twice: on the clock-edited run as it is (forged None), and with ``forgery``
    (file, line, old, new), a term going back, edited in too."""
    return pytest.mark.parametrize("forged", [None, forgery], ids=["as-run", "term-back"])


def _doubted_or_caught(verdict, forged: tuple | None, reading: str, forged_at: str) -> None:
    """As run, inconclusive, its reason naming the ``reading`` of the clock; forged, a
    TermMonotonic violation at ``forged_at``."""
    if forged is None:
        assert verdict.status == INCONCLUSIVE, (verdict.rule, verdict.location)
        assert reading in verdict.reason
    else:
        assert (verdict.status, verdict.rule, verdict.location) == \
            (VIOLATES, "TermMonotonic", forged_at)


def _conforms_or_caught(verdict, forged: tuple | None, reading: str, forged_at: str) -> None:
    """As run, conforming, a note naming the ``reading`` of the clock; forged, a
    TermMonotonic violation at ``forged_at``."""
    if forged is None:
        assert verdict.status == CONFORMS, (verdict.rule, verdict.location)
        assert any(note.startswith(reading) for note in verdict.notes), verdict.notes
    else:
        assert (verdict.status, verdict.rule, verdict.location) == \
            (VIOLATES, "TermMonotonic", forged_at)


def _check(logs: Path, forged: tuple[str, int, str, str] | None = None):
    """The run's verdict, ``forged`` = (file, line, old, new) edited first."""
    if forged is not None:
        name, number, old, new = forged
        edit_line(logs / name, number, lambda s: s.replace(old, new))
    return check_run(find_runs([logs])[0])


@_as_run_and_forged(("node1.log", 308, "term=28", "term=2"))
def test_a_clock_ahead_from_a_pause_longer_than_the_nearest_ones_is_read_from_it(
        tmp_path: Path, forged: tuple | None) -> None:
    """hashicorp/raft, seven nodes, trace level: n7's lines 184 to 288 run 1.608 s ahead, then
    its clock is set right. The step back at 289 shows 1.33 s (the log was quiet before it).
    A pause of 3 s at line 180, just before the jump, is neither among the pauses nearest the
    step nor the nearest longer than it, but among the two longest: read from there at sizes
    up to its length, lines 180 to 288 ahead explain the run, a size a guess: inconclusive
    (before: a false TermMonotonic at node7.log:203). n1's term forged back at
    node1.log:308: a violation there."""
    logs = copy_run(HASHICORP_SEVEN_TRACE, tmp_path)
    _shift_hclog(logs / "node7.log", 184, 288, 1.608)
    _doubted_or_caught(_check(logs, forged), forged,
                       f"n7's clock ran 2 s ahead in {logs / 'node7.log'}:180 to line 288",
                       f"{logs / 'node1.log'}:308")


@_as_run_and_forged(("node1.log", 308, "term=28", "term=2"))
def test_whether_a_size_was_too_large_is_read_from_the_line_it_leaves_unexplained(
        tmp_path: Path, forged: tuple | None) -> None:
    """The same run, n3's clock set 2.16 s back at its line 90 and left so (its step shows
    1.837 s). Read to the log's end at 5.6 s (the step and the longest of the log's 16
    pauses before it), n3's own line 105 is left unexplained, its term behind what others'
    lines gave it: n3's lines came too late, the size was too large, and the search comes
    down to 2.3 s, which explains the run (before, a line of the slip's own log always meant
    too small: a false TermMonotonic at node1.log:284). n1's term forged back at
    node1.log:308: a violation there."""
    logs = copy_run(HASHICORP_SEVEN_TRACE, tmp_path)
    _shift_hclog(logs / "node3.log", 90, 294, -2.16)
    _doubted_or_caught(_check(logs, forged), forged,
                       f"n3's clock ran 2 s behind in {logs / 'node3.log'}:90 to line 294",
                       f"{logs / 'node1.log'}:308")


@_as_run_and_forged(("node1.log", 203, '"term":27', '"term":2'))
def test_a_pause_longer_than_its_step_allows_is_tried_at_the_steps_own_size(
        tmp_path: Path, forged: tuple | None) -> None:
    """hashicorp/raft JSON, seven nodes: n2's lines 83 to 183 run 2.855 s behind, and its
    step back at 83 shows all of it; the clock came back at a pause of 3.05 s, longer than
    the step allows (tried only at sizes beyond the step, each too large). Its step's own
    size explains the run (before: a false TermMonotonic at node2.log:219). n1's term forged
    back at node1.log:203: a violation there."""
    logs = copy_run(HASHICORP_SEVEN_JSON, tmp_path)
    _shift_hclog_json(logs / "node2.log", 83, 183, -2.855)
    _doubted_or_caught(_check(logs, forged), forged,
                       f"n2's clock ran 3 s behind in {logs / 'node2.log'}:83 to line 183",
                       f"{logs / 'node1.log'}:203")


@_as_run_and_forged(("node1.log", 449, "term=32", "term=2"))
def test_the_pauses_nearest_in_length_to_a_step_are_those_nearest_either_way(
        tmp_path: Path, forged: tuple | None) -> None:
    """hashicorp/raft at info level, seven nodes: n2's lines 140 to 187 run 1.5 s ahead. Of
    the pauses before its step back, those nearest the step's length in either direction
    are tried (before, the shortest long enough: a pause just longer than the step came
    after two shorter ones); read so, it conforms (before this change and those beside it, a
    false TermMonotonic at node2.log:148; without this one, inconclusive). n1's term forged
    back at node1.log:449: a violation there."""
    logs = copy_run(HASHICORP_SEVEN_INFO, tmp_path)
    _shift_hclog(logs / "node2.log", 140, 187, 1.5)
    _conforms_or_caught(_check(logs, forged), forged,
                        f"n2's clock ran 0.772 s ahead in {logs / 'node2.log'}:141 to line 187",
                        f"{logs / 'node1.log'}:449")


@_as_run_and_forged(("node1.log", 308, "term=28", "term=2"))
def test_a_clock_set_back_further_than_the_logs_quiet_is_read_at_larger_sizes(
        tmp_path: Path, forged: tuple | None) -> None:
    """The seven-member trace run, n7's clock set 12 s back as its server restarts (line 180)
    and left so: its step shows 9 s (the restart took 3), and the longest of its log's
    recent pauses makes 11.97 s, still too small. Sizes double from there while too small,
    then halve, eight at most: 12.16 s explains the run, a guess: inconclusive (before: a
    false TermMonotonic at node6.log:241). n1's term forged back at node1.log:308: a
    violation there."""
    logs = copy_run(HASHICORP_SEVEN_TRACE, tmp_path)
    _shift_hclog(logs / "node7.log", 180, 517, -12.0)
    _doubted_or_caught(_check(logs, forged), forged,
                       f"n7's clock ran 12 s behind in {logs / 'node7.log'}:180 to line 517",
                       f"{logs / 'node1.log'}:308")


def _conforms_or_term_back_caught(logs: Path, path: Path, line: int, term: int, forged: bool,
                                  options: ValidateOptions | None = None):
    """The run's verdict, which must conform (returned); or, ``forged``, with line ``line``
    of ``path`` ("became follower at term ``term``") saying term 1 instead: TermMonotonic
    there (None returned)."""
    if forged:
        edit_line(path, line, lambda s: s.replace(f"became follower at term {term}",
                                                  "became follower at term 1"))
    verdict = check_run(find_runs([logs])[0], options)
    if forged:
        assert (verdict.status, verdict.rule, verdict.location) == \
            (VIOLATES, "TermMonotonic", f"{path}:{line}")
        return None
    assert verdict.status == CONFORMS, (verdict.rule, verdict.location)
    return verdict


FIVE_FAST = Path(__file__).parent / "data" / "etcd" / "3.5-flapping-five-fast"


@pytest.mark.parametrize("forged", [False, True], ids=["as-run", "term-back"])
def test_a_clock_set_back_in_a_pause_of_its_log_is_with_the_others_again_after_it(
        tmp_path: Path, forged: bool) -> None:
    """etcd 3.5, five nodes, fast timers, links flapping: n5's lines 177 to 218 stamped 2.353 s
    late, then right again. A pause of 2.406 s after line 218 hides the step back: n5's log
    shows a pause at 177 and nothing after 218. The merge finds n5's clock ahead from 177; a
    line of n5 that then comes before a line it waits for, stamped no later than it, is merged
    at its time again, as are the rest of its log (line 232 here: the log cannot show where in
    the pause after 218 the clock was set back; before: n5's lines kept 2.353 s early to the
    end, and a false RequestVote at node1.log:234; a clock campaign on this project's runs
    found it). n5's term forged back at line 233, after the hidden step: a violation there."""
    logs = copy_run(FIVE_FAST, tmp_path)
    node5 = logs / "node5.log"
    _shift_lines(node5, 177, 218, 2.353)
    stamps = [_TS.search(line).group(1) for line in node5.read_text().splitlines()[216:219]]
    assert stamps == ["2026-12-06T11:30:07.484Z", "2026-12-06T11:30:07.497Z",
                      "2026-12-06T11:30:07.550Z"]  # (no step back shows after line 218)
    verdict = _conforms_or_term_back_caught(logs, node5, 233, 23, forged)
    assert verdict is None or any(
        note.startswith(f"{node5}:177: n5's clock ran 2.353 s ahead of ")
        and "from there to line 231 (its clock was set back by line 232)" in note
        for note in verdict.notes), verdict.notes


HASHICORP_FIVE_JSON = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-json-n5-80s"


@_as_run_and_forged(("node2.log", 247, '"term":41', '"term":2'))
def test_a_clock_ahead_from_a_pause_near_the_line_is_read_to_its_step_back(
        tmp_path: Path, forged: tuple | None) -> None:
    """hashicorp/raft JSON, five nodes, 80 s of a chaos run: n2's lines 193 to 245 run 1.265 s
    ahead; its step back at 246 shows 0.639 s (the rest lies in a quiet before it). No pause
    near the step is where the clock jumped, and the line left unexplained (n2's candidacy at
    208, after others' lines gave it a later term) lies well before the step: the pauses
    before that line, read as where the clock jumped, up to the step back, explain the run at
    a size that is a guess (from the pause at 204: inconclusive; before, a jump was read only
    where no step back followed, and this was a false TermMonotonic at node2.log:208; a clock
    campaign on this project's recordings found it). n2's term forged back at line 247,
    after the step: a violation there, the reading noted (as a slip, it hides none)."""
    logs = copy_run(HASHICORP_FIVE_JSON, tmp_path)
    _shift_hclog_json(logs / "node2.log", 193, 245, 1.265)
    verdict = _check(logs, forged)
    _doubted_or_caught(verdict, forged,
                       f"n2's clock ran 2 s ahead in {logs / 'node2.log'}:204 to line 245 (its "
                       f"time steps back at {logs / 'node2.log'}:246)",
                       f"{logs / 'node2.log'}:247")
    if forged:
        assert verdict.notes[0].endswith(f"TermMonotonic at {logs / 'node2.log'}:208 was the "
                                         "first line not explained"), verdict.notes[0]


CAPNSLOG_THREE = Path(__file__).parent / "data" / "cut" / "3.4-capnslog-flapping-n3-30s"
_CAPNSLOG_ANY_TS = re.compile(r"(\d{4})([-/])(\d\d)[-/](\d\d) (\d\d:\d\d:\d\d)(\.\d+)?")


def _shift_capnslog(path: Path, first: int, last: int, seconds: float) -> None:
    """Lines first..last (from 1) of an etcd 3.4 text log stamped ``seconds`` later: raft's
    whole-second stamps to the whole second, the server's to the microsecond."""
    def later(m: re.Match) -> str:
        sep, fraction = m.group(2), m.group(6) or ""
        t = datetime.strptime(f"{m.group(1)}-{m.group(3)}-{m.group(4)} {m.group(5)}{fraction}",
                              "%Y-%m-%d %H:%M:%S" + (".%f" if fraction else ""))
        t += timedelta(seconds=seconds)
        text = t.strftime(f"%Y{sep}%m{sep}%d %H:%M:%S")
        return text + (f".{t.microsecond:06d}" if fraction else "")

    for number in range(first, last + 1):
        edit_line(path, number, lambda s: _CAPNSLOG_ANY_TS.sub(later, s, count=1))


@pytest.mark.parametrize("forged", [False, True], ids=["as-run", "term-back"])
def test_a_step_back_shown_only_by_lines_stamped_to_the_microsecond_is_read(
        tmp_path: Path, forged: bool) -> None:
    """etcd 3.4, text log, three members, links flapping, no pre-vote: n1's clock set 2.765 s
    back at its line 158 and left so. Raft's lines are stamped to the whole second, 49 then
    48: no step beyond a second's resolution. But the server's lines carry microseconds
    (49.473781 at line 151, 48.862804 at 160, with raft lines stamped 49 between): against
    the latest time the lines before must have reached, n1's clock went back 1.474 s at
    line 158, and that slip explains the run (before: no step was seen, a false RequestVote
    at node1.log:167; found by a clock campaign on this project's recordings). n1's term
    forged back at line 168, after the step: a violation there."""
    logs = copy_run(CAPNSLOG_THREE, tmp_path)
    node1 = logs / "node1.log"
    _shift_capnslog(node1, 158, 267, -2.765)
    lines = node1.read_text().splitlines()
    assert lines[150].startswith("2026-12-08 00:44:49.473781")
    assert lines[156].startswith("raft2026/12/08 00:44:49") and \
        lines[157].startswith("raft2026/12/08 00:44:48")
    assert lines[159].startswith("2026-12-08 00:44:48.862804")
    verdict = _conforms_or_term_back_caught(logs, node1, 168, 14, forged,
                                            ValidateOptions(pre_vote=False))
    assert verdict is None or any(
        note.startswith(f"n1's clock ran 1.474 s behind in {node1}:158 to line ")
        for note in verdict.notes), verdict.notes


HASHICORP_SEVEN_START = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-json-n7-start"


@_as_run_and_forged(("node1.log", 383, '"term":50}', '"term":2}'))
def test_a_clock_set_back_and_left_so_is_sized_finer_than_the_skew(
        tmp_path: Path, forged: tuple | None) -> None:
    """hashicorp/raft JSON, seven nodes, the first 98 s of a chaos run: n3's clock set 2.45 s
    back at its line 99 and left so (its step shows 2.081 s). Read to the log's end, 2.44 s
    puts n3's lines too early and 2.5 s too late in this dense run (an election every few
    seconds, lines of seven nodes within milliseconds): the search for a size now goes on
    to a quarter of the skew, and 2.47 s explains the run, a guess (before it stopped within
    the skew, at 2.5 s: a false TermMonotonic at node3.log:538; found by the sweep's clock-back
    look-alike on a new recording). n1's term forged back at node1.log:383: a violation
    there."""
    logs = copy_run(HASHICORP_SEVEN_START, tmp_path)
    node3 = logs / "node3.log"
    _shift_hclog_json(node3, 99, len(node3.read_text().splitlines()), -2.45)
    _doubted_or_caught(_check(logs, forged), forged,
                       f"n3's clock ran 2 s behind in {node3}:99 to line 551",
                       f"{logs / 'node1.log'}:383")


HASHICORP_SEVEN_CHAOS = Path(__file__).parent / "data" / "cut" / "hashicorp-chaos-n7-100s"


@_as_run_and_forged(("node1.log", 331, "term=50", "term=2"))
def test_a_block_behind_is_read_at_the_pause_that_ends_it_too(
        tmp_path: Path, forged: tuple | None) -> None:
    """hashicorp/raft text log, seven nodes, 100 s of a chaos run: n2's lines 234 to 384
    stamped 33.58 s early, then right again. Its step back shows 33.571 s and the pause where
    the clock came back 33.591 s: the error lies between. At the step's size lines of n2 and
    n4 milliseconds apart come out of order; at the pause's the run conforms (before, a
    pause within the tolerance of the step was never tried: a false TermMonotonic at
    node2.log:423; found by the sweep's clock-step look-alike on a new recording). n1's term
    forged back at node1.log:331: a violation there."""
    logs = copy_run(HASHICORP_SEVEN_CHAOS, tmp_path)
    _shift_hclog(logs / "node2.log", 234, 384, -33.58)
    _conforms_or_caught(_check(logs, forged), forged,
                        f"n2's clock ran 33.591 s behind in {logs / 'node2.log'}:234 to line 384",
                        f"{logs / 'node1.log'}:331")
