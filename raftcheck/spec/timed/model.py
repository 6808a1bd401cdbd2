"""The timed Raft model for the checker: servers with clocks, clients, reads.

A state is a tuple

    (nodes, bag, transit, cut, clients, acked, committed, history, writes, reads, restarts, cuts,
     elections)

- nodes: one records.Node per server (its Raft variables, clock rate, timers, leader hint)
- bag: the messages in flight that have arrived (a set; duplication keeps a delivered message
  in flight)
- transit: with jitter, the messages still on their way, each with the real time left before
  it must arrive: (message, left)
- cut: one side of a two-way network cut, 0 when whole
- clients: one records.Client per client
- acked: the writes acknowledged to clients, (index, term, value): the history the client
  properties are about
- committed: entries leaders committed, (index, entry, term), as in the untimed model
- history: where reads are checked, every invocation and response clients saw (observer.py);
  else ()
- proxy: with proxy routing, the proxy's routing.Proxy (the node it forwards to, the time to
  its next poll); else ()
- the rest: how much of each bounded budget the state has used (checker/visited.py)

Time (docs/time.md): messages and client requests take no time, or are lost; real time passes
only in Tick steps, each to the next instant at which some timer runs out, and only once
nothing is left to do at the present instant (no message in flight, no round unsent, no timer
run out whose action is due). Every clock runs at a fixed rate within [1 - drift, 1 + drift],
chosen per node in the initial state.

The Raft steps are server.py's, unchanged; this module adds what clocks and clients add around
them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from fractions import Fraction
from itertools import product
from typing import Any

from ...checker.properties import LivenessProperty
from .. import actions as act
from .. import server as srv
from ..base import SpecModel
from ..invariants import View
from ..mutants import rules_for
from ..network import cuts, normalise_cut
from ..records import (
    NIL,
    Message,
    MessageType,
    Role,
    Server,
    bits,
    node_name,
)
from . import liveness, observer, present, routing
from .config import TimedConfig
from .properties import TIMED_PROPERTIES, linearizable_read, minority_no_ack
from .records import (  # the state's slots are re-exported: other modules import them here
    ACKED,
    BAG,
    CLIENTS,
    COMMITTED,
    CUT,
    CUTS,
    ELECTIONS,
    HISTORY,
    IDLE,
    NODES,
    OFF,
    PROXY,
    READ,
    READS,
    RESTARTS,
    TRANSIT,
    WRITE,
    WRITES,
    Client,
    Node,
    idle_client,
)

Step = tuple[act.Action, tuple, str | None]

RETRY_AFTER = 1  # ticks a retrying client waits before it sends its write again


class TimedRaftModel(SpecModel):
    """The checker's view of the timed spec; see checker/model.py for the contract."""

    property_table = TIMED_PROPERTIES

    budget_start = WRITES
    #: A timer reset branches on the timeout drawn; for liveness, a random draw
    #: (checker/fair_cycles.py): elections do not split forever.
    random_draws = True
    #: Time passes infinitely often (no Zeno behaviour): a client that sends and is refused
    #: again and again at one instant must not stop the clock (spec/timed/liveness.py).
    strong_classes = frozenset({"Tick"})

    def __init__(self, config: TimedConfig, properties: Iterable[str] | None = None) -> None:
        self.config = config.validate()
        spec = config.spec
        self.n = n = spec.nodes
        self.bounds = spec.bounds
        self.timing = t = config.timing
        self.rules = rules_for(spec.mutant, n, history=False, realistic=True,
                               pre_vote=config.pre_vote, check_quorum=config.check_quorum)
        self.lease = (Fraction(t.lease) if t.lease is not None
                      else self.rules.lease_length(t.election_min, t.drift))
        self.uses_lease = config.reads == "lease"
        self.quiet_votes = config.quiet_votes
        self.check_quorum = config.check_quorum
        self.pre_vote = config.pre_vote
        self.reads = config.reads
        self.everyone = (1 << n) - 1
        self.timeouts = tuple(range(t.election_min, t.election_max + 1))
        self.rates = ((1 - t.drift, 1 + t.drift) if t.drift else (Fraction(1),))
        self.relative_terms = config.relative_terms
        self.spread_cuts = 0  # states whose steps the spread bound cut (bound_notes)
        self.full_logs = 0  # times a leader could not take a write: its log was full
        if self.relative_terms:
            self.quotient = liveness.shift_terms
        self.observes = config.reads != "none"  # keeps the history of what clients saw
        self.proxied = config.proxied
        self.redirects = routing.REDIRECT in config.routing
        self.caches = routing.CACHE in config.routing
        self._history_check = observer.HistoryCheck()
        self.select(properties)

    # --- properties (base.py) ----------------------------------------------------------------

    def selected(self, chosen: list[str]) -> None:
        self._check_reads = "LinearizableReads" in chosen
        self._check_minority = "MinorityNoAck" in chosen
        self._check_history = "LinearizableHistory" in chosen and self.observes

    def view(self, state: tuple) -> View:
        return View(tuple(node.server for node in state[NODES]), self.rules.cluster,
                    state[CUT], frozenset(), state[COMMITTED], state[ACKED])

    def verdict_key(self, state: tuple) -> tuple:
        return (tuple(node.server for node in state[NODES]), state[CUT], state[COMMITTED],
                state[ACKED])

    # --- initial states ---------------------------------------------------------------------

    def initial_states(self) -> list[tuple]:
        """Every server a follower in term 1; each clock's rate chosen freely, and each election
        timer anywhere from 1 tick to the longest timeout (servers boot at different times)."""
        r = self.rules
        t = self.timing
        split = normalise_cut(self.config.spec.split, self.n) if self.config.spec.split else 0
        clients = tuple(idle_client(home) for home in self.config.homes())
        # The proxy's first poll comes at any instant within its period (it started apart
        # from the servers).
        proxies = ([routing.Proxy(NIL, phase) for phase in range(1, self.config.proxy_poll + 1)]
                   if self.proxied else [()])
        out = []
        for rates, proxy in product(product(self.rates, repeat=self.n), proxies):
            for timers in product(range(1, self.timeouts[-1] + 1), repeat=self.n):
                nodes = tuple(
                    Node(srv.initial_server(r), rate, t.fsync if t.slow_disks >> i & 1 else 0,
                         timer, 0, OFF, OFF, 0, OFF, 0, 0, 0, NIL, OFF, ())
                    for i, (rate, timer) in enumerate(zip(rates, timers, strict=True)))
                out.append((nodes, frozenset(), frozenset(), split, clients, frozenset(),
                            frozenset(), (), proxy, 0, 0, 0, 0, 0))
        return out

    # --- successors -------------------------------------------------------------------------

    def successors(self, state: tuple) -> list[Step]:
        """The steps due at the present instant; or, once none is, the environment's steps
        (restarts, partitions, heals, client requests) and the passing of time."""
        due: list[Step] = []
        nodes = state[NODES]
        for i, node in enumerate(nodes):
            if node.disk == OFF or node.disk == 0:  # else its loop is blocked on the disk
                due += self._node_steps(state, i, node)
        for m in sorted(state[BAG]):
            if self._deliverable(state, m):
                due += self._deliver(state, m)
                if self.config.lossy:
                    due.append((act.DropMessage(m), self._replace(state, BAG, state[BAG] - {m}),
                                None))
        for flight in sorted(state[TRANSIT]):
            if flight[1] == 0:  # its delay is up: it arrives now (or, lossy, is lost)
                due += self._arrive(state, flight)
        for c, client in enumerate(state[CLIENTS]):
            due += self._client_due(state, c, client)
        if self.proxied and state[PROXY].poll == 0:
            due.append(self._proxy_poll(state))
        if due:
            return self._judged(state, self._within_spread(due))
        out = self._environment_steps(state)
        for flight in sorted(state[TRANSIT]):
            if flight[1] > 0:  # it may arrive at any instant before its delay is up
                out += self._arrive(state, flight)
        tick = self._tick(state)
        if tick is not None:
            out.append(tick)
        return self._judged(state, self._within_spread(out))

    def _judged(self, state: tuple, steps: list[Step]) -> list[Step]:
        """Steps that changed what clients saw, with LinearizableHistory checked on the whole
        history after them."""
        if not self._check_history:
            return steps
        history = state[HISTORY]
        out = []
        for action, nxt, broken in steps:
            if broken is None and nxt[HISTORY] is not history and nxt[HISTORY] != history and \
                    not self._history_check(nxt[HISTORY]):
                broken = "LinearizableHistory"
            out.append((action, nxt, broken))
        return out

    def _within_spread(self, steps: list[Step]) -> list[Step]:
        """With relative terms, the term bound is on the spread of terms in a state."""
        if not self.relative_terms:
            return steps
        kept = [s for s in steps if liveness.spread(s[1]) <= self.bounds.max_term]
        if len(kept) < len(steps):
            self.spread_cuts += 1
        return kept

    def bound_notes(self) -> list[str]:
        """What the bounds cut that a liveness verdict should mention."""
        notes = []
        if self.spread_cuts:
            notes.append(f"{self.spread_cuts:,} time(s) a state lost a step that would have put "
                         f"terms more than {self.bounds.max_term} apart (--max-term); "
                         "behaviours through those steps are not checked")
        if self.full_logs:
            notes.append(f"{self.full_logs:,} time(s) a leader could not take a client's write "
                         f"because its log was full (--max-log {self.bounds.max_log}); the "
                         "request waited instead")
        return notes

    # --- one server's own steps -------------------------------------------------------------

    def _node_steps(self, state: tuple, i: int, node: Node) -> list[Step]:
        """What server i must do at this instant: act on a timer that ran out, send what its
        round still owes."""
        r = self.rules
        s = node.server
        out: list[Step] = []
        if node.disk == 0:
            return [(act.DiskDone(i), self._disk_done(state, i, node), None)]

        elections_left = (self.bounds.max_elections is None
                          or state[ELECTIONS] < self.bounds.max_elections)
        if node.election == 0 and s.role != Role.LEADER and elections_left:
            after, action = self._time_out(i, s)
            if after is not None and self._in_bounds(after):
                for nxt in self._server_changed(state, i, node, after, reset=True,
                                                campaign=True):
                    nxt = self._replace(nxt, ELECTIONS, state[ELECTIONS] + 1)
                    out.append((action, nxt, self._broken(s, after)))

        if node.unsent:
            # One round's messages go out in peer order. They leave at the same instant and
            # act on different peers, so another order reaches no other state at the end of
            # the instant; trying every order would multiply states for nothing. (The order
            # names servers, which is why the timed model has no symmetry reduction.)
            for j in bits(node.unsent)[:1]:
                message = self._round_message(i, j, s)
                sent = node._replace(unsent=node.unsent & ~(1 << j))
                nxt = self._with_node(state, i, sent)
                if message is not None:
                    with_message = self._send(nxt, message)
                    if with_message is None:
                        continue  # the network is full: deliver or drop first
                    nxt = with_message
                out.append((self._send_action(i, j, s), nxt, None))

        if node.heartbeat == 0 and s.role == Role.LEADER:
            new = self._new_round(i, node)._replace(heartbeat=self.timing.heartbeat)
            out.append((act.HeartbeatRound(i), self._with_node(state, i, new), None))

        if node.check == 0 and s.role == Role.LEADER:
            stays = r.is_quorum(node.heard | 1 << i)
            if stays:
                new = node._replace(check=self.timing.election_min, heard=0)
                out.append((act.CheckQuorum(i, True), self._with_node(state, i, new), None))
            else:
                after = srv.check_quorum_step_down(r, i, s)
                assert after is not None
                for nxt in self._server_changed(state, i, node, after, reset=True):
                    out.append((act.CheckQuorum(i, False), nxt, self._broken(s, after)))
        return out

    def _time_out(self, i: int, s: Server) -> tuple[Server | None, act.Action]:
        """The election timer ran out: campaign (with pre-vote: ask first, at the same term)."""
        r = self.rules
        if not self.pre_vote:
            candidate = srv.timeout(r, i, s)
            return (candidate and srv.settle(r, i, candidate)), act.Timeout(i)
        if s.role != Role.FOLLOWER:
            s = s._replace(role=Role.FOLLOWER)  # a campaign that did not win starts over
        asking = srv.pre_vote_timeout(r, i, s)
        won = asking and srv.pre_vote_won(r, i, asking)  # a cluster of one
        return (srv.settle(r, i, won) if won else asking), act.PreVoteTimeout(i)

    def _round_message(self, i: int, j: int, s: Server) -> Message | None:
        if s.role == Role.LEADER:
            return srv.append_entries(self.rules, i, j, s)
        if s.role == Role.CANDIDATE:
            return srv.request_vote(self.rules, i, j, s)
        if s.role == Role.PRE_CANDIDATE:
            return srv.request_pre_vote(self.rules, i, j, s)
        return None

    def _send_action(self, i: int, j: int, s: Server) -> act.Action:
        if s.role == Role.LEADER:
            return act.AppendEntries(i, j)
        if s.role == Role.PRE_CANDIDATE:
            return act.RequestPreVote(i, j)
        return act.RequestVote(i, j)

    def _new_round(self, i: int, node: Node) -> Node:
        """The leader starts a round: a message to every peer; acknowledgements start over; the
        round's lease, if a quorum acknowledges it, counts from now."""
        return node._replace(unsent=self.everyone & ~(1 << i), acks=1 << i,
                             round=self.lease if self.uses_lease else OFF)

    def _disk_done(self, state: tuple, i: int, node: Node) -> tuple:
        nxt = self._with_node(state, i, node._replace(disk=OFF, held=()))
        for m in node.held:
            nxt = self._send(nxt, m, bounded=False)  # type: ignore[assignment]
        return nxt

    # --- what a changed server does to its clock and to the global state -------------------

    def _server_changed(self, state: tuple, i: int, node: Node, after: Server, *,
                        reset: bool = False, leader: int | None = None,
                        campaign: bool = False) -> list[tuple]:
        """The states after server i's variables became `after`: its timers follow its role
        (a new leader starts heartbeats, a node that stops leading starts an election timer),
        the committed history follows its commitIndex. reset: its election timer restarts
        (it timed out, granted a vote, or heard from its leader), one branch per timeout.
        campaign: it starts asking for (pre-)votes anew."""
        before = node.server
        t = self.timing
        new = node
        if after.term != before.term:
            new = new._replace(leader=NIL)
        if leader is not None:
            new = new._replace(leader=leader, quiet=t.election_min if self.quiet_votes else 0)
        became_leader = after.role == Role.LEADER and before.role != Role.LEADER
        if became_leader:
            if self.config.noop_on_election:
                after = srv.settle(self.rules, i, after._replace(
                    log=(*after.log, (after.term, 0))))
                if not self._in_bounds(after):
                    return []
            new = self._new_round(i, new._replace(
                election=OFF, heartbeat=t.heartbeat, leader=i, lease=0, heard=0,
                check=t.election_min if self.check_quorum else OFF))
            if self.config.noop_on_election and new.fsync:
                new = new._replace(disk=new.fsync)
        elif before.role == Role.LEADER and after.role != Role.LEADER:
            new = new._replace(heartbeat=OFF, check=OFF, lease=0, round=OFF, acks=0, heard=0,
                               unsent=0)
            reset = True
        elif after.role in (Role.CANDIDATE, Role.PRE_CANDIDATE) and (
                campaign or after.role != before.role or after.term != before.term):
            new = new._replace(unsent=self.everyone & ~(1 << i))
        elif after.role == Role.FOLLOWER and before.role != Role.FOLLOWER:
            new = new._replace(unsent=0)
        new = new._replace(server=after)
        nxt = self._with_node(state, i, new)
        if after.role == Role.LEADER and after.commit_index > before.commit_index:
            nxt = self._replace(nxt, COMMITTED, state[COMMITTED] | frozenset(
                (k, after.log[k - 1], after.term)
                for k in range(before.commit_index + 1, after.commit_index + 1)))
        if not reset:
            return [nxt]
        return [self._with_node(nxt, i, timed) for timed in self._reset_election(new)]

    def _reset_election(self, node: Node) -> list[Node]:
        return [node._replace(election=timeout) for timeout in self.timeouts]

    # --- messages ---------------------------------------------------------------------------

    def _reachable(self, cut: int, a: int, b: int) -> bool:
        return not cut or not ((cut >> a) ^ (cut >> b)) & 1

    def _client_reaches(self, state: tuple, client: Client, i: int) -> bool:
        """A client beside a node reaches the nodes on its side of a cut; an external client
        (home OFF) reaches every node: the cut is between servers. So does the proxy, which
        is outside the cluster."""
        return client.home == OFF or self.proxied or self._reachable(state[CUT], client.home, i)

    def _deliverable(self, state: tuple, m: Message) -> bool:
        dst = state[NODES][m.dst]
        return dst.disk == OFF and self._reachable(state[CUT], m.src, m.dst)

    def _send(self, state: tuple, m: Message, *, bounded: bool = True) -> tuple | None:
        """The state with m sent: lost at once if it would cross the cut; None if the network
        is full. With jitter it is in transit, to arrive within the jitter."""
        bag, transit = state[BAG], state[TRANSIT]
        if not self._reachable(state[CUT], m.src, m.dst) or m in bag or any(
                f[0] == m for f in transit):
            return state
        if bounded and len(bag) + len(transit) >= self.bounds.max_msgs:
            return None
        if self.timing.jitter:
            return self._replace(state, TRANSIT, transit | {(m, self.timing.jitter)})
        return self._replace(state, BAG, bag | {m})

    def _arrive(self, state: tuple, flight: tuple) -> list[Step]:
        """A message in transit arrives and is handled at once (or, lossy, is lost)."""
        m = flight[0]
        out: list[Step] = []
        if self.config.lossy:
            out.append((act.DropMessage(m), self._replace(state, TRANSIT,
                                                          state[TRANSIT] - {flight}), None))
        if not self._deliverable(state, m):
            return out
        arrived = self._replace(self._replace(state, TRANSIT, state[TRANSIT] - {flight}),
                                BAG, state[BAG] | {m})
        return self._deliver(arrived, m) + out

    def _deliver(self, state: tuple, m: Message) -> list[Step]:
        r = self.rules
        i = m.dst
        node = state[NODES][i]
        s = node.server
        # Heard from a leader within the minimum election timeout, or is the leader: it ignores
        # a vote request from a higher term (etcd's inLease; thesis §9.6).
        quiet = self.quiet_votes and (s.role == Role.LEADER or (
            node.quiet > 0 and node.leader != NIL))

        received = srv.receive(r, i, s, m, quiet=quiet)
        if received is None:
            return []
        action, handled = received
        after, reply, consumed = handled.server, handled.reply, handled.consumed
        # Granting a vote, starting an election once pre-votes are won, or hearing from the
        # leader of its term restarts the election timer.
        reset = (reply is not None and reply.type == MessageType.REQUEST_VOTE_RESPONSE
                 and reply.vote_granted) or (
            s.role == Role.PRE_CANDIDATE and after.role in (Role.CANDIDATE, Role.LEADER))
        leader: int | None = None
        if m.type == MessageType.APPEND_ENTRIES_REQUEST and m.term == after.term:
            reset, leader = True, m.src
        if not self._in_bounds(after):
            return []

        wrote = after.log != s.log  # a truncation is a disk write too
        bag = state[BAG] - {m} if consumed else state[BAG]
        base = self._replace(state, BAG, bag)
        out: list[Step] = []
        for nxt in self._server_changed(base, i, node, after, reset=reset, leader=leader):
            new = nxt[NODES][i]
            if (m.type == MessageType.APPEND_ENTRIES_RESPONSE and after.role == Role.LEADER
                    and m.term == after.term):
                new = new._replace(acks=new.acks | 1 << m.src,
                                   heard=new.heard | 1 << m.src if self.check_quorum else 0)
                if new.round != OFF and r.is_quorum(new.acks):
                    # The lease runs from the start of the round a quorum acknowledged.
                    new = new._replace(lease=max(new.lease, new.round), round=OFF)
            reply_now = reply
            if wrote and new.fsync:  # it acknowledges only once the write is durable
                held = (reply,) if reply is not None else ()
                new = new._replace(disk=new.fsync, held=held)
                reply_now = None
            nxt = self._with_node(nxt, i, new)
            if reply_now is not None:
                nxt = self._send(nxt, reply_now, bounded=False)  # type: ignore[assignment]
            if len(nxt[BAG]) + len(nxt[TRANSIT]) > self.bounds.max_msgs:
                continue
            broken = self._broken(s, after)
            out.append((action, nxt, broken))
            if self.bounds.max_dup >= 2 and consumed:
                kept = self._replace(nxt, BAG, nxt[BAG] | {m})
                if kept != state and len(kept[BAG]) + len(kept[TRANSIT]) <= self.bounds.max_msgs:
                    out.append((act.DeliverCopy(action), kept, broken))
        return out

    # --- clients ----------------------------------------------------------------------------

    def _client_due(self, state: tuple, c: int, client: Client) -> list[Step]:
        """What must happen to client c's request at this instant: it gives up at its deadline;
        its node takes it, or answers it, as soon as it can."""
        if client.op == IDLE:
            return []
        if client.target == -1:  # backing off before it sends its write again
            if client.deadline != 0:
                return []
            return [step for target in self._targets(state, client)
                    for step in self._client_send(state, c, client, WRITE, target, retry=True)]
        if client.deadline == 0:
            return [(act.ClientTimeout(c), self._give_up(state, c, client, refused=False),
                     None)]
        target = client.target
        node = state[NODES][target]
        if not self._client_reaches(state, client, target) or (
                node.disk != OFF):
            return []
        if not client.accepted:
            return self._serve(state, c, client)
        step = (self._acknowledge(state, c, client) if client.op == WRITE
                else self._answer_read_index(state, c, client))
        return [step] if step else []

    def _client_requests(self, state: tuple, c: int, client: Client) -> list[Step]:
        """An idle client sends a write or a read: to the leader it knows, else to any node."""
        if client.op != IDLE:
            return []
        out: list[Step] = []
        ops = []
        if self.writes(c) and (self.bounds.max_writes is None
                               or state[WRITES] < self.bounds.max_writes):
            ops.append(WRITE)
        # A read before any write was acknowledged cannot be stale: none is sent. (Nor can it
        # be part of a history that is not linearizable, unless a write whose client gave up
        # took effect: reads wait for an acknowledgement, which keeps the scope small.)
        if self.reads_by(c) and state[READS] < self.config.max_reads and state[ACKED]:
            ops.append(READ)
        for op in ops:
            for target in self._targets(state, client):
                out += self._client_send(state, c, client, op, target)
        return out

    def _targets(self, state: tuple, client: Client) -> list[int] | range:
        """The nodes a new request may go to: the proxy's choice (none before its first poll
        found a leader); the leader the client remembers; else any node."""
        if self.proxied:
            target = state[PROXY].target
            return [target] if target != NIL else []
        if self.caches and client.cached != NIL:
            return [client.cached]
        return range(self.n)

    def _proxy_poll(self, state: tuple) -> Step:
        """The proxy polls every node's health and forwards to the leader of the highest term."""
        proxy = state[PROXY]
        target = routing.polled(proxy.target, [node.server for node in state[NODES]])
        nxt = self._replace(state, PROXY, routing.Proxy(target, self.config.proxy_poll))
        return act.ProxyPoll(node_name(target) if target != NIL else "none"), nxt, None

    def writes(self, c: int) -> bool:
        """Client c writes: every client where no read is checked; else every second one, and
        a lone client both writes and reads."""
        return self.reads == "none" or c % 2 == 0

    def reads_by(self, c: int) -> bool:
        """Client c reads (where reads are checked): every second one, or a lone client."""
        return self.reads != "none" and (c % 2 == 1 or self.config.client_count == 1)

    def _given_up(self, client: Client) -> Client:
        """The client after its request timed out or was refused: idle; or, retrying a write,
        backing off (target -1) until it sends the same write again."""
        if self.config.retry_writes and client.op == WRITE:
            return client._replace(target=-1, deadline=RETRY_AFTER, cached=NIL, accepted=False)
        return client._replace(op=IDLE, target=-1, deadline=OFF, cached=NIL, accepted=False)

    def _give_up(self, state: tuple, c: int, client: Client, *, refused: bool) -> tuple:
        """The state after client c gave up on its request (_given_up); the history notes it,
        unless the client will send the same write again."""
        nxt = self._with_client(state, c, self._given_up(client))
        if self.config.retry_writes and client.op == WRITE:
            return nxt
        return self._observe(nxt, observer.abandoned, c, refused=refused)

    def _observe(self, state: tuple, change: Callable[..., tuple], *args: Any,
                 **kwargs: Any) -> tuple:
        """The state with its history of what clients saw changed (observer.py), where one is
        kept."""
        if not self.observes:
            return state
        return self._replace(state, HISTORY, change(state[HISTORY], *args, **kwargs))

    def _client_send(self, state: tuple, c: int, client: Client, op: int,
                     target: int, *, retry: bool = False) -> list[Step]:
        latest = max((index for index, _, _ in state[ACKED]), default=0)
        value = client.value if retry else 0  # a new write gets its value when a leader takes it
        pending = client._replace(op=op, target=target, deadline=self.timing.client_timeout,
                                  accepted=False, index=0, term=0, value=value, after=latest,
                                  in_cut=False)
        nxt = self._with_client(state, c, pending)
        if op == READ:
            nxt = self._replace(nxt, READS, state[READS] + 1)
        if not retry:
            nxt = self._observe(nxt, observer.invoke, c, observer.R if op == READ else observer.W)
        request = "read" if op == READ else f"write v{value or state[WRITES] + 1}"
        send = act.ClientRetry if retry else act.ClientSend
        node = state[NODES][target]
        if self._client_reaches(state, client, target) and (
                node.disk == OFF):
            # The request arrives at once: the send and the node's answer are one step.
            served = self._serve(nxt, c, pending)
            if served:
                return [(send(c, request, target, a.reply), s, b)  # type: ignore
                        for a, s, b in served]
        return [(send(c, request, target, "(waiting)"), nxt, None)]

    def _serve(self, state: tuple, c: int, client: Client) -> list[Step]:
        """Node client.target handles the client's request, if it can now: a leader appends a
        write or takes a read; any other node redirects to the leader it knows. [] if the
        request must wait (a leader not yet able to serve a read)."""
        r = self.rules
        i = client.target
        node = state[NODES][i]
        s = node.server
        if client.op == READ and (self.reads == "follower" or (
                s.role != Role.LEADER and self.rules.serves_linearizable_read(s.role))):
            return [self._read_reply(state, c, client, i, s.commit_index)]
        if s.role != Role.LEADER:
            hint = node.leader if node.leader != i and self.redirects else NIL
            if hint == NIL:
                nxt = self._give_up(state, c, client, refused=client.value == 0)
                error = "no leader known" if self.redirects else "not the leader"
                return [(act.ClientReply(c, i, f"error: {error}"), nxt, None)]
            # The client retries at the hinted leader at once, within the same deadline.
            nxt = self._with_client(state, c, client._replace(
                target=hint, cached=hint if self.caches else NIL))
            return [(act.ClientReply(c, i, f"redirect to n{hint + 1}"), nxt, None)]
        if client.op == WRITE:
            value = client.value or state[WRITES] + 1  # a retried write keeps its value
            after = srv.client_request(r, i, s, value)
            assert after is not None
            after = srv.settle(r, i, after)
            if not self._in_bounds(after):
                self.full_logs += 1
                return []
            taken = client._replace(accepted=True, index=len(after.log), term=after.term,
                                    value=value, in_cut=bool(state[CUT]))
            nxt = self._with_client(state, c, taken)
            nxt = self._replace(nxt, WRITES, max(value, state[WRITES]))
            nxt = self._observe(nxt, observer.valued, c, value)
            out = []
            for changed in self._server_changed(nxt, i, node, after):
                new = self._new_round(i, changed[NODES][i])
                if new.fsync:
                    new = new._replace(disk=new.fsync)
                out.append((act.ClientReply(c, i, f"appended v{value} at {len(after.log)}"),
                            self._with_node(changed, i, new), self._broken(s, after)))
            return out
        if not self._committed_in_term(s):
            return []  # it does not know yet what is committed: the read waits
        if self.reads == "lease":
            if node.lease == 0:
                return []
            return [self._read_reply(state, c, client, i, s.commit_index)]
        if not self.rules.read_index_confirms_leadership():
            return [self._read_reply(state, c, client, i, s.commit_index)]
        # ReadIndex: record the commit index, confirm leadership with a round of heartbeats.
        taken = client._replace(accepted=True, index=s.commit_index, term=s.term)
        nxt = self._with_client(state, c, taken)
        nxt = self._with_node(nxt, i, self._new_round(i, node))
        return [(act.ClientReply(c, i, f"read index {s.commit_index}: confirming leadership"),
                 nxt, None)]

    def _committed_in_term(self, s: Server) -> bool:
        return s.commit_index > 0 and s.log[s.commit_index - 1][0] == s.term

    def _acknowledge(self, state: tuple, c: int, client: Client) -> Step | None:
        i = client.target
        s = state[NODES][i].server
        if s.role != Role.LEADER or s.term != client.term or not self.rules.write_acknowledged(
                s, client.index):
            return None
        broken = None
        if self._check_minority:
            cut = state[CUT]
            side = cut if cut >> i & 1 else self.everyone & ~cut
            minority = bool(cut) and not self.rules.is_quorum(side)
            if not minority_no_ack(client.in_cut, minority):
                broken = "MinorityNoAck"
        nxt = self._with_client(state, c, client._replace(
            op=IDLE, target=-1, deadline=OFF, cached=i if self.caches else NIL,
            accepted=False))
        nxt = self._replace(nxt, ACKED, state[ACKED] | {(client.index, client.term,
                                                         client.value)})
        nxt = self._observe(nxt, observer.completed, c)
        return act.ClientReply(c, i, f"ok: v{client.value} written"), nxt, broken

    def _answer_read_index(self, state: tuple, c: int, client: Client) -> Step | None:
        i = client.target
        node = state[NODES][i]
        s = node.server
        if s.role != Role.LEADER or s.term != client.term or not self.rules.is_quorum(node.acks):
            return None
        return self._read_reply(state, c, client, i, client.index)

    def _read_reply(self, state: tuple, c: int, client: Client, i: int, upto: int) -> Step:
        """Node i answers the read with the latest value written at or below index upto."""
        log = state[NODES][i].server.log
        index = next((k for k in range(min(upto, len(log)), 0, -1) if log[k - 1][1]), 0)
        value = log[index - 1][1] if index else 0
        broken = None
        if self._check_reads and not linearizable_read(client.after, index):
            broken = "LinearizableReads"
        leader = state[NODES][i].server.role == Role.LEADER
        nxt = self._with_client(state, c, client._replace(
            op=IDLE, target=-1, deadline=OFF,
            cached=i if leader and self.caches else client.cached,
            accepted=False))
        nxt = self._observe(nxt, observer.completed, c, value)
        text = f"read v{value}" + (f" (index {index})" if index else " (initial value)")
        return act.ClientReply(c, i, text), nxt, broken

    # --- the network and time ---------------------------------------------------------------

    def _environment_steps(self, state: tuple) -> list[Step]:
        """What may happen between instants: a server restarts, the network is cut or heals,
        a client sends a request."""
        out: list[Step] = []
        r = self.rules
        restarts_left = (self.bounds.max_restarts is None
                         or state[RESTARTS] < self.bounds.max_restarts)
        for i, node in enumerate(state[NODES]):
            if not restarts_left:
                break
            s = node.server
            after = srv.restart(r, i, s)
            for new in self._reset_election(node._replace(
                    server=after, quiet=0, heartbeat=OFF, check=OFF, lease=0, round=OFF, acks=0,
                    heard=0, unsent=0, leader=NIL, disk=OFF, held=())):
                nxt = self._with_node(state, i, new)
                nxt = self._replace(nxt, RESTARTS, state[RESTARTS] + 1)
                out.append((act.Restart(i), nxt, self._broken(s, after)))
        out += self._network_steps(state)
        for c, client in enumerate(state[CLIENTS]):
            out += self._client_requests(state, c, client)
        return out

    def _network_steps(self, state: tuple) -> list[Step]:
        out: list[Step] = []
        cut = state[CUT]
        if self.config.spec.split:
            return out
        if cut:
            clients = tuple(cl._replace(in_cut=False) for cl in state[CLIENTS])
            nxt = self._replace(self._replace(state, CUT, 0), CLIENTS, clients)
            out.append((act.Heal(), nxt, None))
        elif state[CUTS] < self.bounds.max_partitions:
            for side in cuts(self.n):
                nxt = self._replace(state, CUT, side)
                nxt = self._replace(nxt, CUTS, state[CUTS] + 1)
                kept = frozenset(m for m in state[BAG] if self._reachable(side, m.src, m.dst))
                nxt = self._replace(nxt, BAG, kept)
                nxt = self._replace(nxt, TRANSIT, frozenset(
                    f for f in state[TRANSIT] if self._reachable(side, f[0].src, f[0].dst)))
                out.append((act.Partition((side, self.everyone & ~side)), nxt, None))
        return out

    def _tick(self, state: tuple) -> Step | None:
        """Real time passes to the next instant a timer runs out."""
        deadlines = [timer / node.rate for node in state[NODES]
                     for timer in self._timers(node) if timer > 0]
        deadlines += [cl.deadline for cl in state[CLIENTS] if cl.deadline > 0]
        deadlines += [left for _, left in state[TRANSIT] if left > 0]
        if self.proxied:
            deadlines.append(state[PROXY].poll)
        if not deadlines:
            return None
        elapsed = min(deadlines)

        def later(timer: Any, rate: Fraction) -> Any:
            return timer - rate * elapsed if timer > 0 else timer

        nodes = tuple(
            node._replace(election=later(node.election, node.rate),
                          quiet=later(node.quiet, node.rate),
                          heartbeat=later(node.heartbeat, node.rate),
                          check=later(node.check, node.rate),
                          lease=later(node.lease, node.rate),
                          round=later(node.round, node.rate),
                          disk=later(node.disk, node.rate))
            for node in state[NODES])
        clients = tuple(cl._replace(deadline=later(cl.deadline, Fraction(1)))
                        for cl in state[CLIENTS])
        nxt = self._replace(self._replace(state, NODES, nodes), CLIENTS, clients)
        if self.proxied:
            proxy = state[PROXY]
            nxt = self._replace(nxt, PROXY, proxy._replace(poll=later(proxy.poll, Fraction(1))))
        if state[TRANSIT]:
            nxt = self._replace(nxt, TRANSIT, frozenset(
                (m, later(left, Fraction(1))) for m, left in state[TRANSIT]))
        return act.Tick(str(elapsed)), nxt, None

    @staticmethod
    def _timers(node: Node) -> tuple:
        return (node.election, node.quiet, node.heartbeat, node.check, node.lease, node.round,
                node.disk)

    # --- state plumbing ---------------------------------------------------------------------

    @staticmethod
    def _replace(state: tuple, slot: int, value: Any) -> tuple:
        return (*state[:slot], value, *state[slot + 1:])

    def _with_node(self, state: tuple, i: int, node: Node) -> tuple:
        nodes = state[NODES]
        return self._replace(state, NODES, (*nodes[:i], node, *nodes[i + 1:]))

    def _with_client(self, state: tuple, c: int, client: Client) -> tuple:
        clients = state[CLIENTS]
        return self._replace(state, CLIENTS, (*clients[:c], client, *clients[c + 1:]))

    # --- liveness (spec/timed/liveness.py) --------------------------------------------------

    def fairness_class(self, action: act.Action) -> Hashable | None:
        return liveness.fairness_class(action)

    def predicates(self) -> Mapping[str, Callable[[tuple], bool]]:
        return liveness.PREDICATES

    def liveness_properties(self) -> list[LivenessProperty]:
        return liveness.properties()

    # --- reading a state --------------------------------------------------------------------

    def servers_of(self, state: tuple) -> list[Server]:
        """Each server's Raft variables, in server order (for diagrams)."""
        return [node.server for node in state[NODES]]

    def in_flight(self, state: tuple) -> Counter:
        """The messages in flight, one copy each (for diagrams)."""
        return Counter([*state[BAG], *(m for m, _ in state[TRANSIT])])

    def election_standing(self, state: tuple) -> list[tuple[int, bool]]:
        """Each server's (currentTerm, False), for simulate's walks: here clocks fire a
        timeout when it is due, a vote having restarted the timer (checker/model.py)."""
        return [(node.server.term, False) for node in state[NODES]]

    def budgets(self) -> list[tuple[str, int | None]]:
        """The counters' names and bounds (checker/model.py), in slot order from WRITES."""
        b = self.bounds
        return [("writes", b.max_writes), ("reads", self.config.max_reads),
                ("restarts", b.max_restarts), ("partitions", b.max_partitions),
                ("elections", b.max_elections)]

    def variables(self, state: tuple) -> dict[str, Any]:
        return present.variables(self, state)

    def summary(self, state: tuple) -> dict[str, str]:
        return present.summary(self, state)
