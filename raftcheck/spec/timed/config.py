"""What the timed model runs with: timeouts, drift, the read path, the features, the clients.

All durations are in ticks of a node's own clock; drift is a rate (1/10: a clock gains or loses
up to a tenth of a tick per tick of real time).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

from ..config import Bounds, ConfigError, SpecConfig
from .routing import DEFAULT_ROUTING, PROXY, routing_error

READ_MODES = ("none", "index", "lease", "follower")


@dataclass(frozen=True)
class Timing:
    election_min: int = 4  # a follower's election timeout is drawn from [min, max] at every reset
    election_max: int = 4
    heartbeat: int = 2  # a leader starts a heartbeat round every `heartbeat` ticks
    drift: Fraction = Fraction(0)  # every clock runs at a rate within [1 - drift, 1 + drift]
    lease: Fraction | None = None  # None: the spec's own lease length (Rules.lease_length)
    client_timeout: int = 6  # a client gives up on a request after this long (real time)
    fsync: int = 0  # ticks a log write takes on a slow disk (0: instant)
    slow_disks: int = 0  # bit set of the nodes whose disk is slow (fsync > 0 applies to them)
    jitter: int = 0  # a message arrives within this much real time of its send (0: at once)


@dataclass(frozen=True)
class TimedConfig:
    spec: SpecConfig = field(default_factory=SpecConfig)
    timing: Timing = field(default_factory=Timing)
    reads: str = "none"
    pre_vote: bool = False
    check_quorum: bool = False
    clients: int | None = None  # None: two where reads are checked (writer, reader), else one
    # Where each client runs: beside a node (its index: it reaches that node's side of a cut)
    # or outside the cluster (-1: it reaches every node). None: all outside.
    client_homes: tuple[int, ...] | None = None
    max_reads: int = 1  # reads invoked in all
    # Whether single messages between connected servers may be lost. Off, the network loses
    # only what crosses a partition: a cut is the loss that matters for time (docs/time.md).
    lossy: bool = False
    # For liveness (spec/timed/liveness.py): terms are relative, so repeated elections can
    # cycle. max_term then bounds the spread of terms in a state (highest - lowest + 1), and no
    # election budget is allowed (max_elections None).
    relative_terms: bool = False
    # A client whose write timed out or was refused sends the same write again, RETRY_AFTER
    # ticks later, until it is acknowledged (retries are not counted by max_writes).
    retry_writes: bool = False
    # How requests find the leader (routing.py): redirect, cache, proxy.
    routing: tuple[str, ...] = DEFAULT_ROUTING
    proxy_poll: int = 2  # with a proxy: it polls the nodes' health every this many ticks

    @property
    def proxied(self) -> bool:
        return PROXY in self.routing

    @property
    def nodes(self) -> int:
        return self.spec.nodes

    @property
    def bounds(self) -> Bounds:
        return self.spec.bounds

    @property
    def client_count(self) -> int:
        if self.client_homes is not None:
            return len(self.client_homes)
        if self.clients is not None:
            return self.clients
        return 2 if self.reads != "none" else 1

    def homes(self) -> tuple[int, ...]:
        if self.client_homes is not None:
            return self.client_homes
        return (-1,) * self.client_count

    @property
    def quiet_votes(self) -> bool:
        """Whether a follower that heard from a leader within the minimum election timeout
        ignores vote requests (etcd's check-quorum rule; also what makes leases sound)."""
        return self.check_quorum or self.reads == "lease"

    @property
    def noop_on_election(self) -> bool:
        """A new leader appends an empty entry, so that it learns what is committed (thesis
        §6.4): needed by the read paths that serve at the leader's commit index."""
        return self.reads in ("index", "lease")

    def validate(self) -> TimedConfig:
        self.spec.validate()
        t = self.timing
        if self.spec.profile != "raftcheck":
            raise ConfigError("time, clients and reads need the raftcheck profile")
        if self.spec.membership or self.spec.snapshots:
            raise ConfigError("membership changes and snapshots are in the untimed model only "
                              "(drop the time, client and read flags)")
        if self.spec.bounds.max_candidates is not None:
            raise ConfigError("--max-candidates bounds the untimed model; in the timed model "
                              "every server's election timer runs")
        if self.spec.bounds.max_drops is not None:
            raise ConfigError("--max-drops bounds the untimed model's network; the timed model "
                              "loses messages only with --lossy")
        if self.spec.bounds.max_links is not None:
            raise ConfigError("--max-links bounds the untimed model's network; the timed model "
                              "bounds messages in flight by --max-msgs alone")
        if self.reads not in READ_MODES:
            raise ConfigError(f"unknown read mode {self.reads!r}; choose one of "
                              f"{', '.join(READ_MODES)}")
        if not 1 <= t.election_min <= t.election_max:
            raise ConfigError("--election-timeout must be MIN[,MAX] with 1 <= MIN <= MAX, got "
                              f"{t.election_min},{t.election_max}")
        if t.election_max - t.election_min > 4:
            raise ConfigError("--election-timeout: at most 5 values in the range, got "
                              f"{t.election_min}..{t.election_max} (each is a branch)")
        if t.heartbeat < 1:
            raise ConfigError(f"--heartbeat must be at least 1 tick, got {t.heartbeat}")
        if not 0 <= t.drift < 1:
            raise ConfigError(f"--drift must be in [0, 1), got {t.drift}")
        if t.lease is not None and t.lease <= 0:
            raise ConfigError(f"--lease must be positive, got {t.lease}")
        if t.client_timeout < 1:
            raise ConfigError(f"--client-timeout must be at least 1 tick, got {t.client_timeout}")
        if t.fsync < 0:
            raise ConfigError(f"--fsync must be >= 0, got {t.fsync}")
        if not 0 <= t.jitter <= 3:
            raise ConfigError(f"--jitter must be between 0 and 3 ticks, got {t.jitter}")
        if not 0 <= t.slow_disks < 1 << self.nodes:
            raise ConfigError("--slow-disk names a node the cluster does not have")
        if not 0 <= self.client_count <= 3:
            raise ConfigError(f"--clients must be between 0 and 3, got {self.client_count}")
        if any(not -1 <= home < self.nodes for home in self.homes()):
            raise ConfigError("a client's home must be a node of the cluster (or outside: -1)")
        problem = routing_error(tuple(self.routing))
        if problem:
            raise ConfigError(f"--routing: {problem}")
        if self.proxy_poll < 1:
            raise ConfigError(f"--proxy-poll must be at least 1 tick, got {self.proxy_poll}")
        if self.max_reads < 0:
            raise ConfigError(f"--max-reads must be >= 0, got {self.max_reads}")
        if self.relative_terms and self.bounds.max_term < 2:
            raise ConfigError("relative terms (liveness): --max-term bounds how far apart terms "
                              "are and must be at least 2, or no election could happen")
        if self.relative_terms and self.bounds.max_elections is not None:
            raise ConfigError("relative terms (liveness) bound the spread of terms, not the "
                              "number of elections: --max-elections must be unbounded")
        return self

    def with_timing(self, **changes: object) -> TimedConfig:
        return replace(self, timing=replace(self.timing, **changes))


def timed_defaults(nodes: int, reads: str = "none") -> Bounds:
    """The small scope of the timed model: a leader can be deposed once (terms 1..3), one
    partition; one write and one restart. Where reads are checked, two writes (and, with
    COMMAND_LINE_READS, two reads: a read that goes back in time is reachable), room in the log
    for them and each new leader's empty entry, and no restart (a restart with two writes and
    two reads multiplies the states by five: docs/clients.md)."""
    if reads != "none":
        return Bounds(max_term=3, max_log=4 if reads in ("index", "lease") else 2, max_msgs=1,
                      max_dup=1, max_writes=2, max_restarts=0, max_elections=2,
                      max_partitions=1)
    return Bounds(max_term=3, max_log=1, max_msgs=1, max_dup=1, max_writes=1,
                  max_restarts=1 if nodes < 5 else 0, max_elections=2, max_partitions=1)


def liveness_config(config: TimedConfig) -> TimedConfig:
    """The configuration liveness is checked on: terms relative and no election budget (the
    behaviours that matter elect again and again), otherwise the same."""
    bounds = replace(config.bounds, max_elections=None)
    return replace(config, spec=replace(config.spec, bounds=bounds), relative_terms=True)


def mutant_config(name: str, *, broken: bool = True) -> TimedConfig:
    """The timed model at a timed mutant's own scope: with its broken rule, or (broken=False)
    the correct spec at the same scope."""
    from ..mutants import MUTANTS  # the registry imports the spec's rules

    m = MUTANTS[name]
    if m.timed is None:
        raise ConfigError(f"mutant {name} is not a mutant of the timed model")
    options = dict(m.timed)
    timing = Timing(**options.pop("timing", {}))
    spec = SpecConfig(nodes=m.nodes, bounds=Bounds(**m.bounds), mutant=name if broken else None)
    return TimedConfig(spec=spec, timing=timing, **options)


#: Reads invoked in all at the command line, where reads are checked.
COMMAND_LINE_READS = 2
#: The timed model's timing at the command line: small numbers keep time exhaustive.
COMMAND_LINE_TIMING = dict(election_min=2, election_max=2, heartbeat=1)
#: With liveness, a fixed timeout can split votes forever; Raft randomises it (§5.2).
LIVENESS_ELECTION_TIMEOUT = (2, 3)


def merged_timed_config(
    *, nodes: int | None, mutant: str | None = None, bounds: dict[str, int | None] | None = None,
    timing: dict | None = None, election_timeout: tuple[int, int] | None = None,
    slow_disks: list[int] | None = None, liveness: bool = False, reads: str | None = None,
    pre_vote: bool = False, check_quorum: bool = False, clients: int | None = None,
    max_reads: int | None = None, lossy: bool = False, retry_writes: bool = False,
    routing: tuple[str, ...] | None = None, proxy_poll: int | None = None,
) -> TimedConfig:
    """The timed configuration a command line asks for: a timed mutant's own (mutant_config)
    or the command-line defaults, then each option given over it (None: not given). timing
    holds the Timing fields given; slow_disks the nodes named slow."""
    from ..mutants import MUTANTS  # the registry imports the spec's rules

    known = MUTANTS.get(mutant) if mutant else None
    if nodes is None:
        nodes = known.nodes if known else 3
    if known and known.timed is not None:
        base = mutant_config(mutant)  # type: ignore[arg-type]
        base = replace(base, spec=replace(base.spec, nodes=nodes))
    else:
        base = TimedConfig(
            spec=SpecConfig(nodes=nodes, bounds=timed_defaults(nodes, reads or "none"),
                            mutant=mutant),
            timing=Timing(**COMMAND_LINE_TIMING), max_reads=COMMAND_LINE_READS)
    chosen = dict(bounds or {})
    timing = dict(timing or {})
    if election_timeout:
        timing["election_min"], timing["election_max"] = election_timeout
    elif liveness:
        timing["election_min"], timing["election_max"] = LIVENESS_ELECTION_TIMEOUT
    if timing.get("fsync") and slow_disks is None:
        timing["slow_disks"] = (1 << nodes) - 1
    for node in slow_disks or ():
        if node >= nodes:
            raise ConfigError(f"--slow-disk n{node + 1}: the cluster has {nodes} nodes")
        timing["slow_disks"] = timing.get("slow_disks", base.timing.slow_disks) | 1 << node
    if liveness:
        if "max_restarts" not in chosen:
            chosen["max_restarts"] = 0  # liveness: one partition, no restart (docs/liveness.md)
        if chosen.get("max_elections") is not None:
            raise ConfigError("--max-elections: liveness has no election budget (behaviours "
                              "that matter elect again and again); --max-term bounds how far "
                              "apart terms are")
        base = liveness_config(base)
    return replace(
        base, spec=replace(base.spec, bounds=replace(base.spec.bounds, **chosen)),
        timing=replace(base.timing, **timing), reads=reads or base.reads,
        pre_vote=pre_vote or base.pre_vote,
        check_quorum=check_quorum or base.check_quorum,
        clients=base.clients if clients is None else clients,
        max_reads=base.max_reads if max_reads is None else max_reads,
        lossy=lossy or base.lossy,
        retry_writes=retry_writes or base.retry_writes,
        routing=base.routing if routing is None else routing,
        proxy_poll=base.proxy_poll if proxy_poll is None else proxy_poll,
    ).validate()
