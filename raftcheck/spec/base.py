"""What the untimed model (model.py) and the timed model (timed/model.py) share.

Both compose the one-server actions of server.py into global steps; they differ in what a
global state holds (a bag of messages and budgets; or clocks, clients and what they saw). What
does not depend on that lives here, once: the rules a model runs with, the choice of
properties, the check of a state against them, the check of a server's step against the
transition properties, and the bounds on one server's variables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from operator import is_not
from typing import Any

from ..checker.model import Model
from .config import Bounds
from .invariants import PROPERTIES, Property, View, first_broken, first_violated
from .records import Role, Server
from .rules import Rules

_UNKNOWN = object()
#: Verdicts remembered per distinct (servers, history) key before the memo starts over.
VERDICT_CACHE = 2_000_000


class SpecModel(Model):
    """The checker's view of a Raft spec: subclasses give the states, the successors and
    view(state); see checker/model.py for the contract."""

    #: The properties this model can check, by name.
    property_table: dict[str, Property] = PROPERTIES
    #: Terms are relative (timed liveness): the term bound is on their spread, not on each.
    relative_terms = False

    rules: Rules
    bounds: Bounds

    # --- properties -------------------------------------------------------------------------

    def select(self, names: Iterable[str] | None) -> None:
        """Check only these properties (all by default), in this order. Clears what depended on
        the choice."""
        chosen = list(self.property_table) if names is None else list(names)
        unknown = [name for name in chosen if name not in self.property_table]
        if unknown:
            raise KeyError(unknown[0])
        self.chosen = chosen
        self.properties = [self.property_table[name] for name in chosen]
        self._state_props = [p for p in self.properties if p.kind == "state"]
        self._step_props = [p for p in self.properties if p.kind == "transition"]
        self._verdicts: dict[Any, str | None] = {}
        self._verdicts_by_part: dict[Any, str | None] = {}  # invariant_key -> verdict
        self.selected(chosen)

    def selected(self, chosen: list[str]) -> None:
        """What a model derives from the properties chosen (nothing by default)."""

    def servers_of(self, state: Any) -> list[Server]:
        """Each server's variables, in server order."""
        raise NotImplementedError

    def leaders(self, state: Any) -> list[int]:
        """The servers that lead (checker/model.py)."""
        return [i for i, server in enumerate(self.servers_of(state))
                if server.role == Role.LEADER]

    def view(self, state: Any) -> View:
        """What the state invariants (and scenario claims) see of a state."""
        raise NotImplementedError

    def verdict_key(self, state: Any) -> Any:
        """The part of a state the state invariants read: states with equal keys share one
        verdict."""
        raise NotImplementedError

    def invariant_key(self, state: Any) -> Any:
        """A coarser verdict_key, or None for none (the timed model's): the untimed model's
        is its verdict_key with each server reduced to invariants.invariant_part. Far fewer
        states differ in it (a server's votes and replication progress vary most), so the
        invariants are evaluated far less often; it is asked only where the verdict_key memo
        misses."""
        return None

    def check_state(self, state: Any) -> str | None:
        """The name of the first selected state invariant the state violates, or None."""
        key = self.verdict_key(state)
        verdict = self._verdicts.get(key, _UNKNOWN)
        if verdict is _UNKNOWN:
            verdict = _remember(self._verdicts, key, self._verdict_by_part(state))
        return verdict  # type: ignore[return-value]

    def judges_by_verdict_key(self) -> bool:
        """Whether a state's verdict is its verdict_key's (check_state as here), not a
        subclass's own judgement (tests' alarms, scenarios' claims), which may read more."""
        return type(self).check_state is SpecModel.check_state

    def verdict_keys(self, states: Iterable[Any]) -> Iterable[Any]:
        """verdict_key of each state, in order (a model may take them out in C)."""
        return map(self.verdict_key, states)

    def first_violation(self, states: Sequence[Any]) -> tuple[int, str] | None:
        """checker/model.py: the memo is asked for every state in C calls; only where it has
        no verdict yet (or a violation) are the states looked at one by one. A subclass that
        judges states its own way (check_state overridden) is asked state by state."""
        if not self.judges_by_verdict_key():
            return super().first_violation(states)
        keys = list(self.verdict_keys(states))
        verdicts = list(map(self._verdicts.get, keys, repeat(_UNKNOWN)))
        not_known_to_hold = map(is_not, verdicts, repeat(None))
        for index in compress(range(len(verdicts)), not_known_to_hold):
            verdict = verdicts[index]
            if verdict is _UNKNOWN:
                verdict = _remember(self._verdicts, keys[index],
                                    self._verdict_by_part(states[index]))
            if verdict:
                return index, verdict
        return None

    def _verdict_by_part(self, state: Any) -> str | None:
        """check_state's verdict where its memo misses: one verdict per invariant_key."""
        coarse = self.invariant_key(state)
        verdict = self._verdicts_by_part.get(coarse, _UNKNOWN)
        if verdict is _UNKNOWN:
            verdict = first_violated(self._state_props, self.view(state))
            if coarse is not None:
                _remember(self._verdicts_by_part, coarse, verdict)
        return verdict  # type: ignore[return-value]

    def _broken(self, before: Server, after: Server) -> str | None:
        """The name of the first selected transition property a server's step breaks."""
        return first_broken(self._step_props, before, after)

    # --- bounds -----------------------------------------------------------------------------

    def _in_bounds(self, s: Server) -> bool:
        """One server's variables are within the small scope: its term (unless terms are
        relative) and its log length."""
        return (self.relative_terms or s.term <= self.bounds.max_term) and len(
            s.log) <= self.bounds.max_log


def _remember(memo: dict, key: Any, verdict: str | None) -> str | None:
    """Keep the verdict in the memo (which starts over past VERDICT_CACHE entries); return it."""
    if len(memo) > VERDICT_CACHE:
        memo.clear()
    memo[key] = verdict
    return verdict
