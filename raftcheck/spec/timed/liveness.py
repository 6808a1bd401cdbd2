"""What liveness checking needs of the timed model: terms that grow without bound, fairness,
the predicates and the properties (docs/liveness.md, "The Raft properties").

Repeated elections raise the term each time, so a behaviour that elects forever never returns
to a state it was in; with a bound on terms it just stops. Raft, though, only compares terms
and adds one to them: shifting every term in a state by the same amount (logs, messages,
clients' and the history's terms included) gives a state with the same futures, step for step.
With `relative_terms`, the model's quotient is that shift, to the lowest term 1, and its term
bound is a bound on the spread (highest − lowest + 1); a cycle of elections then closes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from ...checker.properties import LivenessProperty, eventually_always, leads_to
from .. import actions as act
from ..records import (
    AppendEntriesRequest,
    Message,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Server,
)
from .records import (
    ACKED,
    BAG,
    CLIENTS,
    COMMITTED,
    CUT,
    ELECTIONS,
    IDLE,
    NODES,
    TRANSIT,
    WRITE,
    Client,
    Node,
)

#: Steps the environment takes, not the system: no behaviour has to take them (not fair).
ENVIRONMENT = frozenset({act.Restart, act.Partition, act.Heal, act.ClientSend,
                         act.DropMessage})


def fairness_class(action: Any) -> Hashable | None:
    """Tick (strongly fair: the model's strong_classes) and every step the model makes due at
    an instant (weakly fair, by its type); the environment's steps are not fair. A jittered
    message that arrives early is handled by its handler's action, so it carries that class;
    it adds no constraint, since every message in transit arrives by its deadline anyway."""
    if type(action) in ENVIRONMENT:  # exactly: a ClientRetry is the client's duty, fair
        return None
    return type(action).__name__


# --- terms, shifted -----------------------------------------------------------------------------


def lowest_term(state: tuple) -> int:
    """The lowest term the state's future depends on (0 in a state with none)."""
    return _span(forget_history_terms(state))[0]


def spread(state: tuple) -> int:
    """Highest term minus lowest term plus one, of the terms the future depends on (not the
    history's: forget_history_terms): what relative_terms bounds."""
    low, high = _span(forget_history_terms(state))
    return high - low + 1 if high else 0


def _span(forgotten: tuple) -> tuple[int, int]:
    """(lowest, highest) term of a state whose history terms are forgotten; (0, 0) if none."""
    terms = [t for t in _terms(forgotten) if t > 0]
    return (min(terms), max(terms)) if terms else (0, 0)


def shift_terms(state: tuple) -> tuple:
    """The state with every term lowered by the same amount, the lowest to 1. 0 stays 0: it
    means "no entry".

    First, what no future step reads is forgotten, so that it does not hold the lowest term
    down: the count of elections (none is budgeted), the term an idle client remembers of its
    last request, and the terms in the history of acknowledged and committed writes (the safety
    properties read them; liveness checks none, and the steps read only indexes and values)."""
    state = forget_history_terms(state)
    by = _span(state)[0] - 1
    if by <= 0:
        return state
    nodes = tuple(_node(node, by) for node in state[NODES])
    out = list(state)
    out[NODES] = nodes
    out[BAG] = frozenset(_message(m, by) for m in state[BAG])
    out[TRANSIT] = frozenset((_message(m, by), left) for m, left in state[TRANSIT])
    out[CLIENTS] = tuple(_client(c, by) for c in state[CLIENTS])
    return tuple(out)


def forget_history_terms(state: tuple) -> tuple:
    """The state without what liveness does not need and only pins terms (shift_terms)."""
    out = list(state)
    out[CLIENTS] = tuple(c if c.op != IDLE else c._replace(term=0) for c in state[CLIENTS])
    out[ACKED] = frozenset((index, 0, value) for index, _, value in state[ACKED])
    out[COMMITTED] = frozenset((index, (0, entry[1]), 0) for index, entry, _ in state[COMMITTED])
    out[ELECTIONS] = 0
    return tuple(out)


def _terms(state: tuple) -> list[int]:
    terms: list[int] = []
    for node in state[NODES]:
        s = node.server
        terms.append(s.term)
        terms += [t for t, _ in s.log]
        for m in node.held:
            terms += _message_terms(m)
    for m in state[BAG]:
        terms += _message_terms(m)
    for m, _ in state[TRANSIT]:
        terms += _message_terms(m)
    terms += [c.term for c in state[CLIENTS]]
    terms += [term for _, term, _ in state[ACKED]]
    terms += [t for _, (entry_term, _), term in state[COMMITTED] for t in (entry_term, term)]
    return terms


def _message_terms(m: Message) -> list[int]:
    terms = [m.term]
    if isinstance(m, RequestVoteRequest):
        terms.append(m.last_log_term)
    elif isinstance(m, AppendEntriesRequest):
        terms.append(m.prev_log_term)
        terms += [t for t, _ in m.entries]
    return terms


def _t(term: int, by: int) -> int:
    return term - by if term > 0 else term


def _entry(entry: tuple[int, int], by: int) -> tuple[int, int]:
    return (_t(entry[0], by), entry[1])


def _log(log: tuple, by: int) -> tuple:
    return tuple(_entry(e, by) for e in log)


def _server(s: Server, by: int) -> Server:
    return s._replace(term=_t(s.term, by), log=_log(s.log, by),
                      voter_log=tuple((v, _log(log, by)) for v, log in s.voter_log))


def _node(node: Node, by: int) -> Node:
    return node._replace(server=_server(node.server, by),
                         held=tuple(_message(m, by) for m in node.held))


def _message(m: Message, by: int) -> Message:
    m = m._replace(term=_t(m.term, by))
    if isinstance(m, RequestVoteRequest):
        return m._replace(last_log_term=_t(m.last_log_term, by))
    if isinstance(m, RequestVoteResponse):
        return m._replace(log=_log(m.log, by))
    if isinstance(m, AppendEntriesRequest):
        return m._replace(prev_log_term=_t(m.prev_log_term, by), entries=_log(m.entries, by),
                          log=_log(m.log, by))
    return m


def _client(c: Client, by: int) -> Client:
    return c._replace(term=_t(c.term, by))


#: The fairness, as the command states it (docs/liveness.md says it exactly).
FAIRNESS_TEXT = ("time passes whenever it can, infinitely often (strong fairness on Tick); "
                 "every step due at an instant is taken (weak fairness); election timeouts are "
                 "random draws; restarts, partitions, heals, client requests and losses are "
                 "the environment's (not fair)")

#: Why EventuallyCommits fails where a partition or a restart took the write's leader away.
LOST_WRITE_NOTE = (
    "note: the write was taken by a leader that was then cut off or restarted before a majority "
    "stored it. Raft promises that a committed write stays committed, not that every write a "
    "leader takes commits: a client that gets no acknowledgement must retry. Without "
    "partitions and restarts (--max-partitions 0 --max-restarts 0) EventuallyCommits holds.")


# --- predicates and properties ------------------------------------------------------------------


def healed(state: tuple) -> bool:
    """The network is whole: no cut."""
    return state[CUT] == 0


def stable_leader(state: tuple) -> bool:
    """One node leads, every node is in its term and knows it as the leader."""
    nodes = state[NODES]
    leaders = [i for i, node in enumerate(nodes) if node.server.role == Role.LEADER]
    if len(leaders) != 1:
        return False
    (leader,) = leaders
    term = nodes[leader].server.term
    return all(node.server.term == term and node.leader == leader for node in nodes)


def write_pending(state: tuple) -> bool:
    """A leader took a client's write, and the client waits for its acknowledgement."""
    return any(c.op == WRITE and c.accepted for c in state[CLIENTS])


def write_committed(state: tuple) -> bool:
    """Every write a leader took (each client's latest) is committed."""
    values = {entry[1] for _, entry, _ in state[COMMITTED]}
    return all(c.value in values for c in state[CLIENTS] if c.value)


PREDICATES: Mapping[str, Callable[[tuple], bool]] = {
    "Healed": healed,
    "StableLeader": stable_leader,
    "WritePending": write_pending,
    "WriteCommitted": write_committed,
}


def properties() -> list[LivenessProperty]:
    """The timed model's liveness properties (docs/liveness.md)."""
    return [
        eventually_always("EventuallyLeader", "StableLeader", assume="Healed"),
        leads_to("EventuallyCommits", "WritePending", "WriteCommitted", assume="Healed"),
    ]
