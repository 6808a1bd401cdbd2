"""Lines that crashed validate in a character-level fuzzing campaign (2026-12-07: about 43,000
real runs with characters of their raft lines changed; seven distinct internal errors), each
now read as bad input: a verdict, never an internal error, and the line named among those that
do not parse where it is a raft line. Each case is one line of a real recorded run changed the
way the fuzzer changed it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from raftcheck.validate import validate_paths
from raftcheck.validate.context import Context, UnnamedNode
from raftcheck.validate.engine import Validator
from tests.forge import copy_run, edit_line

DATA = Path(__file__).parent / "data"
ETCD = DATA / "etcd35" / "leader-kill"  # node1.log:68 "... sent MsgVote request to 12e8..."
HASHICORP_JSON = DATA / "hashicorp" / "steady-json"
HASHICORP_TEXT = DATA / "hashicorp" / "leader-restart"  # node1.log:12 "vote granted ..."


def line(path: Path, number: int) -> str:
    return path.read_text().splitlines()[number - 1]


def test_a_zap_record_whose_msg_is_not_text_is_skipped(tmp_path: Path) -> None:
    # the file's first line (read ahead to find the file's member) and a later one
    logs = copy_run(ETCD, tmp_path)
    node1 = logs / "node1.log"
    for number in (1, 5):
        edit_line(node1, number, lambda s: re.sub(r'"msg":"[^"]*"', '"msg":{"a":[1]}', s))
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", verdict.lines()


def test_a_member_id_of_zero_where_a_message_needs_one_is_an_unparsed_line(
        tmp_path: Path) -> None:
    logs = copy_run(ETCD, tmp_path)
    node1 = logs / "node1.log"
    assert "sent MsgVote request to 12e8e7f0e265b56c" in line(node1, 68)
    edit_line(node1, 68, lambda s: s.replace("request to 12e8e7f0e265b56c", "request to 0"))
    verdict = validate_paths([logs])
    assert verdict.status in ("conforms", "inconclusive"), verdict.lines()
    assert verdict.problems[0] == (f"{node1}:68: names no node where one is needed (a member "
                                   "id of 0?)")


def test_an_index_beyond_any_log_is_an_unparsed_line(tmp_path: Path) -> None:
    logs = copy_run(ETCD, tmp_path)
    node1 = logs / "node1.log"
    edit_line(node1, 68, lambda s: s.replace("index: 3]", "index: 80591620717411303424]"))
    verdict = validate_paths([logs])
    assert verdict.status in ("conforms", "inconclusive"), verdict.lines()
    assert verdict.problems[0] == (f"{node1}:68: holds a number too large for a term or an "
                                   "index (above 2^63 - 1)")


@pytest.mark.parametrize("stamp", ["2026-12-05T08:38:54.720585", "2026-12-05T08"])
def test_a_hashicorp_time_without_a_zone_is_read_as_utc(tmp_path: Path, stamp: str) -> None:
    logs = copy_run(HASHICORP_JSON, tmp_path)
    node2 = logs / "node2.log"
    assert '"@timestamp":"2026-12-05T08:38:54.720585Z"' in line(node2, 6)
    edit_line(node2, 6, lambda s: s.replace("2026-12-05T08:38:54.720585Z", stamp))
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", verdict.lines()


def test_a_hashicorp_raft_line_with_a_garbled_time_is_named_not_dropped(tmp_path: Path
                                                                         ) -> None:
    # without the vote, the candidate's "election won: tally=2" has one vote too few: the
    # verdict must say the line that may have held it did not parse, not that Raft broke
    logs = copy_run(HASHICORP_TEXT, tmp_path)
    node1 = logs / "node1.log"
    assert "raft: vote granted: from=node1 term=3" in line(node1, 12)
    edit_line(node1, 12, lambda s: "not-a-time" + s[len("2026-12-05T08:39:16.228Z"):])
    verdict = validate_paths([logs])
    assert verdict.status in ("conforms", "inconclusive"), verdict.lines()
    assert verdict.problems[0] == f"{node1}:12: malformed hashicorp/raft line (its time or level)"


def test_node_numbers_are_a_cluster_s_not_any_number_a_log_shows() -> None:
    cx = Context(Validator()._rules(3))
    assert [cx.index(n) for n in ("n2", "n1000000000000000000000000000000", "n0")] == [1, 2, 3]
    assert len(cx.names) == 4
    with pytest.raises(UnnamedNode):
        cx.index(None)  # type: ignore[arg-type]
