"""Every file of the shared corpus gets a verdict with a reason (skipped if it is absent).

The corpus (../shared/corpus, read-only) holds runs of real clusters, one directory per run with
one log per node, and single-file logs (etcd-raft interaction transcripts, a TLA+ trace). A run
directory is validated as a whole; files that are not logs (README, FORMATS.md, LICENSE,
scenario.json, harness.log) are named as such.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from raftcheck.grammar.detect import DetectError, detect
from raftcheck.validate import validate_paths

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def units() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    out = []
    for d in sorted(p for p in CORPUS.rglob("*") if p.is_dir()):
        if any(f.name.startswith("node") for f in d.iterdir()):
            out.append(d)  # a run: one log per node
    for f in sorted(CORPUS.rglob("*")):
        if f.is_file() and not f.name.startswith("node") and f.suffix in (".txt", ".ndjson"):
            out.append(f)
    return out


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("unit", units(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_verdict(unit: Path) -> None:
    verdict = validate_paths([unit])
    assert verdict.status in ("conforms", "inconclusive", "violates")
    assert verdict.reason
    if verdict.status == "inconclusive":
        assert verdict.features or "too little" in verdict.reason
    # The logs of real clusters (etcd 3.4, hashicorp/raft) must conform.
    if "etcd-3.4" in str(unit) or "hashicorp" in str(unit):
        assert verdict.status == "conforms", verdict.lines()


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_every_corpus_file_is_covered() -> None:
    covered = {f for u in units() for f in ([u] if u.is_file() else u.iterdir())}
    for f in (p for p in CORPUS.rglob("*") if p.is_file()):
        if f in covered:
            continue
        with pytest.raises(DetectError):  # the rest are not logs: README, LICENSE, notes
            detect(str(f))
