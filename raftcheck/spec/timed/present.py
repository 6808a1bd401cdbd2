"""How a timed state reads: named variables for exports, short strings for traces."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from itf_py.itf import ImmutableDict

from ..actions import describe_message, entry_text, groups_text
from ..present import Committed, Entry, log_text, log_value, members, message_record
from ..records import NIL, Role, bits, node_name, set_text
from . import observer
from .records import IDLE, OFF, READ, Client, Node
from .routing import Proxy

if TYPE_CHECKING:
    from .model import TimedRaftModel

OPS = {IDLE: "idle", READ: "read"}


def time_text(value: Any) -> str:
    """A timer as people read it: 'off', or what is left in ticks (fractions as decimals
    where they are short, else as p/q)."""
    if value == OFF:
        return "off"
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    decimal = f"{float(value):.3f}".rstrip("0")
    return decimal if Fraction(decimal) == value else f"{value.numerator}/{value.denominator}"


def node_summary(i: int, node: Node) -> dict[str, str]:
    s = node.server
    name = node_name(i)
    out = {
        f"{name}.role": Role(s.role).name.capitalize().replace("_", "-"),
        f"{name}.term": str(s.term),
        f"{name}.votedFor": "-" if s.voted_for == NIL else node_name(s.voted_for),
        f"{name}.log": log_text(s.log),
        f"{name}.commitIndex": str(s.commit_index),
    }
    if node.rate != 1:
        out[f"{name}.clock"] = f"rate {node.rate}"
    if node.fsync:
        out[f"{name}.disk"] = f"slow: writes take {node.fsync}"
    if node.leader != NIL and s.role != Role.LEADER:
        out[f"{name}.leader"] = node_name(node.leader)
    if s.role in (Role.CANDIDATE, Role.PRE_CANDIDATE):
        out[f"{name}.votes"] = set_text(s.votes_granted)
    timers = [("election", node.election), ("quiet", node.quiet), ("heartbeat", node.heartbeat),
              ("check", node.check), ("lease", node.lease), ("fsync", node.disk)]
    # A timer at 0 has run out: due, for those whose running out is an action.
    clock = " ".join(f"{label} {'due' if v == 0 else time_text(v)}" for label, v in timers
                     if v != OFF and (v != 0 or label not in ("quiet", "lease")))
    out[f"{name}.timers"] = clock or "-"
    if s.role == Role.LEADER and node.acks:
        out[f"{name}.acks"] = set_text(node.acks)
    if node.unsent:
        out[f"{name}.owes"] = ",".join(node_name(k) for k in bits(node.unsent))
    return out


def client_summary(c: int, client: Client) -> dict[str, str]:
    name = f"c{c + 1}"
    if client.op == IDLE:
        doing = "idle"
    elif client.target == -1:
        doing = f"write v{client.value} to retry in {time_text(client.deadline)}" \
            if client.value else f"write to retry in {time_text(client.deadline)}"
    else:
        what = OPS.get(client.op, f"write v{client.value}" if client.value else "write")
        status = "taken" if client.accepted else "sent"
        doing = f"{what} {status} to {node_name(client.target)}, gives up in " \
                f"{time_text(client.deadline)}"
    out = {f"{name}.request": doing}
    if client.cached != NIL:
        out[f"{name}.leader"] = node_name(client.cached)
    return out


def summary(model: TimedRaftModel, state: tuple) -> dict[str, str]:
    from .model import ACKED, BAG, CLIENTS, COMMITTED, CUT, HISTORY, NODES, PROXY, TRANSIT

    out: dict[str, str] = {}
    for i, node in enumerate(state[NODES]):
        out.update(node_summary(i, node))
    for m in sorted(state[BAG]):
        out[f"net: {describe_message(m)}"] = "x1"
    for m, left in sorted(state[TRANSIT]):
        out[f"net: {describe_message(m)}"] = f"arrives within {time_text(left)}"
    cut = state[CUT]
    out["partition"] = groups_text((cut, model.everyone & ~cut)) if cut else "none"
    for c, client in enumerate(state[CLIENTS]):
        out.update(client_summary(c, client))
    out["acked"] = " ".join(f"v{v}@{k}" for k, _, v in sorted(state[ACKED])) or "-"
    committed = sorted(state[COMMITTED])
    out["committed"] = " ".join(f"{k}:{entry_text(e)}@t{t}" for k, e, t in committed) or "-"
    if model.proxied:
        out["proxy"] = proxy_text(state[PROXY])
    if model.observes:
        out["history"] = observer.text(state[HISTORY])
    return out


def proxy_text(proxy: Proxy) -> str:
    to = node_name(proxy.target) if proxy.target != NIL else "none"
    return f"forwards to {to}, polls in {time_text(proxy.poll)}"


def variables(model: TimedRaftModel, state: tuple) -> dict[str, Any]:
    from .model import ACKED, BAG, CLIENTS, COMMITTED, CUT, HISTORY, NODES, PROXY, TRANSIT

    names = [node_name(i) for i in range(model.n)]
    nodes: list[Node] = list(state[NODES])

    def per_node(get: Any) -> ImmutableDict:
        return ImmutableDict({name: get(node) for name, node in zip(names, nodes, strict=True)})

    cut = state[CUT]
    extra: dict[str, Any] = {}
    if model.observes:
        extra["history"] = observer.text(state[HISTORY])
    if model.proxied:
        extra["proxy"] = proxy_text(state[PROXY])
    return {
        **extra,
        "messages": frozenset(message_record(m, False)
                              for m in (*state[BAG], *(f[0] for f in state[TRANSIT]))),
        "currentTerm": per_node(lambda n: n.server.term),
        "state": per_node(lambda n: Role(n.server.role).name.capitalize()),
        "votedFor": per_node(lambda n: "Nil" if n.server.voted_for == NIL
                             else names[n.server.voted_for]),
        "log": per_node(lambda n: log_value(n.server.log)),
        "commitIndex": per_node(lambda n: n.server.commit_index),
        "clockRate": per_node(lambda n: str(n.rate)),
        "timers": per_node(lambda n: ImmutableDict({
            "election": time_text(n.election), "quiet": time_text(n.quiet),
            "heartbeat": time_text(n.heartbeat), "check": time_text(n.check),
            "lease": time_text(n.lease), "disk": time_text(n.disk)})),
        "leaderHint": per_node(lambda n: "Nil" if n.leader == NIL else names[n.leader]),
        "partition": frozenset({members(cut), members(model.everyone & ~cut)} if cut else ()),
        "clients": ImmutableDict({f"c{c + 1}": ImmutableDict(client_summary(c, cl))
                                  for c, cl in enumerate(state[CLIENTS])}),
        "acked": frozenset(Committed(k, Entry(t, v), t) for k, t, v in state[ACKED]),
        "committed": frozenset(Committed(k, Entry(*e), t) for k, e, t in state[COMMITTED]),
    }
