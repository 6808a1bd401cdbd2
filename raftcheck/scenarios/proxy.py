"""proxy-stale-leader: clients behind a proxy that routes by the cluster's health API.

The proxy (spec/timed/routing.py) forwards to the node it last saw leading with the highest
term. When that leader is cut off from the others, the proxy keeps sending it requests until a
poll finds the new leader: those writes cannot commit, so they time out (or, forwarded to a
node that no longer leads, fail). Nothing the proxy acknowledged is lost.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from ..spec import actions as act
from ..spec.config import Bounds, SpecConfig
from ..spec.invariants import View
from ..spec.records import NIL, Role
from ..spec.timed.config import TimedConfig, Timing
from ..spec.timed.model import CLIENTS, PROXY
from ..spec.timed.records import WRITE
from ..spec.timed.routing import PROXY as PROXY_ROUTING
from .claims import ERROR, OK, TIMEOUT, Phases, client_outcome, sides

# Phases: (stage, old leader, what writes came to): BEFORE_CUT; STALE: the network cut off the
# node the proxy forwards to, a leader, on the minority side, and the proxy has not moved yet;
# MOVED: a poll made the proxy forward to another node while the cut lasts. Runs end at the
# heal. The outcome bits are those of scenarios/claims.py for the writes the proxy forwarded to
# the old leader (ERROR, TIMEOUT; OK: one was acknowledged by it), and ACKED_NEW for a write
# acknowledged by another node once the proxy had moved.
BEFORE_CUT, STALE, MOVED = 0, 1, 2
ACKED_NEW = 8


class ProxyCutOff(Phases):
    """Follows: a partition cuts off the leader the proxy forwards to, in the minority; what
    the writes the proxy forwards to it come to; the poll that moves the proxy to another node;
    then whether a write is acknowledged through it."""

    def start(self, state: tuple) -> Iterable[Hashable]:
        return ((BEFORE_CUT, NIL, 0),)

    def step(self, phase: Hashable, before: tuple, action: Any,
             after: tuple) -> Iterable[Hashable]:
        stage, old, seen = phase  # type: ignore[misc]
        if stage == BEFORE_CUT:
            if not isinstance(action, act.Partition):
                return (phase,)
            target = after[PROXY].target
            view = self.model.view(after)
            minority = sides(view, self.model.n)[0]
            if target == NIL or not minority >> target & 1 \
                    or view.servers[target].role != Role.LEADER:
                return ()  # the runs looked at cut off the leader the proxy uses, in the minority
            return ((STALE, target, 0),)
        if isinstance(action, act.Heal):
            return ()  # the claims are about the time the leader is cut off
        outcome = client_outcome(action)
        if outcome is not None:
            c, bit = outcome
            client = before[CLIENTS][c]
            writes = client.op == WRITE or (isinstance(action, act.ClientSend)
                                            and action.request.startswith("write"))
            node = getattr(action, "node", client.target)
            if writes and node == old:
                seen |= bit
            elif writes and stage == MOVED and bit == OK:
                seen |= ACKED_NEW
        if stage == STALE and after[PROXY].target != old:
            return ((MOVED, old, seen),)
        return ((stage, old, seen),)


def stale_write_acked(v: View, phase: Hashable) -> bool:
    stage, _, seen = phase  # type: ignore[misc]
    return stage in (STALE, MOVED) and bool(seen & OK)


def fails_then_recovers(v: View, phase: Hashable) -> bool:
    stage, _, seen = phase  # type: ignore[misc]
    return stage == MOVED and bool(seen & (ERROR | TIMEOUT)) and bool(seen & ACKED_NEW)


PROXY_CONFIG = TimedConfig(
    spec=SpecConfig(nodes=3, bounds=Bounds(
        max_term=3, max_log=1, max_msgs=1, max_dup=1, max_writes=2, max_restarts=0,
        max_elections=2, max_partitions=1)),
    timing=Timing(election_min=2, election_max=2, heartbeat=1, client_timeout=4),
    clients=1, routing=(PROXY_ROUTING,), proxy_poll=2)
