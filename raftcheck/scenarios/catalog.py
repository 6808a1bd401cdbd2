"""The scenarios: claims about Raft in production, each a check that can fail."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from ..checker.properties import leads_to
from ..spec import actions as act
from ..spec.config import Bounds, SpecConfig
from ..spec.invariants import View, committed_never_lost, state_machine_safety
from ..spec.records import Role, bits
from ..spec.timed.config import TimedConfig, Timing
from ..spec.timed.model import CLIENTS, NODES
from ..spec.timed.records import WRITE
from .claims import (
    ERROR,
    OK,
    TIMEOUT,
    Claim,
    ClientOutcomes,
    Phases,
    commits_in,
    committed_entries,
    leaders_in,
    no_state,
    sides,
)
from .proxy import PROXY_CONFIG, ProxyCutOff, fails_then_recovers, stale_write_acked


@dataclass(frozen=True)
class Scenario:
    name: str
    claim: str  # the claim, in the words of the people who make it
    config: SpecConfig | TimedConfig  # a TimedConfig runs the timed model (docs/time.md)
    claims: tuple[Claim, ...]
    observer: Callable[..., Phases] = Phases  # (model, claims, witness=...) -> observer
    properties: tuple[str, ...] = ()  # the spec's own properties checked too (default: all)
    setting: str = ""  # what the runs looked at are, beyond the scope
    notes: tuple[str, ...] = field(default_factory=tuple)
    # The same scenario run with features switched on (`scenario run NAME --prevote ...`):
    # (the flags, in command-line spelling, the scenario then checked).
    variants: tuple[tuple[frozenset[str], Scenario], ...] = ()
    flags: tuple[str, ...] = ()  # the flags this variant was selected with

    @property
    def timed(self) -> bool:
        return isinstance(self.config, TimedConfig)

    @property
    def title(self) -> str:
        return " ".join((self.name, *self.flags))

    def variant(self, flags: Iterable[str]) -> Scenario:
        """This scenario with the features named by flags switched on; KeyError if it has no
        such variant."""
        wanted = frozenset(flags)
        if not wanted:
            return self
        for names, scenario in self.variants:
            if names == wanted:
                return scenario
        raise KeyError(wanted)


# --- minority-halts ---------------------------------------------------------------------------

MINORITY = 0b11000  # n4, n5


def _minority_elects(v: View, phase: Hashable) -> bool:
    return bool(leaders_in(v, sides(v, 5)[0]))


def _minority_commits(v: View, phase: Hashable) -> bool:
    return commits_in(v, sides(v, 5)[0])


def _majority_elects_and_commits(v: View, phase: Hashable) -> bool:
    majority = sides(v, 5)[1]
    return bool(leaders_in(v, majority)) and commits_in(v, majority)


MINORITY_HALTS = Scenario(
    name="minority-halts",
    claim="Five servers split 3|2: the side of two never elects a leader nor commits; the side "
          "of three elects a leader and commits.",
    config=SpecConfig(nodes=5, split=MINORITY, bounds=Bounds(
        max_term=3, max_log=1, max_msgs=1, max_dup=2, max_writes=1, max_restarts=1,
        max_elections=2, max_partitions=0)),
    claims=(
        Claim("MinorityElects", "never", "a server of the side of two becomes leader",
              _minority_elects),
        Claim("MinorityCommits", "never", "a server of the side of two commits an entry",
              _minority_commits),
        Claim("MajorityElectsAndCommits", "can",
              "the side of three elects a leader, which commits a client write",
              _majority_elects_and_commits),
    ),
    setting="the network is cut {n1,n2,n3}|{n4,n5} from the start and never heals",
)


# --- leader-in-minority -----------------------------------------------------------------------

# Phases: (stage, term of the cut-off leader, its log length when cut off, whether it has
# taken a write of its term). No server names: the phase survives renaming (symmetry).
BEFORE_CUT, CUT_OFF, HEALED = 0, 1, 2


class LeaderCutOff(Phases):
    """Follows: a partition cuts a leader off with one follower (the only partition looked at);
    the cut-off leader takes a client write of its term; the network heals (only once it has).
    The never-claims are about the time cut off, so for them runs end at the heal."""

    def start(self, state: tuple) -> Iterable[Hashable]:
        return ((BEFORE_CUT, 0, 0, False),)

    def step(self, phase: Hashable, before: tuple, action: Any,
             after: tuple) -> Iterable[Hashable]:
        stage, term, commit, wrote = phase  # type: ignore[misc]
        if stage == BEFORE_CUT:
            if isinstance(action, act.Timeout) and any(
                    s.term > 1 for s in self.model.view(before).servers):
                return ()  # one election before the cut: the leader to be cut off
            if not isinstance(action, act.Partition):
                return (phase,)
            view = self.model.view(after)
            minority = sides(view, self.model.n)[0]
            leaders = leaders_in(view, minority)
            if minority.bit_count() != 2 or not leaders:
                return ()
            old = view.servers[leaders[0]]
            return ((CUT_OFF, old.term, len(old.log), _has_entry_of(view, old.term)),)
        if stage == CUT_OFF:
            if not self.witness and not self._on_minority_side(action, after):
                # While the network is cut, the two sides evolve independently, sharing only
                # budgets (messages in flight, elections, writes) that the majority side would
                # take from the minority: runs where the majority side stands still reach every
                # state of the minority side that runs where it moves do. The never-claim is
                # about the minority side, so only those runs need checking.
                return ()
            view = self.model.view(after)
            wrote = wrote or _has_entry_of(view, term)
            if isinstance(action, act.Heal):
                return ((HEALED, term, commit, True),) if wrote and self.witness else ()
            return ((CUT_OFF, term, commit, wrote),)
        return (phase,)

    def _on_minority_side(self, action: Any, after: tuple) -> bool:
        who = act.actor(action)
        if who is None:
            return True
        minority = sides(self.model.view(after), self.model.n)[0]
        return bool(minority >> who & 1)


def _has_entry_of(v: View, term: int) -> bool:
    return any(t == term for s in v.servers for t, _ in s.log)


def _old_leader_commits(v: View, phase: Hashable) -> bool:
    stage, term, length_at_cut, _ = phase  # type: ignore[misc]
    if stage != CUT_OFF:
        return False
    minority = sides(v, len(v.servers))[0]
    return any(v.servers[i].role == Role.LEADER and v.servers[i].term == term
               and v.servers[i].commit_index > length_at_cut for i in bits(minority))


def _old_entries_overwritten(v: View, phase: Hashable) -> bool:
    """After the heal, every server has moved past the old term, no entry of the old term is
    left anywhere, and all logs hold the same committed entry of a later term."""
    stage, term, _, _ = phase  # type: ignore[misc]
    if stage != HEALED or _has_entry_of(v, term):
        return False
    logs = {s.log for s in v.servers}
    if len(logs) != 1 or any(s.term <= term for s in v.servers):
        return False
    (log,) = logs
    return bool(log) and log[0][0] > term and (1, log[0]) in committed_entries(v)


LEADER_IN_MINORITY = Scenario(
    name="leader-in-minority",
    claim="The leader is cut off with one follower: the majority elects a new leader at a higher "
          "term; the old leader cannot commit; on heal it sees the higher term, steps down, and "
          "its uncommitted entries are overwritten; nothing committed is lost.",
    config=SpecConfig(nodes=5, bounds=Bounds(
        max_term=3, max_log=1, max_msgs=1, max_dup=2, max_writes=2, max_restarts=0,
        max_elections=2, max_partitions=1)),
    claims=(
        Claim("OldLeaderCommitsNewWrite", "never",
              "the cut-off leader commits a write it took after the cut", _old_leader_commits),
        Claim("OldEntriesOverwritten", "can",
              "after the heal every server is past the old term, the old leader's entries are "
              "gone, and all logs hold the new leader's committed entry", _old_entries_overwritten),
    ),
    observer=LeaderCutOff,
    properties=("CommittedNeverLost", "MinorityNeverCommits", "ElectionSafety",
                "StateMachineSafety", "LeaderCompleteness"),
    setting="one election makes the leader; the one partition looked at cuts it off with one "
            "follower; the cut-off leader "
            "takes a client write of its term before the network heals; the never-claim is "
            "checked in every run up to the heal, the witness is searched past it",
    notes=("Nothing committed is lost: CommittedNeverLost, StateMachineSafety and "
           "LeaderCompleteness are checked in every state of these runs.",
           "\"Cannot commit\" means writes taken after the cut. The cut-off leader CAN still "
           "commit an entry a majority stored before the cut, when the acknowledgement that "
           "completes the count is in flight on its side (try: OldLeaderCommits in "
           "'raftcheck docs scenarios'); that entry is on a majority, so the new leader has "
           "it too.",),
)


# --- split-2-3 --------------------------------------------------------------------------------

DC_A = 0b00011  # n1, n2; DC B is n3, n4, n5
CLIENT_A, CLIENT_B = 0, 1  # c1 runs beside n1 (DC A), c2 beside n3 (DC B)


def _client_saw(client: int, outcomes: int) -> Callable[[View, Hashable], bool]:
    def saw(v: View, phase: Hashable) -> bool:
        return bool(phase[client] & outcomes)  # type: ignore[index]
    return saw


SPLIT_2_3 = Scenario(
    name="split-2-3",
    claim="Five servers, two in DC A and three in DC B, and the link between the DCs is down: "
          "clients in DC A get errors or timeouts for their writes; clients in DC B get their "
          "writes acknowledged.",
    config=TimedConfig(
        spec=SpecConfig(nodes=5, split=DC_A, bounds=Bounds(
            max_term=2, max_log=2, max_msgs=1, max_dup=1, max_writes=2, max_restarts=0,
            max_elections=1, max_partitions=0)),
        timing=Timing(election_min=2, election_max=2, heartbeat=1, client_timeout=3),
        client_homes=(0, 2)),
    claims=(
        Claim("DcAWriteAcked", "never", "client c1 (in DC A, beside n1) gets \"ok\" for a write",
              _client_saw(CLIENT_A, OK)),
        Claim("DcBWriteAcked", "can", "client c2 (in DC B, beside n3) gets \"ok\" for a write",
              _client_saw(CLIENT_B, OK)),
        Claim("DcAError", "can", "client c1 (in DC A) gets an error for a write",
              _client_saw(CLIENT_A, ERROR)),
        Claim("DcATimeout", "can", "client c1 (in DC A) gives up on a write at its deadline",
              _client_saw(CLIENT_A, TIMEOUT)),
    ),
    observer=ClientOutcomes,
    setting="the timed model (election timeout 2, heartbeat 1, client timeout 3; no drift, no "
            "pre-vote); the network is cut {n1,n2}|{n3,n4,n5} from the start and never heals; "
            "client c1 runs beside n1 (reaches DC A only), c2 beside n3 (reaches DC B only); "
            "both write; an outcome is what a request came to: ok, an error, or a timeout",
    notes=("DC B's clients are not guaranteed success: before DC B has a leader, c2 too can "
           "get \"no leader known\" or time out. The claim checked for DC B is that its "
           "writes can be acknowledged; for DC A that they never are.",
           "The write budget (max-writes 2) is shared by the clients, not one per client: some "
           "runs spend both writes on one client. Every order is explored, so each client's "
           "write is looked at in every state the other leaves reachable.",
           "One election in all (max-elections 1): in each run a DC B server or a DC A server "
           "campaigns, not both; both kinds of run are checked."),
)


# --- jitter-without-prevote -------------------------------------------------------------------

# Phases: (BEFORE_REJOIN_CUT,); (ALONE, r): follower r is cut off alone; (REJOINED, r, leader,
# term, origin): the network healed while `leader` led `term` with a quorum that heard it; origin
# is who first moved past `term`: NOBODY yet, r while cut off (CAME_BACK_HIGHER: it rejoined
# with a higher term), r after the heal (REJOINER), or another server (OTHER); (DISRUPTED,
# origin): that leader stopped leading `term` and the higher term came from r. The timed model
# has no symmetry reduction, so phases may name servers.
BEFORE_REJOIN_CUT, ALONE, REJOINED, DISRUPTED = 0, 1, 2, 3
NOBODY, CAME_BACK_HIGHER, REJOINER, OTHER = 0, 1, 2, 3


class FollowerRejoins(Phases):
    """Follows: one election makes a leader; the one partition looked at cuts a follower off
    alone; the network heals while a leader of the majority side's highest term is followed by
    a quorum (runs where it is not are not looked at); then whether that leader is deposed, and
    by whose term. Runs end when the leader stops leading its term."""

    def start(self, state: tuple) -> Iterable[Hashable]:
        return ((BEFORE_REJOIN_CUT,),)

    def step(self, phase: Hashable, before: tuple, action: Any,
             after: tuple) -> Iterable[Hashable]:
        stage = phase[0]  # type: ignore[index]
        nodes = after[NODES]
        if stage == BEFORE_REJOIN_CUT:
            if isinstance(action, act.Timeout | act.PreVoteTimeout) and any(
                    node.server.term > 1 for node in before[NODES]):
                return ()  # one election before the cut: the leader to be disrupted
            if not isinstance(action, act.Partition):
                return (phase,)
            alone = [side for side in action.groups if side.bit_count() == 1]
            if not alone:
                return ()
            (r,) = bits(alone[0])
            if nodes[r].server.role == Role.LEADER or not any(
                    node.server.role == Role.LEADER for node in nodes):
                return ()  # a follower is cut off from a leader
            return ((ALONE, r),)
        if stage == ALONE:
            if not isinstance(action, act.Heal):
                return (phase,)
            r = phase[1]  # type: ignore[index]
            others = [i for i in range(len(nodes)) if i != r]
            term = max(nodes[i].server.term for i in others)
            leaders = [i for i in others if nodes[i].server.role == Role.LEADER
                       and nodes[i].server.term == term]
            if not leaders:
                return ()
            (leader,) = leaders
            followed = sum(1 << i for i in others if nodes[i].server.term == term
                           and (i == leader or nodes[i].leader == leader))
            if not self.model.rules.is_quorum(followed):
                return ()
            origin = CAME_BACK_HIGHER if nodes[r].server.term > term else NOBODY
            return ((REJOINED, r, leader, term, origin),)
        if stage == REJOINED:
            _, r, leader, term, origin = phase  # type: ignore[misc]
            if origin == NOBODY:
                past = [i for i, node in enumerate(nodes) if node.server.term > term]
                if past:
                    origin = REJOINER if r in past else OTHER
            s = nodes[leader].server
            if s.role == Role.LEADER and s.term == term:
                return ((REJOINED, r, leader, term, origin),)
            # Deposed: by the rejoined server's term, or otherwise (not this claim: runs end).
            return ((DISRUPTED, origin),) if origin in (REJOINER, CAME_BACK_HIGHER) else ()
        return ()  # the claim is decided: nothing more to follow


def _disrupted(v: View, phase: Hashable) -> bool:
    return phase[0] == DISRUPTED  # type: ignore[index]


def _came_back_higher_and_disrupted(v: View, phase: Hashable) -> bool:
    return phase == (DISRUPTED, CAME_BACK_HIGHER)


def _jitter(pre_vote: bool, check_quorum: bool, kind: str) -> Scenario:
    flags = (("--prevote",) if pre_vote else ()) + (("--check-quorum",) if check_quorum else ())
    return Scenario(
        name="jitter-without-prevote",
        claim="A follower that lost its leader's heartbeats for a while (cut off, then the "
              "network heals) rejoins with a higher term and deposes a healthy leader: "
              "NoDisruption fails without pre-vote; with pre-vote and check-quorum it holds.",
        config=TimedConfig(
            spec=SpecConfig(nodes=3, bounds=Bounds(
                max_term=5, max_log=0, max_msgs=1, max_dup=1, max_writes=0, max_restarts=0,
                max_elections=4, max_partitions=1)),
            timing=Timing(election_min=2, election_max=3, heartbeat=1),
            clients=0, pre_vote=pre_vote, check_quorum=check_quorum),
        claims=(
            Claim("Disruption", kind,  # type: ignore[arg-type]
                  "NoDisruption broken: after the heal, the leader that led the highest term of "
                  "the majority side with a quorum following it (network whole, no more cuts) "
                  "stops leading that term (steps down or moves to a higher term), and the "
                  "first server to move past that term was the one that had been cut off",
                  _disrupted),
            Claim("RejoinsHigherAndDisrupts", kind,  # type: ignore[arg-type]
                  "the same, with the cut-off server's term already above the leader's when the "
                  "network heals (it campaigned while cut off)", _came_back_higher_and_disrupted),
        ),
        observer=FollowerRejoins,
        setting="the timed model (election timeout drawn from 2..3 at each reset, heartbeat 1, "
                "no drift, no clients; "
                + ("pre-vote and check-quorum" if pre_vote and check_quorum else
                   "pre-vote, no check-quorum" if pre_vote else
                   "check-quorum, no pre-vote" if check_quorum else
                   "no pre-vote, no check-quorum")
                + "); one election makes the leader; the one partition looked at cuts a "
                  "follower off alone; it heals while the leader is followed by a quorum; runs "
                  "end when that leader stops leading its term",
        flags=flags,
    )


JITTER_WITHOUT_PREVOTE = replace(
    _jitter(False, False, "can"),
    variants=((frozenset({"--prevote", "--check-quorum"}), replace(
        _jitter(True, True, "never"),
        notes=("Pre-vote alone is not enough: a leader, and a follower that heard from it "
               "within the minimum election timeout, must also ignore (pre-)vote requests "
               "from a higher term (check-quorum; etcd's inLease, thesis §9.6). Without that "
               "rule for the leader itself, the rejoined server wins the leader's own "
               "pre-vote and its vote request deposes the leader.",))),))


# --- clock-drift-lease ------------------------------------------------------------------------

LEASE_DRIFT = Fraction(1, 3)  # every clock runs at 2/3 or 4/3 of real time
SAFE_LEASE = Fraction(1)  # 2 * (1 - 1/3) / (1 + 1/3): Rules.lease_length, the model's default
NO_MARGIN_LEASE = Fraction(2)  # the election timeout, as if clocks never drifted

#: The scope of the lease cross-check (timing/crosscheck.py, docs/lease.md): one election makes
#: the old leader, one partition cuts it off, a second election makes the new leader, which
#: commits one write; one read.
LEASE_CONFIG = TimedConfig(
    spec=SpecConfig(nodes=3, bounds=Bounds(
        max_term=3, max_log=3, max_msgs=1, max_dup=1, max_writes=1, max_restarts=0,
        max_elections=2, max_partitions=1)),
    timing=Timing(election_min=2, election_max=2, heartbeat=1, drift=LEASE_DRIFT),
    reads="lease")

CLOCK_DRIFT_LEASE = Scenario(
    name="clock-drift-lease",
    claim="Lease reads are stale beyond the drift bound and linearizable within it: with clocks "
          "that drift, a lease as long as the election timeout lets a cut-off leader answer a "
          "read that misses a write a newer leader committed; the lease MIN*(1-D)/(1+D) never "
          "does.",
    config=LEASE_CONFIG,
    claims=(
        Claim("StaleReadWithinBound", "never",
              f"with the lease {SAFE_LEASE} = 2*(1-1/3)/(1+1/3) (the default, "
              "MIN*(1-D)/(1+D)) and clocks drifting up to 1/3, a read returns a value older "
              "than a write acknowledged before the read began (LinearizableReads broken on "
              "the step answering it)", no_state, step_property="LinearizableReads"),
        Claim("StaleReadNoDriftMargin", "can",
              f"with the lease {NO_MARGIN_LEASE}, the election timeout, as if clocks never "
              "drifted (the lease-no-drift-margin rule), and clocks drifting up to 1/3, a read "
              "returns a value older than a write acknowledged before the read began "
              "(LinearizableReads broken)", no_state, step_property="LinearizableReads",
              config=LEASE_CONFIG.with_timing(lease=NO_MARGIN_LEASE)),
    ),
    setting="the timed model with lease reads (election timeout 2, heartbeat 1; drift 1/3: "
            "each clock runs at 2/3 or 4/3 of real time, chosen per server at the start; no "
            "pre-vote, no check-quorum); a writer and a reader client outside the cluster, one "
            "write and one read in all; the never-claim with the lease 1, the can-claim with "
            "the lease 2; the scope of the lease cross-check ('raftcheck docs lease')",
    notes=("The boundary is safe: with the lease 1, the old leader's lease (1 on its clock at "
           "2/3) and a voter's wait since that round (2 on its clock at 4/3) end at the same "
           "real instant, 3/2, and a read must come after the new leader's commit. z3 "
           "(`raftcheck lease`) proves the same bound for every clock behaviour, not only "
           "these two rates.",),
)


# --- slow-leader-disk -------------------------------------------------------------------------

SLOW = 0b001  # n1's disk is slow


def _write_pending_at(slow: bool) -> Callable[[tuple], bool]:
    """A leader whose disk is slow (or fast) took a client's write, not yet acknowledged."""
    def pending(state: tuple) -> bool:
        nodes = state[NODES]
        return any(c.op == WRITE and c.accepted and bool(nodes[c.target].fsync) == slow
                   for c in state[CLIENTS])
    return pending


def _slow_disk(fsync: int) -> TimedConfig:
    return TimedConfig(
        spec=SpecConfig(nodes=3, bounds=Bounds(
            max_term=5, max_log=1, max_msgs=1, max_dup=1, max_writes=1, max_restarts=0,
            max_elections=None, max_partitions=0)),
        timing=Timing(election_min=2, election_max=3, heartbeat=1, fsync=fsync,
                      slow_disks=SLOW),
        clients=1)


SLOW_LEADER_COMMITS = leads_to("SlowLeaderWriteCommits", _write_pending_at(True),
                               "WriteCommitted", assume="Healed")
FAST_LEADER_COMMITS = leads_to("FastLeaderWriteCommits", _write_pending_at(False),
                               "WriteCommitted", assume="Healed")

SLOW_LEADER_DISK = Scenario(
    name="slow-leader-disk",
    claim="A slow disk hurts on the leader, not on a follower: a leader whose log write takes "
          "longer than the election timeout sends no heartbeat meanwhile, is replaced, and the "
          "write it took is never committed; the same disk on a follower does not stop a "
          "leader's writes from committing.",
    config=_slow_disk(fsync=4),
    claims=(
        Claim("SlowLeaderWriteNeverCommits", "lasso",
              "with n1's fsync 4 ticks (election timeout 2..3), a write n1 took as leader is "
              "never committed (EventuallyCommits broken: a lasso)", no_state,
              liveness=SLOW_LEADER_COMMITS),
        Claim("SlowFollowerDoesNotStopCommits", "live",
              "with the same disk on n1, a write a leader with a fast disk took is always "
              "committed in the end", no_state, liveness=FAST_LEADER_COMMITS),
        Claim("ShortFsyncCommits", "live",
              "with n1's fsync 1 tick, shorter than the election timeout, even a write n1 took "
              "as leader is always committed in the end", no_state,
              liveness=SLOW_LEADER_COMMITS, config=_slow_disk(fsync=1)),
    ),
    setting="the timed model (election timeout drawn from 2..3 at every reset, heartbeat 1, no "
            "drift, no pre-vote, no check-quorum); n1's disk slow: while a log write is in "
            "progress its loop is blocked, and a follower acknowledges only once the write is "
            "durable; one client outside the cluster, one write; no partition, no restart. "
            "Liveness under fairness ('raftcheck docs liveness'): terms relative (max-term 5: at "
            "most 5 apart), no election budget, timeouts random draws, Tick strongly and every due "
            "step weakly fair",
    notes=("Why no repeated elections: after the slow leader is replaced, the new leader's "
           "disk is fast, so it stays; the write the slow leader took stays in its log, "
           "uncommitted, because the new leader has no entry of its own term to commit it "
           "with. A client that retries gets its next write committed by the new leader.",),
)


# --- proxy-stale-leader (scenarios/proxy.py) ----------------------------------------------------

PROXY_STALE_LEADER = Scenario(
    name="proxy-stale-leader",
    claim="Clients behind a proxy that routes by the cluster's health API: after the leader "
          "is cut off, writes through the proxy fail or time out until its next poll finds "
          "the new leader; no write acknowledged through the proxy is ever lost.",
    config=PROXY_CONFIG,
    claims=(
        Claim("StaleLeaderAcks", "never",
              "while the cut lasts, the cut-off leader the proxy still forwards to "
              "acknowledges a write", stale_write_acked),
        Claim("FailsUntilPollThenAcks", "can",
              "a write the proxy forwards to the cut-off leader fails or times out; a poll "
              "moves the proxy to the new leader; a write through it is then acknowledged",
              fails_then_recovers),
    ),
    observer=ProxyCutOff,
    properties=("AckedWriteNeverLost", "MinorityNoAck", "CommittedNeverLost",
                "ElectionSafety", "StateMachineSafety"),
    setting="the timed model (election timeout 2, heartbeat 1, client timeout 4; no drift, "
            "no pre-vote); one client, outside the cluster, talks only to a proxy that "
            "polls every node's health every 2 ticks (its first poll at any instant within "
            "that) and forwards to the leader of the highest term it saw; two writes, one "
            "partition; the runs looked at are those where the partition cuts off the "
            "leader the proxy forwards to, in the minority, up to the heal",
    notes=("AckedWriteNeverLost and MinorityNoAck are checked in every state of these runs: "
           "every write acknowledged through the proxy is on a quorum and in every later "
           "leader's log.",
           "How long the proxy keeps sending writes to the old leader is bounded by its poll "
           "period and the election timeout, not by the client: a client with a shorter "
           "timeout sees more of them time out."),
)


# --- membership-bug ---------------------------------------------------------------------------


def _two_leaders_one_term(v: View, phase: Hashable) -> bool:
    terms = [s.term for s in v.servers if s.role == Role.LEADER]
    return len(terms) != len(set(terms))


class NoLostMessages(Phases):
    """The witness search looks at runs in which the network loses no message (the bug needs
    none lost); the never-claims look at every run."""

    def step(self, phase: Hashable, before: tuple, action: Any,
             after: tuple) -> Iterable[Hashable]:
        if self.witness and isinstance(action, act.DropMessage):
            return ()
        return (phase,)


def _membership_scope(mutant: str | None) -> SpecConfig:
    """Four servers, all voters at the start; single-server changes, two in all; terms up to
    4, four elections, no client write, one message in flight, no restart, no partition."""
    return SpecConfig(nodes=4, membership="single", max_config_changes=2, mutant=mutant,
                      bounds=Bounds(max_term=4, max_log=1, max_msgs=1, max_dup=1, max_writes=0,
                                    max_restarts=0, max_elections=4, max_partitions=0))


MEMBERSHIP_BUG = Scenario(
    name="membership-bug",
    claim="The single-server membership change bug (Ongaro, raft-dev, 2015): two single-server "
          "changes, the first left uncommitted across a leader change, give two disjoint "
          "majorities, and two leaders of one term; with the fix (a leader changes the "
          "configuration only after committing an entry of its own term) it never happens.",
    config=_membership_scope(None),
    claims=(
        Claim("TwoLeadersOneTerm", "never",
              "with the fix, two servers are leaders of the same term", _two_leaders_one_term),
        Claim("TwoLeadersOneTermWithoutFix", "can",
              "without the fix (the change-before-commit-in-term rule), two servers are "
              "leaders of the same term, each elected by a majority of its own configuration",
              _two_leaders_one_term, config=_membership_scope("change-before-commit-in-term")),
    ),
    observer=NoLostMessages,
    setting="single-server changes are in force once appended, at most one uncommitted "
            "(dissertation §4.1, hashicorp/raft); the witness is searched in runs where no "
            "message is lost, the never-claim is checked in every run",
    notes=("The witness: n1 (term 2) appends a removal of n3 that only n1 holds; n2 (term 3) "
           "appends a removal of n4 and commits it with n3; then n1 is elected in term 4 by "
           "n4, a majority of {n1,n2,n4}, and n3 by n2, a majority of {n1,n2,n3}.",
           "What the never-claim covers: at this scope there are no client writes, so with "
           "the fix no leader ever commits an entry of its own term and none changes the "
           "configuration: the bug's first move is refused. The fixed rule with changes "
           "actually made is checked where a leader can commit a write first (the scope of "
           "the two-changes-in-flight mutant, tests/test_membership.py: changes commit and "
           "every property holds); the four-server scope with two writes is out of reach of "
           "an exhaustive search here (millions of states per write).",),
)


# --- snapshot-catchup -------------------------------------------------------------------------


def _committed_entry_lost(v: View, phase: Hashable) -> bool:
    """A committed entry is no longer on a quorum, or two servers applied different entries
    at one index (CommittedNeverLost or StateMachineSafety broken)."""
    return not (committed_never_lost(v) and state_machine_safety(v))


def _caught_up_by_snapshot(v: View, phase: Hashable) -> bool:
    return bool(phase)


class SnapshotInstalls(Phases):
    """The phase is whether a follower has caught up by a snapshot: it installed one that
    brought it entries it did not hold (its log was shorter, or it conflicted)."""

    def start(self, state: tuple) -> Iterable[Hashable]:
        return (False,)

    def step(self, phase: Hashable, before: tuple, action: Any,
             after: tuple) -> Iterable[Hashable]:
        if phase or action.name != "HandleInstallSnapshotRequest":
            return (phase,)
        i = action.message.dst
        old = self.model.servers_of(before)[i]
        new = self.model.servers_of(after)[i]
        last = len(action.message.entries)
        return (new.snapshot_index == last and old.log[:last] != new.log[:last],)


def _snapshot_scope(mutant: str | None) -> SpecConfig:
    return SpecConfig(nodes=3, max_snapshots=1, mutant=mutant, bounds=Bounds(
        max_term=2, max_log=2, max_msgs=2, max_dup=2, max_writes=2, max_restarts=0,
        max_elections=1, max_partitions=0))


SNAPSHOT_CATCHUP = Scenario(
    name="snapshot-catchup",
    claim="A follower that missed entries the leader has compacted catches up from the "
          "leader's snapshot, keeping what follows a matching snapshot and discarding what "
          "conflicts, and no committed entry is lost; a follower that installs a snapshot "
          "older than what it has (no staleness check) loses committed entries.",
    config=_snapshot_scope(None),
    claims=(
        Claim("SnapshotLosesCommitted", "never",
              "a committed entry is no longer stored on a quorum, or two servers applied "
              "different entries at one index", _committed_entry_lost),
        Claim("CatchesUpBySnapshot", "can",
              "a follower installs the leader's snapshot and so gets entries it did not hold",
              _caught_up_by_snapshot),
        Claim("OlderSnapshotLosesCommitted", "can",
              "with the installs-older-snapshot rule, a follower that installs a delayed "
              "snapshot loses a committed entry", _committed_entry_lost,
              config=_snapshot_scope("installs-older-snapshot")),
    ),
    observer=SnapshotInstalls,
    setting="a snapshot compacts up to the commit index; the network may deliver a message "
            "more than once, so a snapshot can arrive after entries sent after it",
    notes=("A snapshot is the state machine: in this model, the values applied. A server's "
           "log stays the logical one: the properties read compacted entries, no action "
           "does (tests/test_snapshots.py replaces them and sees no difference).",),
)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (MINORITY_HALTS, LEADER_IN_MINORITY,
                                                      SPLIT_2_3, SLOW_LEADER_DISK,
                                                      JITTER_WITHOUT_PREVOTE,
                                                      CLOCK_DRIFT_LEASE, MEMBERSHIP_BUG,
                                                      SNAPSHOT_CATCHUP,
                                                      PROXY_STALE_LEADER)}

#: Claims of the issue that wait for parts of the spec not built yet: name -> what they need.
PLANNED: dict[str, str] = {}
