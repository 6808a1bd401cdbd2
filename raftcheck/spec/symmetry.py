"""Symmetry reduction over server identities.

Servers are interchangeable: the initial state gives them equal variables, every action treats
them alike, and no property names a server. So a state and any renaming of its servers have the
same future up to that renaming, and the checker need keep only one of them: the canonical
representative computed here.

The representative is the least renamed state (as a tuple of component names) among the
renamings that sort servers by a renaming-invariant key (a hash of what no renaming changes:
the server's own variables with identities abstracted, and the messages it sends and receives).
Servers with equal keys are tried in every order, so the result is the same whichever renaming
of a state we start from.

With membership changes, servers inside and outside the initial configuration start with
different variables, so the initial state is not symmetric; the steps still are (no action,
bound or property names a server, and a configuration is renamed with the servers), and that
is what the reduction needs: the orbits reachable from the initial state's orbit are exactly
the orbits of the reachable states. So the whole group of renamings stays sound; two states
that differ in which servers are members are simply in different orbits, since configurations
(in logs, base configurations, messages and the committed history) are renamed too. The tests
compare the reduced count with the orbits of a full search (tests/test_membership.py).

With --max-candidates K only n1..nK may time out, so the servers fall into two groups and only
renamings within each group are symmetries of the model; canonical() renames within them.
"""

from __future__ import annotations

from itertools import pairwise, permutations, product
from typing import TYPE_CHECKING

from .network import normalise_cut
from .quorum import Configuration
from .records import NIL, Log, Message, Server, as_message

if TYPE_CHECKING:
    from .model import RaftModel

Renaming = tuple[int, ...]  # renaming[old server number] = new server number


def rename_bits(mask: int, renaming: Renaming) -> int:
    out = 0
    for old, new in enumerate(renaming):
        if mask >> old & 1:
            out |= 1 << new
    return out


def reorder(values: tuple, renaming: Renaming) -> tuple:
    """values[old] moves to position renaming[old]."""
    out = [0] * len(values)
    for old, new in enumerate(renaming):
        out[new] = values[old]
    return tuple(out)


def rename_config(c: Configuration | tuple, renaming: Renaming) -> Configuration | tuple:
    if not isinstance(c, Configuration):
        return c
    return Configuration(rename_bits(c.voters, renaming), rename_bits(c.learners, renaming),
                         rename_bits(c.outgoing, renaming),
                         rename_bits(c.learners_next, renaming), c.auto_leave)


def rename_log(log: Log, renaming: Renaming) -> Log:
    """The log with the servers in its configuration entries renamed."""
    return tuple((t, rename_config(v, renaming)) if type(v) is Configuration else (t, v)
                 for t, v in log)


def rename_server(s: Server, renaming: Renaming, configs: bool = False) -> Server:
    """Server s's variables with the servers they name renamed; configs: its log and base
    configuration may name servers too (membership changes)."""
    s = s._replace(
        voted_for=s.voted_for if s.voted_for == NIL else renaming[s.voted_for],
        votes_responded=rename_bits(s.votes_responded, renaming),
        votes_granted=rename_bits(s.votes_granted, renaming),
        voter_log=tuple(sorted((renaming[k], log) for k, log in s.voter_log)),
        next_index=reorder(s.next_index, renaming),
        match_index=reorder(s.match_index, renaming),
    )
    if configs:
        s = s._replace(log=rename_log(s.log, renaming),
                       base_config=rename_config(s.base_config, renaming))
    return s


def rename_message(m: Message, renaming: Renaming, configs: bool = False) -> Message:
    fields = [*m]
    fields[2], fields[3] = renaming[m.src], renaming[m.dst]
    if configs:
        for k, name in enumerate(m._fields):
            if name in ("entries", "log"):
                fields[k] = rename_log(fields[k], renaming)
            elif name == "base_config":
                fields[k] = rename_config(fields[k], renaming)
    return as_message(tuple(fields))


def config_shape(value: object, i: int = -1) -> object:
    """What of a value no renaming changes: each configuration in it replaced by the sizes of
    its sets and whether server i (-1: none) is in each."""
    if isinstance(value, Configuration):
        sizes = [(part.bit_count(), bool(i >= 0 and part >> i & 1)) for part in value[:4]]
        return (*sizes, value.auto_leave)
    if isinstance(value, tuple):
        return tuple(config_shape(v, i) for v in value)
    return value


class ServerSymmetry:
    def __init__(self, model: RaftModel) -> None:
        self.model = model
        n = model.n
        self.n = n
        self._key: dict[tuple, tuple] = {}
        self._bag_keys: dict[int, tuple] = {}
        self._server: dict[tuple, int] = {}
        self._message: dict[tuple, int] = {}
        self._bag: dict[tuple, int] = {}
        self._elections: dict[tuple, int] = {}
        self._identity = list(range(n))
        self._renaming_ids: dict[Renaming, int] = {}
        self._cut: dict[tuple, int] = {}
        self._committed: dict[tuple, int] = {}
        # Configurations name servers: in logs, messages and the committed history.
        self.configs = bool(model.membership)
        # With --max-candidates K only n1..nK may start elections, so a renaming must keep
        # them among themselves: every key of the others is lifted above every key of theirs
        # (keys are 64-bit hashes), so sorting by key keeps n1..nK in front, and servers of
        # different groups never tie.
        self._group = [0 if model.may_stand(i) else 1 << 70 for i in range(n)]

    def canonical(self, state: tuple) -> tuple:
        n = self.n
        bag_keys = self._bag_keys.get(state[n])
        if bag_keys is None:
            bag_keys = self._message_keys(state[n])
        key_of = self._key
        keys = []
        group = self._group
        for i in range(n):
            k = key_of.get((i, state[i]))
            if k is None:
                k = self._server_key(i, state[i])
            keys.append((k ^ bag_keys[i]) + group[i])
        order = sorted(range(n), key=keys.__getitem__)
        if len(set(keys)) == n:
            if order == self._identity:
                return state
            renaming = [0] * n
            for new, old in enumerate(order):
                renaming[old] = new
            return self.rename(state, tuple(renaming))
        # Servers with equal keys may go in any order: try them all, keep the least state.
        runs: list[list[int]] = [[order[0]]]
        for a, b in pairwise(order):
            if keys[a] == keys[b]:
                runs[-1].append(b)
            else:
                runs.append([b])
        best = None
        for choice in product(*(permutations(run) for run in runs)):
            renaming = [0] * n
            new = 0
            for run in choice:
                for old in run:
                    renaming[old] = new
                    new += 1
            candidate = self.rename(state, tuple(renaming))
            if best is None or candidate < best:
                best = candidate
        return best  # type: ignore[return-value]

    def rename(self, state: tuple, renaming: Renaming) -> tuple:
        m = self.model
        n = self.n
        out = list(state)
        server_cache = self._server
        rid = self._renaming_ids.get(renaming)
        if rid is None:
            rid = self._renaming_ids[renaming] = len(self._renaming_ids)
        for old in range(n):
            key = (state[old], rid)
            sid = server_cache.get(key)
            if sid is None:
                sid = server_cache[key] = m.servers.intern(
                    rename_server(m.servers[state[old]], renaming, self.configs))
            out[renaming[old]] = sid
        key = (state[n], renaming)
        bag = self._bag.get(key)
        if bag is None:
            bag = self._bag[key] = m._intern_bag(frozenset(
                (self._rename_message(mid, renaming), copies) for mid, copies in m.bags[state[n]]))
        out[n] = bag
        cut = state[m.CUT]
        if cut:
            key = (cut, rid)
            new_cut = self._cut.get(key)
            if new_cut is None:
                new_cut = self._cut[key] = normalise_cut(rename_bits(cut, renaming), n)
            out[m.CUT] = new_cut
        if m.history:
            key = (state[m.ELECTIONS], renaming)
            elections = self._elections.get(key)
            if elections is None:
                elections = self._elections[key] = m.sets.intern(frozenset(
                    (term, renaming[leader], log, rename_bits(votes, renaming),
                     tuple(sorted((renaming[k], v) for k, v in voter_log)))
                    for term, leader, log, votes, voter_log in m.sets[state[m.ELECTIONS]]))
            out[m.ELECTIONS] = elections
        if self.configs:
            key = (state[m.COMMITTED], renaming)
            committed = self._committed.get(key)
            if committed is None:
                committed = self._committed[key] = m.sets.intern(frozenset(
                    (k, rename_log((entry,), renaming)[0], term, rename_config(config, renaming))
                    for k, entry, term, config in m.sets[state[m.COMMITTED]]))
            out[m.COMMITTED] = committed
        return tuple(out)

    def _rename_message(self, mid: int, renaming: Renaming) -> int:
        key = (mid, renaming)
        new = self._message.get(key)
        if new is None:
            renamed = rename_message(self.model.messages[mid], renaming, self.configs)
            new = self._message[key] = self.model.messages.intern(renamed)
        return new

    def _server_key(self, i: int, sid: int) -> int:
        """What of server i's variables no renaming changes (hashed)."""
        s = self.model.servers[sid]
        key = (
            s.term, s.role, config_shape(s.log, i) if self.configs else s.log, s.commit_index,
            s.voted_for == i, s.voted_for == NIL,
            s.votes_responded.bit_count(), s.votes_granted.bit_count(),
            tuple(sorted(s.next_index)), tuple(sorted(s.match_index)),
        )
        if self.configs:
            key += (s.snapshot_index, config_shape(s.base_config, i))
        self._key[(i, sid)] = hash(key)
        return hash(key)

    def _message_keys(self, bag_id: int) -> tuple[int, ...]:
        """Per server, what of the messages it sends and receives no renaming changes (hashed,
        and mixed so that it does not cancel a server key in the xor that combines them)."""
        m = self.model
        per_server: list[list] = [[] for _ in range(self.n)]
        for mid, copies in m.bags[bag_id]:
            msg = m.messages[mid]
            rest = config_shape(tuple(msg[4:])) if self.configs else tuple(msg[4:])
            body = (msg[0], msg[1], msg.src == msg.dst, *rest, copies)
            per_server[msg.src].append((0, body))
            per_server[msg.dst].append((1, body))
        keys = tuple(hash((1, tuple(sorted(k)))) * 0x9E3779B97F4A7C15 % (1 << 61)
                     for k in per_server)
        self._bag_keys[bag_id] = keys
        return keys
