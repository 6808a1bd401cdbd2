"""How a client's request finds the leader: the routing modes of the timed model.

- redirect: a node that is not the leader answers with the leader it knows of (its hint), and
  the request goes on to that node within the same deadline; without it, such a node answers
  "error: not the leader" and the request ends there (it did not happen).
- cache: the client remembers the leader it last learned of (a redirect, an answer) and sends
  its next request there; without it, every request starts at any node.
- proxy: clients talk only to a proxy outside the cluster (a load balancer). Every P ticks of
  real time it polls each node's health API (leader? term?) and from then on forwards requests
  to the node that said it leads with the highest term; a poll in which no node says it leads
  keeps the previous choice. It forwards a request to that node and the node's answer back (with
  redirect, it follows a node's hint itself). Until its first poll finds a leader it has nowhere
  to send requests and takes none.

A real client library does redirect and cache (the default, what the model always did); a proxy
is used alone or with redirect. The poll reads every node at one instant: real health checks
are requests of their own, answered a little apart, which at the model's scope changes nothing
a poll can see (each node's answer is a state it was in).
"""

from __future__ import annotations

from typing import NamedTuple

from ..config import ConfigError
from ..records import Role, Server

REDIRECT, CACHE, PROXY = "redirect", "cache", "proxy"
ROUTING_MODES = (REDIRECT, CACHE, PROXY)
DEFAULT_ROUTING = (REDIRECT, CACHE)


class Proxy(NamedTuple):
    target: int  # the node it forwards to (NIL: none found yet)
    poll: object  # real time until its next poll (Fraction or int)


def parse_routing(text: str) -> tuple[str, ...]:
    """'redirect,cache' -> ('cache', 'redirect'): the modes, checked (routing_error)."""
    modes = tuple(sorted({part.strip() for part in text.split(",") if part.strip()}))
    problem = routing_error(modes)
    if problem:
        raise ConfigError(f"--routing {text}: {problem}")
    return modes


def routing_error(modes: tuple[str, ...]) -> str | None:
    unknown = [m for m in modes if m not in ROUTING_MODES]
    if unknown:
        return f"unknown routing mode {unknown[0]!r}; choose from {', '.join(ROUTING_MODES)}"
    if not modes:
        return "name at least one routing mode"
    if PROXY in modes and CACHE in modes:
        return "clients behind a proxy talk only to it: they keep no leader of their own " \
               "(use proxy or proxy,redirect)"
    return None


def polled(previous: int, servers: list[Server]) -> int:
    """The node a poll of every server's health picks: the one that says it leads with the
    highest term; the previous choice if none says so."""
    leaders = [(s.term, i) for i, s in enumerate(servers) if s.role == Role.LEADER]
    if not leaders:
        return previous
    return max(leaders)[1]


def describe(modes: tuple[str, ...], poll: int) -> str:
    text = ",".join(m for m in ROUTING_MODES if m in modes)
    return f"{text} (polls every {poll})" if PROXY in modes else text

