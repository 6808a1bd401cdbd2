"""Fuzzing validate with real runs broken at random: whatever the logs look like, the answer is
a verdict (conforms, violates, inconclusive, or refused input), never an exception or an
internal error, and a violation names a line that exists, in a file of the run.

The runs are real logs recorded by this project's harnesses (tests/data) and, where present,
the shared corpus. Each example takes one run and applies a few edits a bad day produces:
lines lost, lines written twice, neighbouring lines swapped (clocks within the skew), a file cut
short (mid-line too), lines of another run spliced in, numbers changed.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftcheck.traces.logfiles import LogError
from raftcheck.validate import validate_runs
from raftcheck.validate.report import INTERNAL_ERROR, VIOLATES

DATA = Path(__file__).parent / "data"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _runs() -> list[Path]:
    found = [p.parent for p in sorted(DATA.rglob("node1.log"))]
    if CORPUS.is_dir():
        found += [p.parent for p in sorted(CORPUS.rglob("node1.log"))]
        found += sorted(CORPUS.glob("etcd-raft-interaction/*.txt"))[:6]
        found += sorted(CORPUS.glob("hashicorp-raft-*/*/"))
    return found


RUNS = _runs()
NUMBER = re.compile(r"\b\d{1,4}\b")
EDITS = ("drop", "duplicate", "swap", "truncate", "splice", "number", "cut-line", "garble")
HEX_ID = re.compile(r"\b[0-9a-f]{12,16}\b")
GARBLES = ("char", "huge", "zero-id", "no-zone", "msg-object")
"""Character-level changes a bad day (or a careless tool) makes to one line; each crashed
validate once (tests/test_validate_fuzz_findings.py has them one by one)."""


def _files(run: Path) -> list[Path]:
    if run.is_file():
        return [run]
    return sorted(p for p in run.iterdir() if p.suffix in (".log", ".txt", ".ndjson"))


def _edit(lines: list[str], kind: str, rng: random.Random, donor: list[str]) -> list[str]:
    if not lines:
        return lines
    k = rng.randrange(len(lines))
    if kind == "drop":
        return lines[:k] + lines[k + rng.randint(1, 3):]
    if kind == "duplicate":
        return lines[:k + 1] + lines[k:]
    if kind == "swap" and k + 1 < len(lines):
        return [*lines[:k], lines[k + 1], lines[k], *lines[k + 2:]]
    if kind == "truncate":
        return lines[:k]
    if kind == "cut-line":
        return [*lines[:k], lines[k][:rng.randrange(max(1, len(lines[k])))]]
    if kind == "splice" and donor:
        return [*lines[:k], rng.choice(donor), *lines[k:]]
    if kind == "garble":
        lines = list(lines)
        lines[k] = _garble(lines[k], rng)
        return lines
    if kind == "number":
        numbers = list(NUMBER.finditer(lines[k]))
        if numbers:
            m = rng.choice(numbers)
            new = str(max(0, int(m.group()) + rng.choice((-2, -1, 1, 2, 7))))
            lines = list(lines)
            lines[k] = lines[k][:m.start()] + new + lines[k][m.end():]
    return lines


def _garble(line: str, rng: random.Random) -> str:
    how = rng.choice(GARBLES)
    if how == "huge" and (numbers := list(NUMBER.finditer(line))):
        m = rng.choice(numbers)
        return line[:m.start()] + str(rng.choice((2**63, 2**64, 10**30))) + line[m.end():]
    if how == "zero-id" and (ids := list(HEX_ID.finditer(line))):
        m = rng.choice(ids)
        return line[:m.start()] + "0" * rng.choice((1, 16)) + line[m.end():]
    if how == "no-zone" and "Z" in line:
        return line.replace("Z", "", 1)
    if how == "msg-object" and '"msg":"' in line:
        return re.sub(r'"msg":"(?:[^"\\]|\\.)*"', '"msg":{"x":[1]}', line, count=1)
    k = rng.randrange(max(1, len(line)))
    return line[:k] + rng.choice(("", "\u200f", "\x00", "]", '"', "9")) + line[k + 1:]


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run=st.sampled_from(RUNS) if RUNS else st.nothing(),
       edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 2**32)),
                      min_size=1, max_size=4))
def test_any_broken_run_gets_a_verdict_never_a_crash(tmp_path_factory, run: Path,
                                                     edits: list[tuple[str, int]]) -> None:
    out = tmp_path_factory.mktemp("fuzz")
    files = _files(run)
    texts = {f.name: f.read_text(errors="replace").splitlines(keepends=True) for f in files}
    donor_run = RUNS[edits[0][1] % len(RUNS)]
    donor = [line for f in _files(donor_run)[:1]
             for line in f.read_text(errors="replace").splitlines(keepends=True)[:400]]
    for kind, seed in edits:
        rng = random.Random(seed)
        name = rng.choice(sorted(texts))
        texts[name] = _edit(texts[name], kind, rng, donor)
    for name, lines in texts.items():
        (out / name).write_text("".join(lines))
    try:
        report = validate_runs([out])
    except LogError:
        return  # nothing readable left (every file emptied): bad input, exit 2
    for verdict in report.verdicts:
        assert verdict.status != INTERNAL_ERROR, verdict.reason
        assert verdict.reason
        if verdict.status == VIOLATES:
            path, _, number = verdict.location.rpartition(":")
            assert Path(path).parent == out and Path(path).name in texts
            assert 1 <= int(number) <= len(texts[Path(path).name]) + 1
            assert verdict.rule and verdict.explanation
        assert "\n".join(report.lines())
