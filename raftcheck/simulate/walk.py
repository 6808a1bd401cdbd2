"""One random walk through a model, checking every property at every step.

The walker uses only the model's public interface (checker/model.py): initial_states,
successors (each step with the transition property it breaks, if any), check_state,
budget_start and budgets to tell how much of which bounded budget a state has used, and the
hooks of the walk distribution (election_standing, leaders).

At each state the walker looks at every step the model offers. A step that breaks a transition
property (the model says so with the step, at no cost) is taken at once: the walk ends there
with a violation. Otherwise, with the steps its script holds back set aside (Walker._held),
it chooses a kind and a step of it (distribution.py), preferring steps to states this walk
has not been in yet, so that it does not spend its steps going round a loop (a heartbeat
that changes nothing, a message dropped as soon as sent), and checks the state invariants in
the state it reaches. (Checking every successor's state too found the same violations at the
same walks in our measurements, for a third of the speed.)

A walk is recorded as a path: the index of its initial state and, per step, the action and
its ordinal among the steps with an equal action (an action may lead to several states, as a
timer reset that draws its timeout does). A path replays to the same states in any process.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..checker.model import Model, State
from .distribution import (
    ELECTIONS,
    ISOLATES,
    UPCOMING,
    Plan,
    action_kind,
    actor,
    draw_plan,
    election_factors,
    isolates_leader,
)

#: Milestones a walk offers within a level for their novelty, at most (milestones.py).
NOVEL_PER_WALK = 4

#: An int part of a state at least this far from 0 is taken for a name (features()).
NAME_BELOW = 1 << 32

#: One step of a path: the action, and its ordinal among the steps with an equal action.
PathStep = tuple[Any, int]


@dataclass(frozen=True)
class Path:
    initial: int  # index into the model's initial states
    steps: tuple[PathStep, ...] = ()

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class Violation:
    property: str
    kind: str  # "state": the last state violates it; "transition": the last step breaks it


@dataclass
class WalkOutcome:
    steps: int = 0  # steps taken by this walk (a path it started from not included)
    taken: Counter = field(default_factory=Counter)  # kind -> times taken
    enabled: set = field(default_factory=set)  # kinds offered at some state of the walk
    fingerprints: list = field(default_factory=list)  # hash of every state the walk was in
    start: Path | None = None  # the path the walk started from (only an initial state: empty)
    own: list = field(default_factory=list)  # the walk's own steps (PathStep)
    #: (budget level, fingerprint, own steps taken, features, whether a new level) where the
    #: walk first reached a level, or met a state with a feature no milestone had
    milestones: list = field(default_factory=list)
    violation: Violation | None = None


def _feature(slot: int, k: int, value: Any) -> int:
    if type(value) is int and not -NAME_BELOW < value < NAME_BELOW:
        return value
    return hash((slot, k, value))


#: Nothing held back, no unit upcoming (Walker._held).
NONE_HELD: tuple[frozenset[int], frozenset[str]] = (frozenset(), frozenset())


class ReplayError(RuntimeError):
    """A path does not replay: the model gave other steps than when it was recorded."""


class Walker:
    """Walks one model. Keep one per process: the model remembers what it computed."""

    def __init__(self, model: Model, kinds: Iterable[str] = ()) -> None:
        self.model = model
        self.initial = list(model.initial_states())
        self.kinds = tuple(sorted(kinds))
        self.budget_start = model.budget_start
        budgets = model.budgets()
        self.bounds = tuple(bound for _, bound in budgets)
        names = [name for name, _ in budgets]
        self.elections = names.index("elections") if "elections" in names else None

    def level(self, state: State) -> tuple[int, ...]:
        """How much of each bounded budget (writes, restarts, elections, ...) the state has
        used: its counters; () for a model without budgets. A walk reaches a new level where
        their sum grows."""
        start = self.budget_start
        return () if start is None else state[start:]  # type: ignore[index]

    def features(self, state: State) -> tuple[int, ...]:
        """The parts of a state: a milestone with a part no other of its level had is new
        (milestones.py). A state's slots, and the elements of a slot that is a plain tuple
        (the timed model's servers); not the budget counters. A part that is a name (a 64-bit
        content hash, checker/model.py) is the same part in any slot, so that one server's
        variables are not new again on another server; a small number (a clock, a cut) means
        something only in its place, and is hashed with it."""
        out = []
        parts = state[:self.budget_start] if self.budget_start is not None else state
        for slot, value in enumerate(parts):  # type: ignore[arg-type]
            if type(value) is tuple:
                out += [_feature(slot, k, item) for k, item in enumerate(value)]
            else:
                out.append(_feature(slot, 0, value))
        return tuple(out)

    def initial_violation(self) -> tuple[int, Violation] | None:
        for index, state in enumerate(self.initial):
            broken = self.model.check_state(state)
            if broken:
                return index, Violation(broken, "state")
        return None

    def walk(self, rng: random.Random, depth: int, start: Path | None = None,
             start_state: State | None = None,
             known: set | frozenset = frozenset()) -> WalkOutcome:
        """Up to depth steps from start (a path, whose end is start_state), or from an initial
        state chosen at random. known: the (level, feature) pairs milestones had; a state
        with another is offered as a milestone of its level (at most NOVEL_PER_WALK)."""
        plan = draw_plan(rng, self.kinds, self.bounds, self.elections)
        if start is None:
            start = Path(rng.randrange(len(self.initial)))
            start_state = self.initial[start.initial]
        out = WalkOutcome(start=start)
        path = out.own
        state = start_state
        here = hash(state)
        mine = {here}
        if not start.steps:
            out.fingerprints.append(here)
        level = self.level(state)
        met: set = set()  # (level, feature) pairs this walk offered
        novel = 0
        for _ in range(depth):
            chosen = self._choose(state, plan, mine, out)
            if chosen is None:
                break
            action, ordinal, state, broken = chosen
            path.append((action, ordinal))
            out.steps += 1
            out.taken[action_kind(action)] += 1
            here = hash(state)
            mine.add(here)
            out.fingerprints.append(here)
            if broken is not None:
                out.violation = broken
                break
            new_level = self.level(state)
            if sum(new_level) > sum(level):
                level = new_level
                out.milestones.append((level, here, len(path), self.features(state), True))
            elif novel < NOVEL_PER_WALK:
                features = self.features(state)
                fresh = [pair for f in features
                         if (pair := (level, f)) not in known and pair not in met]
                if fresh:
                    met.update(fresh)
                    novel += 1
                    out.milestones.append((level, here, len(path), features, False))
        return out

    def _choose(self, state: State, plan: Plan, mine: set,
                out: WalkOutcome) -> tuple[Any, int, State, Violation | None] | None:
        steps = self.model.successors(state)
        if not steps:
            return None
        fresh: dict[str, list[int]] = {}
        every: dict[str, list[int]] = {}
        kinds_of = [action_kind(action) for action, _, _ in steps]
        held, upcoming = self._held(state, steps, kinds_of, plan) if plan.script else NONE_HELD
        for k, (action, after, broken) in enumerate(steps):
            if broken:
                return action, self._ordinal(steps, k), after, Violation(broken, "transition")
            if k in held:
                continue
            kind = kinds_of[k]
            every.setdefault(kind, []).append(k)
            if hash(after) not in mine:
                fresh.setdefault(kind, []).append(k)
        out.enabled.update(every)
        groups = fresh or every
        kinds = [kind for kind in groups
                 if kind not in plan.off or kind in upcoming] or list(groups)
        while True:
            kind = kinds[0] if len(kinds) == 1 else plan.rng.choices(
                kinds, [plan.weight(kind) * (UPCOMING if kind in upcoming else 1.0)
                        for kind in kinds])[0]
            members = groups[kind]
            weights = [plan.actor_weight(kind, actor(steps[m][0])) for m in members]
            if kind == "Partition" and len(members) > 1:
                leaders = self.model.leaders(state)
                if leaders:
                    weights = [w * ISOLATES if isolates_leader(steps[m][0], leaders)
                               else w for m, w in zip(members, weights, strict=True)]
            if kind in ELECTIONS:
                damped = election_factors(self.model.election_standing(state))
                factors = [damped.get(steps[m][0].node, 1.0) for m in members]
                weights = [w * f for w, f in zip(weights, factors, strict=True)]
                most = max(factors)
                if len(kinds) > 1 and most < 1 and plan.rng.random() >= most:
                    kinds.remove(kind)  # every election here is damped: the kind as seldom
                    continue
            break
        k = members[0] if len(members) == 1 else plan.rng.choices(members, weights)[0]
        action, after, _ = steps[k]
        violated = self.model.check_state(after)
        if violated:
            return action, self._ordinal(steps, k), after, Violation(violated, "state")
        return action, self._ordinal(steps, k), after, None

    def _held(self, state: State, steps: list, kinds_of: list[str],
              plan: Plan) -> tuple[frozenset[int], frozenset[str]]:
        """The steps the walk's script holds back here. The script's next unit is the first
        the state has not spent yet (counting each budget's units in order) that can be spent
        now: one of an election (elections come by themselves, as timers run out), or one of
        a budget some step on offer spends. Units that cannot be spent now are passed over
        (a read waits for a write to be acknowledged). Every step that spends another budget
        is held back, but never an election's. Spending is known by kind: a kind of step
        spends a budget here if one of its steps raises the counter, and its steps that spend
        nothing are held with it (a client's request that a follower redirects spends the
        write a moment later, at the leader)."""
        start = self.budget_start
        assert start is not None
        spends: dict[str, set[int]] = {}  # kind -> the budgets its steps spend here
        by_step: dict[int, int] = {}  # step -> the budget it spends
        offered: set[int] = set()  # the budgets some step spends here
        width = len(self.bounds)
        counters = state[start:]
        for k, (_, after, _) in enumerate(steps):
            if after[start:] == counters:
                continue  # spends nothing (most steps)
            for j in range(width):
                if after[start + j] > state[start + j]:
                    spends.setdefault(kinds_of[k], set()).add(j)
                    by_step[k] = j
                    offered.add(j)
                    break
        if not spends:
            return NONE_HELD
        used = [0] * width
        upcoming = None
        for j in plan.script:
            if used[j] < state[start + j]:
                used[j] += 1
            elif j == self.elections or j in offered:
                upcoming = j
                break
        if upcoming is None:
            return NONE_HELD
        held = set()
        for k, kind in enumerate(kinds_of):
            if kind in ELECTIONS or kind not in spends:
                continue
            if upcoming not in spends[kind]:
                held.add(k)  # its kind spends another budget here
            elif k in by_step and by_step[k] != upcoming:
                held.add(k)  # its kind spends the next unit, but this step another budget
        if len(held) == len(steps):
            return NONE_HELD
        return frozenset(held), frozenset(kind for kind, js in spends.items()
                                          if upcoming in js and kind not in ELECTIONS)

    @staticmethod
    def _ordinal(steps: list, k: int) -> int:
        action = steps[k][0]
        return sum(1 for other, _, _ in steps[:k] if other == action)

    def replay(self, path: Path) -> list[tuple[Any, State]]:
        """The (action, state) pairs of a path, the first (None, initial state)."""
        state = self.initial[path.initial]
        out: list[tuple[Any, State]] = [(None, state)]
        for number, (action, ordinal) in enumerate(path.steps, 1):
            matches = [after for other, after, _ in self.model.successors(state)
                       if other == action]
            if ordinal >= len(matches):
                raise ReplayError(f"step {number} ({action}) is not a step of the model here")
            state = matches[ordinal]
            out.append((action, state))
        return out

    def end_state(self, path: Path) -> State:
        return self.replay(path)[-1][1]
