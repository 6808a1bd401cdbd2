"""An independent check of a liveness counterexample, for tests: it reads only the model and the
lasso, never the checker's graph, so a test that uses it can catch the checker lying."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Hashable, Iterator
from typing import Any

from raftcheck.checker.lasso import Stutter
from raftcheck.checker.properties import Kind, LivenessProperty, resolve
from raftcheck.checker.result import Counterexample


def check_lasso(model: Any, cex: Counterexample, prop: LivenessProperty, *,
                strong: Collection[Hashable] | None = None,
                classify: Callable[[Any], Hashable | None] | None = None,
                draws: bool | None = None) -> None:
    """Assert that the lasso is a fair behaviour of the model that breaks prop.

    Every step is a step of the model; the last state is the loop's first (up to the model's
    quotient); each weak class enabled all along the cycle, and each strong class enabled on
    it, is taken on it; the cycle runs where prop's assumption holds and breaks prop. With
    draws (default: the model's random_draws), every outcome of a random draw the cycle takes
    leads back to the cycle through states where the cycle may run. strong and classify
    default to the model's."""
    prop = resolve(prop, model)
    classify = classify or model.fairness_class
    strong = model.strong_classes if strong is None else strong
    draws = model.random_draws if draws is None else draws
    same = model.quotient
    steps, loop = cex.steps, cex.loop_start
    assert cex.kind == "lasso" and loop is not None and 0 <= loop < len(steps) - 1
    assert steps[0].action is None and steps[0].state in list(model.initial_states())
    for before, after in itertools.pairwise(steps):
        if isinstance(after.action, Stutter):
            assert after.state == before.state
        else:
            assert any(a == after.action and t == after.state
                       for a, t, _ in model.successors(before.state)), after.action
    assert same(steps[-1].state) == same(steps[loop].state)
    cycle = steps[loop:-1]  # the states the behaviour visits forever
    taken = {classify(s.action) for s in steps[loop + 1:] if not isinstance(s.action, Stutter)}
    enabled = [{classify(a) for a, _, _ in model.successors(s.state)} - {None} for s in cycle]
    for c in set().union(*enabled):
        if c in strong:
            assert c in taken, f"strong class {c} enabled on the cycle and never taken"
        elif all(c in e for e in enabled):
            assert c in taken, f"weak class {c} always enabled on the cycle and never taken"
    region = _region(prop)
    assert all((prop.assume or _anywhere)(s.state) for s in cycle)
    if prop.kind is Kind.EVENTUALLY_ALWAYS:
        assert any(not prop.p(s.state) for s in cycle)
    elif prop.kind is Kind.ALWAYS_EVENTUALLY:
        assert not any(prop.p(s.state) for s in cycle)
    else:
        assert any(prop.p(s.state) and not any(prop.q(t.state) for t in steps[i:])
                   for i, s in enumerate(steps)), "no step where P holds and Q never after"
    if draws:
        on_cycle = {same(s.state) for s in cycle}
        for action, outcome in escaping_draws(model, steps[loop:], on_cycle, region):
            raise AssertionError(f"draw {action} has an outcome that leaves the cycle: "
                                 f"{outcome}")


def escaping_draws(model: Any, steps: list, on_cycle: set,
                   region: Callable[[Any], bool]) -> Iterator[tuple[Any, Any]]:
    """(action, outcome) for each outcome of a draw taken along steps from which no path
    through region leads back to a state of on_cycle (states compared by the quotient)."""
    back: set = set()  # states known to lead back
    for before, after in itertools.pairwise(steps):
        for action, outcome, _ in model.successors(before.state):
            if action == after.action and not _returns(model, outcome, on_cycle, region, back):
                yield action, outcome


def _returns(model: Any, state: Any, targets: set, region: Callable[[Any], bool],
             back: set) -> bool:
    same = model.quotient
    seen: dict = {}
    todo = [(state, None)]
    while todo:
        s, parent = todo.pop()
        k = same(s)
        if k in seen:
            continue
        seen[k] = parent
        if k in targets or k in back:
            while k is not None:  # the path found leads back: remember it
                back.add(k)
                k = seen[k]
            return True
        if region(s):
            todo += [(t, k) for _, t, _ in model.successors(s)]
    return False


def _anywhere(state: Any) -> bool:
    return True


def _region(prop: LivenessProperty) -> Callable[[Any], bool]:
    """Where the cycle of a violation may run: the assumption, and not the goal."""
    assume = prop.assume or _anywhere
    if prop.kind is Kind.ALWAYS_EVENTUALLY:
        return lambda s: assume(s) and not prop.p(s)  # type: ignore[misc]
    if prop.kind is Kind.LEADS_TO:
        return lambda s: assume(s) and not prop.q(s)  # type: ignore[misc]
    return assume
