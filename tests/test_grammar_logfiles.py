"""The public API (read_logs / iter_events): bad input, streaming, node naming, detection.

Realistic content comes from the fixture logs printed by real etcd 3.5 (tests/data/logs).
"""

from __future__ import annotations

import json
import re
import shutil
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from raftcheck.grammar.detect import detect
from raftcheck.grammar.lines import MAX_LINE_BYTES
from raftcheck.traces import logfiles
from raftcheck.traces.logfiles import (
    MAX_PROBLEMS_PER_FILE,
    LogError,
    iter_events,
    log_files,
    read_logs,
)

REPO = Path(__file__).resolve().parent.parent
STEADY = REPO / "tests" / "data" / "logs" / "etcd-3.5" / "steady-zap"
KILL = REPO / "tests" / "data" / "logs" / "etcd-3.5" / "leader-kill-zap"
CAPNSLOG = REPO / "tests" / "data" / "logs" / "etcd-3.4" / "leader-kill-capnslog"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# --- unreadable input: LogError naming the file (and line) -------------------------------


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "node1.log").write_bytes(b"")
    with pytest.raises(LogError, match=r"node1\.log: empty file$"):
        read_logs([str(tmp_path / "node1.log")])


def test_blank_file(tmp_path: Path) -> None:
    (tmp_path / "node1.log").write_text("\n   \n\n")
    with pytest.raises(LogError, match=r"node1\.log: empty file \(no text lines\)"):
        read_logs([str(tmp_path / "node1.log")])


def test_empty_file_in_a_directory(tmp_path: Path) -> None:
    shutil.copy(STEADY / "node1.log", tmp_path / "node1.log")
    (tmp_path / "node2.log").write_bytes(b"")
    with pytest.raises(LogError, match=r"node2\.log: empty file"):
        read_logs([str(tmp_path)])


def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "core.log").write_bytes(bytes(range(256)) * 40)
    with pytest.raises(LogError, match=r"core\.log: binary data, not a text log"):
        read_logs([str(tmp_path / "core.log")])


def test_compressed_file(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "node1.log.gz").write_bytes(gzip.compress((STEADY / "node1.log").read_bytes()))
    compressed = read_logs([str(tmp_path / "node1.log.gz")])
    plain = read_logs([str(STEADY / "node1.log")])
    assert [(type(e), e.source.line, e.source.raw) for e in compressed.events] == \
        [(type(e), e.source.line, e.source.raw) for e in plain.events]
    assert len(plain.events) > 10 and compressed.problems == plain.problems == []


def test_unknown_format(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.txt", ["Dear diary,", "today the leader was elected."])
    with pytest.raises(LogError, match=r"notes\.txt:1: not a recognised Raft log format "
                                       r"\(first line: 'Dear diary,'\)"):
        read_logs([path])


def test_missing_path_and_no_paths(tmp_path: Path) -> None:
    with pytest.raises(LogError, match=r"nope\.log: no such file or directory"):
        read_logs([str(tmp_path / "nope.log")])
    with pytest.raises(LogError, match="no log files given"):
        read_logs([])


def test_directory_without_logs(tmp_path: Path) -> None:
    _write(tmp_path / "README.txt", ["not a log"])
    (tmp_path / "data.bin").write_bytes(b"\x00" * 10)
    (tmp_path / "sub").mkdir()
    with pytest.raises(LogError, match=r": no Raft log files in this directory "
                                       r"\(not logs: README\.txt\)"):
        read_logs([str(tmp_path)])
    with pytest.raises(LogError, match=r"sub: no Raft log files in this directory"):
        read_logs([str(tmp_path / "sub")])


def test_directory_ignores_non_logs_but_says_so(tmp_path: Path) -> None:
    for name in ("node1.log", "node2.log", "scenario.json"):
        shutil.copy(STEADY / name, tmp_path / name)
    _write(tmp_path / "harness.log", ["12:00 started the cluster"])
    (tmp_path / ".hidden.log").write_text("x\n")
    (tmp_path / "notes.md").write_text("x\n")
    files, ignored = log_files([str(tmp_path)])
    assert [(Path(p).name, f) for p, f in files] == [("node1.log", "etcd-zap"),
                                                    ("node2.log", "etcd-zap")]
    assert [Path(p).name for p, _reason in ignored] == ["harness.log", "scenario.json"]
    assert all(r.startswith("not a recognised Raft log format") for _p, r in ignored)


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    parsed = read_logs([str(STEADY / "node1.log"), str(STEADY), str(STEADY / "node1.log")])
    assert [Path(f.path).name for f in parsed.files] == ["node1.log", "node2.log", "node3.log"]


HCLOG_LINE = "2026-12-05T08:39:19.361Z [INFO]  raft: entering follower state: follower=a leader=b"


def test_mixed_formats_found_by_detection(tmp_path: Path) -> None:
    lines = [*_lines(STEADY / "node1.log")[:20], HCLOG_LINE]
    path = _write(tmp_path / "node1.log", lines)
    with pytest.raises(LogError, match=r"node1\.log:21: mixed formats in one file: this line "
                                       r"is hashicorp-hclog, the file is etcd-zap"):
        read_logs([path])


def test_mixed_formats_found_while_reading(tmp_path: Path) -> None:
    lines = [*_lines(STEADY / "node1.log") * 3, HCLOG_LINE]  # far past detection's sample
    path = _write(tmp_path / "node1.log", lines)
    with pytest.raises(LogError, match=rf"node1\.log:{len(lines)}: mixed formats in one file"):
        read_logs([path])


@pytest.mark.parametrize("order", ["capnslog-then-zap", "zap-then-capnslog"])
def test_both_etcd_formats_in_one_file_read_as_their_parts(order: str, tmp_path: Path) -> None:
    """A rolling upgrade (etcd 3.4's text log, then 3.5's JSON, logged to one file) or back:
    every line is read in its own format, as it is read in a file of that format alone."""
    parts = [CAPNSLOG / "node1.log", KILL / "node1.log"]
    if order == "zap-then-capnslog":
        parts.reverse()
    alone = [read_logs([str(p)]) for p in parts]
    path = _write(tmp_path / "node1.log", _lines(parts[0]) + _lines(parts[1]))
    both = read_logs([path])
    offset = len(_lines(parts[0]))
    expected = [(type(e).__name__, e.source.line, e.time) for e in alone[0].events] + \
        [(type(e).__name__, e.source.line + offset, e.time) for e in alone[1].events]
    assert [(type(e).__name__, e.source.line, e.time) for e in both.events] == expected
    assert not both.problems
    assert both.files[0].time_precision == "1s"  # (the text log's clock: whole seconds)


# --- damaged lines: problems naming file:line, the rest still read -------------------------


def test_truncated_last_record(tmp_path: Path) -> None:
    lines = _lines(STEADY / "node1.log")
    path = _write(tmp_path / "node1.log", [*lines[:-1], lines[-1][: len(lines[-1]) // 2]])
    parsed = read_logs([path])
    assert [(Path(p.path).name, p.line, p.message) for p in parsed.problems] == [
        ("node1.log", len(lines), "truncated or invalid JSON record")]
    whole = read_logs([str(STEADY / "node1.log")])
    assert len(parsed.events) == len([e for e in whole.events if e.source.line < len(lines)])


def test_binary_junk_lines(tmp_path: Path) -> None:
    lines = _lines(STEADY / "node1.log")
    path = tmp_path / "node1.log"
    with open(path, "wb") as f:
        for i, line in enumerate(lines, 1):
            f.write(line.encode() + b"\n")
            if i == 30:
                f.write(b"\x00\x00\x00\x00garbage\n\xff\xfe\xfd\xfc\n")
    parsed = read_logs([str(path)])
    assert [(p.line, p.message) for p in parsed.problems] == [
        (31, "NUL bytes in line (binary data?)"), (32, "not UTF-8 text (binary data?)")]
    whole = read_logs([str(STEADY / "node1.log")])
    assert len(parsed.events) == len(whole.events)


def test_overlong_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    lines = _lines(STEADY / "node1.log")
    path = tmp_path / "node1.log"
    with open(path, "w") as f:
        f.write("\n".join(lines[:10]) + "\n")
        f.write('{"level":"info","msg":"' + "x" * (3 * MAX_LINE_BYTES) + '"}\n')
        f.write("\n".join(lines[10:]) + "\n")
    tracemalloc.start()
    parsed = read_logs([str(path)])
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(p.line, p.message) for p in parsed.problems] == [
        (11, f"line longer than {MAX_LINE_BYTES} bytes, skipped")]
    assert peak < 2 * MAX_LINE_BYTES + (8 << 20)  # never the 3 MiB line as a string
    assert parsed.files[0].lines == len(lines) + 1


def test_problems_are_capped_per_file(tmp_path: Path) -> None:
    bad = '{"level":"info","ts":"2026-11-28T10:00:00.000Z","logger":"raft","msg":"nonsense"}'
    path = _write(tmp_path / "node1.log", _lines(STEADY / "node1.log")[:5] + [bad] * 1500)
    parsed = read_logs([path])
    assert parsed.files[0].problems == 1500
    assert len(parsed.problems) == MAX_PROBLEMS_PER_FILE
    assert parsed.problems[0].line == 6 and parsed.problems[0].raw == bad


# --- streaming ----------------------------------------------------------------------------


def test_stream_a_big_file_in_bounded_memory(tmp_path: Path) -> None:
    source = (STEADY / "node1.log").read_bytes()
    big = tmp_path / "node1.log"
    with open(big, "wb") as f:
        for copy in range(150):  # each copy a year later (a copy at the same times is a
            # repeat, read once: traces/replays.py)
            f.write(re.sub(rb'"ts":"2026-(\d\d)-(\d\d)', lambda m, c=copy: b'"ts":"%d-%s-%s' % (
                2026 + c, m.group(1), m.group(2)), source))
    lines = source.count(b"\n") * 150
    assert big.stat().st_size > 3_000_000
    tracemalloc.start()
    stream = iter_events([str(big)])
    count = 0
    for event in stream:
        count += 1
        assert event.node == "n1"
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_copy = len(read_logs([str(STEADY / "node1.log")]).events)
    assert count == per_copy * 150
    assert stream.files[0].lines == lines
    assert peak < 4_000_000  # far less than the file: nothing grows with its length


def test_stream_reports_as_it_goes() -> None:
    stream = iter_events([str(STEADY)])
    assert stream.files == []  # nothing read yet; detection ran (errors come up front)
    first = next(iter(stream))
    assert first.source.path.endswith("node1.log") and first.source.line > 0
    rest = list(stream)
    assert len(stream.files) == 3
    assert sum(f.events for f in stream.files) >= len(rest)


# --- node naming --------------------------------------------------------------------------


def test_names_follow_file_numbers() -> None:
    scenario = json.loads((KILL / "scenario.json").read_text())
    parsed = read_logs([str(KILL / "node3.log"), str(KILL / "node1.log")])
    by_id = {raw: name for name, info in parsed.nodes.items() for raw in info.ids}
    assert {raw: by_id[raw] for raw in scenario["id_to_name"]} == {
        raw: f"n{name[-1]}" for raw, name in scenario["id_to_name"].items()}
    assert [f.node for f in parsed.files] == ["n3", "n1"]
    assert parsed.nodes["n3"].files == [str(KILL / "node3.log")]


def test_names_by_first_appearance_when_file_names_say_nothing(tmp_path: Path) -> None:
    for src, dst in (("node2.log", "beta.log"), ("node1.log", "alpha.log"),
                     ("node3.log", "gamma.log")):
        shutil.copy(KILL / src, tmp_path / dst)
    parsed = read_logs([str(tmp_path)])
    again = read_logs([str(tmp_path)])
    assert parsed.node_ids == again.node_ids  # deterministic
    assert [Path(f.path).name for f in parsed.files] == ["alpha.log", "beta.log", "gamma.log"]
    assert parsed.files[0].node == "n1"  # alpha.log's first raft line names its own node
    assert sorted(f.node or "" for f in parsed.files) == ["n1", "n2", "n3"]
    own_ids = {f.node: parsed.node_ids[f.node or ""] for f in parsed.files}
    first_alpha_ids = [e.node for e in parsed.events_of(str(tmp_path / "alpha.log"))]
    assert first_alpha_ids[0] == "n1" and len(own_ids) == 3


def test_repeated_numbers_fall_back_to_first_appearance(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(KILL / "node2.log", tmp_path / "a" / "node1.log")
    shutil.copy(KILL / "node3.log", tmp_path / "b" / "node1.log")
    parsed = read_logs([str(tmp_path / "a"), str(tmp_path / "b")])
    a, b = (f.node for f in parsed.files)
    assert a == "n1" and b in ("n2", "n3")  # b's node already appeared in a's log as a peer
    assert parsed.node_ids[a] != parsed.node_ids[b or ""]


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fmt"), [
    (STEADY / "node1.log", "etcd-zap"),
    (CAPNSLOG / "node1.log", "etcd-capnslog"),
])
def test_detect_fixtures(path: Path, fmt: str) -> None:
    assert detect(str(path)) == fmt


def test_detect_needs_a_signature_in_the_first_lines(tmp_path: Path) -> None:
    noise = ["WARNING: 2026/11/28 10:26:43 [core] grpc: something"] * 300
    path = _write(tmp_path / "x.log", [*noise, *_lines(STEADY / "node1.log")])
    with pytest.raises(LogError, match="not a recognised Raft log format"):
        read_logs([path])


# --- read-ahead: parsing ahead of the merge changes nothing it shows -------------------------


def _raft_line(ms: int, msg: str) -> str:
    return json.dumps({"level": "info", "ts": f"2026-12-05T10:00:00.{ms:03d}Z",
                       "logger": "raft", "caller": "etcdserver/zap_raft.go:77", "msg": msg},
                      separators=(",", ":"))


def test_nodes_first_named_in_a_file_read_ahead_are_named_in_merge_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LogStream parses a file's lines ahead of the merge, but a line that names a node with no
    name yet waits until the merge takes it: names (n1, n2, ... in order of first appearance)
    come out as without read-ahead. Here file a names peer f2 at 0.500, file b names peer f1
    at 0.300: f1 is met first."""
    from raftcheck.traces import logfiles
    from raftcheck.validate import validate_paths

    a = [_raft_line(100, "aa became follower at term 1")]
    a += [_raft_line(100 + k, "aa [term: 1] ignored a MsgHeartbeat message with lower term "
                              "from bb [term: 1]") for k in range(1, 40)]
    a += [_raft_line(500, "aa [term: 1] received a MsgVote message with higher term from f2 "
                          "[term: 2]")]
    b = [_raft_line(100, "bb became follower at term 1"),
         _raft_line(300, "bb [term: 1] received a MsgVote message with higher term from f1 "
                         "[term: 2]")]
    run = tmp_path / "run"
    run.mkdir()
    _write(run / "a.log", a)  # no numbers in the file names: nothing reserved
    _write(run / "b.log", b)

    def names(ahead: int) -> dict[str, list[str]]:
        monkeypatch.setattr(logfiles, "READ_AHEAD", ahead)
        return validate_paths([run]).nodes

    assert names(logfiles.READ_AHEAD) == names(0) == {
        "n1": ["aa"], "n2": ["bb"], "n3": ["f1"], "n4": ["f2"]}


def test_problems_found_reading_ahead_are_listed_in_merge_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad line met while reading ahead is a problem only once every event before it was
    taken: problems come out in merge order, as without read-ahead (the engine reads the
    problem list in the middle of a run). File a's bad time is at 0.500 behind 40 lines read
    ahead, file b's at 0.300: b's comes first."""
    from raftcheck.traces import logfiles
    from raftcheck.validate import validate_paths

    a = [_raft_line(100, "aa became follower at term 1")]
    a += [_raft_line(100 + k, "aa [term: 1] ignored a MsgHeartbeat message with lower term "
                              "from bb [term: 1]") for k in range(1, 40)]
    a += [_raft_line(500, "aa became follower at term 1").replace("10:00:00.500", "10:00:61.5")]
    b = [_raft_line(100, "bb became follower at term 1"),
         _raft_line(300, "bb became follower at term 1").replace("10:00:00.300", "10:00:61.3")]
    run = tmp_path / "run"
    run.mkdir()
    _write(run / "a.log", a)
    _write(run / "b.log", b)

    def problems(ahead: int) -> list[str]:
        monkeypatch.setattr(logfiles, "READ_AHEAD", ahead)
        return validate_paths([run]).problems

    listed = problems(logfiles.READ_AHEAD)
    assert listed == problems(0)
    assert len(listed) == 2 and "b.log" in listed[0] and "a.log" in listed[1]


@pytest.mark.parametrize("where", ["early", "last-read", "past-the-limit", "none"])
def test_a_debug_line_in_the_lines_read_first_marks_the_file_debug(
        tmp_path: Path, where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a file observes depends on whether it logs at debug level: that is decided by
    its first PRESCAN_LINES lines, also after its node and cluster are known (then the rest
    of those lines are searched at once)."""
    monkeypatch.setattr(logfiles, "PRESCAN_LINES", 40)
    lines = [x for x in _lines(KILL / "node1.log") if '"level":"debug"' not in x]
    info = next(x for x in lines if '"level":"info"' in x and '"logger":"raft"' not in x)
    debug = info.replace('"level":"info"', '"level":"debug"')
    lines = [*lines[:60], *[info] * 60]
    at = {"early": 3, "last-read": 39, "past-the-limit": 40, "none": None}[where]
    if at is not None:
        lines[at] = debug  # line at + 1
    path = _write(tmp_path / "node1.log", lines)
    stream = iter_events([path])
    assert stream.cluster_ids and (path in stream.debug_files) == (where in ("early",
                                                                           "last-read"))


# --- the times of every line (LogStream.stamps) ----------------------------------------------

def _times_by_oracle(path: Path, fmt: str) -> list[tuple[int, datetime]]:
    """Each line's time, read without the readers: JSON decoded, text by its fixed layout."""
    out = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        when = None
        if fmt in ("etcd-zap", "hashicorp-hclog-json") and line.startswith("{"):
            stamp = json.loads(line).get("ts" if fmt == "etcd-zap" else "@timestamp")
            when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        elif fmt == "hashicorp-hclog" and re.match(r"\d{4}-", line):
            when = datetime.fromisoformat(line.split(" ", 1)[0])
        elif fmt == "etcd-capnslog" and line.startswith("raft2"):
            when = datetime.strptime(line[4:23], "%Y/%m/%d %H:%M:%S").replace(tzinfo=UTC)
        elif fmt == "etcd-capnslog" and re.match(r"\d{4}-", line):
            when = datetime.fromisoformat(line[:26]).replace(tzinfo=UTC)
        if when is not None:
            out.append((number, when))
    return out


@pytest.mark.parametrize("path, fmt", [
    (STEADY / "node1.log", "etcd-zap"),
    (CAPNSLOG / "node1.log", "etcd-capnslog"),
    (REPO / "tests" / "data" / "hashicorp" / "chaos" / "node1.log", "hashicorp-hclog"),
    (REPO / "tests" / "data" / "hashicorp" / "chaos-json" / "node1.log", "hashicorp-hclog-json"),
], ids=["zap", "capnslog", "hclog", "hclog-json"])
def test_stamps_give_the_time_of_every_line_read_or_skipped(path: Path, fmt: str) -> None:
    [(parts, found_fmt, stamps)] = list(logfiles.LogStream([path]).stamps())
    assert (parts, found_fmt) == ([str(path)], fmt)
    got = [(number, when) for p, number, when in stamps if p == str(path)]
    expected = _times_by_oracle(path, fmt)
    assert got == expected
    events = [e for e in iter_events([path]) if e.time is not None]
    assert len(expected) > len({e.source.line for e in events})  # skipped lines are timed too


@pytest.mark.parametrize("path, garble", [
    (STEADY / "node1.log", lambda s: re.sub(r'"ts":"[^"]*"', '"ts":"2026-13-45T99:00:00Z"', s)),
    (REPO / "tests" / "data" / "hashicorp" / "chaos" / "node1.log",
     lambda s: "2026-12-07T25:61:00.000Z" + s[24:]),
], ids=["zap", "hclog"])
def test_a_line_whose_time_does_not_read_has_no_stamp(tmp_path: Path, path: Path,
                                                       garble) -> None:
    lines = path.read_text().splitlines()
    lines[4] = garble(lines[4])
    copy = tmp_path / path.name
    copy.write_text("\n".join(lines) + "\n")
    [(_parts, _fmt, stamps)] = list(logfiles.LogStream([copy]).stamps())
    numbers = [number for _p, number, _when in stamps]
    assert 5 not in numbers and {4, 6} <= set(numbers)
