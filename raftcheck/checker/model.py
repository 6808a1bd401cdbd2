"""What the checker needs from a specification, in one place. It knows nothing else about it.

A model implements the four required methods of `Model`; everything else is an optional hook
with a default here, so a model states what it offers by overriding it, and the checker calls
every hook directly (no look-ups by name). Models subclass `Model` to inherit the defaults;
the class is also a `typing.Protocol`, so a type checker reads it as the contract.

States are opaque, hashable values whose hash is a fingerprint: equal in every run and process
(so no str or None inside them). Actions are opaque labels that the spec can print.

Which engine reads which hook:

========================  ========================================================
hook                      read by
========================  ========================================================
canonical                 symmetry reduction (search, shards, trace replay)
budget_start, lifted      the visited set's subsumption (visited.py); budget_start also
                          simulate's walks and milestones
budgets                   simulate's order of budgets per walk (simulate/distribution.py)
election_standing, leaders simulate's walk distribution (simulate/distribution.py)
new_components, adopt     shards in worker processes and Ray actors (shard.py)
forget                    the one-process search, between levels (search.py)
first_violation           every search, closing a level (search.py, shard.py)
shard_key, state_width    which shard keeps a state; how states travel (shard.py)
                          state_width also how --disk packs a level's states (frontier.py)
summary                   counterexample text (report.py, export.py)
fairness_class, ...       liveness (liveness.py, state_graph.py)
========================  ========================================================
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from .properties import LivenessProperty

State = Hashable
#: The third element of a step that breaks no transition property and leaves every variable
#: the state properties read as it was (a message dropped, duplicated, or discarded by its
#: recipient): the next state's verdict is its parent's, so a search need not judge it again.
#: Falsy, like None: an engine or wrapper that does not read it takes it for None.
SAME_VERDICT: Literal[False] = False
#: (action, next state, name of a transition property the step breaks, or None, or
#: SAME_VERDICT)
Step = tuple[Any, State, str | Literal[False] | None]


class Model(Protocol):
    # --- required ---------------------------------------------------------------------------

    def initial_states(self) -> Iterable[State]:
        """The initial states."""
        ...

    def successors(self, state: State) -> Sequence[Step]:
        """Every step from state that stays within the model's bounds (its state constraint):
        a successor outside the bounds is neither returned nor counted. The order is fixed:
        the same state gives its steps in the same order in every run and process. A step
        that changes nothing may give the state object itself: a search counts it and looks
        no further (the state was found before). A step may say SAME_VERDICT instead of None
        where its next state's verdict is certainly the state's own."""
        ...

    def check_state(self, state: State) -> str | None:
        """The name of a state invariant the state violates, or None."""
        ...

    def variables(self, state: State) -> dict[str, Any]:
        """The state as named variables (plain JSON-like values), for reports and exports."""
        ...

    # --- a level's states at once (search.py) -------------------------------------------------

    def first_violation(self, states: Sequence[State]) -> tuple[int, str] | None:
        """(index, check_state's name) of the first of these states that violates a state
        invariant, or None: a search checks a level's new states at once, so a model may
        answer for all of them without a Python call per state. States reached by a step that
        said SAME_VERDICT are left out: their parents held."""
        for index, state in enumerate(states):
            broken = self.check_state(state)
            if broken:
                return index, broken
        return None

    # --- symmetry ---------------------------------------------------------------------------

    def canonical(self, state: State) -> State:
        """One representative of the state's orbit under the model's symmetries: two states
        that are the same up to symmetry map to the same representative. Default: no
        symmetry (the state itself); the search asks only when symmetry is on."""
        return state

    # --- budgets and restrictions (visited.py) ----------------------------------------------

    #: Where the model's states (tuples) end with counters of bounded resources used so far:
    #: the index of the first counter. A state equal to a kept one but for counters at least
    #: as high is skipped (visited.py, "budget subsumption"). Default None: no counters.
    budget_start: int | None = None

    def lifted(self, state: State) -> State | None:
        """The budget-free part of a less restricted state that can do all this state can,
        or None (default: none). Read only where budget_start is set."""
        return None

    # --- random walks (simulate/walk.py) ----------------------------------------------------

    def election_standing(self, state: State) -> Sequence[tuple[int, bool]] | None:
        """For a model of servers that elect leaders: per server, in server order (n1 first),
        its current term, and whether its election timer has restarted in that term where the
        model has no clocks to say when a timeout fires (in Raft, granting a vote or starting
        an election restarts it: whether the server has voted in its term, for a candidate
        itself included); always False where the model's clocks fire timeouts when due.
        Simulate reads it at every step that could start an election, to make elections that
        would start behind or right after a restart rare; so it must be cheap (not built from
        variables()). Default None: the model has no such servers, and every election step
        weighs as its kind does."""
        return None

    def leaders(self, state: State) -> Sequence[int]:
        """For a model of servers that elect leaders: the servers (by number, n1 is 0) that
        lead in the state. Simulate reads it where a partition may be taken, to favour one
        that cuts a leader off from a majority; so it must be cheap. Default (): none known."""
        return ()

    def budgets(self) -> Sequence[tuple[str, int | None]]:
        """The name and bound of each budget counter, in the order the counters have in a
        state (budget_start onwards): ("writes", 2), ("elections", 4), ...; None for a counter
        without a bound. An election is "elections" (simulate waits for one where its walk's
        order puts one next; simulate/walk.py). Default (): the walks order no budgets."""
        return ()

    # --- sharing states among processes (parallel.py, ray_engine.py) ------------------------

    def new_components(self) -> list[tuple[str, int, Any]]:
        """The (kind, name, value) of every component the model named since the last call,
        oldest first, for models whose states name shared values (interning). Another process
        adopts them in that order before it reads a state that names them. Default: none
        (states carry their values)."""
        return []

    def adopt(self, kind: str, key: int, value: Any) -> None:
        """Learn a component another process named (see new_components)."""
        raise NotImplementedError(f"{type(self).__name__} names no shared components")

    def shard_key(self, state: State) -> int | None:
        """Where the model counts budgets: which process keeps a state, as a hash (default
        None: its budget-free part, lifted). States that are equal, or that may cover each
        other (visited.py), must have equal keys. A key that leaves out what the model's memo
        tables and verdicts do not depend on (for Raft, the network) sends the states those
        tables serve to one process, instead of filling them in all. Without budgets it is
        not asked: a fingerprint's owner decides, and states stay where they are found."""
        return None

    #: Where every state is a flat tuple of this many ints that fit in 64 bits: states then
    #: travel between processes packed, 8 bytes an int. Default None: pickled.
    state_width: int | None = None

    # --- memory (search.py) -------------------------------------------------------------------

    def forget(self, keep: Iterable[State]) -> None:
        """Drop what the model remembers (memo tables, named components) beyond what the
        states in keep need: the one-process search calls it between levels with its frontier,
        and within a level, every few hundred states, with the frontier and the level so far,
        so a model whose tables grow with all it has seen can keep them bounded. Called that
        often, it should return at once while there is little to forget (keep is then not read).
        It must not change any later answer. Default: nothing to forget."""

    # --- presentation -----------------------------------------------------------------------

    def summary(self, state: State) -> dict[str, str]:
        """The state as short strings, one per part (for the text of a counterexample, which
        then shows what each step changed). Default: each variable as text."""
        return {name: str(value) for name, value in self.variables(state).items()}

    # --- liveness (liveness.py, state_graph.py) ---------------------------------------------

    #: An action that leads from one state to several is a random draw, each outcome taken
    #: infinitely often if the action is (fair_cycles.py). Default: no draws.
    random_draws: bool = False
    #: The fairness classes that are strongly fair; the others are weakly fair.
    strong_classes: frozenset[Hashable] = frozenset()

    def fairness_class(self, action: Any) -> Hashable | None:
        """The action's fairness class, or None where no fairness applies (the default)."""
        return None

    def predicates(self) -> Mapping[str, Callable[[State], bool]]:
        """Named state predicates that liveness properties may name. Default: none."""
        return {}

    def liveness_properties(self) -> list[LivenessProperty]:
        """The model's own liveness properties. Default: none."""
        return []

    def quotient(self, state: State) -> State:
        """A representative such that states with the same one have the same futures step for
        step, with the same predicates and fairness classes (a bisimulation); the liveness
        graph is keyed by it (state_graph.py). Default: the state itself."""
        return state

    def bound_notes(self) -> list[str]:
        """What the model's bounds cut, for a liveness result's notes. Default: nothing."""
        return []

