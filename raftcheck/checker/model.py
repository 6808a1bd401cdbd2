"""What the checker needs from a specification. It knows nothing else about it.

States are opaque, hashable values whose hash is a fingerprint: equal in every run and process
(so no str or None inside them). Actions are opaque labels that the spec can print.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Protocol

State = Hashable
#: (action, next state, name of a transition property the step breaks, or None)
Step = tuple[Any, State, str | None]


class Model(Protocol):
    def initial_states(self) -> Iterable[State]:
        """The initial states."""
        ...

    def successors(self, state: State) -> Sequence[Step]:
        """Every step from state that stays within the model's bounds (its state constraint):
        a successor outside the bounds is neither returned nor counted."""
        ...

    def check_state(self, state: State) -> str | None:
        """The name of a state invariant the state violates, or None."""
        ...

    def variables(self, state: State) -> dict[str, Any]:
        """The state as named variables (plain JSON-like values), for reports and exports."""
        ...


class Symmetric(Protocol):
    def canonical(self, state: State) -> State:
        """One representative of the state's orbit under the model's symmetries: two states
        that are the same up to symmetry map to the same representative."""
        ...
