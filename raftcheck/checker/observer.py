"""A model watched by an observer: a small automaton that follows each step and names a claim
a state breaks or a goal it reaches.

Claims like "after the network heals, the old leader's entries are overwritten" are about the
order of events, not about one state. An observer carries that order as a phase: the product
model's states are (model state, phase), its steps are the model's steps the observer accepts
(an observer that accepts none prunes the step: that is how a scenario constrains the runs it
looks at), and check_state asks the model first, then the observer.

Phases must name no part of the state that symmetry renames (for a spec of servers: no server
identities), so that (canonical(state), phase) is a canonical form of the pair.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Protocol

from .model import Model, State, Step


class Observer(Protocol):
    def start(self, state: State) -> Iterable[Hashable]:
        """The phases an initial state may start in (none: the state is not looked at)."""
        ...

    def step(self, phase: Hashable, before: State, action: Any,
             after: State) -> Iterable[Hashable]:
        """The phases after a step (none: the step is not part of the runs looked at)."""
        ...

    def check(self, phase: Hashable, state: State) -> str | None:
        """The name of the claim the state breaks (or the goal it reaches) in this phase."""
        ...


class ObservedModel(Model):
    """The product of a model and an observer; see the module docstring."""

    def __init__(self, model: Model, observer: Observer, *, check_model: bool = True) -> None:
        self.model = model
        self.observer = observer
        self.check_model = check_model  # also check the model's own properties

    def initial_states(self) -> list[State]:
        return [(s, p) for s in self.model.initial_states() for p in self.observer.start(s)]

    def successors(self, state: State) -> Sequence[Step]:
        inner, phase = state  # type: ignore[misc]
        step = self.observer.step
        # (broken or None: the observer's verdict may change where the model's does not)
        return [(action, (after, q), broken or None)
                for action, after, broken in self.model.successors(inner)
                for q in step(phase, inner, action, after)]

    def check_state(self, state: State) -> str | None:
        inner, phase = state  # type: ignore[misc]
        if self.check_model:
            broken = self.model.check_state(inner)
            if broken is not None:
                return broken
        return self.observer.check(phase, inner)

    def canonical(self, state: State) -> State:
        inner, phase = state  # type: ignore[misc]
        return (self.model.canonical(inner), phase)

    def variables(self, state: State) -> dict[str, Any]:
        inner, phase = state  # type: ignore[misc]
        return {**self.model.variables(inner), "observer": repr(phase)}

    def summary(self, state: State) -> dict[str, str]:
        inner, _ = state  # type: ignore[misc]
        return self.model.summary(inner)
