"""Logs as an SRE collects them: real runs wrapped in journald's, a container runtime's,
Docker's, docker compose's and kubectl's wrappers read as the runs themselves, with violations
found at the same line of the wrapped file; files in their own format are never unwrapped;
a node log interleaved with another program's (docker compose logs of etcd and an
application) is refused at the first line of the second source."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.grammar.detect import read_lines, signature, wrapper_name
from raftcheck.grammar.wrappers import WRAPPERS, sniff
from raftcheck.traces.logfiles import LogError
from raftcheck.validate.engine import check_run
from raftcheck.validate.runs import find_runs
from tests.forge import copy_run, edit_line

DATA = Path(__file__).parent / "data"
RUNS = {
    "etcd 3.5 zap": DATA / "etcd35" / "leader-kill",
    "etcd 3.4 capnslog": DATA / "etcd" / "3.4-kill-capnslog",
    "hashicorp text": DATA / "hashicorp" / "leader-restart",
    "hashicorp json": DATA / "hashicorp" / "steady-json",
}
LONG = 300
"""Lines longer than this are split in two records by the wrappers that split long lines."""


def _journald(line: str, node: str) -> list[str]:
    return [f"Dec  6 12:00:01 host-{node} etcd[812]: {line}"]


def _journald_iso(line: str, node: str) -> list[str]:
    return [f"2026-12-06T12:00:01.123456+00:00 host-{node} etcd[812]: {line}"]


def _cri(line: str, node: str) -> list[str]:
    stamp = "2026-12-06T12:00:01.123456789Z stderr"
    if len(line) > LONG:
        return [f"{stamp} P {line[:LONG]}", f"{stamp} F {line[LONG:]}"]
    return [f"{stamp} F {line}"]


def _docker(line: str, node: str) -> list[str]:
    def record(text: str) -> str:
        return json.dumps({"log": text, "stream": "stderr",
                           "time": "2026-12-06T12:00:01.123456789Z"}, separators=(",", ":"))
    if len(line) > LONG:
        return [record(line[:LONG]), record(line[LONG:] + "\n")]
    return [record(line + "\n")]


def _timestamps(line: str, node: str) -> list[str]:
    return [f"2026-12-06T12:00:01.123456789Z {line}"]


def _compose(line: str, node: str) -> list[str]:
    stamp = "2026-12-06T12:00:01.123456789Z " if node == "node2" else ""  # (--timestamps)
    return [f"etcd-{node}-1  | {stamp}{line}"]


def _kubectl_prefix(line: str, node: str) -> list[str]:
    stamp = "" if node == "node2" else "2026-12-06T12:00:01.123456789Z "  # (--timestamps)
    return [f"[pod/etcd-{node}/etcd] {stamp}{line}"]


WRAPS: dict[str, Callable[[str, str], list[str]]] = {
    "journald": _journald, "journald-iso": _journald_iso, "cri": _cri,
    "docker-json": _docker, "timestamps": _timestamps, "docker compose": _compose,
    "kubectl --prefix": _kubectl_prefix}


def wrap_run(run: Path, tmp_path: Path, wrapper: str) -> tuple[Path, dict[tuple[str, int], int]]:
    """A copy of the run with every log line wrapped; and where each original line
    (file name, number) starts in the wrapped file."""
    copied = copy_run(run, tmp_path)
    where: dict[tuple[str, int], int] = {}
    for path in sorted(copied.glob("*.log")):
        out: list[str] = []
        if wrapper == "journald":
            out.append("-- Boot 3f2a9c0e6b1d4e8f --")  # journald's own note
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where[path.name, number] = len(out) + 1
            out += WRAPS[wrapper](line, path.stem)
        path.write_text("\n".join(out) + "\n")
    return copied, where


def _facts(run: Path) -> tuple:
    verdict = check_run(find_runs([run])[0])
    return verdict.status, verdict.events, verdict.checked, verdict.rule


def test_every_wrapper_has_a_wrapping_here() -> None:
    assert sorted(WRAPS) == sorted(e.name for e in WRAPPERS)


@pytest.mark.parametrize("wrapper", sorted(WRAPS))
@pytest.mark.parametrize("kind", sorted(RUNS))
def test_a_wrapped_run_reads_as_the_run(tmp_path: Path, kind: str, wrapper: str) -> None:
    run = RUNS[kind]
    wrapped, _ = wrap_run(run, tmp_path, wrapper)
    assert _facts(wrapped) == _facts(run)
    assert _facts(run)[0] == "conforms" and _facts(run)[1] > 20
    verdict = check_run(find_runs([wrapped])[0])
    assert any(f"unwrapped from {wrapper}:" in note for note in verdict.notes), verdict.notes
    for path in wrapped.glob("*.log"):
        assert wrapper_name(str(path)) == wrapper
        lines = sum(1 for _ in path.open())
        assert next(f.lines for f in verdict.files if f.path == str(path)) == lines


FLAPPING = DATA / "etcd" / "3.5-flapping-no-pre-vote"


@pytest.mark.parametrize("wrapper", sorted(WRAPS))
def test_a_violation_in_a_wrapped_run_is_found_at_its_line(tmp_path: Path,
                                                          wrapper: str) -> None:
    """node1's campaign for term 12 (line 192) logged as term 10: TermMonotonic at the line
    of the wrapped file where that record starts (long lines before it take two lines in
    the wrappers that split them)."""
    wrapped, where = wrap_run(FLAPPING, tmp_path, wrapper)
    path = wrapped / "node1.log"
    at = where["node1.log", 192]
    edit_line(path, at, lambda s: s.replace("at term 12", "at term 10"))
    verdict = check_run(find_runs([wrapped])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "TermMonotonic", f"{path}:{at}")
    if wrapper in ("cri", "docker-json"):
        assert at > 192  # the long lines before it were split


def test_files_in_their_own_format_are_never_unwrapped() -> None:
    """Every log of tests/data (hashicorp's text lines start with an ISO time stamp, as
    kubectl's wrapper does; zap lines are JSON, as Docker's are)."""
    files = sorted(p for p in DATA.rglob("*") if p.suffix in (".log", ".txt", ".ndjson"))
    assert len(files) > 100
    assert [p for p in files if wrapper_name(str(p)) is not None] == []


def test_an_unwrapped_line_that_is_not_a_log_line_stays_unwrapped(tmp_path: Path) -> None:
    """Lines without a signature wrapped or not (a banner, a continuation): no wrapper
    is chosen, and the file is what it was."""
    path = tmp_path / "notes.log"
    path.write_text("Dec  6 12:00:01 host app[1]: hello\nstarting up\n")
    assert sniff(str(path), signature) is None
    assert [t for _n, t, _p in read_lines(str(path))] == \
        ["Dec  6 12:00:01 host app[1]: hello", "starting up"]


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=700)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_TEXT, min_size=1, max_size=20),
       wrapper=st.sampled_from(sorted(WRAPS)))
def test_unwrapping_gives_back_every_line_at_its_number(lines: list[str],
                                                        wrapper: str) -> None:
    """Any text lines, wrapped and unwrapped: each comes back whole, numbered by the line
    where its record starts, and every other line of the file reads as blank."""
    unwrap = next(e.unwrap for e in WRAPPERS if e.name == wrapper)
    wrapped: list[tuple[int, str | None, str | None]] = []
    starts = []
    for line in lines:
        starts.append(len(wrapped) + 1)
        for record in WRAPS[wrapper](line.strip(), "node1"):
            wrapped.append((len(wrapped) + 1, record, None))
    out = list(unwrap(iter(wrapped)))
    assert [n for n, _t, _p in out] == list(range(1, len(wrapped) + 1))
    texts = {n: t for n, t, _p in out}
    for start, line in zip(starts, lines, strict=True):
        assert texts[start] == line.strip()
    assert all(texts[n] == "" for n in texts if n not in starts)


@pytest.mark.parametrize("wrapper", ["docker compose", "kubectl --prefix"])
def test_a_node_log_interleaved_with_another_programs_is_refused(
        tmp_path: Path, wrapper: str) -> None:
    """``docker compose logs`` (or ``kubectl logs --prefix``) of an etcd member and of an
    application beside it, into one file: one source's lines are no Raft log, so the file
    cannot be split into node logs (tests/test_validate_split_sources.py: it is, where several
    sources log Raft) and read as one node's log it would be nonsense; refused, naming the
    first line of the second source and how to get one file a node."""
    wrap = WRAPS[wrapper]
    lines = [("node1", line) for line in (FLAPPING / "node1.log").read_text().splitlines()[:30]]
    lines.insert(10, ("app", "GET /healthz 200 (1.2 ms)"))
    lines.insert(20, ("app", "GET /healthz 200 (0.9 ms)"))
    path = tmp_path / "all.log"
    path.write_text("".join(wrap(line, name)[0] + "\n" for name, line in lines))
    with pytest.raises(LogError) as refused:
        find_runs([path])
    assert refused.value.path == str(path) and refused.value.line == 11
    assert f"interleaved in one file by {wrapper}" in refused.value.reason
    assert "give each its own file" in refused.value.reason
    done = subprocess.run([sys.executable, "-m", "raftcheck", "validate", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and f"{path}:11: " in done.stderr, done.stderr
