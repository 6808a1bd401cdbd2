"""The network: a bag of messages in flight, and cuts that split the cluster in two.

The bag is raft.tla's: a message may be delivered in any order (reordering), more than once
(DuplicateMessage) or never (DropMessage). Its value is a frozenset of (message, copies) pairs
with copies >= 1; a message whose last copy is taken leaves the bag.

The raftcheck profile counts no copies: each message in flight has one entry, and when the
network duplicates, a delivery may leave the message in flight (model.py, DeliverCopy), so it
can be delivered again any number of times until it is dropped. That covers every number of
duplicates at the cost of none of raft.tla's extra copy states.

A cut splits the servers into two sides. While the network is cut, a message between the sides
is lost when sent, and one already in flight stays undeliverable (it may still be dropped or
duplicated) until the cut heals.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

Bag = frozenset  # of (message, copies)


def bag_with(bag: Bag, m: Hashable) -> Bag:
    """Send: one more copy of m."""
    copies = dict(bag)
    copies[m] = copies.get(m, 0) + 1
    return frozenset(copies.items())


def bag_with_once(bag: Bag, m: Hashable) -> Bag:
    """Send over a network that keeps no count of copies (the raftcheck profile): a message
    already in flight may be delivered any number of times anyway, so a second send of it
    changes nothing."""
    return bag if any(k == m for k, _ in bag) else bag_with(bag, m)


def bag_without(bag: Bag, m: Hashable) -> Bag:
    """Discard: one copy of m fewer (nothing if m is not in flight)."""
    copies = dict(bag)
    if m in copies:
        copies[m] -= 1
        if not copies[m]:
            del copies[m]
    return frozenset(copies.items())


def bag_size(bag: Bag) -> int:
    return sum(copies for _, copies in bag)


def bag_max_copies(bag: Bag) -> int:
    return max((copies for _, copies in bag), default=0)


def links(endpoints: Iterable[tuple[int, int]]) -> int:
    """How many pairs of servers the messages with these (source, destination) connect."""
    return len({(min(a, b), max(a, b)) for a, b in endpoints})


def cuts(nodes: int) -> list[int]:
    """Every way to split the servers into two non-empty sides, each given as the side that
    holds server 0 (a bit set)."""
    everyone = (1 << nodes) - 1
    return [side for side in range(1, everyone) if side & 1]


def normalise_cut(side: int, nodes: int) -> int:
    """The same cut, named by the side that holds server 0."""
    return side if side & 1 else ((1 << nodes) - 1) & ~side


def connected(cut: int, a: int, b: int) -> bool:
    """Whether servers a and b can exchange messages (cut 0: the network is whole)."""
    return not cut or (cut >> a & 1) == (cut >> b & 1)
