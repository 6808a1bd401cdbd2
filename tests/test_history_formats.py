"""Reading histories: the same operations from every format; bad input named by file and line,
exit 2, never a traceback (hand-made cases and fuzzing)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftcheck import cli
from raftcheck.history import check_history, detect, read_history
from raftcheck.history.operations import NO_KEY

# One history, five ways. p0 writes 1, p1 reads 1 concurrently, p0's cas 1->4 times out,
# p2's cas 2->3 fails, p1 reads 4 (so the timed-out cas took effect), the nemesis acts.
EDN_LINES = """\
{:type :invoke, :f :write, :value 1, :process 0, :time 1000, :index 0}
{:type :invoke, :f :read, :value nil, :process 1, :time 2000, :index 1}
{:type :ok, :f :write, :value 1, :process 0, :time 3000, :index 2}
{:type :ok, :f :read, :value 1, :process 1, :time 4000, :index 3}
{:type :info, :f :start, :value nil, :process :nemesis, :time 4500}
{:type :invoke, :f :cas, :value [1 4], :process 0, :time 5000, :index 4}
{:type :info, :f :cas, :value [1 4], :process 0, :time 6000, :index 5, :error :timed-out}
{:type :invoke, :f :cas, :value [2 3], :process 2, :time 7000, :index 6}
{:type :fail, :f :cas, :value [2 3], :process 2, :time 8000, :index 7}
{:type :invoke, :f :read, :value nil, :process 1, :time 9000, :index 8}
{:type :ok, :f :read, :value 4, :process 1, :time 10000, :index 9}
"""

EDN_VECTOR = "[" + EDN_LINES.replace("\n{", "\n #jepsen.history.Op{", 1).rstrip() + "]\n"

LOG = """\
2014-05-26 10:03:12,084{GMT}	INFO	jepsen.core - Running test
INFO  jepsen.util - 0	:invoke	:write	1
INFO  jepsen.util - 1	:invoke	:read	nil
INFO  jepsen.util - 0	:ok	:write	1
INFO  jepsen.util - 1	:ok	:read	1
INFO  jepsen.util - :nemesis	:info	:start	nil
INFO  jepsen.util - 0	:invoke	:cas	[1 4]
INFO  jepsen.util - 0	:info	:cas	:timed-out
INFO  jepsen.util - 2	:invoke	:cas	[2 3]
INFO  jepsen.util - 2	:fail	:cas	[2 3]
INFO  jepsen.util - 1	:invoke	:read	nil
INFO  jepsen.util - 1	:ok	:read	4
INFO  jepsen.core - Analyzing...
"""

LOG_SPACES = LOG.replace("\t", "    ")

JSONL = "".join(json.dumps(r) + "\n" for r in [
    {"process": 0, "type": "invoke", "f": "write", "value": 1, "time": 1e-6},
    {"process": 1, "type": "invoke", "f": "read", "value": None, "time": 2e-6},
    {"process": 0, "type": "ok", "f": "write", "value": 1, "time": 3e-6},
    {"process": 1, "type": "ok", "f": "read", "value": 1, "time": 4e-6, "extra": "ignored"},
    {"process": 0, "type": "invoke", "f": "cas", "value": [1, 4], "time": 5e-6},
    {"process": 0, "type": "info", "f": "cas", "value": [1, 4], "time": 6e-6,
     "error": "timed-out"},
    {"process": 2, "type": "invoke", "f": "cas", "value": [2, 3], "time": 7e-6},
    {"process": 2, "type": "fail", "f": "cas", "value": [2, 3], "time": 8e-6},
    {"process": 1, "type": "invoke", "f": "read", "value": None, "time": 9e-6},
    {"process": 1, "type": "ok", "f": "read", "value": 4, "time": 10e-6},
])

SAME = {"edn": EDN_LINES, "edn-vector": EDN_VECTOR, "log": LOG, "log-spaces": LOG_SPACES,
        "jsonl": JSONL}
EXPECTED_FORMAT = {"edn": "jepsen-edn", "edn-vector": "jepsen-edn", "log": "jepsen-log",
                   "log-spaces": "jepsen-log", "jsonl": "raftcheck-jsonl"}
EXPECTED_OPS = [(0, "write", 1, "ok"), (1, "read", 1, "ok"), (0, "cas", (1, 4), "info"),
                (2, "cas", (2, 3), "fail"), (1, "read", 4, "ok")]


def _file(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


@pytest.mark.parametrize("kind", SAME)
def test_every_format_gives_the_same_operations(tmp_path: Path, kind: str) -> None:
    path = _file(tmp_path, f"h.{kind}", SAME[kind])
    assert detect(path) == EXPECTED_FORMAT[kind]
    h = read_history(path)
    assert [(op.process, op.f, op.value, op.status) for op in h.operations] == EXPECTED_OPS
    assert {op.key for op in h.operations} == {NO_KEY}
    assert check_history(h).exit_code == 0
    if kind in ("edn", "jsonl"):  # their times (ns / s) agree
        assert [op.invoke_time for op in h.operations] == pytest.approx(
            [1e-6, 2e-6, 5e-6, 7e-6, 9e-6])


def test_jsonl_export_reads_back_the_same(tmp_path: Path) -> None:
    source = _file(tmp_path, "h.edn", EDN_LINES)
    out = tmp_path / "h.jsonl"
    assert cli.main(["history", source, "--export", str(out)]) == 0
    again = read_history(str(out))
    assert [(op.process, op.f, op.value, op.status, op.invoke, op.complete)
            for op in again.operations] == [
        (op.process, op.f, op.value, op.status, op.invoke, op.complete)
        for op in read_history(source).operations]


def test_independent_tuples_become_keys(tmp_path: Path) -> None:
    text = """\
{:type :invoke, :f :write, :value [:a 1], :process 0}
{:type :invoke, :f :read, :value [:b nil], :process 1}
{:type :ok, :f :write, :value [:a 1], :process 0}
{:type :ok, :f :read, :value [:b 1], :process 1}
{:type :invoke, :f :cas, :value [:a [1 2]], :process 0}
{:type :info, :f :cas, :value :timed-out, :process 0}
"""
    h = read_history(_file(tmp_path, "i.edn", text))
    assert [(str(op.key), op.f, op.value) for op in h.operations] == [
        (":a", "write", 1), (":b", "read", 1), (":a", "cas", (1, 2))]
    assert any("independent" in note for note in h.notes)
    verdict = check_history(h)
    # Key :b read 1 that nobody wrote; key :a is fine.
    assert [str(k.key) for k in verdict.failing] == [":b"]


def test_explicit_keys_in_jsonl_and_edn(tmp_path: Path) -> None:
    jl = _file(tmp_path, "k.jsonl", "".join(json.dumps(r) + "\n" for r in [
        {"process": "c1", "type": "invoke", "f": "write", "key": "x", "value": "v"},
        {"process": "c1", "type": "ok", "f": "write", "key": "x", "value": "v"},
        {"process": "c2", "type": "invoke", "f": "read", "key": "y"},
        {"process": "c2", "type": "ok", "f": "read", "key": "y", "value": "v"},
    ]))
    verdict = check_history(read_history(jl))
    assert [k.key for k in verdict.failing] == ["y"]
    edn = _file(tmp_path, "k.edn", '{:type :invoke :f :read :key "y" :process 3}\n'
                                   '{:type :ok :f :read :key "y" :value nil :process 3}\n')
    assert [op.key for op in read_history(edn).operations] == ["y"]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


BAD = {
    # name: (file name, content, expected message after "path:")
    "jsonl not json": ("a.jsonl", JSONL.splitlines()[0] + "\n{\"process\": 1,\n",
                       r"2: not JSON: .* at column \d+"),
    "jsonl missing type": ("b.jsonl", '{"process": 1, "type": "invoke", "f": "read"}\n'
                                      '{"process": 1, "f": "read"}\n',
                           "2: missing field 'type'"),
    "jsonl unknown f": ("c.jsonl", '{"process": 1, "type": "invoke", "f": "add", "value": 1}\n',
                        "1: f must be one of read, write, cas, got 'add'"),
    "jsonl completes uninvoked": ("d.jsonl", '{"process": 1, "type": "ok", "f": "read"}\n',
                                  "1: process 1 completes a read \\(ok\\) it never invoked"),
    "jsonl invokes twice": ("e.jsonl", '{"process": 1, "type": "invoke", "f": "read"}\n'
                                       '{"process": 1, "type": "invoke", "f": "read"}\n',
                            "2: process 1 invokes read while its read from line 1 has not "
                            "completed"),
    "jsonl completes another f": ("f.jsonl", '{"process": 1, "type": "invoke", "f": "read"}\n'
                                             '{"process": 1, "type": "ok", "f": "write", '
                                             '"value": 2}\n',
                                  "2: process 1 completes a write but invoked a read on line 1"),
    "jsonl cas not a pair": ("g.jsonl", '{"process": 1, "type": "invoke", "f": "cas", '
                                        '"value": 3}\n',
                             "1: a cas value must be \\[old, new\\], got 3"),
    "jsonl time backwards": ("h.jsonl", '{"process": 1, "type": "invoke", "f": "read", '
                                        '"time": 5}\n{"process": 1, "type": "ok", "f": "read", '
                                        '"time": 4}\n',
                             "2: time 4 is earlier than line 1's 5"),
    "edn unclosed": ("a.edn", EDN_LINES + "{:type :invoke, :f :read, :process 4\n",
                     "12: not EDN: the text ends inside a value"),
    "edn stray bracket": ("b.edn", EDN_LINES.replace(":index 3}", ":index 3}}"),
                          "4: not EDN: unexpected '}' at column \\d+"),
    "edn not a register": ("c.edn", "{:type :invoke, :f :add, :value 1, :process 0}\n",
                           "1: :f :add is not one of :read, :write, :cas"),
    "edn not a map": ("d.edn", EDN_LINES + "42\n", "12: expected an operation map"),
    "edn no process": ("e.edn", "{:type :invoke, :f :read}\n", "1: operation has no :process"),
    "log bad value": ("a.log", LOG.replace("[2 3]", "[2 3", 1),
                      "9: value '\\[2 3' is not EDN"),
    "log bad type": ("b.log", LOG.replace(":ok\t:write", ":done\t:write"),
                     "4: :type :done is not one of"),
    "log short": ("c.log", "INFO  jepsen.util - 1\t:invoke\n",
                  "1: expected <process> TAB :<type> TAB :<f> TAB <value>"),
    "binary": ("a.bin", b"\x00\x01\x02\xff" * 100, " binary data, not a history"),
    "empty": ("e.jsonl", "\n\n", " empty: no operations"),
    "unknown": ("u.txt", "hello world\n", " unknown history format"),
    "invalid utf-8": ("i.jsonl", JSONL.encode() + b'{"process": "\xff\xfe"}\n',
                      "11: not UTF-8 text"),
    "scenario t_end before t_start": (
        "s.json", json.dumps({"writes": [{"key": "k", "value": "v", "ok": True,
                                          "t_start": "2026-01-01T00:00:01+00:00",
                                          "t_end": "2026-01-01T00:00:00+00:00"}]}),
        " writes\\[0\\]: t_end is before t_start"),
    "scenario bad time": ("t.json", json.dumps({"reads": [{"key": "k", "ok": True,
                                                           "t_start": "noon", "t_end": 1}]}),
                          " reads\\[0\\].t_start: expected an ISO 8601 time or seconds"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_named_by_file_and_line(tmp_path: Path, name: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    filename, content, message = BAD[name]
    path = _file(tmp_path, filename, content)
    code, out, err = _run(["history", path], capsys)
    assert code == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.match(rf"raftcheck: error: {re.escape(path)}:{message}", lines[0]), lines[0]


def test_missing_file_and_bad_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["history", str(tmp_path / "nope.jsonl")], capsys)
    assert code == 2 and "nope.jsonl: No such file or directory" in err
    a = _file(tmp_path, "a.jsonl", JSONL)
    code, _, err = _run(["history", a, a, "--svg", str(tmp_path / "x.svg")], capsys)
    assert code == 2 and "give one FILE" in err
    code, _, err = _run(["history", a, "--time-limit", "-1"], capsys)
    assert code == 2 and "positive" in err
    code, out, err = _run(["history", a, "--svg", str(tmp_path / "no" / "x.svg")], capsys)
    assert code == 2 and out == "" and "--svg" in err and "no directory" in err


SOURCES = {"edn": EDN_LINES, "log": LOG, "jsonl": JSONL, "json": json.dumps(
    {"writes": [{"key": "k", "value": "a", "ok": True, "t_start": 1.0, "t_end": 2.0}],
     "reads": [{"key": "k", "ok": True, "value": "a", "t_start": 3.0, "t_end": 4.0,
                "consistency": "linearizable"}]}, indent=1)}


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(sorted(SOURCES)))
    data = bytearray(SOURCES[kind].encode())
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["delete", "insert", "truncate", "duplicate", "swap"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if how == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=6)
                               | st.sampled_from([b"{", b"}", b"[", b'"', b"\t", b"\n", b":",
                                                  b"#", b"nil", b"\\", b"null"]))
        elif how == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if how == "duplicate":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return kind, bytes(data)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(damaged())
def test_damaged_input_is_a_verdict_or_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, bytes]) -> None:
    kind, data = case
    path = _file(tmp_path, f"damaged.{kind}", data)
    code, _, err = _run(["history", path], capsys)
    assert code in (0, 1, 2), err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"raftcheck: error: {path}"), err
        assert "Traceback" not in err
