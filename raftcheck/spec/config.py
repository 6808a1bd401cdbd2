"""What to model: the number of servers, the bounds of the small scope, the profile, the mutant.

Two profiles configure the one spec:

- ``raftcheck`` (default): raft.tla's actions, plus network partitions and heal, with client
  writes, restarts and partitions counted and bounded, and a ``committed`` history variable
  for the invariants about committed entries. raft.tla's own history variables are left out.
- ``raft-tla``: exactly Ongaro's raft.tla: its variables (history variables elections, allLogs,
  voterLog and the messages' mlog included), its actions, no partitions, unbounded restarts,
  client requests drawn from a set of ``values``; the bounds are TLC-style state constraints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

from ..exit_codes import UsageError

PROFILES = ("raftcheck", "raft-tla")
MAX_NODES = 7


class ConfigError(UsageError, ValueError):
    """A bound or option that makes no model; the message is one line, fit for a user."""


@dataclass(frozen=True)
class Bounds:
    """The small scope. A state outside these bounds is neither counted nor explored. The
    field defaults are the base scope mutants and tests build on; the command line's default
    scope is profile_defaults'."""

    max_term: int = 3  # every currentTerm <= max_term (terms start at 1, as in raft.tla)
    max_log: int = 1  # every log length <= max_log
    max_msgs: int = 2  # messages in flight, multiplicities summed <= max_msgs
    # raft-tla: copies of any one message in flight <= max_dup. raftcheck profile: copies are
    # not counted; 1 turns duplication off, 2 or more lets a delivery keep the message in flight.
    max_dup: int = 2
    # Pairs of servers with messages in flight between them at once (None: any). With 1, all
    # messages in flight are between the same two servers: they may still overtake each other
    # (reordering) but no two exchanges run side by side.
    max_links: int | None = None
    max_writes: int | None = 1  # client requests accepted in all (None: unbounded)
    max_restarts: int | None = 1  # server restarts in all (None: unbounded)
    max_elections: int | None = 2  # elections started (Timeout steps) in all (None: unbounded)
    max_partitions: int = 1  # partition events in all (each may be healed)
    # Servers that may start elections: n1..nN alone time out (None: all). Servers are
    # interchangeable, so up to a renaming this is "at most N distinct servers ever stand";
    # symmetry then renames within the two groups only (spec/symmetry.py).
    max_candidates: int | None = None
    # Messages the network loses (DropMessage steps) in all (None: unbounded). Responses their
    # recipient can only discard still vanish (spec/model.py): that loses nothing.
    max_drops: int | None = None


@dataclass(frozen=True)
class SpecConfig:
    nodes: int = 3
    profile: str = "raftcheck"
    bounds: Bounds = field(default_factory=Bounds)
    values: int = 1  # raft-tla: the size of the set Value of client requests
    mutant: str | None = None
    # A bit set of servers cut off from the rest from the start, for good: the network never
    # heals and no other partition happens (scenarios such as minority-halts). 0: no such cut.
    split: int = 0
    # Membership changes (spec/membership.py): None, the cluster is fixed; "single": single-
    # server changes (dissertation, hashicorp/raft); "joint": etcd-io/raft's, joint included.
    membership: str | None = None
    # With membership changes: servers n1..nN are the voters at the start, the others start
    # outside the cluster, waiting to be added (None: every server is a voter).
    initial_voters: int | None = None
    max_config_changes: int = 2  # configuration entries appended in all
    max_snapshots: int = 0  # snapshots taken in all (spec/snapshots.py); 0: no snapshots

    @property
    def history(self) -> bool:
        """Whether raft.tla's history variables (elections, allLogs, voterLog, mlog) are kept."""
        return self.profile == "raft-tla"

    @property
    def realistic(self) -> bool:
        """Whether servers behave as implementations do where raft.tla is looser without
        consequence: a new candidate votes for itself at once (raft.tla sends itself a
        RequestVote), and role variables are cleared when the role ends (see rules.Rules)."""
        return self.profile == "raftcheck"

    @property
    def tracks_committed(self) -> bool:
        """Whether the ``committed`` history variable is kept (raftcheck profile)."""
        return self.profile == "raftcheck"

    @property
    def snapshots(self) -> bool:
        return self.max_snapshots > 0

    @property
    def voters_at_start(self) -> int:
        """The voters of the initial configuration, a bit set."""
        return (1 << (self.nodes if self.initial_voters is None else self.initial_voters)) - 1

    def validate(self) -> SpecConfig:
        from .membership import MODES
        from .mutants import MUTANTS  # the registry imports this module

        b = self.bounds
        if self.profile not in PROFILES:
            raise ConfigError(
                f"unknown profile {self.profile!r}; choose one of {', '.join(PROFILES)}")
        if not 1 <= self.nodes <= MAX_NODES:
            raise ConfigError(f"--nodes must be between 1 and {MAX_NODES}, got {self.nodes}")
        if b.max_term < 1:
            raise ConfigError(f"--max-term must be at least 1 (terms start at 1), got {b.max_term}")
        for name in ("max_log", "max_msgs", "max_partitions"):
            if getattr(b, name) < 0:
                raise ConfigError(
                    f"--{name.replace('_', '-')} must be >= 0, got {getattr(b, name)}")
        if b.max_dup < 1:
            raise ConfigError(
                f"--max-dup must be at least 1 (a sent message has one copy), got {b.max_dup}")
        for name in OPTIONAL_BOUNDS:
            value = getattr(b, name)
            if value is not None and value < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 0, got {value}")
        if b.max_links is not None and b.max_links < 1:
            raise ConfigError(
                f"--max-links must be at least 1 (or 'none': any), got {b.max_links}")
        if self.values < 1:
            raise ConfigError(f"--values must be at least 1, got {self.values}")
        if self.profile == "raft-tla" and b.max_drops is not None:
            raise ConfigError("--max-drops is not a raft.tla bound (its network loses "
                              "messages without counting them)")
        if self.profile == "raft-tla" and b.max_partitions:
            raise ConfigError(
                "raft.tla has no partitions: --max-partitions must be 0 with --profile raft-tla")
        if self.split and not 0 < self.split < (1 << self.nodes) - 1:
            raise ConfigError("a split must leave servers on both sides")
        if self.split and self.profile == "raft-tla":
            raise ConfigError("raft.tla has no partitions: no split with --profile raft-tla")
        if self.membership is not None and self.membership not in MODES:
            raise ConfigError(f"unknown membership {self.membership!r}; choose one of "
                              f"{', '.join(MODES)}")
        if (self.membership or self.snapshots) and self.profile != "raftcheck":
            raise ConfigError("membership changes and snapshots need --profile raftcheck "
                              "(raft.tla has neither)")
        if self.initial_voters is not None:
            if self.membership is None:
                raise ConfigError("--initial-voters needs --membership: a fixed cluster has "
                                  "every server a voter")
            if not 1 <= self.initial_voters <= self.nodes:
                raise ConfigError(f"--initial-voters must be between 1 and --nodes "
                                  f"({self.nodes}), got {self.initial_voters}")
        if self.max_config_changes < 0 or self.max_snapshots < 0:
            raise ConfigError("--max-config-changes and --max-snapshots must be >= 0")
        if self.mutant is not None and self.mutant not in MUTANTS:
            raise ConfigError(
                f"unknown mutant {self.mutant!r}; choose one of {', '.join(sorted(MUTANTS))}")
        return self

    def with_bounds(self, **changes: int | None) -> SpecConfig:
        return replace(self, bounds=replace(self.bounds, **changes))


def profile_defaults(profile: str, nodes: int = 3) -> Bounds:
    """The bounds a profile starts from; the CLI overrides them flag by flag."""
    if profile == "raft-tla":
        return Bounds(max_term=2, max_log=0, max_msgs=1, max_dup=1, max_writes=None,
                      max_restarts=None, max_elections=None, max_partitions=0)
    if nodes == 4:
        return Bounds()
    if nodes >= 5:
        # Five servers with two messages in flight anywhere is 50 million states (39 minutes
        # on two cores; README, "Speed"). Two in flight between one pair of servers keeps the
        # reordering in 2.4 million (under two minutes).
        return Bounds(max_links=1)
    return DEEP_DEFAULT


#: The default scope of up to three servers (four take the base scope, Bounds()): deep enough
#: for every safety bug the mutants stand for that three servers can show (tests/test_mutants.py
#: runs each at these bounds): two writes, so logs can disagree (a missing consistency check);
#: four elections, terms up to 5 (the Raft paper's Figure 8); two messages in flight, so one can
#: overtake the other (a stale AppendEntries). To keep the whole search near a minute, the two
#: messages travel between one pair of servers at a time, none is duplicated, and there are no
#: partitions (a partition only loses messages, which single drops do too) and no restarts
#: (one restart triples the scope: 2.4 million states). scope_limits says what this leaves out;
#: measured in the README, "Default scopes".
DEEP_DEFAULT = Bounds(max_term=5, max_log=1, max_msgs=2, max_dup=1, max_links=1, max_writes=2,
                      max_restarts=0, max_elections=4, max_partitions=0)


BOUND_NAMES = tuple(f.name for f in fields(Bounds))
#: The bounds left out of the scope line while absent: absent is no bound at all by default.
SILENT_WHEN_ABSENT = ("max_links", "max_candidates", "max_drops")
#: The bounds that may be absent (None: no bound), whose flags also take 'none'. raft.tla has
#: none of them.
OPTIONAL_BOUNDS = tuple(f.name for f in fields(Bounds) if "None" in str(f.type))


def describe_bounds(bounds: Bounds, profile: str = "raftcheck") -> str:
    """The bounds as the flags say them. An absent bound is left out where it is no bound at
    all by default: --max-links, --max-candidates, --max-drops, and raft.tla's writes, restarts and
    elections."""
    return ", ".join(
        f"{name.replace('_', '-')} {'none' if value is None else value}"
        for name, value in asdict(bounds).items()
        if value is not None or (profile != "raft-tla" and name not in SILENT_WHEN_ABSENT))


#: Elections the Raft paper's Figure 8 needs: an entry of term 2 is committed by counting in
#: term 4 and overwritten by the leader of term 5, whose entry is from term 3.
FIGURE8_ELECTIONS = 4


def scope_limits(bounds: Bounds, nodes: int) -> list[str]:
    """What a HOLDS at these bounds cannot speak for: the kinds of behaviour the bounds leave
    out, each with the flag that lets them in. Said in the verdict and in the README."""
    b = bounds
    out = []
    if b.max_log == 0 or b.max_writes == 0:
        out.append("no client writes: replication, commits and log conflicts cannot show "
                   "(raise --max-writes and --max-log)")
    elif b.max_writes == 1:
        out.append("one client write: no two logs can disagree, so no log conflict (Figure 8, "
                   "a missing consistency check) can show; use --max-writes 2 or simulate")
    elections = b.max_term - 1 if b.max_elections is None else min(b.max_elections,
                                                                   b.max_term - 1)
    if nodes >= 3 and elections < FIGURE8_ELECTIONS and b.max_writes != 0 and b.max_log > 0:
        out.append(f"at most {elections} election(s): the Raft paper's Figure 8 needs "
                   f"{FIGURE8_ELECTIONS} (--max-elections {FIGURE8_ELECTIONS} "
                   f"--max-term {FIGURE8_ELECTIONS + 1})")
    if b.max_msgs <= 1:
        out.append("one message in flight: no message overtakes another (a stale "
                   "AppendEntries arriving late cannot show); use --max-msgs 2")
    elif b.max_links == 1 and nodes > 2:
        out.append("messages in flight between one pair of servers at a time: they may "
                   "overtake each other, but no two exchanges run side by side "
                   "(--max-links none)")
    if b.max_dup <= 1:
        out.append("no message is delivered twice (--max-dup 2)")
    if b.max_partitions == 0 and nodes >= 3:
        if b.max_drops == 0:
            out.append("no partitions, so MinorityNeverCommits is never tested "
                       "(--max-partitions 1)")
        else:
            out.append("no partitions (messages are still lost one by one, which is all a "
                       "partition does to safety), so MinorityNeverCommits is never tested "
                       "(--max-partitions 1)")
    if b.max_restarts == 0:
        out.append("no restarts: what a server must persist is not tested (--max-restarts 1)")
    if b.max_candidates is not None and b.max_candidates < nodes:
        out.append(f"only {b.max_candidates} server(s) ever stand for election (n1..n"
                   f"{b.max_candidates}); the others only vote and follow "
                   f"(--max-candidates none)")
    if b.max_drops == 0:
        across = " and what a partition's cut swallows" if b.max_partitions else ""
        out.append(f"no message is lost (responses their recipient can only discard{across} "
                   "aside): a message sent stays in flight until it is delivered, so no "
                   "server misses one (--max-drops none)")
    elif b.max_drops is not None:
        out.append(f"at most {b.max_drops} message(s) lost in all (--max-drops none)")
    if b.max_log > 0 and b.max_log < 2 and b.max_writes != 0:
        out.append("logs of one entry: no entry follows another, so a leader never walks "
                   "nextIndex back over a divergent suffix (--max-log 2)")
    return out


def describe_membership(config: SpecConfig) -> str:
    """Membership changes and snapshots as the flags say them ("" when both are off)."""
    parts = []
    if config.membership:
        voters = config.initial_voters or config.nodes
        parts.append(f"membership {config.membership}: n1..n{voters} voters at the start, "
                     f"config changes <= {config.max_config_changes}")
    if config.snapshots:
        parts.append(f"snapshots <= {config.max_snapshots}")
    return "".join(f"; {part}" for part in parts)


def merged_config(*, nodes: int | None, profile: str = "raftcheck", mutant: str | None = None,
                  bounds: dict[str, int | None] | None = None, values: int = 1,
                  membership: dict[str, object] | None = None) -> SpecConfig:
    """The configuration a command line asks for: the profile's defaults for this many servers
    (or a mutant's own scope, where the mutant is of this profile), then each bound given
    (None: no bound) over them. nodes None: 3, or the mutant's own. membership: the
    membership and snapshot options given (SpecConfig fields), over a mutant's own."""
    from .mutants import MUTANTS  # the registry imports this module

    known = MUTANTS.get(mutant) if mutant else None
    if nodes is None:
        nodes = known.nodes if known else 3
    chosen = dict(bounds or {})
    base = profile_defaults(profile, nodes)
    if known and known.profile == profile:
        # A mutant runs at the scope where it is caught (whatever --nodes), unless flags say
        # otherwise.
        base = replace(Bounds(), **known.bounds)
    if profile == "raft-tla":
        for name in OPTIONAL_BOUNDS:
            if chosen.get(name) is not None:
                raise ConfigError(
                    f"--{name.replace('_', '-')} is not a raft.tla bound"
                    + ("; raft.tla bounds writes by --max-log" if name == "max_writes" else ""))
    elif values != 1:
        raise ConfigError("--values applies to --profile raft-tla; the raftcheck profile "
                          "writes a fresh value per client request")
    options = {**(known.options if known else {}), **(membership or {})}
    return SpecConfig(nodes=nodes, profile=profile, bounds=replace(base, **chosen),
                      values=values, mutant=mutant, **options).validate()
