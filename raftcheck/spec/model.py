"""The Raft spec as a model for the checker: initial states, successors, invariants, symmetry.

A global state is a flat tuple of names (see interning.py):

    (server_1 .. server_n, bag, cut, elections, all_logs, committed,
     writes, restarts, cuts_made, timeouts[, changes][, snapshots][, drops])

- server_k: the name of server k's variables (records.Server)
- bag: the name of the bag of messages in flight (network.py)
- cut: one side of the network cut, 0 when whole (raftcheck profile)
- writes, restarts, cuts_made, timeouts: how many client requests, restarts, cuts and
  elections (Timeout steps) have happened, for the bounds (raftcheck profile; 0 otherwise);
  changes, snapshots, drops: the same for configuration changes, snapshots and messages lost,
  only where those are on (membership, --max-snapshots, --max-drops)
- elections, all_logs: raft.tla's history variables (raft-tla profile; the empty set otherwise)
- committed: history of committed entries (raftcheck profile; the empty set otherwise)

Successors are composed from the one-server actions in server.py. Since those are pure
functions of one server's variables (and a message), each distinct (server, action) is computed
once and remembered; so are bag operations. The readable spec stays in server.py; this module is
the plumbing that makes exhaustive search fast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from ..checker.model import SAME_VERDICT
from . import actions as act
from . import present
from . import server as srv
from .base import SpecModel
from .config import SpecConfig
from .interning import Interner
from .invariants import View, invariant_part
from .membership import change_config, changes_to_try
from .mutants import rules_for
from .network import (
    bag_max_copies,
    bag_size,
    bag_with,
    bag_with_once,
    bag_without,
    cuts,
    links,
    normalise_cut,
)
from .quorum import NO_CONFIGURATION, Configuration
from .records import NIL, Message, Role, Server
from .snapshots import install_snapshot, take_snapshot
from .symmetry import ServerSymmetry

# What else a server step changes besides the server and the network.
NO_EFFECT, RESTARTED, ELECTED, COMMITTED, TIMED_OUT, CHANGED, SNAPSHOT = range(7)
#: Effects that change only a budget counter, no slot of the verdict key.
_COUNTED_ONLY = (NO_EFFECT, RESTARTED, TIMED_OUT)

_UNKNOWN = object()
_BLOCKED = object()  # a delivery whose reply the bounds do not let into the network
#: Steps placed in a network remembered (then the cache starts afresh).
PLACED_LIMIT = 1 << 21
#: Named servers, messages and bags held before forget() trims them to what the states kept
#: name (about 2 KB each with the memo entries derived from them).
FORGET_ABOVE = 400_000


class RaftModel(SpecModel):
    """The checker's view of the untimed spec; see checker/model.py for the contract."""

    def __init__(self, config: SpecConfig, properties: Iterable[str] | None = None, *,
                 exact_network: bool = False) -> None:
        self.config = config.validate()
        # Explore cut states one by one, never as covered by the whole network (see lifted):
        # for checks outside PROPERTIES that read the cut, such as scenario observers.
        self.exact_network = exact_network
        # Steps that leave the verdict key as it was say so (checker/model.py), unless a
        # subclass judges states by more than that key.
        self._same_verdict = SAME_VERDICT if self.judges_by_verdict_key() else None
        self.n = n = config.nodes
        self.bounds = config.bounds
        self.rules = rules_for(config.mutant, n, history=config.history,
                               realistic=config.realistic, membership=config.membership,
                               snapshots=config.snapshots)
        self.membership = config.membership
        self.snapshots = config.snapshots
        self.history = config.history
        self.tracks_committed = config.tracks_committed
        # Stuttering steps only matter when a history variable may change on every step.
        self.keep_stutter = config.history
        # A response its recipient can only ever discard is dropped at once (see
        # server.ignores_forever): the state without it can do all the state with it can,
        # and a drop could have removed it anyway. Where raft.tla counts must match, it stays.
        self.collect_garbage = config.realistic
        # The raftcheck profile counts no copies of a message: with duplication on, a delivery
        # may leave the message in flight instead (network.py).
        self._send = bag_with_once if config.realistic else bag_with
        self.redeliver = config.realistic and config.bounds.max_dup >= 2
        # Client requests: with writes unbounded (raft.tla), any value of Value at any time,
        # so a server's requests are steps of its own like the others (_place_local_steps);
        # else the next value, while the bound lets one more in (_request_values).
        self._any_value = (range(1, config.values + 1) if config.bounds.max_writes is None
                           else None)
        # Restarts and elections with no bound are no effect on the state (_place_local_steps).
        self._unbounded_effects = frozenset(
            effect for effect, bound in ((RESTARTED, config.bounds.max_restarts),
                                         (TIMED_OUT, config.bounds.max_elections))
            if bound is None)

        # slot numbers in the state tuple
        self.BAG, self.CUT, self.ELECTIONS, self.ALL_LOGS, self.COMMITTED = range(n, n + 5)
        self.WRITES, self.RESTARTS, self.CUTS, self.TIMEOUTS = range(n + 5, n + 9)
        # Budgets of membership changes and snapshots, only where they are on.
        self.CHANGES = n + 9 if config.membership else None
        self.SNAPSHOTS = n + 9 + bool(config.membership) if config.snapshots else None
        # Messages lost (DropMessage steps), counted only where they are bounded.
        counts_drops = config.bounds.max_drops is not None and config.realistic
        self.DROPS = (n + 9 + bool(config.membership) + bool(config.snapshots)
                      if counts_drops else None)
        # Every slot an int: names are 64-bit content hashes.
        self.state_width = (n + 9 + bool(config.membership) + bool(config.snapshots)
                            + counts_drops)
        # The counters come last: how much of each bounded budget a state has used. A state
        # that has used less of every budget can do all that the same state with more used can,
        # so the checker may skip the latter (checker/search.py, "budgets").
        self.budget_start = n + 5 if not config.history else None
        # The slots the state invariants read (see verdict_key), taken out in one C call.
        self._verdict_slots = itemgetter(*range(n), self.CUT, self.ELECTIONS, self.COMMITTED)
        # The history sets' slots (see forget).
        self._history_slots = itemgetter(self.ELECTIONS, self.ALL_LOGS, self.COMMITTED)

        self.servers: Interner[Server] = Interner("server")
        self.messages: Interner[Message] = Interner("message")
        self.bags: Interner[frozenset] = Interner("bag")
        self.sets: Interner[frozenset] = Interner("history set")

        self._tables = {table.kind: table
                        for table in (self.servers, self.messages, self.bags, self.sets)}
        self._journal: list | None = None  # see new_components
        self._start_memo()
        # server -> a small number naming its invariant_part (see invariant_key)
        self._parts: dict[int, int] = {}
        self._part_numbers: dict[tuple, int] = {}
        self._forget_above = FORGET_ABOVE  # see forget
        self._symmetry: ServerSymmetry | None = None

        self.select(properties)

    def _start_memo(self) -> None:
        """Empty memo tables: what the spec derives from named components, found as states
        need it. Every entry can be derived again from the components (see forget)."""
        self._bag_info: dict[int, tuple] = {}  # bag -> (within the bounds, its endpoints)
        self._pairs: dict[tuple, tuple] = {}  # (message, copies) -> the one such pair in bags
        self._endpoints: dict[int, tuple] = {}  # message -> (message, source, destination)
        self._bag_plus: dict[int, dict[int, int | None]] = {}  # bag -> message -> bag
        self._bag_minus: dict[tuple, int] = {}
        self._bag_reply: dict[tuple, int | None] = {}
        self._set_add: dict[tuple, int] = {}
        self._garbage: dict[tuple, bool] = {}
        self._bag_gc: dict[tuple, int] = {}
        # per slot: server -> its steps
        self._local: list[dict[int, list]] = [{} for _ in range(self.n)]
        # (bag, cut) -> what can happen in that network, found as states need it (_network)
        self._networks: dict[tuple, tuple] = {}
        self._placed_count = 0  # steps remembered in _networks
        self._bag_steps: dict[int, tuple] = {}  # bag -> its messages' drops and duplications
        # per slot: server -> value -> step
        self._client: list[dict[int, dict]] = [{} for _ in range(self.n)]
        self._receive: dict[int, dict[int, Any]] = {}  # message -> recipient -> outcome
        # allLogs -> the servers whose log it holds: most states' allLogs holds their logs
        self._logs_within: dict[int, set[int]] = {}
        # (allLogs, the numbers of the servers' logs) -> allLogs'
        self._all_logs_by_logs: dict[tuple, int] = {}
        self._log_numbers: dict[tuple, int] = {}  # log -> a number for it
        self._log_of: dict[int, int] = {}  # server -> the number of its log

    def may_stand(self, i: int) -> bool:
        """Whether server i may time out and stand for election (--max-candidates: n1..nN)."""
        limit = self.bounds.max_candidates
        return limit is None or i < limit

    # --- properties (base.py) ----------------------------------------------------------------

    def selected(self, chosen: list[str]) -> None:
        self._lift_cuts = not self.exact_network and not self.config.split and (
            "MinorityNeverCommits" not in chosen or (
                "CommittedNeverLost" in chosen
                and chosen.index("CommittedNeverLost") < chosen.index("MinorityNeverCommits")))
        # With cuts lifted, every cut state is covered by the whole network (see lifted).
        self._may_cut = bool(self.bounds.max_partitions) and not self._lift_cuts
        for local in self._local:
            local.clear()
        self._networks.clear()
        for client in self._client:
            client.clear()
        self._receive.clear()

    def verdict_key(self, state: tuple) -> tuple:
        return self._verdict_slots(state)

    def verdict_keys(self, states: Iterable[tuple]) -> Iterable[tuple]:
        return map(self._verdict_slots, states)

    def invariant_key(self, state: tuple) -> tuple:
        """verdict_key with each server named by the number of its invariant_part instead."""
        key = self._verdict_slots(state)
        n = self.n
        try:
            return (*map(self._parts.__getitem__, key[:n]), *key[n:])
        except KeyError:  # a server not numbered yet
            return (*map(self._part_number, key[:n]), *key[n:])

    def _part_number(self, sid: int) -> int:
        number = self._parts.get(sid)
        if number is None:
            numbers = self._part_numbers
            number = self._parts[sid] = numbers.setdefault(invariant_part(self.servers[sid]),
                                                           len(numbers))
        return number

    def view(self, state: tuple) -> View:
        return View(
            servers=tuple(self.servers[sid] for sid in state[:self.n]),
            cluster=None if self.membership else self.rules.cluster,
            partition=state[self.CUT],
            elections=self.sets[state[self.ELECTIONS]],
            committed=self.sets[state[self.COMMITTED]],
        )

    # --- symmetry -----------------------------------------------------------------------------

    def canonical(self, state: tuple) -> tuple:
        """The representative of the state up to renaming servers (symmetry.py)."""
        if self._symmetry is None:
            self._symmetry = ServerSymmetry(self)
        return self._symmetry.canonical(state)

    # --- initial state ----------------------------------------------------------------------

    def initial_states(self) -> list[tuple]:
        if self.membership:
            # The initial voters boot with the initial configuration; the others know none.
            voters = self.config.voters_at_start
            servers = tuple(self.servers.intern(srv.initial_server(
                self.rules, Configuration(voters) if voters >> i & 1 else NO_CONFIGURATION))
                for i in range(self.n))
        else:
            servers = (self.servers.intern(srv.initial_server(self.rules)),) * self.n
        empty = self.sets.intern(frozenset())
        cut = normalise_cut(self.config.split, self.n) if self.config.split else 0
        counters = (0,) * (self.state_width - self.WRITES)
        return [(*servers, self._intern_bag(frozenset()), cut, empty, empty, empty, *counters)]

    # --- successors -------------------------------------------------------------------------

    def successors(self, state: tuple) -> list[tuple]:
        """Every (action, next state, broken transition property or None) within the bounds."""
        n = self.n
        BAG = self.BAG
        bag = state[BAG]
        cut = state[self.CUT]
        base = list(state)
        # A step that changes nothing (kept where raft.tla's history may change on every step:
        # a sixth of raft.tla's steps) gives the state object itself where allLogs stays, so
        # the search need not look it up (checker/model.py, Model.successors).
        unchanged = state
        if self.history:
            all_logs = base[self.ALL_LOGS] = self._all_logs_after(state)
            if all_logs != state[self.ALL_LOGS]:
                unchanged = tuple(base)
        out: list[tuple] = []
        append = out.append
        collect = self._collect if self.collect_garbage else None
        values = self._request_values(state) if self._any_value is None else ()
        network = self._networks.get((bag, cut))
        if network is None:
            network = self._network(bag, cut)
        placed_local, placed_messages = network

        for i in range(n):
            sid = state[i]
            steps = placed_local[i].get(sid)
            if steps is None:
                steps = placed_local[i][sid] = self._place_local_steps(i, sid, bag, cut)
            for action, new_sid, new_bag, effect, arg, broken in steps:
                if new_sid is new_bag is None and not effect:
                    append((action, unchanged, broken))
                    continue
                nxt = base.copy()
                if new_sid is not None:
                    nxt[i] = new_sid
                if new_bag is not None:
                    nxt[BAG] = new_bag
                if effect:
                    if effect == RESTARTED:  # (only where restarts are bounded)
                        if state[self.RESTARTS] >= self.bounds.max_restarts:
                            continue
                        nxt[self.RESTARTS] += 1
                    elif effect == TIMED_OUT:  # (only where elections are bounded)
                        if state[self.TIMEOUTS] >= self.bounds.max_elections:
                            continue
                        nxt[self.TIMEOUTS] += 1
                    elif effect == ELECTED:
                        nxt[self.ELECTIONS] = self._add_to_set(state[self.ELECTIONS], arg)
                    elif effect in (CHANGED, SNAPSHOT):
                        slot = self.CHANGES if effect == CHANGED else self.SNAPSHOTS
                        limit = (self.config.max_config_changes if effect == CHANGED
                                 else self.config.max_snapshots)
                        if state[slot] >= limit:
                            continue
                        nxt[slot] += 1
                        if arg:
                            nxt[self.COMMITTED] = self._union(state[self.COMMITTED], arg)
                    else:
                        nxt[self.COMMITTED] = self._union(state[self.COMMITTED], arg)
                if collect and new_sid is not None:
                    nxt[BAG] = collect(nxt)
                append((action, tuple(nxt), broken))
            if not values:
                continue
            for value in values:
                step = self._client_step(i, sid, value)
                if step:
                    action, new_sid, effect, arg, broken = step
                    nxt = base.copy()
                    nxt[i] = new_sid
                    if self.bounds.max_writes is not None:
                        nxt[self.WRITES] += 1
                    if effect:
                        nxt[self.COMMITTED] = self._union(state[self.COMMITTED], arg)
                    append((action, tuple(nxt), broken))

        redeliver = self.redeliver
        same_verdict = self._same_verdict
        for mid, dst, deliverable, delivered, duplicate, drop in placed_messages:
            if deliverable:
                recipient = state[dst]
                outcome = delivered.get(recipient)
                if outcome is None:
                    outcome = delivered[recipient] = self._place_receive_step(mid, recipient, bag)
                if outcome is _BLOCKED:
                    continue  # the reply does not fit: neither is the message dropped here
                if outcome:
                    action, new_sid, new_bag, consumed, reply, effect, arg, broken = outcome
                    nxt = base.copy()
                    if new_sid is not None:
                        nxt[dst] = new_sid
                    if effect:
                        nxt[self.COMMITTED] = self._union(state[self.COMMITTED], arg)
                    nxt[BAG] = new_bag
                    if collect:
                        nxt[BAG] = collect(nxt)
                    append((action, tuple(nxt), broken))
                    if redeliver and consumed:
                        copy = self._deliver_copy(state, nxt, bag, reply, collect)
                        if copy is not None:
                            append((act.DeliverCopy(action), copy, broken))
            if duplicate is not None:
                nxt = base.copy()
                nxt[BAG] = duplicate[1]
                append((duplicate[0], tuple(nxt), same_verdict))
            nxt = base.copy()
            nxt[BAG] = drop[1]
            if self.DROPS is not None:
                if state[self.DROPS] >= self.bounds.max_drops:
                    continue
                nxt[self.DROPS] += 1
            append((drop[0], tuple(nxt), same_verdict))

        if cut:
            if not self.config.split:  # (a split is cut for good)
                nxt = base.copy()
                nxt[self.CUT] = 0
                append((act.Heal(), tuple(nxt), None))
        elif self._may_cut and state[self.CUTS] < self.bounds.max_partitions:
            everyone = (1 << n) - 1
            for side in cuts(n):
                nxt = base.copy()
                nxt[self.CUT] = side
                nxt[self.CUTS] += 1
                append((act.Partition((side, everyone & ~side)), tuple(nxt), None))
        return out

    def _deliver_copy(self, state: tuple, nxt: list, bag: int, reply: int | None,
                      collect: Any) -> tuple | None:
        """The delivery nxt with the delivered message still in flight, or None where that is
        no step at all."""
        copy = nxt.copy()
        if reply is None:
            copy[self.BAG] = bag
        else:
            new_bag = self._bag_plus.get(bag, {}).get(reply, _UNKNOWN)
            if new_bag is _UNKNOWN:
                new_bag = self._plus(bag, reply)
            if new_bag is None:
                return None
            copy[self.BAG] = new_bag
        if collect:
            copy[self.BAG] = collect(copy)
        result = tuple(copy)
        return None if result == state else result

    def _collect(self, nxt: list) -> int:
        """The bag of nxt without the responses their recipients can only discard."""
        bag = nxt[self.BAG]
        garbage = self._garbage
        dead = None
        for mid, _, dst in self._bag_info[bag][1]:
            key = (mid, nxt[dst])
            ignored = garbage.get(key)
            if ignored is None:
                ignored = garbage[key] = srv.ignores_forever(
                    self.rules, self.servers[nxt[dst]], self.messages[mid])
            if ignored:
                dead = (mid,) if dead is None else (*dead, mid)
        if dead is None:
            return bag
        key = (bag, dead)
        new = self._bag_gc.get(key)
        if new is None:
            kept = frozenset((m, c) for m, c in self.bags[bag] if m not in dead)
            new = self._bag_gc[key] = self._intern_bag(kept)
        return new

    def _request_values(self, state: tuple) -> range:
        """The value of the next client request, if the bound on writes lets one more in."""
        limit = self.bounds.max_writes
        writes = state[self.WRITES]
        return range(writes + 1, writes + 2) if writes < limit else range(0)

    # --- one server's steps, computed once per distinct server ------------------------------

    def _local_steps(self, i: int, sid: int) -> list:
        """Server i's own actions from the variables named sid:
        (action, new server, message sent, its destination, effect, effect argument, broken)."""
        r = self.rules
        s = self.servers[sid]
        steps = []

        def server_step(action: act.Action, after: Server | None, effect: int = NO_EFFECT,
                        arg: Any = None) -> None:
            if after is None or not self._in_bounds(after):
                return
            if effect == NO_EFFECT:
                effect, arg = self._commit_effect(s, after)
            if after == s and effect in (NO_EFFECT, RESTARTED, TIMED_OUT) and not self.keep_stutter:
                return  # changes nothing (a restart of a freshly restarted server included)
            new_sid = None if after == s else self.servers.intern(after)
            steps.append((action, new_sid, None, None, effect, arg, self._broken(s, after)))

        def send_step(action: act.Action, m: Message | None) -> None:
            if m is not None:
                steps.append((action, None, self.messages.intern(m), m.dst, NO_EFFECT, None, None))

        server_step(act.Restart(i), srv.restart(r, i, s), RESTARTED)
        if self.may_stand(i):
            candidate = srv.timeout(r, i, s)
            server_step(act.Timeout(i), candidate and srv.settle(r, i, candidate), TIMED_OUT)
        for j in range(self.n):
            send_step(act.RequestVote(i, j), srv.request_vote(r, i, j, s))
        leader = srv.become_leader(r, i, s)
        if leader is not None and self.history:
            record = (s.term, i, s.log, s.votes_granted, s.voter_log)
            server_step(act.BecomeLeader(i), leader, ELECTED, record)
        else:
            server_step(act.BecomeLeader(i), leader)
        if not r.atomic:  # atomic servers commit as part of the step that makes a quorum
            server_step(act.AdvanceCommitIndex(i), srv.advance_commit_index(r, i, s))
        for j in range(self.n):
            send_step(act.AppendEntries(i, j), srv.append_entries(r, i, j, s))
        if self.membership and s.role == Role.LEADER:
            for kind, who, new in changes_to_try(r, i, s, self.n):
                after = change_config(r, i, s, new)
                if after is not None:
                    after = srv.settle(r, i, after)
                    action = act.CONFIG_CHANGES[kind](i, *(() if who < 0 else (who,)))
                    server_step(action, after, CHANGED, self._commit_effect(s, after)[1])
        if self.snapshots:
            server_step(act.TakeSnapshot(i, r.snapshot_limit(s)), take_snapshot(r, i, s),
                        SNAPSHOT)
            for j in range(self.n):
                send_step(act.InstallSnapshot(i, j), install_snapshot(r, i, j, s))
        self._local[i][sid] = steps
        return steps

    def _verdict_after(self, new_sid: int | None, effect: int, broken: str | None
                       ) -> str | bool | None:
        """What a placed step says of its next state's verdict: the broken transition
        property, or SAME_VERDICT where the step changes neither a server nor a history the
        invariants read (only the bag, or a budget counter: the verdict key is the parent's),
        else None."""
        if broken is None and new_sid is None and effect in _COUNTED_ONLY:
            return self._same_verdict
        return broken

    def _network(self, bag: int, cut: int) -> tuple:
        """What can happen in the network (bag, cut), as memo tables that fill as states ask:
        ([per server slot: server -> its steps here (_place_local_steps)], [per message in
        flight: (message, destination, whether the cut lets it through, recipient -> its
        delivery (_place_receive_step), its duplication, its drop (_message_steps))])."""
        if self._placed_count > PLACED_LIMIT:
            self._networks.clear()  # a cache: forgetting costs time only
            self._placed_count = 0
        steps_in_bag = self._bag_steps.get(bag)
        if steps_in_bag is None:
            steps_in_bag = self._message_steps(bag)
        messages = tuple((mid, dst, not cut or not ((cut >> src) ^ (cut >> dst)) & 1, {},
                          duplicate, drop)
                         for mid, src, dst, duplicate, drop in steps_in_bag)
        network = self._networks[(bag, cut)] = ([{} for _ in range(self.n)], messages)
        return network

    def _place_local_steps(self, i: int, sid: int, bag: int, cut: int) -> tuple:
        """Server i's own steps (see _local_steps) with the network in this bag and cut:
        (action, new server or None, new bag or None, effect, effect argument, broken). A send
        the bag has no room for is no step; one lost to the cut changes nothing."""
        steps = self._local[i].get(sid)
        if steps is None:
            steps = self._local_steps(i, sid)
        placed = []
        unbounded = self._unbounded_effects
        for action, new_sid, mid, dst, effect, arg, broken in steps:
            if effect in unbounded:
                effect = NO_EFFECT  # a budget with no bound: nothing to count
            new_bag = None
            if mid is not None and (not cut or not ((cut >> i) ^ (cut >> dst)) & 1):
                new_bag = self._bag_plus.get(bag, {}).get(mid, _UNKNOWN)
                if new_bag is _UNKNOWN:
                    new_bag = self._plus(bag, mid)
                if new_bag is None:
                    continue
            elif new_sid is None and not self.keep_stutter:
                continue  # a message lost to the cut, and nothing else happened
            placed.append((action, new_sid, new_bag, effect, arg,
                           self._verdict_after(new_sid, effect, broken)))
        for value in self._any_value or ():
            step = self._client_step(i, sid, value)
            if step:
                action, new_sid, effect, arg, broken = step
                placed.append((action, new_sid, None, effect, arg, broken))
        self._placed_count += 1
        return tuple(placed)

    def _message_steps(self, bag: int) -> tuple:
        """Per message in flight: (message, source, destination, its duplication as (action,
        bag) or None, its drop as (action, bag))."""
        out = []
        for mid, src, dst in self._bag_info[bag][1]:
            duplicate = None
            if not self.redeliver:
                duplicated = self._bag_plus.get(bag, {}).get(mid, _UNKNOWN)
                if duplicated is _UNKNOWN:
                    duplicated = self._plus(bag, mid)
                if duplicated is not None and duplicated != bag:
                    duplicate = (act.DuplicateMessage(self.messages[mid]), duplicated)
            drop = (act.DropMessage(self.messages[mid]), self._minus(bag, mid))
            out.append((mid, src, dst, duplicate, drop))
        result = self._bag_steps[bag] = tuple(out)
        return result

    def _place_receive_step(self, mid: int, sid: int, bag: int) -> tuple | bool | object:
        """The step (if any) that delivers message mid to its recipient, whose variables are
        named sid, out of this bag: (action, new server or None, bag after, consumed, reply,
        effect, effect argument, broken); _BLOCKED where the reply does not fit the bounds."""
        outcome = self._receive.get(mid, {}).get(sid)
        if outcome is None:
            outcome = self._receive_step(sid, mid)
        placed: tuple | bool | object = False
        if outcome:
            action, new_sid, consumed, reply, effect, arg, broken = outcome
            if reply is not None:
                new_bag = self._reply(bag, reply, mid)
            elif consumed:
                new_bag = self._minus(bag, mid)
            else:
                new_bag = bag
            placed = _BLOCKED if new_bag is None else (
                action, new_sid, new_bag, consumed, reply, effect, arg,
                self._verdict_after(new_sid, effect, broken))
        self._placed_count += 1
        return placed

    def _client_step(self, i: int, sid: int, value: int) -> tuple | bool:
        """The step (if any) server i, whose variables are named sid, takes on a client's
        request for value: (action, new server, effect, effect argument, broken); remembered."""
        remembered = self._client[i].setdefault(sid, {})
        step = remembered.get(value)
        if step is None:
            step = remembered[value] = self._new_client_step(i, sid, value)
        return step

    def _new_client_step(self, i: int, sid: int, value: int) -> tuple | bool:
        s = self.servers[sid]
        after = srv.client_request(self.rules, i, s, value)
        step: tuple | bool = False
        if after is not None:
            after = srv.settle(self.rules, i, after)
        if after is not None and self._in_bounds(after):
            effect, arg = self._commit_effect(s, after)
            step = (act.ClientRequest(i, value), self.servers.intern(after), effect, arg,
                    self._broken(s, after))
        return step

    def _receive_step(self, sid: int, mid: int) -> tuple | bool:
        """The one step (if any) its recipient, whose variables are named sid, takes on message
        mid: (action, new server, consumed, reply, effect, effect argument, broken)."""
        s = self.servers[sid]
        m = self.messages[mid]
        outcome: tuple | bool = False
        received = srv.receive(self.rules, m.dst, s, m)
        if received is not None and self._in_bounds(received[1].server):
            action, handled = received
            after = handled.server
            effect, arg = self._commit_effect(s, after)
            outcome = (
                action,
                None if after == s else self.servers.intern(after),
                handled.consumed,
                None if handled.reply is None else self.messages.intern(handled.reply),
                effect, arg,
                self._broken(s, after),
            )
        self._receive.setdefault(mid, {})[sid] = outcome
        return outcome

    def _commit_effect(self, before: Server, after: Server) -> tuple[int, frozenset | None]:
        """A leader that moves its commitIndex commits the entries it passes: record them in
        the committed history, with the term of the commit; with membership changes, with the
        configuration whose quorum it counted too (a leader removed steps down as it commits
        its removal: that commit is recorded as well)."""
        if (not self.tracks_committed or after.commit_index <= before.commit_index
                or not (after.role == Role.LEADER
                        or (before.role == Role.LEADER and after.term == before.term))):
            return NO_EFFECT, None
        if self.membership:
            counted = self.rules.config(after._replace(commit_index=before.commit_index))
            return COMMITTED, frozenset(
                (k, after.log[k - 1], after.term, counted)
                for k in range(before.commit_index + 1, after.commit_index + 1))
        return COMMITTED, frozenset(
            (k, after.log[k - 1], after.term)
            for k in range(before.commit_index + 1, after.commit_index + 1))

    # --- the bag, by name -------------------------------------------------------------------

    def _intern_bag(self, bag: frozenset) -> int:
        if hash(bag) not in self.bags.values:
            bag = self._of_shared_pairs(bag)
        bid = self.bags.intern(bag)
        if bid not in self._bag_info:
            self._describe_bag(bid, bag)
        return bid

    def _of_shared_pairs(self, bag: frozenset) -> frozenset:
        """The bag built of the (message, copies) pairs other bags hold: a big scope holds
        millions of bags of a few hundred messages, so a new bag costs its set only."""
        pairs = self._pairs
        return frozenset([pairs.setdefault(pair, pair) for pair in bag])

    def _describe_bag(self, bid: int, bag: frozenset) -> None:
        """Whether the bag is within the bounds, and its messages' endpoints (one (message,
        source, destination) triple per message, shared by every bag that holds it)."""
        endpoints = self._endpoints
        entries = []
        for mid, _ in sorted(bag):
            triple = endpoints.get(mid)
            if triple is None:
                message = self.messages[mid]
                triple = endpoints[mid] = (mid, message.src, message.dst)
            entries.append(triple)
        b = self.bounds
        ok = (bag_size(bag) <= b.max_msgs and bag_max_copies(bag) <= b.max_dup
              and (b.max_links is None
                   or links((src, dst) for _, src, dst in entries) <= b.max_links))
        self._bag_info[bid] = (ok, tuple(entries))

    def _plus(self, bid: int, mid: int) -> int | None:
        new = self._intern_bag(self._send(self.bags[bid], mid))
        result = new if self._bag_info[new][0] else None
        self._bag_plus.setdefault(bid, {})[mid] = result
        return result

    def _minus(self, bid: int, mid: int) -> int:
        key = (bid, mid)
        new = self._bag_minus.get(key)
        if new is None:
            new = self._bag_minus[key] = self._intern_bag(bag_without(self.bags[bid], mid))
        return new

    def _reply(self, bid: int, reply: int, request: int) -> int | None:
        key = (bid, reply, request)
        new = self._bag_reply.get(key, _UNKNOWN)
        if new is _UNKNOWN:
            bag = bag_without(self._send(self.bags[bid], reply), request)
            new = self._intern_bag(bag)
            new = self._bag_reply[key] = new if self._bag_info[new][0] else None
        return new  # type: ignore[return-value]

    # --- history sets -----------------------------------------------------------------------

    def _add_to_set(self, set_id: int, item: Any) -> int:
        key = (set_id, item)
        new = self._set_add.get(key)
        if new is None:
            new = self._set_add[key] = self.sets.intern(self.sets[set_id] | {item})
        return new

    def _union(self, set_id: int, items: frozenset) -> int:
        key = (set_id, items)
        new = self._set_add.get(key)
        if new is None:
            new = self._set_add[key] = self.sets.intern(self.sets[set_id] | items)
        return new

    def _all_logs_after(self, state: tuple) -> int:
        """raft.tla's allLogs' = allLogs \\cup {log[i] : i \\in Server}, on every step. Most
        states' allLogs holds their servers' logs already (the step that made them added
        their parent's), so that is asked first."""
        all_logs = state[self.ALL_LOGS]
        within = self._logs_within.get(all_logs)
        if within is not None and within.issuperset(state[:self.n]):
            return all_logs
        return self._all_logs_by_log(state)

    def _all_logs_by_log(self, state: tuple) -> int:
        """_all_logs_after where _logs_within does not tell: many combinations of servers
        have the same few logs."""
        log_of, numbers = self._log_of, self._log_numbers
        for sid in state[:self.n]:
            if sid not in log_of:
                log_of[sid] = numbers.setdefault(self.servers[sid].log, len(numbers))
        all_logs = state[self.ALL_LOGS]
        key = (all_logs, *map(log_of.__getitem__, state[:self.n]))
        new = self._all_logs_by_logs.get(key)
        if new is None:
            logs = frozenset(self.servers[sid].log for sid in state[:self.n])
            new = self._all_logs_by_logs[key] = self.sets.intern(self.sets[all_logs] | logs)
        self._logs_within.setdefault(new, set()).update(state[:self.n])
        return new

    def lifted(self, state: tuple) -> tuple | None:
        """The budget-free part of the state with the network cut lifted, if it is cut (see
        checker/visited.py): over a lossy network a cut only forbids deliveries, so the whole
        network can do all the cut one can. Only while no property checked needs the cut
        itself: MinorityNeverCommits does, unless CommittedNeverLost, which it implies and which
        is checked first, is checked too."""
        if not state[self.CUT] or not self._lift_cuts:
            return None
        return (*state[:self.CUT], 0, *state[self.CUT + 1:self.budget_start])

    # --- memory -----------------------------------------------------------------------------

    def forget(self, keep: Iterable[tuple]) -> None:
        """Forget every named component the states in keep do not name, and every memo entry,
        once the model holds more than it needs: a long search calls this between levels with
        its frontier and within a level with the frontier and the level so far, so the model's
        memory follows the states kept, not all it has seen (most steps of a big level lead to
        states found before, whose bags would otherwise stay named). Names are content hashes,
        so what is named again gets its old name (and is recorded again), and the verdicts,
        keyed by names, stay true. Not for worker processes: their peers assume what they sent
        once is kept (see new_components)."""
        if self._named() <= self._forget_above:
            return
        # One pass over keep: with --disk the frontier is a file, read back a chunk at a time.
        servers: set[int] = set()
        bags: set[int] = set()
        history: set[int] = set()
        n, bag_slot, history_slots = self.n, self.BAG, self._history_slots
        for state in keep:
            servers.update(state[:n])
            bags.add(state[bag_slot])
            history.update(history_slots(state))
        messages = {mid for bid in bags for mid, _ in self.bags[bid]}
        self.servers.retain(servers)
        self.messages.retain(messages)
        self.bags.retain(bags)
        self.sets.retain(history)
        if self._journal:  # a forgotten component named again is recorded again
            tables = self._tables
            self._journal[:] = [entry for entry in self._journal
                                if entry[1] in tables[entry[0]].values]
        self._start_memo()
        for bid in bags:
            bag = self.bags[bid]
            self._pairs.update({pair: pair for pair in bag})  # shared by bags named later
            self._describe_bag(bid, bag)
        self._parts.clear()
        self._symmetry = None
        self._forget_above = max(FORGET_ABOVE, 2 * self._named())

    def _named(self) -> int:
        """How many servers, messages and bags the model holds by name (see forget)."""
        return len(self.servers) + len(self.messages) + len(self.bags)

    # --- moving states between processes (checker/parallel.py, checker/ray_engine.py) ------

    def shard_key(self, state: tuple) -> int:
        """The servers: every key of the verdict cache (check_state) starts with them, so its
        entries are made in one process. A budget-free part, lifted or not, has the same."""
        return hash(state[:self.n])

    def new_components(self) -> list[tuple[str, int, Any]]:
        """The components named since the last call, oldest first (the first call starts the
        record): another process adopts them before it reads a state that names them."""
        if self._journal is None:
            self._journal = []
            for table in self._tables.values():
                table.journal = self._journal
            return []
        named = list(self._journal)
        self._journal.clear()
        return named

    def adopt(self, kind: str, key: int, value: Any) -> None:
        """Learn a component another process named (not recorded again here)."""
        table = self._tables[kind]
        if key in table.values:
            return
        if hash(value) != key:
            raise ValueError(f"{kind} {key} has another name here: {hash(value)}")
        if table is self.bags:
            value = self._of_shared_pairs(value)
            self._describe_bag(key, value)
        table.values[key] = value

    # --- reading a state --------------------------------------------------------------------

    def servers_of(self, state: tuple) -> list[Server]:
        """Each server's variables, in server order (for diagrams)."""
        return [self.servers[sid] for sid in state[:self.n]]

    def in_flight(self, state: tuple) -> Counter:
        """The messages in flight with their copies (for diagrams)."""
        return Counter({self.messages[mid]: copies for mid, copies in self.bags[state[self.BAG]]})

    def election_standing(self, state: tuple) -> list[tuple[int, bool]]:
        """Each server's (currentTerm, whether it has voted in it), for simulate's walks: no
        clocks here, and a vote restarts the election timer (checker/model.py)."""
        values = self.servers.values
        return [(s.term, s.voted_for != NIL)
                for s in map(values.__getitem__, state[:self.n])]

    def budgets(self) -> list[tuple[str, int | None]]:
        """The counters' names and bounds (checker/model.py), in slot order from WRITES."""
        if self.budget_start is None:
            return []
        b = self.bounds
        out = [("writes", b.max_writes), ("restarts", b.max_restarts),
               ("partitions", b.max_partitions), ("elections", b.max_elections)]
        if self.CHANGES is not None:
            out.append(("configuration changes", self.config.max_config_changes))
        if self.SNAPSHOTS is not None:
            out.append(("snapshots", self.config.max_snapshots))
        if self.DROPS is not None:
            out.append(("drops", b.max_drops))
        return out

    def variables(self, state: tuple) -> dict[str, Any]:
        """The state as raft.tla's variables, for exports (present.py)."""
        return present.variables(self, state)

    def summary(self, state: tuple) -> dict[str, str]:
        """The state as short strings, for the text of a counterexample (present.py)."""
        return present.summary(self, state)
