"""Bad input through ``raftcheck validate``: the right exit code, one line naming the file (and
line where there is one), never a traceback; and memory that does not grow with the input."""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from raftcheck.cli import main
from raftcheck.validate import validate_paths

KILL = Path(__file__).parent / "data" / "etcd35" / "leader-kill"
NODE1 = (KILL / "node1.log").read_text().splitlines()
GIB = 1 << 30


def _zap_with(tmp: Path, name: str, extra: list[str], at: int) -> Path:
    lines = [*NODE1[:at], *extra, *NODE1[at:]]
    path = tmp / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _no_logs(tmp: Path) -> Path:
    d = tmp / "run"
    d.mkdir()
    (d / "scenario.json").write_text('{"nodes": 3}\n')
    (d / "notes.md").write_text("what we did\n")
    return d


def _empty_dir(tmp: Path) -> Path:
    d = tmp / "nothing"
    d.mkdir()
    return d


def _empty(tmp: Path) -> Path:
    path = tmp / "node1.log"
    path.write_bytes(b"")
    return path


def _junk(tmp: Path) -> Path:
    path = tmp / "node1.log"
    path.write_bytes(random.Random(3).randbytes(50_000))
    return path


def _gzip_cut_off(tmp: Path) -> Path:
    """A compressed log cut off half way (a rotated part copied while written)."""
    path = tmp / "node1.log.1.gz"
    data = gzip.compress((KILL / "node1.log").read_bytes())
    path.write_bytes(data[:len(data) // 2])
    return path


def _gzipped_junk(tmp: Path) -> Path:
    path = tmp / "node1.log.gz"
    path.write_bytes(gzip.compress(bytes(range(256)) * 64))
    return path


def _sparse_gib(tmp: Path) -> Path:
    path = tmp / "node1.log"
    with open(path, "wb") as f:
        f.truncate(GIB)  # 1 GiB of NUL bytes, sparse: no disk blocks
    return path


def _only_truncated(tmp: Path) -> Path:
    path = tmp / "node1.log"
    path.write_text(NODE1[0][:40])
    return path


def _mixed_early(tmp: Path) -> Path:
    hclog = "2026-11-28T12:12:44.001Z [INFO]  raft: entering follower state: follower=n1"
    return _zap_with(tmp, "node1.log", [hclog], 20)


def _mixed_late(tmp: Path) -> Path:
    """A hashicorp line after the lines that detection samples: found while reading. (A line
    of etcd's other format is read in its format: an upgrade from 3.4's text to 3.5's JSON.)"""
    filler = [NODE1[-1]] * 300
    hclog = "2026-11-28T12:12:47.001Z [INFO]  raft: entering follower state: follower=n1"
    return _zap_with(tmp, "node1.log", [*filler, hclog], len(NODE1))


def _missing(tmp: Path) -> Path:
    return tmp / "node9.log"


# (input maker, line named in the message or None, what the message says)
UNREADABLE: list[tuple[Callable[[Path], Path], int | None, str]] = [
    (_no_logs, None, "no Raft log files in this directory or below it (not logs: scenario.json)"),
    (_empty_dir, None, "no Raft log files in this directory"),
    (_empty, None, "empty file"),
    (_junk, None, "binary data, not a text log"),
    (_gzip_cut_off, None, "cannot read: corrupt gzip data"),
    (_gzipped_junk, None, "binary data, not a text log"),
    (_sparse_gib, None, "binary data, not a text log"),
    (_only_truncated, 1, "not a recognised Raft log format"),
    (_mixed_early, 21, "mixed formats in one file: this line is hashicorp-hclog, the file is "
                       "etcd-zap"),
    (_mixed_late, len(NODE1) + 301, "mixed formats in one file: this line is hashicorp-hclog, "
                                    "the file is etcd-zap"),
    (_missing, None, "no such file or directory"),
]


@pytest.mark.parametrize(("make", "line", "message"), UNREADABLE,
                         ids=[m.__name__.strip("_") for m, *_ in UNREADABLE])
def test_unreadable_input_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], Path],
        line: int | None, message: str) -> None:
    path = make(tmp_path)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    where = str(path) if line is None else f"{path}:{line}"
    assert out == ""
    assert err.startswith(f"raftcheck: error: {where}: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unreadable_input_from_the_console_script(tmp_path: Path) -> None:
    """The same end to end, in a process of its own: exit status 2, stderr one line."""
    path = _mixed_late(tmp_path)
    run = subprocess.run([sys.executable, "-m", "raftcheck", "validate", str(path)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (f"raftcheck: error: {path}:{len(NODE1) + 301}: mixed formats in one "
                          "file: this line is hashicorp-hclog, the file is etcd-zap\n")


def _run_dir(tmp: Path) -> Path:
    d = tmp / "logs"
    d.mkdir(parents=True)
    for f in KILL.glob("node*.log"):
        shutil.copy(f, d / f.name)
    return d


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[str]]:
    code = main(["validate", *map(str, paths)])
    out, err = capsys.readouterr()
    assert err == "" and "Traceback" not in out
    return code, [line.strip() for line in out.splitlines()]


def test_truncated_record_is_named_and_not_trusted(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    logs = _run_dir(tmp_path)
    node1 = logs / "node1.log"
    node1.write_text(node1.read_text() + NODE1[-1][:57])  # a crash cut the last record
    code, out = _validate(capsys, logs)
    assert code == 0
    assert f"unparsed raft line: {node1}:{len(NODE1) + 1}: truncated or invalid JSON record" \
        in out
    assert any(f"1 raft line(s) did not parse and were not checked (first: {node1}:" in s
               for s in out)


def test_binary_junk_inside_a_log_is_named_line_by_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = _run_dir(tmp_path)
    node2 = logs / "node2.log"
    text = node2.read_bytes().split(b"\n")
    node2.write_bytes(b"\n".join([*text[:50], b"\xff\xfe\x00junk\x81", *text[50:]]))
    code, out = _validate(capsys, logs)
    assert code == 0
    assert f"unparsed raft line: {node2}:51: not UTF-8 text (binary data?)" in out


def test_a_gib_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    """A log whose tail is 1 GiB without a newline (sparse: no disk blocks): that line is
    reported, never held in memory."""
    logs = _run_dir(tmp_path)
    node3 = logs / "node3.log"
    with open(node3, "ab") as f:
        f.truncate(node3.stat().st_size + GIB)
    lines = node3.read_bytes()[:1 << 20].count(b"\n") + 1
    validate_paths([KILL])  # grammars loaded
    tracemalloc.start()
    try:
        verdict = validate_paths([logs])
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.problems == [f"{node3}:{lines}: line longer than 1048576 bytes, skipped"]
    assert peak < 8 << 20


def _steady_run(tmp: Path, units: int) -> Path:
    """The leader-kill run, then node1 goes on logging for ``units`` more milliseconds: a
    rafthttp line (skipped) and "elected leader" (an event) each, at an unchanged term."""
    logs = _run_dir(tmp / f"steady{units}")
    raft = json.loads([t for t in NODE1 if '"logger":"raft"' in t][-1])
    other = json.loads(NODE1[-1])
    start = datetime.fromisoformat(other["ts"].replace("Z", "+00:00"))
    with open(logs / "node1.log", "a") as f:
        for k in range(1, units + 1):
            ts = (start + timedelta(milliseconds=k)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            for record in (other, raft):
                f.write(json.dumps({**record, "ts": ts + "Z"}, separators=(",", ":")) + "\n")
    return logs


def _peak(logs: Path) -> tuple[int, int]:
    validate_paths([logs])
    tracemalloc.start()
    try:
        verdict = validate_paths([logs])
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert verdict.status == "conforms", verdict.lines()
    return peak, sum(f.lines for f in verdict.files)


def test_memory_does_not_grow_with_the_log(tmp_path: Path) -> None:
    (small, n), (large, four_n) = (_peak(_steady_run(tmp_path, u)) for u in (1500, 6000))
    assert four_n > 3.5 * n
    assert large < small * 1.25 + (64 << 10), (small, large)
