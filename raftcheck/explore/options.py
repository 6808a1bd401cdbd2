"""The flags that say which model to walk and at which scope, and the model they make.

Shared by every command that walks the spec (explore; simulate reuses them):

    add_model_arguments(parser)       # --nodes, --profile, the bounds, time, --invariant, --mutant
    setup = model_setup(args)         # the configuration, its scope line, the model to walk
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

from ..arguments import count, count_or_none, fraction, node_number, timeout_range
from ..checker.model import Model
from ..spec.config import (
    BOUND_NAMES,
    OPTIONAL_BOUNDS,
    PROFILES,
    ConfigError,
    SpecConfig,
    describe_bounds,
    describe_membership,
    merged_config,
    profile_defaults,
    scope_limits,
)
from ..spec.invariants import PROPERTIES
from ..spec.membership import MODES
from ..spec.model import RaftModel
from ..spec.mutants import MUTANTS
from ..spec.timed.config import READ_MODES, TimedConfig, merged_timed_config, timed_defaults
from ..spec.timed.model import TimedRaftModel
from ..spec.timed.properties import TIMED_PROPERTIES
from ..spec.timed.routing import DEFAULT_ROUTING, parse_routing
from ..spec.timed.routing import describe as describe_routing

#: --scope: a mutant's own scope, or the standard defaults.
SCOPES = ("own", "default")

#: The default of every bound flag: not given, so that 'none' (no bound) is a value a flag can set.
NOT_GIVEN = object()

#: The flags that select the timed model (spec/timed): time, clients, reads, features.
TIMED_FLAGS = ("time", "reads", "prevote", "check_quorum", "election_timeout", "heartbeat",
               "drift", "lease", "client_timeout", "fsync", "slow_disk", "clients",
               "max_reads", "lossy", "jitter", "liveness", "retry", "routing", "proxy_poll")
#: The flags of membership changes and snapshots (untimed model), fields of SpecConfig.
MEMBERSHIP_FLAGS = ("membership", "initial_voters", "max_config_changes", "max_snapshots")
#: The timed flags that are fields of spec/timed/config.py's Timing.
TIMING_FLAGS = ("heartbeat", "drift", "lease", "client_timeout", "fsync", "jitter")

BOUND_HELP = {
    "max_term": "every currentTerm <= N (terms start at 1)",
    "max_log": "every log holds at most N entries",
    "max_msgs": "at most N messages in flight (copies counted)",
    "max_dup": "1: the network never duplicates; 2+: it may deliver a message more than once "
               "(raft-tla: at most N copies in flight; raftcheck: copies are not counted)",
    "max_links": "messages in flight travel between at most N pairs of servers at once "
                 "('none': any; 1: they may overtake each other on one link)",
    "max_writes": "at most N client requests in all ('none': unbounded)",
    "max_restarts": "at most N server restarts in all ('none': unbounded)",
    "max_elections": "at most N elections started (Timeout steps) in all ('none': unbounded)",
    "max_partitions": "at most N network partitions (each may heal)",
    "max_candidates": "only servers n1..nN ever time out and stand for election ('none', the "
                      "default: all); up to a renaming of servers, at most N distinct servers "
                      "ever stand",
    "max_drops": "at most N messages lost in all ('none', the default: unbounded; sends "
                 "across a partition's cut are lost uncounted)",
}


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that choose the model, its scope, its properties and a mutant."""
    parser.add_argument("--nodes", type=int, default=None,
                        help="servers in the cluster (default 3, or the mutant's own)")
    parser.add_argument("--profile", choices=PROFILES, default="raftcheck",
                        help="raftcheck (default): raft.tla's actions plus partitions, with "
                             "counted writes/restarts/elections; raft-tla: exactly raft.tla")
    scope = parser.add_argument_group("scope (defaults depend on --profile; see --show-scope)")
    for name in BOUND_NAMES:
        kind = count_or_none if name in OPTIONAL_BOUNDS else count
        scope.add_argument("--" + name.replace("_", "-"), type=kind, metavar="N",
                           default=NOT_GIVEN, help=BOUND_HELP[name])
    scope.add_argument("--values", type=count, default=1, metavar="N",
                       help="raft-tla: client request values (the set Value), default 1")
    scope.add_argument("--show-scope", action="store_true",
                       help="print the scope that would be explored and exit")
    add_membership_arguments(parser)
    timed = parser.add_argument_group(
        "time, clients and reads (any of these selects the timed model; 'raftcheck docs time')")
    timed.add_argument("--time", action="store_true",
                       help="the timed model at its defaults: clocks, timeouts, a client")
    timed.add_argument("--reads", choices=READ_MODES[1:],
                       help="read path checked by LinearizableReads: index (ReadIndex), lease "
                            "(leader lease), follower (any node, eventually consistent)")
    timed.add_argument("--prevote", action="store_true", help="pre-vote before elections")
    timed.add_argument("--check-quorum", action="store_true",
                       help="leaders step down without a quorum; followers that heard from "
                            "a leader recently ignore vote requests")
    timed.add_argument("--election-timeout", type=timeout_range, metavar="MIN[,MAX]",
                       help="election timeout in ticks, drawn from [MIN, MAX] (default 2)")
    timed.add_argument("--heartbeat", type=count, metavar="H",
                       help="heartbeat interval in ticks (default 1)")
    timed.add_argument("--drift", type=fraction, metavar="D",
                       help="clock drift bound: each clock runs at 1-D or 1+D (default 0)")
    timed.add_argument("--lease", type=fraction, metavar="L",
                       help="lease length in ticks of the leader's clock (default: the safe "
                            "MIN*(1-D)/(1+D))")
    timed.add_argument("--client-timeout", type=count, metavar="T",
                       help="a client gives up on a request after T ticks (default 6)")
    timed.add_argument("--fsync", type=count, metavar="F",
                       help="a log write on a slow disk takes F ticks (default 0)")
    timed.add_argument("--slow-disk", type=node_number, action="append", metavar="NODE",
                       help="a node whose disk is slow (repeatable; default: all, with --fsync)")
    timed.add_argument("--clients", type=count, metavar="N",
                       help="clients outside the cluster (default 1; 2 with --reads: a "
                            "writer and a reader)")
    timed.add_argument("--max-reads", type=count, metavar="N",
                       help="reads in all (default 2)")
    timed.add_argument("--jitter", type=count, metavar="J",
                       help="a message may take up to J ticks of real time to arrive "
                            "(default 0: at once)")
    timed.add_argument("--retry", action="store_true",
                       help="a client whose write times out or is refused sends the same "
                            "write again a tick later, until it is acknowledged")
    timed.add_argument("--routing", type=routing_modes, metavar="MODES",
                       help="how requests find the leader, comma-separated: redirect (follow "
                            "a node's leader hint), cache (remember the leader), proxy (talk "
                            "only to a proxy that polls the nodes' health); default "
                            "redirect,cache ('raftcheck docs clients')")
    timed.add_argument("--proxy-poll", type=count, metavar="P",
                       help="with --routing proxy: it polls every P ticks (default 2)")
    timed.add_argument("--lossy", action="store_true",
                       help="single messages may be lost (default: only across a partition)")
    props = parser.add_argument_group("properties")
    props.add_argument("--invariant", action="append", metavar="NAME",
                       help="check only this property (repeatable; default: all)")
    props.add_argument("--list-invariants", action="store_true",
                       help="list the properties with their definitions and exit")
    props.add_argument("--liveness", action="store_true",
                       help="check the liveness properties (EventuallyLeader, "
                            "EventuallyCommits; --invariant picks one) under fairness instead "
                            "of the safety properties, on the timed model with relative terms: "
                            "--max-term bounds how far apart terms are, elections are "
                            "unbounded, the election timeout defaults to 2,3 and restarts to 0 "
                            "('raftcheck docs liveness')")
    props.add_argument("--mutant", metavar="NAME",
                       help="explore a deliberately broken spec (see --list-mutants)")
    props.add_argument("--list-mutants", action="store_true", help="list the mutants and exit")
    props.add_argument("--scope", choices=SCOPES, default="own",
                       help="with --mutant: 'own' (default) runs at the mutant's own scope, "
                            "where it is caught; 'default' at the standard default bounds for "
                            "the number of servers (would the default scope have caught it?)")


def routing_modes(text: str) -> tuple[str, ...]:
    try:
        return parse_routing(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix(f"--routing {text}: ")) \
            from None


def add_membership_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "membership changes and snapshots (untimed model; 'raftcheck docs membership')")
    group.add_argument("--membership", choices=MODES,
                       help="configurations change: single (single-server changes in force "
                            "once appended, as in the dissertation and hashicorp/raft) or "
                            "joint (etcd-io/raft: in force once applied, joint consensus)")
    group.add_argument("--initial-voters", type=count, metavar="N",
                       help="servers n1..nN are the voters at the start; the others start "
                            "outside the cluster and may be added (default: all)")
    group.add_argument("--max-config-changes", type=count, metavar="N",
                       help="configuration entries appended in all (default 2)")
    group.add_argument("--max-snapshots", type=count, metavar="N",
                       help="snapshots taken in all; any lets servers compact their logs and "
                            "leaders send snapshots (default 0: none)")


def chosen_membership(args: argparse.Namespace) -> dict[str, object]:
    """The membership and snapshot options set by flags."""
    return {flag: getattr(args, flag) for flag in MEMBERSHIP_FLAGS
            if getattr(args, flag, None) is not None}


def chosen_bounds(args: argparse.Namespace) -> dict[str, int | None]:
    """The bounds set by flags, 'none' (None) included."""
    return {name: getattr(args, name) for name in BOUND_NAMES
            if getattr(args, name) is not NOT_GIVEN}


def uses_time(args: argparse.Namespace) -> bool:
    """Whether the flags select the timed model (a timed flag, or a mutant of the timed model)."""
    mutant = MUTANTS.get(args.mutant) if args.mutant else None
    return bool(mutant and mutant.timed is not None) or any(
        getattr(args, flag) not in (None, False) for flag in TIMED_FLAGS)


def spec_config(args: argparse.Namespace) -> SpecConfig:
    config = merged_config(nodes=args.nodes, profile=args.profile, mutant=args.mutant,
                           bounds=chosen_bounds(args), values=args.values,
                           membership=chosen_membership(args))
    if at_default_scope(args):
        bounds = replace(profile_defaults(config.profile, config.nodes), **chosen_bounds(args))
        config = replace(config, bounds=bounds).validate()
    return config


def at_default_scope(args: argparse.Namespace) -> bool:
    """Whether a mutant runs at the standard defaults instead of its own scope (--scope)."""
    if args.scope == "default" and not args.mutant:
        raise ConfigError("--scope default: only with --mutant (without one, the default scope "
                          "is what runs)")
    return args.scope == "default"


def timed_config(args: argparse.Namespace) -> TimedConfig:
    """The timed model's configuration: a timed mutant's own or the timed defaults, then the
    flags over it (spec/timed/config.py: merged_timed_config)."""
    if args.profile != "raftcheck":
        raise ConfigError("time, clients and reads need --profile raftcheck")
    if chosen_membership(args):
        raise ConfigError("membership changes and snapshots are in the untimed model only: "
                          "drop the time, client and read flags")
    config = merged_timed_config(
        nodes=args.nodes, mutant=args.mutant, bounds=chosen_bounds(args),
        timing={flag: getattr(args, flag) for flag in TIMING_FLAGS
                if getattr(args, flag) is not None},
        election_timeout=args.election_timeout, slow_disks=args.slow_disk,
        liveness=args.liveness, reads=args.reads, pre_vote=args.prevote,
        check_quorum=args.check_quorum, clients=args.clients, max_reads=args.max_reads,
        lossy=args.lossy, retry_writes=args.retry, routing=args.routing,
        proxy_poll=args.proxy_poll)
    if at_default_scope(args):
        # The mutant's read path and timing stay (without them its rule changes nothing);
        # only the bounds become the timed model's defaults.
        bounds = replace(timed_defaults(config.nodes, config.reads), **chosen_bounds(args))
        config = replace(config, spec=replace(config.spec, bounds=bounds)).validate()
    return config


def describe_timed(config: TimedConfig) -> str:
    t = config.timing
    election = (str(t.election_min) if t.election_min == t.election_max
                else f"{t.election_min}..{t.election_max}")
    lease = f", lease {t.lease}" if t.lease is not None else ""
    features = [name for name, on in (("pre-vote", config.pre_vote),
                                      ("check-quorum", config.check_quorum),
                                      ("lossy", config.lossy),
                                      ("clients retry writes", config.retry_writes)) if on]
    if tuple(config.routing) != DEFAULT_ROUTING:
        features.append("routing " + describe_routing(config.routing, config.proxy_poll))
    if t.jitter:
        features.append(f"jitter {t.jitter}")
    if config.relative_terms:
        features.append(f"terms relative: at most {config.bounds.max_term} apart")
    if t.fsync:
        disks = ",".join(f"n{i + 1}" for i in range(config.nodes) if t.slow_disks >> i & 1)
        features.append(f"fsync {t.fsync} on {disks}")
    return (f"; time: election timeout {election}, heartbeat {t.heartbeat}, drift {t.drift}"
            f"{lease}; reads {config.reads}"
            + (f" ({config.max_reads} in all)" if config.reads != "none" else "")
            + f"; {config.client_count} client(s)"
            + "".join(f"; {f}" for f in features))


def describe_scope(config: SpecConfig, default_scope: bool = False) -> str:
    bounds = describe_bounds(config.bounds, config.profile)
    extra = f", values {config.values}" if config.profile == "raft-tla" else ""
    mutant = f", mutant {config.mutant}" if config.mutant else ""
    if config.mutant and default_scope:
        mutant += " at the default scope"
    return (f"{config.nodes} servers, profile {config.profile}{mutant}; {bounds}{extra}"
            + describe_membership(config))


@dataclass
class ModelSetup:
    """What the model flags ask for."""

    config: SpecConfig | TimedConfig
    timed: bool
    scope: str  # one line: servers, profile, mutant, bounds (and time)

    @property
    def spec(self) -> SpecConfig:
        return self.config.spec if isinstance(self.config, TimedConfig) else self.config

    @property
    def limits(self) -> list[str]:
        """What this scope cannot show (spec/config.py: scope_limits)."""
        return scope_limits(self.spec.bounds, self.spec.nodes)

    def limits_lines(self) -> list[str]:
        """The limits as the verdict prints them after a HOLDS."""
        if not self.limits:
            return []
        return ["what this scope cannot show:", *(f"  - {text}" for text in self.limits)]

    def safety_properties(self, chosen: list[str] | None) -> list[str]:
        """The state and transition properties to check: the chosen ones (checked by name), or
        all that apply."""
        table = TIMED_PROPERTIES if self.timed else PROPERTIES
        names = chosen or [
            name for name in table  # LinearizableReads is vacuous where no read is made
            if not (self.timed and name == "LinearizableReads"
                    and self.config.reads == "none")]  # type: ignore[union-attr]
        for name in names:
            if name not in table:
                hint = (" (it needs the timed model: add --time or --reads)"
                        if name in TIMED_PROPERTIES else "")
                raise ConfigError(
                    f"unknown invariant {name!r}{hint}; --list-invariants lists them")
        return names

    def model(self, properties: list[str] | None = None, *, exact_network: bool = False) -> Model:
        """The model to walk, checking these safety properties (default: all that apply).
        exact_network: the untimed model offers partitions as steps even where a search may
        skip them (spec/model.py, lifted), as a random walk needs."""
        names = self.safety_properties(properties)
        if self.timed:
            return TimedRaftModel(self.config, names)  # type: ignore[arg-type]
        return RaftModel(self.config, names,  # type: ignore[arg-type]
                         exact_network=exact_network)


def model_setup(args: argparse.Namespace) -> ModelSetup:
    """The configuration and scope line the model flags ask for (ConfigError if they make no
    model)."""
    timed = uses_time(args)
    default_scope = at_default_scope(args)
    if timed:
        config: SpecConfig | TimedConfig = timed_config(args)
        scope = (describe_scope(config.spec, default_scope)  # type: ignore[union-attr]
                 + describe_timed(config))  # type: ignore[arg-type]
    else:
        config = spec_config(args)
        scope = describe_scope(config, default_scope)
    return ModelSetup(config, timed, scope)
