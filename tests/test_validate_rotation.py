"""Rotated logs: a node's log in several files (``node1.log.2.gz``, ``node1.log.1``,
``node1.log``; or logrotate's dated parts), compressed or not, is one log read oldest first:
a real run cut into parts reads as the run, wherever it is cut, and a violation inside a
compressed part is found at its line of that part."""

from __future__ import annotations

import gzip
import itertools
import shutil
from pathlib import Path

import pytest

from raftcheck.grammar.rotation import is_log_name, log_base, reading_order
from raftcheck.traces.logfiles import LogError, read_logs
from raftcheck.validate.engine import ValidateOptions, check_run
from raftcheck.validate.runs import find_runs
from tests.forge import copy_run

DATA = Path(__file__).parent / "data"
CAPNSLOG = DATA / "etcd" / "3.4-flapping-capnslog"
"""etcd 3.4's text log: raft's lines stamped to the second, the others to the microsecond, so
the parts of a cut log seem to overlap and their clocks cannot order them."""


def _facts(run: Path) -> tuple:
    verdict = check_run(find_runs([run])[0])
    return verdict.status, verdict.rule, verdict.events, verdict.checked, verdict.nodes


def rotate(path: Path, cuts: list[int], names: list[str]) -> list[Path]:
    """Cut the file before each line number in ``cuts`` into parts named ``names`` (oldest
    first; a name ending in .gz is compressed); the last part keeps the file's name."""
    lines = path.read_text().splitlines(keepends=True)
    bounds = [0, *[c - 1 for c in cuts], len(lines)]
    parts = []
    for (start, end), name in zip(itertools.pairwise(bounds), [*names, path.name],
                                  strict=True):
        part = path.parent / name
        text = "".join(lines[start:end]).encode()
        part.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
        parts.append(part)
    return parts


def test_names_of_rotated_parts() -> None:
    names = ["node2.log", "node10.log", "node1.log", "node1.log.1", "node1.log.2.gz",
             "node2.log-20261205.gz", "node2.log-20261204", "scenario.json"]
    assert sorted(names, key=reading_order) == [
        "node1.log.2.gz", "node1.log.1", "node1.log", "node2.log-20261204",
        "node2.log-20261205.gz", "node2.log", "node10.log", "scenario.json"]
    assert [log_base(n) for n in ("node1.log.2.gz", "node2.log-20261205", "trace.ndjson")] \
        == ["node1.log", "node2.log", "trace.ndjson"]
    assert is_log_name("node1.log.12.gz") and is_log_name("etcd.out.1")
    assert not is_log_name("node1.1") and not is_log_name("core.12345")


def test_a_rotated_run_reads_as_the_run(tmp_path: Path) -> None:
    logs = copy_run(CAPNSLOG, tmp_path)
    rotate(logs / "node1.log", [91, 151], ["node1.log.2.gz", "node1.log.1"])
    rotate(logs / "node2.log", [60], ["node2.log-20261205.gz"])
    run = find_runs([logs])[0]
    assert [Path(p).name for p, _ in run.files] == [
        "node1.log.2.gz", "node1.log.1", "node1.log", "node2.log-20261205.gz", "node2.log",
        "node3.log"]
    assert _facts(logs) == _facts(CAPNSLOG)
    assert _facts(CAPNSLOG)[0] == "conforms"


@pytest.mark.parametrize("run", [CAPNSLOG, DATA / "etcd" / "3.5-flapping-no-pre-vote",
                                 DATA / "hashicorp" / "leader-restart"],
                         ids=lambda p: p.name)
def test_a_log_cut_anywhere_reads_as_the_log(tmp_path: Path, run: Path) -> None:
    """node1's log cut in two at every fifth line: each conforms as the whole run does (the
    parts' clocks alone would put lines of the second part before the end of the first)."""
    lines = (run / "node1.log").read_text().count("\n")
    for cut in range(2, lines, 5):
        logs = copy_run(run, tmp_path / str(cut))
        rotate(logs / "node1.log", [cut], ["node1.log.1"])
        verdict = check_run(find_runs([logs])[0], ValidateOptions())
        assert (verdict.status, verdict.events) == ("conforms", _facts(run)[2]), \
            (cut, verdict.lines())


def test_a_violation_in_a_compressed_part_is_found_at_its_line(tmp_path: Path) -> None:
    """node1's campaign for term 4 (line 83) logged as term 2, after it was at term 3:
    TermMonotonic at line 83 of the oldest, compressed part; the same edit on the whole log
    for comparison."""
    whole = copy_run(CAPNSLOG, tmp_path / "whole")
    path = whole / "node1.log"
    text = path.read_text().splitlines(keepends=True)
    assert "became candidate at term 4" in text[82]
    text[82] = text[82].replace("at term 4", "at term 2")
    path.write_text("".join(text))
    rotated = copy_run(whole, tmp_path / "rotated")
    oldest, _, _ = rotate(rotated / "node1.log", [91, 151], ["node1.log.2.gz", "node1.log.1"])
    for logs, where in ((whole, f"{path}:83"), (rotated, f"{oldest}:83")):
        verdict = check_run(find_runs([logs])[0])
        assert (verdict.status, verdict.rule, verdict.location) == \
            ("violates", "TermMonotonic", where)


def test_a_cut_off_compressed_part_is_bad_input(tmp_path: Path) -> None:
    logs = copy_run(CAPNSLOG, tmp_path)
    oldest, _ = rotate(logs / "node1.log", [91], ["node1.log.1.gz"])
    data = oldest.read_bytes()
    oldest.write_bytes(data[:len(data) // 2])
    with pytest.raises(LogError, match="corrupt gzip data") as caught:
        check_run(find_runs([logs])[0])
    assert str(oldest) in str(caught.value)


def test_a_compressed_log_alone_is_read(tmp_path: Path) -> None:
    logs = tmp_path / "run"
    logs.mkdir()
    for path in sorted(CAPNSLOG.glob("*.log")):
        with gzip.open(logs / f"{path.name}.gz", "wb") as out:
            out.write(path.read_bytes())
    shutil.copy(CAPNSLOG / "scenario.json", logs)
    assert _facts(logs) == _facts(CAPNSLOG)


def test_every_reader_reads_the_parts_as_one_log(tmp_path: Path) -> None:
    """Plain reading (the timeline's) too: the same events, each at its part's line."""
    run = DATA / "etcd" / "3.5-flapping-no-pre-vote"  # (zap: its node is named in the banner)
    logs = copy_run(run, tmp_path)
    rotate(logs / "node1.log", [7, 91], ["node1.log.2.gz", "node1.log.1"])
    whole, parts = read_logs([run]), read_logs([logs])
    assert parts.problems == whole.problems == []
    assert [(type(e), e.node, e.source.raw) for e in parts.events] == \
        [(type(e), e.node, e.source.raw) for e in whole.events]
    assert {Path(e.source.path).name for e in parts.events if e.node == "n1"} == \
        {"node1.log.1", "node1.log"}  # (the first part is the start of the banner)
