"""etcd-io/raft's TLA+ trace (every message, every state): copies changed in one record are
caught at that record, for the rule the change breaks; look-alikes that the spec allows are
not. The trace is the shared corpus's example.ndjson (skipped where the corpus is absent)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from raftcheck.validate import validate_paths

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
EXAMPLE = CORPUS / "etcd-raft-trace" / "example.ndjson"
pytestmark = pytest.mark.skipif(not EXAMPLE.is_file(),
                                reason=f"the shared corpus is not at {CORPUS}")


def forged(tmp_path: Path, number: int, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the trace with record ``number``'s event changed."""
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    record = json.loads(lines[number - 1])
    change(record["event"])
    lines[number - 1] = json.dumps(record) + "\n"
    path = tmp_path / "example.ndjson"
    path.write_text("".join(lines))
    return path


def state(field: str, value: int) -> Callable[[dict[str, Any]], None]:
    return lambda event: event["state"].__setitem__(field, value)


def check(path: Path, rule: str, number: int) -> str:
    verdict = validate_paths([path])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", rule, f"{path}:{number}"), verdict.lines()
    assert verdict.explanation
    return verdict.explanation


def test_the_trace_conforms_until_its_first_membership_change() -> None:
    verdict = validate_paths([EXAMPLE])
    assert verdict.status == "inconclusive"  # a server is removed at line 684
    assert verdict.features == {"membership change": f"{EXAMPLE}:684"}
    assert verdict.checked == verdict.events


def test_leader_commits_without_a_quorum_of_acknowledgements(tmp_path: Path) -> None:
    # line 126: n2 has its own and n3's acknowledgement of entry 6 (of 5 voters)
    explanation = check(forged(tmp_path, 126, state("commit", 6)), "AdvanceCommitIndex", 126)
    assert "only n2, n3 acknowledged it: not a quorum" in explanation


def test_commit_index_past_the_end_of_the_log(tmp_path: Path) -> None:
    explanation = check(forged(tmp_path, 133, state("commit", 7)), "CommitIndexInLog", 133)
    assert "commit index is 7 but its log ends at 6" in explanation


def test_a_message_received_that_was_never_sent(tmp_path: Path) -> None:
    path = forged(tmp_path, 112, lambda event: event["msg"].__setitem__("index", 4))
    explanation = check(path, "Receive", 112)
    assert "n3 receives MsgApp from n2 at term 2 that n2 never sent" in explanation


def test_a_follower_loses_an_entry_it_knew_committed(tmp_path: Path) -> None:
    path = forged(tmp_path, 140, lambda event: event.__setitem__("log", 4))
    explanation = check(path, "CommittedNeverLost", 140)
    assert "no longer holds entry 5, which it knew committed" in explanation


def test_a_commit_index_going_down_is_allowed(tmp_path: Path) -> None:
    # raft.tla sets a follower's commitIndex from any AppendEntries, a stale one too: a lower
    # commit index loses nothing (what was committed stays committed)
    verdict = validate_paths([forged(tmp_path, 140, state("commit", 4))])
    assert verdict.status == "inconclusive" and "membership change" in verdict.features
