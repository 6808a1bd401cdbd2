"""How a walk chooses its next step.

A walk first chooses an action kind (Timeout, HandleAppendEntriesRequest, DropMessage, ...)
among the kinds enabled, with the kind's weight, then one step of that kind uniformly. Choosing
by kind keeps numerous steps from drowning rare ones: with five servers there may be a dozen
deliveries enabled and one timeout, yet the timeout's chance does not shrink with them.

The weights start from BASE_WEIGHTS: deliveries, sends and client requests at 1, a timeout
far rarer (an election timeout is long next to a message delay, so elections usually finish
before the next one starts), faults rarer still. Then each walk draws its own settings, as in
swarm testing (Groce et al., ISSTA 2012): every kind's weight is multiplied by a random factor
between 1/SPREAD and SPREAD, and each fault kind is switched off for the whole walk with
probability FAULT_OFF. A walk without drops or restarts goes deeper into the protocol; a walk
with frequent timeouts interleaves elections. No single distribution reaches every rare
interleaving; many different ones together do.

Each walk also draws a script (draw_script): the order in which it spends its budgets (writes,
partitions, restarts, ...), with elections between them; walk.py holds back the steps that
would spend a budget out of that order. And a partition that cuts a leader off from a majority
is favoured (ISOLATES).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from ..spec.quorum import majority

#: The weight of an action kind before a walk's own factor; kinds not named here weigh 1.
BASE_WEIGHTS: dict[str, float] = {
    "Timeout": 0.1,
    "PreVoteTimeout": 0.1,
    "Restart": 0.05,
    "DropMessage": 0.05,
    "DeliverCopy": 0.05,
    "DuplicateMessage": 0.05,
    "Partition": 0.05,
    "Heal": 0.1,
}
#: Kinds a walk may leave out altogether (each with probability FAULT_OFF).
FAULTS: tuple[str, ...] = ("DeliverCopy", "DropMessage", "DuplicateMessage", "Partition",
                           "Restart")
SPREAD = 8.0
FAULT_OFF = 0.5
#: Kinds that start an election. One by a server whose term is below another server's usually
#: starts it in a term that is decided already (those who voted in it refuse), and spends an
#: election of the budget for nothing: such a step weighs BEHIND times as much as others of
#: its kind. The server usually hears of the higher term first, as it would in a real
#: cluster, where a message arrives sooner than a timeout fires.
ELECTIONS = ("Timeout", "PreVoteTimeout")
BEHIND = 0.05
#: One by a server that has voted in its current term (for another candidate, or for itself
#: as one) weighs VOTED times as much (times BEHIND too where both hold). Raft restarts the
#: election timer when a server grants a vote and when it starts an election, and the timeout
#: is long next to a message's delay: the election it voted in is usually decided before the
#: timer fires again. Without it, a voter that times out in the middle of the election it just
#: voted in (a split vote) spends most walks' elections. It stands in for timers: a model with
#: clocks reports no vote here (checker/model.py, election_standing). Where every step of the
#: kind is damped, the kind itself is taken as much less often as its least damped step.
VOTED = 0.05
#: The spread of a walk's factor per actor (below), wider than per kind: within a walk a few
#: servers do most of the timing out, and a few links carry most of the traffic.
ACTOR_SPREAD = 30.0
#: A partition that cuts a leader off from a majority of the servers weighs this many times as
#: much as one that does not: it is the cut Raft answers with an election, and the one behind
#: stale reads and lost writes; the others only silence followers.
ISOLATES = 20.0
#: The share of walks that spend their budgets in an order of their own (Plan.script). At 1.0
#: the draw decides nothing, but it stays: taking it out would change every seed's walks.
ORDERED = 1.0
#: A step that spends the unit a walk's script names next (an election's excepted) weighs
#: this many times as much as others of its kind: a partition the script calls for (0.05) is
#: five times as likely as time passing (1). With 20 (as likely), lease-no-drift-margin
#: needed more walks for seeds 1, 2 and 9 (docs/simulate.md).
UPCOMING = 100.0
#: A budget's units in a walk's script, at most (a bound above it is not scripted further).
SCRIPTED_UNITS = 4


def action_kind(action: Any) -> str:
    """The kind of an action: its class name (Timeout(n1) -> "Timeout")."""
    return type(action).__name__


def actor(action: Any) -> Any:
    """Who takes a step, as the action's parameters name it (servers by number, n1 is 0): the
    server of a server's own step (Timeout(n1): 0), the link of a send or of a message's
    delivery (AppendEntries(n1, n3): (0, 2)); None for a step with no server named (Heal),
    and for a client's step: which node a client asks is its own choice, and favouring one
    per walk would keep a reader and a writer on the same node, where a stale read cannot
    show."""
    if getattr(action, "kind", None) == "client":
        return None
    node = getattr(action, "node", None)
    if node is not None:
        return node
    src = getattr(action, "src", None)
    if src is not None:
        return src, action.dst
    message = getattr(action, "message", None)
    if message is not None and hasattr(message, "src"):
        return message.src, message.dst
    return None


def isolates_leader(action: Any, leaders: Sequence[int]) -> bool:
    """Whether a partition (its groups as bit sets, which together hold every server) leaves
    one of the leaders in a group that is not a majority of the servers."""
    everyone = reduce(or_, action.groups)
    return any(group >> i & 1 and not majority(everyone, group)
               for group in action.groups for i in leaders)


def election_factors(standing: Sequence[tuple[int, bool]] | None) -> dict[int, float]:
    """The servers (by number: n1 is 0) whose election steps weigh less, with the factor: from
    the model's election_standing, BEHIND for a term below the highest, VOTED for a vote cast
    in its term, both multiplied; none where the model has no terms (None)."""
    if not standing:
        return {}
    top = max(term for term, _ in standing)
    out = {}
    for k, (term, voted) in enumerate(standing):
        factor = (BEHIND if term < top else 1.0) * (VOTED if voted else 1.0)
        if factor < 1:
            out[k] = factor
    return out


@dataclass
class Plan:
    """One walk's settings: a weight per kind, drawn as needed from the walk's own generator,
    so the same walk gets the same weights in every run."""

    rng: random.Random
    weights: dict[str, float] = field(default_factory=dict)
    off: frozenset[str] = frozenset()
    actors: dict[tuple[str, Any], float] = field(default_factory=dict)
    #: The order in which the walk spends its budgets' units: budget numbers (the counters'
    #: places, checker/model.py budgets), each as often as its bound allows; () where the
    #: walk spends them as they come (walk.py says how a script holds steps back).
    script: tuple[int, ...] = ()

    def weight(self, kind: str) -> float:
        w = self.weights.get(kind)
        if w is None:
            w = self.weights[kind] = BASE_WEIGHTS.get(kind, 1.0) * math.exp(
                self.rng.uniform(-math.log(SPREAD), math.log(SPREAD)))
        return w

    def actor_weight(self, kind: str, who: Any) -> float:
        """The walk's factor for one actor's steps of a kind, drawn when first needed."""
        key = (kind, who)
        w = self.actors.get(key)
        if w is None:
            w = self.actors[key] = math.exp(
                self.rng.uniform(-math.log(ACTOR_SPREAD), math.log(ACTOR_SPREAD)))
        return w


def draw_plan(rng: random.Random, kinds: Iterable[str] = (),
              budgets: Sequence[int | None] = (), elections: int | None = None) -> Plan:
    """A walk's settings. Kinds known in advance get their factors in sorted order; others when
    first met (in the model's fixed order of steps), so the draw is the same run to run.
    budgets: the bound of each budget counter (None: unbounded, not scripted); elections: which
    of them counts elections. ORDERED of the walks get a script (draw_script)."""
    plan = Plan(rng, off=frozenset(k for k in FAULTS if rng.random() < FAULT_OFF))
    if rng.random() < ORDERED:
        plan.script = draw_script(rng, budgets, elections)
    for kind in sorted(kinds):
        plan.weight(kind)
    return plan


def draw_script(rng: random.Random, budgets: Sequence[int | None],
                elections: int | None) -> tuple[int, ...]:
    """The order in which a walk spends its budgets' units. The units of every budget but
    elections (writes, partitions, restarts, ...) in a random order, each as often as its bound
    allows (SCRIPTED_UNITS at most); before each, while the elections' bound allows, an
    election with the walk's own probability (the larger of two uniform draws in [0, 1]). An
    election between two of the environment's moves is the cluster answering the first (a
    partition cuts a leader off, a new one is elected, then a client writes): walks with a high
    probability follow each move with an election, walks with a low one make moves in a row.
    () where there is nothing to order."""
    units = [j for j, bound in enumerate(budgets) if bound and j != elections
             for _ in range(min(bound, SCRIPTED_UNITS))]
    if not units:
        return ()
    rng.shuffle(units)
    waits = (budgets[elections] or 0) if elections is not None else 0
    wait = max(rng.random(), rng.random())
    script: list[int] = []
    for unit in units:
        if waits and rng.random() < wait:
            script.append(elections)  # type: ignore[arg-type]
            waits -= 1
        script.append(unit)
    return tuple(script) if len(set(script)) > 1 else ()
