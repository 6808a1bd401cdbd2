"""Hand-made histories whose answer is known by reasoning (each case says why), checked by
raftcheck.history and, where small enough, by the brute-force oracle too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from raftcheck import cli
from raftcheck.history import check_history, jsonl
from raftcheck.history.operations import INFO, OK
from raftcheck.history.window import fails
from tests.history_notation import history
from tests.oracles.linearizability import linearizable as oracle

CASES = {
    # -- reads and writes --------------------------------------------------------------------
    # A read after a newer read returns the older value: time went backwards.
    "stale read after newer read": (False, """
        p1 invoke write 1
        p1 ok write 1
        p1 invoke write 2
        p1 ok write 2
        p2 invoke read
        p2 ok read 2
        p3 invoke read
        p3 ok read 1
    """),
    # A read concurrent with a write may return the old value...
    "concurrent read returns old": (True, """
        p1 invoke write 1
        p1 ok write 1
        p1 invoke write 2
        p2 invoke read
        p2 ok read 1
        p1 ok write 2
    """),
    # ...or the new one.
    "concurrent read returns new": (True, """
        p1 invoke write 1
        p1 ok write 1
        p1 invoke write 2
        p2 invoke read
        p2 ok read 2
        p1 ok write 2
    """),
    # Two concurrent reads during a write: the first to see the new value fixes the order.
    "concurrent reads new then old": (True, """
        p1 invoke write 2
        p2 invoke read
        p3 invoke read
        p2 ok read 2
        p3 ok read nil
        p1 ok write 2
    """),
    # A read that ended before the write began cannot see it.
    "read sees a write from its future": (False, """
        p2 invoke read
        p2 ok read 1
        p1 invoke write 1
        p1 ok write 1
    """),
    # The register starts nil: a read before any write returns nil.
    "nil before any write": (True, """
        p1 invoke read
        p1 ok read nil
        p2 invoke write 1
        p2 ok write 1
        p1 invoke read
        p1 ok read 1
    """),
    "nil after a completed write": (False, """
        p2 invoke write 1
        p2 ok write 1
        p1 invoke read
        p1 ok read nil
    """),
    # -- cas ---------------------------------------------------------------------------------
    "cas chain": (True, """
        p1 invoke write 0
        p1 ok write 0
        p2 invoke cas 0 1
        p2 ok cas 0 1
        p3 invoke cas 1 2
        p3 ok cas 1 2
        p1 invoke read
        p1 ok read 2
    """),
    # Both cas 0->1 and cas 0->2 succeeded one after the other: the second saw 1, not 0.
    "cas chain broken": (False, """
        p1 invoke write 0
        p1 ok write 0
        p2 invoke cas 0 1
        p2 ok cas 0 1
        p3 invoke cas 0 2
        p3 ok cas 0 2
    """),
    # Concurrent cas ops: only one order works (0->1 then 1->2), and the search must find it.
    "concurrent cas chain in reverse invocation order": (True, """
        p1 invoke write 0
        p1 ok write 0
        p3 invoke cas 1 2
        p2 invoke cas 0 1
        p2 ok cas 0 1
        p3 ok cas 1 2
        p1 invoke read
        p1 ok read 2
    """),
    # A failed cas did not happen and constrains nothing.
    "failed cas does nothing": (True, """
        p1 invoke write 0
        p1 ok write 0
        p2 invoke cas 1 2
        p2 fail cas 1 2
        p1 invoke read
        p1 ok read 0
    """),
    "failed write did not happen": (False, """
        p1 invoke write 1
        p1 ok write 1
        p2 invoke write 2
        p2 fail write 2
        p1 invoke read
        p1 ok read 2
    """),
    # -- indeterminate operations ------------------------------------------------------------
    # The only way to read 1 is that the timed-out write took effect.
    "info write must have taken effect": (True, """
        p1 invoke write 1
        p1 info write 1
        p2 invoke read
        p2 ok read 1
    """),
    # ...even long after its timeout was reported (Knossos: its completion is at infinity).
    "info write takes effect after its timeout": (True, """
        p1 invoke write 1
        p1 info write 1
        p2 invoke read
        p2 ok read nil
        p2 invoke read
        p2 ok read 1
    """),
    # ...but never before its invocation.
    "info write cannot act before it was invoked": (False, """
        p2 invoke read
        p2 ok read 1
        p1 invoke write 1
        p1 info write 1
    """),
    # Having seen the timed-out write's value, a later read cannot see the older value: the
    # write took effect before the first read, so after it the register holds 2.
    "info write that took effect cannot be undone": (False, """
        p1 invoke write 1
        p1 ok write 1
        p2 invoke write 2
        p2 info write 2
        p3 invoke read
        p3 ok read 2
        p3 invoke read
        p3 ok read 1
    """),
    # The same reads in the other order: the write took effect between them (or never).
    "info write after the reads": (True, """
        p1 invoke write 1
        p1 ok write 1
        p2 invoke write 2
        p2 info write 2
        p3 invoke read
        p3 ok read 1
        p3 invoke read
        p3 ok read 2
    """),
    # An indeterminate write that must not have happened (before the read) is allowed.
    "info write that never happened": (True, """
        p1 invoke write 1
        p1 ok write 1
        p2 invoke write 2
        p2 info write 2
        p3 invoke read
        p3 ok read 1
    """),
    # An indeterminate cas that took effect must have found its old value.
    "info cas took effect": (True, """
        p1 invoke write 1
        p1 ok write 1
        p2 invoke cas 1 2
        p2 info cas 1 2
        p3 invoke read
        p3 ok read 2
    """),
    "info cas could not have succeeded": (False, """
        p1 invoke write 0
        p1 ok write 0
        p2 invoke cas 1 2
        p2 info cas 1 2
        p3 invoke read
        p3 ok read 2
    """),
    # An operation still open at the end of the history is indeterminate too.
    "open write at the end": (True, """
        p1 invoke write 1
        p2 invoke read
        p2 ok read 1
    """),
    # -- keys ----------------------------------------------------------------------------------
    # Each key is its own register: a write to y does not explain a read of x.
    "keys are independent": (False, """
        k=y p1 invoke write 1
        k=y p1 ok write 1
        k=x p2 invoke read
        k=x p2 ok read 1
    """),
    "two keys each fine": (True, """
        k=y p1 invoke write 1
        k=x p2 invoke write 2
        k=x p2 ok write 2
        k=y p1 ok write 1
        k=x p2 invoke read
        k=x p2 ok read 2
        k=y p1 invoke read
        k=y p1 ok read 1
    """),
}


@pytest.mark.parametrize("name", CASES)
def test_known_answer(name: str) -> None:
    expected, text = CASES[name]
    h = history(text)
    verdict = check_history(h)
    assert (verdict.exit_code == 0) == expected, name
    by_key = h.by_key()
    for k in verdict.keys:
        assert oracle(by_key[k.key]) == k.linearizable, (name, k.key)


def test_stale_read_window_names_the_two_reads() -> None:
    verdict = check_history(history(CASES["stale read after newer read"][1]))
    (key,) = verdict.failing
    w = key.window
    assert w is not None
    assert (w.failing.process, w.failing.f, w.failing.value) == ("p3", "read", 1)
    # From any value the register could hold, a read of 2 then a later read of 1 with no
    # write between them cannot be ordered: the writes are not needed to show it.
    assert [(op.process, op.value) for op in w.operations] == [("p2", 2), ("p3", 1)]
    assert set(w.start_values) == {None, 1, 2}
    assert fails(w.operations, w.start_values)


def test_window_keeps_the_write_a_stale_read_contradicts() -> None:
    # p3 reads 1 after the write of 2 completed: the window needs that write (ok, not
    # indeterminate: were it indeterminate it could act after the read), and the read.
    verdict = check_history(history("""
        p1 invoke write 1
        p1 ok write 1
        p2 invoke write 2
        p2 ok write 2
        p3 invoke read
        p3 ok read 1
    """))
    w = verdict.failing[0].window
    assert w is not None
    assert [(op.process, op.f, op.status) for op in w.operations] == [
        ("p2", "write", OK), ("p3", "read", OK)]
    assert w.start_values == [None, 1]


def test_window_forgets_outcomes_it_does_not_need() -> None:
    # The cas 0->1 and cas 0->2 both succeeded one after the other: the failing one is the
    # second; the write of 0 is needed, and no other operation.
    verdict = check_history(history(CASES["cas chain broken"][1] + """
        p4 invoke write 7
        p4 ok write 7
    """))
    w = verdict.failing[0].window
    assert w is not None
    assert (w.failing.process, w.failing.value) == ("p3", (0, 2))
    assert {op.process for op in w.operations} <= {"p1", "p2", "p3"}
    assert "p4" not in {op.process for op in w.operations}
    assert fails(w.operations, w.start_values)


def test_pending_operation_in_window_is_indeterminate() -> None:
    # p2's write of 2 had not responded when p3's read of 1 did (after p1's read of 2).
    verdict = check_history(history("""
        p0 invoke write 1
        p0 ok write 1
        p2 invoke write 2
        p1 invoke read
        p1 ok read 2
        p3 invoke read
        p3 ok read 1
        p2 ok write 2
    """))
    w = verdict.failing[0].window
    assert w is not None
    assert w.failing.process == "p3"
    statuses = {op.process: op.status for op in w.operations}
    assert statuses.get("p2", INFO) == INFO


def test_time_limit_stops_an_exponential_search_with_exit_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 22 concurrent writes that all time out, then a read of a value none of them wrote: to
    # refute it the search must try every subset of the writes, more than the limit allows.
    lines = [f"p{i} invoke write {i}" for i in range(1, 23)]
    lines += [f"p{i} info write {i}" for i in range(1, 23)]
    lines += ["r invoke read", "r ok read 99"]
    path = tmp_path / "slow.jsonl"
    with open(path, "w") as f:
        jsonl.write(history("\n".join(lines)).operations, f)
    assert cli.main(["history", str(path), "--time-limit", "0.5", "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "undecided"
    assert report["files"][0]["keys"][0]["verdict"] == "undecided"


def test_a_failure_that_takes_away_a_needed_effect_is_the_failing_response() -> None:
    # Until p3's write of 0 fails, it might have taken effect before p2's cas 0->5 (still
    # open then); its failure leaves the cas unexplained, so the failing response is p3's.
    verdict = check_history(history("""
        p1 invoke write 1
        p1 ok write 1
        p2 invoke cas 0 5
        p3 invoke write 0
        p2 ok cas 0 5
        p3 fail write 0
    """))
    (key,) = verdict.failing
    w = key.window
    assert w is not None
    assert (w.failing.process, w.failing.status) == ("p3", "fail")
    assert {op.process for op in w.operations} >= {"p2", "p3"}
    assert oracle(w.operations, w.start_values) is False
