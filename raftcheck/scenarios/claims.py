"""What a scenario claims, in two kinds, and the observers that check them.

- ``never``: no reachable state (of the runs the scenario looks at) has the condition; checked
  exhaustively, expected to hold.
- ``can``: some reachable state has it; the breadth-first search stops at the first such state
  and its trace is the witness, a shortest one.
- ``live`` and ``lasso``: a liveness property (checker/properties.py) on the timed model with
  relative terms, under fairness (docs/liveness.md): ``live`` claims every fair behaviour has
  it; ``lasso`` claims some fair behaviour breaks it, and the lasso is the witness.

A scenario's runs are the spec's runs, narrowed by an observer (checker/observer.py) that may
follow the order of events in phases, e.g. "a partition cut the leader off, then the network
healed".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..checker.properties import LivenessProperty
from ..spec import actions as act
from ..spec.config import SpecConfig
from ..spec.invariants import View, known_committed
from ..spec.records import Role, bits
from ..spec.timed.config import TimedConfig

Condition = Callable[[View, Hashable], bool]  # (view of the state, observer phase) -> bool


@dataclass(frozen=True)
class Claim:
    name: str
    kind: Literal["never", "can", "live", "lasso"]
    text: str
    condition: Condition
    # A property the spec itself checks on steps (LinearizableReads, on the step that answers a
    # read): the claim is then that a step breaks it (can) or that none does (never), as the
    # model decides; its condition is no_state. None: the claim is its condition.
    step_property: str | None = None
    # The model configuration a can-claim is searched on, if not the scenario's (e.g. another
    # lease length). Never-claims share the scenario's one exhaustive search and config.
    config: SpecConfig | TimedConfig | None = None
    # live and lasso claims: the property (its predicates callables on timed states, or names
    # the timed model resolves); the condition is then no_state.
    liveness: LivenessProperty | None = None

    @property
    def is_liveness(self) -> bool:
        return self.kind in ("live", "lasso")


def no_state(v: View, phase: Hashable) -> bool:
    """The condition of a claim about steps (Claim.step_property): no state has it."""
    return False


class Phases:
    """The observer of a scenario: its phase rules, and the claims checked in each state."""

    def __init__(self, model: Any, claims: Iterable[Claim], *, witness: bool) -> None:
        # model: a RaftModel or a TimedRaftModel; both give view(state).
        self.model = model
        self.claims = list(claims)
        self.witness = witness  # looking for a witness of a can-claim, not checking never-claims

    # The default: one phase, every step accepted.
    def start(self, state: tuple) -> Iterable[Hashable]:
        return (0,)

    def step(self, phase: Hashable, before: tuple, action: Any,
             after: tuple) -> Iterable[Hashable]:
        return (phase,)

    def check(self, phase: Hashable, state: tuple) -> str | None:
        view = self.model.view(state)
        return next((c.name for c in self.claims if c.condition(view, phase)), None)


def sides(view: View, nodes: int) -> tuple[int, int]:
    """(minority side, majority side) of the cut as bit sets; (0, everyone) if whole."""
    everyone = (1 << nodes) - 1
    if not view.partition:
        return 0, everyone
    a, b = view.partition, everyone & ~view.partition
    return (a, b) if a.bit_count() < b.bit_count() else (b, a)


def leaders_in(view: View, side: int) -> list[int]:
    return [i for i in bits(side) if view.servers[i].role == Role.LEADER]


def commits_in(view: View, side: int) -> bool:
    return any(view.servers[i].commit_index > 0 for i in bits(side))


def committed_entries(view: View) -> set[tuple[int, Any]]:
    return {(index, entry) for index, entry, _ in known_committed(view)}


# --- what clients saw (the timed model) -------------------------------------------------------

#: What a client's request came to, as bits of a client's outcome set.
OK, ERROR, TIMEOUT = 1, 2, 4
OUTCOME_NAMES = {OK: "ok", ERROR: "error", TIMEOUT: "timeout"}


def client_outcome(action: Any) -> tuple[int, int] | None:
    """(client, outcome bit) if the step ends a client's request: a node's answer "ok" (the
    write is acknowledged) or "error", or the client giving up at its deadline. Redirects and
    "appended" are not outcomes: the request goes on."""
    if isinstance(action, act.ClientTimeout):
        return action.client, TIMEOUT
    if isinstance(action, act.ClientReply | act.ClientSend):
        if action.reply.startswith("ok"):
            return action.client, OK
        if action.reply.startswith("error"):
            return action.client, ERROR
    return None


class ClientOutcomes(Phases):
    """Follows what each client's requests came to. The phase is one outcome set per client
    (bits OK, ERROR, TIMEOUT): claims about a client read it from the phase. Runs are not
    narrowed."""

    def start(self, state: tuple) -> Iterable[Hashable]:
        from ..spec.timed.model import CLIENTS

        return ((0,) * len(state[CLIENTS]),)

    def step(self, phase: Hashable, before: tuple, action: Any,
             after: tuple) -> Iterable[Hashable]:
        seen = client_outcome(action)
        if seen is None:
            return (phase,)
        c, bit = seen
        outcomes: tuple[int, ...] = phase  # type: ignore[assignment]
        return ((*outcomes[:c], outcomes[c] | bit, *outcomes[c + 1:]),)
