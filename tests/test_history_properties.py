"""Properties of the history checker on generated histories (hypothesis).

- A history recorded from a simulated linearizable register (clients invoke operations
  concurrently; each takes effect atomically at some moment between its invocation and its
  response; some time out, some fail without effect) is always linearizable.
- Making one ok read return a value nobody wrote is always caught, at that read.
- The reductions a window is made by (cut after a response, start later, drop what may be
  dropped, forget an outcome) turn a linearizable history into a linearizable window: each
  only adds behaviours, so a window that fails proves the history fails.
- On small random histories, the verdict agrees with a brute-force oracle; a failing key's
  window is itself not linearizable from any of its start values (the oracle says so), and
  dropping or weakening any one of its operations, where the window's rules allow, makes it
  linearizable (1-minimal).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftcheck.history import check_history
from raftcheck.history.model import Values, step_of
from raftcheck.history.operations import (
    CAS,
    FAIL,
    INFO,
    INVOKE,
    OK,
    READ,
    WRITE,
    Event,
    History,
    pair_events,
)
from raftcheck.history.search import linearizable
from raftcheck.history.window import fails, from_start, prefix, removable
from tests.oracles.linearizability import legal, respects_real_time
from tests.oracles.linearizability import linearizable as oracle

VALUES = st.integers(0, 3)


@st.composite
def simulated(draw: Any, keys: tuple[str, ...] = ("x",)) -> History:
    """Events of clients using a real (atomic) register per key."""
    processes = draw(st.integers(1, 5))
    register: dict[str, Any] = dict.fromkeys(keys)
    # process -> [f, key, value, applied?, result]
    busy: dict[int, list[Any]] = {}
    events: list[Event] = []
    for _ in range(draw(st.integers(1, 60))):
        idle = [p for p in range(processes) if p not in busy]
        choices = (["invoke"] if idle else []) + (["act", "respond"] if busy else [])
        what = draw(st.sampled_from(choices))
        if what == "invoke":
            p = draw(st.sampled_from(idle))
            f = draw(st.sampled_from([READ, WRITE, CAS]))
            key = draw(st.sampled_from(keys))
            value = None if f == READ else draw(VALUES) if f == WRITE else (
                draw(VALUES), draw(VALUES))
            busy[p] = [f, key, value, False, None]
            events.append(Event(p, INVOKE, f, value, len(events) + 1, key))
        elif what == "act":
            p = draw(st.sampled_from(sorted(busy)))
            f, key, value, applied, _ = op = busy[p]
            if applied:
                continue
            op[3] = True
            if f == READ:
                op[4] = register[key]
            elif f == WRITE:
                register[key] = value
            elif register[key] == value[0]:
                register[key] = value[1]
            else:
                op[4] = "compare failed"
        else:
            p = draw(st.sampled_from(sorted(busy)))
            f, key, value, applied, result = busy[p]
            if not applied or result == "compare failed":
                kind = draw(st.sampled_from([FAIL, INFO]))
            else:
                kind = draw(st.sampled_from([OK, OK, OK, INFO]))
            out = result if f == READ and kind == OK else value
            del busy[p]
            events.append(Event(p, kind, f, out, len(events) + 1, key))
    return pair_events(events, "simulated", "test")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(simulated())
def test_a_simulated_linearizable_register_is_always_linearizable(h: History) -> None:
    verdict = check_history(h)
    assert verdict.exit_code == 0, [k.window for k in verdict.failing]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(simulated())
def test_the_linearization_found_is_one(h: History) -> None:
    """The order the search returns, checked without the search: every ok operation once,
    real time respected, each read and cas right about the register."""
    values = Values()
    steps = [s for s in (step_of(op, values) for op in h.operations) if s is not None]
    outcome = linearizable(steps, values.id(None), want_order=True)
    assert outcome.linearizable and outcome.order is not None
    by_index = {op.index: op for op in h.operations}
    order = [by_index[steps[i].op] for i in outcome.order]
    assert len({op.index for op in order}) == len(order)
    assert {op.index for op in h.operations if op.status == OK} <= {op.index for op in order}
    assert respects_real_time(order)
    assert legal(order, None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(simulated(keys=("x", "y", "z")))
def test_several_keys_simulated_are_linearizable(h: History) -> None:
    assert check_history(h).exit_code == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(simulated(keys=("x", "y")), st.data())
def test_a_read_of_a_value_never_written_is_caught_at_that_read(h: History, data: Any) -> None:
    reads = [op for op in h.operations if op.f == READ and op.status == OK]
    if not reads:
        return
    victim = data.draw(st.sampled_from(reads))
    mutated = [replace(op, value="never written") if op.index == victim.index else op
               for op in h.operations]
    verdict = check_history(History(h.path, h.format, mutated, h.events))
    assert verdict.exit_code == 1
    (key,) = verdict.failing
    assert key.key == victim.key
    assert key.window is not None
    # Every response before the bad read is explained; the bad read is not.
    assert key.window.failing.index == victim.index


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(simulated(), st.data())
def test_window_reductions_keep_a_linearizable_history_linearizable(h: History,
                                                                     data: Any) -> None:
    responses = sorted(op.complete for op in h.operations
                       if op.status == OK and op.complete is not None)
    if not responses:
        return
    end = data.draw(st.sampled_from(responses))
    history = prefix(h.operations, end)
    assert not fails(history, [None])
    starts = sorted({op.invoke for op in history})
    for start in starts:
        window, start_values = from_start(history, start)
        assert not fails(window, start_values), (end, start)
    start = data.draw(st.sampled_from(starts))
    window, start_values = from_start(history, start)
    for _ in range(data.draw(st.integers(0, 6))):
        if not window:
            break
        op = data.draw(st.sampled_from(window))
        if removable(op, window) and data.draw(st.booleans()):
            window = [o for o in window if o.index != op.index]
        elif op.status == OK and op.f != READ:
            window = [o.weakened() if o.index == op.index else o for o in window]
        assert not fails(window, start_values), (end, start, op)


@st.composite
def small_random(draw: Any) -> History:
    """Arbitrary small histories (most are not linearizable): at most 7 operations."""
    processes = draw(st.integers(1, 3))
    pending: dict[int, tuple[str, Any]] = {}
    retired: set[int] = set()  # a process whose operation never responded (it crashed)
    events: list[Event] = []
    started = 0
    while (started < 7 and len(retired) < processes) or pending:
        idle = [p for p in range(processes) if p not in pending and p not in retired]
        can_start = idle and started < 7
        if can_start and (not pending or draw(st.booleans())):
            p = draw(st.sampled_from(idle))
            f = draw(st.sampled_from([READ, WRITE, WRITE, CAS]))
            value = None if f == READ else draw(VALUES) if f == WRITE else (
                draw(VALUES), draw(VALUES))
            pending[p] = (f, value)
            started += 1
            events.append(Event(p, INVOKE, f, value, len(events) + 1))
        else:
            p = draw(st.sampled_from(sorted(pending)))
            f, value = pending.pop(p)
            if draw(st.integers(0, 9)) == 0:
                retired.add(p)
                continue  # never responds
            kind = draw(st.sampled_from([OK, OK, OK, OK, INFO, FAIL]))
            out = draw(st.one_of(st.none(), VALUES)) if f == READ else value
            events.append(Event(p, kind, f, out, len(events) + 1))
    return pair_events(events, "random", "test")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_random())
def test_agrees_with_brute_force_and_windows_are_sound_and_minimal(h: History) -> None:
    verdict = check_history(h)
    (key,) = verdict.keys
    assert key.linearizable == oracle(h.operations)
    if key.linearizable:
        return
    w = key.window
    assert w is not None and w.minimal
    assert w.failing in w.operations or w.failing.index in {op.index for op in w.operations}
    # Sound: the window alone has no linearization from any start value it allows...
    assert not oracle(w.operations, w.start_values)
    # ...and the prefix up to the failing response is where it starts to fail.
    # 1-minimal: dropping or weakening any single operation (as the window's rules allow)
    # gives a window that has one.
    for op in w.operations:
        if op.index == w.failing.index:
            continue
        others = [o for o in w.operations if o.index != op.index]
        if removable(op, w.operations):
            assert oracle(others, w.start_values), ("drop", op)
        if op.status == OK and op.f != READ:
            weaker = [o.weakened() if o.index == op.index else o for o in w.operations]
            assert oracle(weaker, w.start_values), ("weaken", op)
