"""The timed model's client observer and LinearizableHistory: the whole history of what clients
saw has a linearization (spec/timed/observer.py, searched with raftcheck/history's search).

Each read-path mutant must be caught by it with a shortest trace that ends in a response no
linearization explains; the correct read paths hold (tests/test_mutants.py runs the correct spec
at the same scopes with every property, LinearizableHistory included)."""

from __future__ import annotations

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import Budget, breadth_first
from raftcheck.spec.records import Role
from raftcheck.spec.timed import observer
from raftcheck.spec.timed.config import merged_timed_config, mutant_config
from raftcheck.spec.timed.model import HISTORY, NODES, TimedRaftModel
from raftcheck.spec.timed.properties import TIMED_PROPERTIES, linearizable_read

R, W = observer.R, observer.W


def history(*events: tuple) -> observer.History:
    """Build a history from ("invoke", client, kind), ("value", client, v),
    ("ok", client[, value]), ("timeout", client), ("refused", client) events."""
    h: observer.History = ()
    for event in events:
        what, client, *rest = event
        if what == "invoke":
            h = observer.invoke(h, client, rest[0])
        elif what == "value":
            h = observer.valued(h, client, rest[0])
        elif what == "ok":
            h = observer.completed(h, client, *rest)
        else:
            h = observer.abandoned(h, client, refused=what == "refused")
    return h


# --- the observer ---------------------------------------------------------------------------


def test_concurrent_invocations_in_either_order_are_one_history():
    a = history(("invoke", 0, W), ("invoke", 1, R), ("value", 0, 1), ("ok", 0), ("ok", 1, 1))
    b = history(("invoke", 1, R), ("invoke", 0, W), ("value", 0, 1), ("ok", 0), ("ok", 1, 1))
    assert a == b
    # ...but a read invoked after the write's acknowledgement is another history.
    c = history(("invoke", 0, W), ("value", 0, 1), ("ok", 0), ("invoke", 1, R), ("ok", 1, 1))
    assert c != a


def test_what_cannot_constrain_a_linearization_is_not_kept():
    refused = history(("invoke", 0, W), ("refused", 0))
    never_taken = history(("invoke", 0, W), ("timeout", 0))
    read_timed_out = history(("invoke", 1, R), ("timeout", 1))
    assert refused == never_taken == read_timed_out == ()
    taken = history(("invoke", 0, W), ("value", 0, 1), ("timeout", 0))
    assert [op[observer.STATUS] for op in taken] == [observer.INFO]


def test_a_read_going_back_in_time_is_not_linearizable_though_each_read_passes_its_bound():
    """w1 acknowledged; w2 timed out after a leader took it (it may have taken effect); one read
    returns v2, a later read v1. Each read returns at least the last acknowledged write (the
    per-read bound of LinearizableReads holds for both), but no order explains v2 then v1."""
    base = (("invoke", 0, W), ("value", 0, 1), ("ok", 0),
            ("invoke", 0, W), ("value", 0, 2), ("timeout", 0),
            ("invoke", 1, R), ("ok", 1, 2))
    back = history(*base, ("invoke", 1, R), ("ok", 1, 1))
    assert not observer.linearizable_history(back)
    acked_index = 1  # w1's log index; v1 and v2 are at 1 and 2
    assert linearizable_read(acked_index, 2) and linearizable_read(acked_index, 1)
    forward = history(*base, ("invoke", 1, R), ("ok", 1, 2))
    assert observer.linearizable_history(forward)


def test_reads_concurrent_with_a_write_may_see_either_value_but_not_flip_back():
    pending_write = (("invoke", 0, W), ("value", 0, 1))
    assert observer.linearizable_history(history(
        *pending_write, ("invoke", 1, R), ("ok", 1, 0), ("invoke", 1, R), ("ok", 1, 1)))
    assert not observer.linearizable_history(history(
        *pending_write, ("invoke", 1, R), ("ok", 1, 1), ("invoke", 1, R), ("ok", 1, 0)))
    # A read of a value nobody wrote.
    assert not observer.linearizable_history(history(("invoke", 1, R), ("ok", 1, 3)))


def test_the_verdict_is_memoised_per_history():
    check = observer.HistoryCheck()
    h = history(("invoke", 1, R), ("ok", 1, 3))
    assert check(h) is False and check(h) is False
    assert list(check.verdicts) == [h]


# --- the property in the model --------------------------------------------------------------

READ_MUTANTS = ["follower-read-linearizable", "read-index-no-heartbeat", "lease-no-drift-margin"]


@pytest.fixture(scope="module", params=READ_MUTANTS)
def caught(request):
    name = request.param
    model = TimedRaftModel(mutant_config(name), ["LinearizableHistory"])
    return name, model, breadth_first(model)


def test_read_mutant_gives_a_history_with_no_linearization(caught):
    _, _, result = caught
    assert result.outcome is Outcome.VIOLATED
    cex = result.counterexample
    assert cex.property == "LinearizableHistory"
    last = cex.steps[-1]
    assert not observer.linearizable_history(last.state[HISTORY])
    assert observer.linearizable_history(cex.steps[-2].state[HISTORY])
    # The response that breaks it is a read's, answered by a node that is not the current
    # leader of the highest term.
    assert last.action.name in ("ClientSend", "ClientReply") and "read v" in last.action.reply
    answered = cex.steps[-2].state[NODES][last.action.node].server
    newest = max(node.server.term for node in cex.steps[-2].state[NODES])
    assert answered.role != Role.LEADER or answered.term < newest


def test_read_mutant_trace_is_shortest(caught):
    name, _, result = caught
    shorter = breadth_first(TimedRaftModel(mutant_config(name), ["LinearizableHistory"]),
                            budget=Budget(max_depth=result.counterexample.length))
    assert shorter.outcome is not Outcome.VIOLATED


def test_read_index_with_its_heartbeat_round_keeps_a_linearizable_history():
    model = TimedRaftModel(mutant_config("read-index-no-heartbeat", broken=False),
                           ["LinearizableHistory"])
    assert breadth_first(model).outcome is Outcome.HOLDS


def test_follower_reads_by_design_have_no_linearization():
    """--reads follower is eventually consistent: the whole-history check says so too."""
    config = mutant_config("follower-read-linearizable", broken=False)
    from dataclasses import replace
    model = TimedRaftModel(replace(config, reads="follower"), ["LinearizableHistory"])
    assert breadth_first(model).outcome is Outcome.VIOLATED


def test_command_line_defaults_allow_two_reads_and_two_writes():
    for reads in ("index", "lease", "follower"):
        config = merged_timed_config(nodes=None, reads=reads)
        assert config.max_reads >= 2 and config.bounds.max_writes >= 2
    assert "LinearizableHistory" in TIMED_PROPERTIES
