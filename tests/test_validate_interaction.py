"""etcd-io/raft interaction transcripts are checked like any other log: at log level info or
debug every step is logged and so checked strictly; after a stretch at log-level none, a node
is followed leniently until a line shows its role and term again. The transcripts are the
shared corpus's (skipped where it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from raftcheck.validate import validate_paths

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "etcd-raft-interaction"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at "
                                                             f"{CORPUS}")


def forged(tmp_path: Path, name: str, change) -> Path:
    lines = (CORPUS / name).read_text().splitlines(keepends=True)
    path = tmp_path / name
    path.write_text("".join(change(lines)))
    return path


@pytest.mark.parametrize("name", ["campaign.txt", "checkquorum.txt", "prevote.txt",
                                  "forget_leader.txt", "probe_and_replicate.txt"])
def test_real_transcripts_conform(name: str) -> None:
    verdict = validate_paths([CORPUS / name])
    assert verdict.status == "conforms", verdict.lines()


def test_a_leader_without_votes_is_caught(tmp_path: Path) -> None:
    # campaign.txt logs at info from its first line: n1 counts n2's vote at lines 56-58 and
    # becomes leader at line 59; without the vote it has its own only, of 3 voters
    original = (CORPUS / "campaign.txt").read_text().splitlines()
    assert original[56] == "  INFO 1 received MsgVoteResp from 2 at term 1"
    assert original[58] == "  INFO 1 became leader at term 1"
    path = forged(tmp_path, "campaign.txt", lambda lines: lines[:55] + lines[58:])
    verdict = validate_paths([path])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "BecomeLeader", f"{path}:56"), verdict.lines()
    assert "with votes from n1 only: not a quorum" in verdict.explanation


def test_a_leader_without_votes_is_caught_after_a_stretch_at_log_level_none(
        tmp_path: Path) -> None:
    # checkquorum.txt elects n1 at log-level none, then logs at debug: n2 campaigns at line 31
    # and counts only its own vote (line 45); a forged "became leader" after that is caught
    original = (CORPUS / "checkquorum.txt").read_text().splitlines()
    assert original[44] == "  INFO 2 has received 1 MsgVoteResp votes and 0 vote rejections"
    path = forged(tmp_path, "checkquorum.txt", lambda lines: [
        *lines[:45], "  INFO 2 became leader at term 2\n", *lines[45:]])
    verdict = validate_paths([path])
    assert (verdict.status, verdict.location) == ("violates", f"{path}:46"), verdict.lines()
    assert verdict.rule == "BecomeLeader"


def test_a_vote_for_two_candidates_in_a_term_is_caught(tmp_path: Path) -> None:
    original = (CORPUS / "campaign.txt").read_text().splitlines()
    cast = original[38]
    assert cast.endswith("cast MsgVote for 1 [logterm: 1, index: 2] at term 1")
    second = cast.replace("for 1 [", "for 3 [") + "\n"
    path = forged(tmp_path, "campaign.txt", lambda lines: [*lines[:39], second, *lines[39:]])
    verdict = validate_paths([path])
    assert (verdict.status, verdict.location) == ("violates", f"{path}:40"), verdict.lines()
    assert verdict.rule == "VotedOncePerTerm"
