"""Every step of a model's reachable graph, found without the checker, for tests that look at
states the checker does not keep (it stores fingerprints only)."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from typing import Any

Step = tuple[Hashable, Any, Hashable]  # state, action, successor


def reachable_steps(model: Any, limit: int | None = None) -> Iterator[Step]:
    """(state, action, successor) for every step from every reachable state, breadth-first,
    until `limit` states have been found (None: all of them)."""
    seen = set(model.initial_states())
    queue = deque(seen)
    while queue and (limit is None or len(seen) < limit):
        state = queue.popleft()
        for action, successor, _ in model.successors(state):
            yield state, action, successor
            if successor not in seen:
                seen.add(successor)
                queue.append(successor)


def reachable_states(model: Any) -> set[Hashable]:
    """Every reachable state."""
    return set(model.initial_states()) | {s for _, _, s in reachable_steps(model)}
