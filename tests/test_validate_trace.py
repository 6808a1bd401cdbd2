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


def test_the_whole_trace_conforms() -> None:
    # servers 1, 4, 5 are removed and 6 and 7 added, one change at a time (lines 684-3574);
    # every commit is checked against the quorum of the configuration in force
    verdict = validate_paths([EXAMPLE])
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.checked == verdict.events and not verdict.features


def drop(path: Path, *numbers: int) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for k, line in enumerate(lines, 1) if k not in numbers))


def test_a_second_change_before_the_first_is_applied(tmp_path: Path) -> None:
    # the leader appends "remove 4" at 1433 and applies it at 1862 before appending "remove 5"
    # at 2516; without the application, the second change comes while the first is pending
    path = tmp_path / "example.ndjson"
    path.write_text(EXAMPLE.read_text())
    assert '"name":"ApplyConfChange","nid":"2"' in path.read_text().splitlines()[1861]
    drop(path, 1862)
    explanation = check(path, "ChangeConf", 2515)
    assert f"while the one it appended at {path}:1433 is not applied" in explanation


def test_a_commit_without_a_quorum_of_the_configuration_in_force(tmp_path: Path) -> None:
    # after removing server 1 the voters are 2, 3, 4, 5: the commit of entry 44 at line 1853
    # has 2, 3 and 4's acknowledgements; without 4's (its last at 1809) it has 2 of 4
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    acks = [k for k in range(1590, 1853) if '"name":"ReceiveAppendEntriesResponse","nid":"2"'
            in lines[k - 1] and '"from":"4"' in lines[k - 1] and '"index":44' in lines[k - 1]]
    assert acks, "4's acknowledgement of entry 44"
    path = tmp_path / "example.ndjson"
    path.write_text(EXAMPLE.read_text())
    drop(path, *acks)
    explanation = check(path, "AdvanceCommitIndex", 1853 - len(acks))
    assert "only n2, n3 acknowledged it: not a quorum of its voters n2, n3, n4, n5" in explanation


def test_two_acknowledgements_are_a_quorum_of_three_voters(tmp_path: Path) -> None:
    # the look-alike: at line 2752 entry 46 is committed with 2 and 3's acknowledgements only,
    # a quorum once the voters are 2, 3, 5 (after 1862): the trace up to that commit conforms
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    assert '"name":"Commit","nid":"2"' in lines[2751] and '"commit":46' in lines[2751]
    path = tmp_path / "example.ndjson"
    path.write_text("".join(lines[:2752]))
    verdict = validate_paths([path])
    assert verdict.status == "conforms", verdict.lines()
    assert verdict.checked == verdict.events  # the commit at 2752 included


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
    assert verdict.status == "conforms", verdict.lines()
