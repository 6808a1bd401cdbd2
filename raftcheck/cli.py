"""The raftcheck command: argument parsing and output only."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import asdict, replace
from fractions import Fraction
from functools import partial
from typing import NoReturn

from . import exit_codes
from .arguments import count
from .checker.export import ExportError, check_trace_path, trace_json, write_trace
from .checker.liveness import check_liveness
from .checker.parallel import parallel_breadth_first
from .checker.progress import TerminalProgress
from .checker.report import counterexample_lines, liveness_verdict_lines, verdict_lines
from .checker.result import SearchResult
from .checker.search import Budget, breadth_first
from .diagrams import DIAGRAM_SUFFIXES, write_diagram
from .exit_codes import UsageError
from .scenarios.command import register as register_scenario
from .spec.actions import Partition, Restart
from .spec.config import (
    BOUND_NAMES,
    OPTIONAL_BOUNDS,
    PROFILES,
    ConfigError,
    SpecConfig,
    describe_bounds,
    describe_membership,
    profile_defaults,
)
from .spec.invariants import PROPERTIES
from .spec.membership import MODES
from .spec.model import RaftModel
from .spec.mutants import MUTANTS, Mutant
from .spec.timed.config import (
    READ_MODES,
    TimedConfig,
    Timing,
    liveness_config,
    mutant_config,
    timed_defaults,
)
from .spec.timed.liveness import FAIRNESS_TEXT, LOST_WRITE_NOTE
from .spec.timed.liveness import properties as liveness_properties
from .spec.timed.model import TimedRaftModel
from .spec.timed.properties import TIMED_PROPERTIES
from .timing.command import register as register_lease
from .validate.command import register as register_validate

#: The other sub-commands: each module's register(commands) adds its parser to the
#: sub-parsers and sets its handler with set_defaults(run=handler), handler(args) -> exit code.
#: Handlers raise UsageError or ConfigError for bad flags (one line, exit 2).
COMMANDS: list = [register_lease, register_validate, register_scenario]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def count_or_none(text: str) -> int | None:
    return None if text.lower() in ("none", "unbounded") else count(text)


#: The default of every bound flag: not given, so that 'none' (no bound) is a value a flag can set.
NOT_GIVEN = object()


def chosen_bounds(args: argparse.Namespace) -> dict[str, int | None]:
    """The bounds set by flags, 'none' (None) included."""
    return {name: getattr(args, name) for name in BOUND_NAMES
            if getattr(args, name) is not NOT_GIVEN}


def seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    scale = units.get(text[-1:].lower(), 1)
    number = text[:-1] if text[-1:].lower() in units else text
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds (e.g. 90, 5m, 1h), got {text!r}") \
            from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive time, got {text!r}")
    return value


def fraction(text: str) -> Fraction:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(
            f"expected a number such as 0.1 or 1/10, got {text!r}") from None


def timeout_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition(",")
    try:
        values = int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected MIN or MIN,MAX in whole ticks, got {text!r}") from None
    return values


def node_number(text: str) -> int:
    name = text.lower().removeprefix("n")
    if not name.isdigit() or int(name) < 1:
        raise argparse.ArgumentTypeError(f"expected a node such as n1, got {text!r}")
    return int(name) - 1


#: The flags that select the timed model (spec/timed): time, clients, reads, features.
TIMED_FLAGS = ("time", "reads", "prevote", "check_quorum", "election_timeout", "heartbeat",
               "drift", "lease", "client_timeout", "fsync", "slow_disk", "clients",
               "max_reads", "lossy", "jitter", "liveness", "retry")

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
}


def build_parser() -> Parser:
    parser = Parser(prog="raftcheck", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    explore = commands.add_parser(
        "explore",
        help="exhaustively explore a small-scope Raft model and check its safety properties",
        description=(
            "Explore every reachable state of a small-scope Raft model breadth-first and check "
            "the safety properties in each; a violation is reported with a shortest "
            "counterexample. Exit codes: 0 holds, 1 violated, 2 bad usage, 3 stopped by a "
            "budget or Ctrl-C."
        ),
    )
    explore.add_argument("--nodes", type=int, default=None,
                         help="servers in the cluster (default 3, or the mutant's own)")
    explore.add_argument("--profile", choices=PROFILES, default="raftcheck",
                         help="raftcheck (default): raft.tla's actions plus partitions, with "
                              "counted writes/restarts/elections; raft-tla: exactly raft.tla")
    scope = explore.add_argument_group("scope (defaults depend on --profile; see --show-scope)")
    for name in BOUND_NAMES:
        kind = count_or_none if name in OPTIONAL_BOUNDS else count
        scope.add_argument("--" + name.replace("_", "-"), type=kind, metavar="N",
                           default=NOT_GIVEN, help=BOUND_HELP[name])
    scope.add_argument("--values", type=count, default=1, metavar="N",
                       help="raft-tla: client request values (the set Value), default 1")
    scope.add_argument("--show-scope", action="store_true",
                       help="print the scope that would be explored and exit")
    add_membership_flags(explore)
    timed = explore.add_argument_group(
        "time, clients and reads (any of these selects the timed model; docs/time.md)")
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
                       help="reads in all (default 1)")
    timed.add_argument("--jitter", type=count, metavar="J",
                       help="a message may take up to J ticks of real time to arrive "
                            "(default 0: at once)")
    timed.add_argument("--retry", action="store_true",
                       help="a client whose write times out or is refused sends the same "
                            "write again a tick later, until it is acknowledged")
    timed.add_argument("--lossy", action="store_true",
                       help="single messages may be lost (default: only across a partition)")
    props = explore.add_argument_group("properties")
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
                            "(docs/liveness.md)")
    props.add_argument("--mutant", metavar="NAME",
                       help="explore a deliberately broken spec (see --list-mutants)")
    props.add_argument("--list-mutants", action="store_true", help="list the mutants and exit")
    search = explore.add_argument_group("search")
    search.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=None,
                        help="reduce by renaming of servers (default on; sound for every "
                             "property here, since none names a server; the timed model "
                             "has none)")
    search.add_argument("--workers", type=count, default=1, metavar="N",
                        help="processes sharing the search (default 1; see docs/explore.md)")
    search.add_argument("--max-states", type=count, metavar="N",
                        help="stop after N distinct states (exit 3)")
    search.add_argument("--time-limit", type=seconds, metavar="T",
                        help="stop after T seconds, or e.g. 5m, 1h (exit 3)")
    search.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="live progress on stderr (default: when stderr is a terminal)")
    output = explore.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the result as JSON")
    output.add_argument("--out", metavar="FILE",
                        help="write the counterexample: FILE.json (JSON) or FILE.itf.json (ITF)")
    output.add_argument("--graph", metavar="FILE",
                        help="write the counterexample as a graph: FILE.graphml or FILE.dot")
    output.add_argument("--diagram", metavar="FILE",
                        help="write the counterexample as a message sequence diagram: FILE.svg "
                             "or FILE.mmd (Mermaid); see docs/diagrams.md")
    explore.set_defaults(run=explore_command)
    for register in COMMANDS:
        register(commands)
    return parser


def spec_config(args: argparse.Namespace) -> SpecConfig:
    mutant = MUTANTS.get(args.mutant) if args.mutant else None
    if args.nodes is None:
        args.nodes = mutant.nodes if mutant else 3
    bounds = profile_defaults(args.profile, args.nodes)
    if mutant and mutant.profile == args.profile:
        # A mutant runs at the scope where it is caught (whatever --nodes), unless flags say
        # otherwise.
        bounds = replace(profile_defaults(args.profile, mutant.nodes), **mutant.bounds)
    chosen = chosen_bounds(args)
    if args.profile == "raft-tla":
        for name in OPTIONAL_BOUNDS:
            if chosen.get(name) is not None:
                raise ConfigError(
                    f"--{name.replace('_', '-')} is not a raft.tla bound"
                    + ("; raft.tla bounds writes by --max-log" if name == "max_writes" else ""))
    elif args.values != 1:
        raise ConfigError("--values applies to --profile raft-tla; the raftcheck profile "
                          "writes a fresh value per client request")
    return SpecConfig(nodes=args.nodes, profile=args.profile, bounds=replace(bounds, **chosen),
                      values=args.values, mutant=args.mutant,
                      **membership_options(args, mutant)).validate()


def uses_time(args: argparse.Namespace) -> bool:
    mutant = MUTANTS.get(args.mutant) if args.mutant else None
    return bool(mutant and mutant.timed is not None) or any(
        getattr(args, flag) not in (None, False) for flag in TIMED_FLAGS)


def timed_config(args: argparse.Namespace) -> TimedConfig:
    """The timed model's configuration: a timed mutant's own (spec/timed/config.py:
    mutant_config) or the timed defaults, then the flags over it."""
    if args.profile != "raftcheck":
        raise ConfigError("time, clients and reads need --profile raftcheck")
    if any(getattr(args, flag) is not None for flag in MEMBERSHIP_FLAGS):
        raise ConfigError("membership changes and snapshots are in the untimed model only: "
                          "drop the time, client and read flags")
    mutant = MUTANTS.get(args.mutant) if args.mutant else None
    if args.nodes is None:
        args.nodes = mutant.nodes if mutant else 3
    if mutant and mutant.timed is not None:
        base = mutant_config(args.mutant)
        base = replace(base, spec=replace(base.spec, nodes=args.nodes))
    else:
        base = TimedConfig(
            spec=SpecConfig(nodes=args.nodes, bounds=timed_defaults(args.nodes, args.reads),
                            mutant=args.mutant),
            timing=Timing(**TIMED_TIMING_DEFAULTS))
    chosen = chosen_bounds(args)
    timing = {flag: getattr(args, flag)
              for flag in ("heartbeat", "drift", "lease", "client_timeout", "fsync", "jitter")
              if getattr(args, flag) is not None}
    if args.election_timeout:
        timing["election_min"], timing["election_max"] = args.election_timeout
    elif args.liveness:
        # A fixed timeout can split votes forever; Raft randomises it (§5.2).
        timing["election_min"], timing["election_max"] = LIVENESS_ELECTION_TIMEOUT
    if args.fsync and args.slow_disk is None:
        timing["slow_disks"] = (1 << args.nodes) - 1
    for node in args.slow_disk or ():
        if node >= args.nodes:
            raise ConfigError(f"--slow-disk n{node + 1}: the cluster has {args.nodes} nodes")
        timing["slow_disks"] = timing.get("slow_disks", base.timing.slow_disks) | 1 << node
    if args.liveness:
        if "max_restarts" not in chosen:
            chosen["max_restarts"] = 0  # liveness: one partition, no restart (docs/liveness.md)
        if chosen.get("max_elections") is not None:
            raise ConfigError("--max-elections: liveness has no election budget (behaviours "
                              "that matter elect again and again); --max-term bounds how far "
                              "apart terms are")
        base = liveness_config(base)
    return replace(
        base, spec=replace(base.spec, bounds=replace(base.spec.bounds, **chosen)),
        timing=replace(base.timing, **timing), reads=args.reads or base.reads,
        pre_vote=args.prevote or base.pre_vote,
        check_quorum=args.check_quorum or base.check_quorum,
        clients=base.clients if args.clients is None else args.clients,
        max_reads=base.max_reads if args.max_reads is None else args.max_reads,
        lossy=args.lossy or base.lossy,
        retry_writes=args.retry or base.retry_writes,
    ).validate()


#: The timed model's timing at the command line: small numbers keep time exhaustive.
TIMED_TIMING_DEFAULTS = dict(election_min=2, election_max=2, heartbeat=1)
LIVENESS_ELECTION_TIMEOUT = (2, 3)


def describe_timed(config: TimedConfig) -> str:
    t = config.timing
    election = (str(t.election_min) if t.election_min == t.election_max
                else f"{t.election_min}..{t.election_max}")
    lease = f", lease {t.lease}" if t.lease is not None else ""
    features = [name for name, on in (("pre-vote", config.pre_vote),
                                      ("check-quorum", config.check_quorum),
                                      ("lossy", config.lossy),
                                      ("clients retry writes", config.retry_writes)) if on]
    if t.jitter:
        features.append(f"jitter {t.jitter}")
    if config.relative_terms:
        features.append(f"terms relative: at most {config.bounds.max_term} apart")
    if t.fsync:
        disks = ",".join(f"n{i + 1}" for i in range(config.nodes) if t.slow_disks >> i & 1)
        features.append(f"fsync {t.fsync} on {disks}")
    return (f"; time: election timeout {election}, heartbeat {t.heartbeat}, drift {t.drift}"
            f"{lease}; reads {config.reads}; {config.client_count} client(s)"
            + "".join(f"; {f}" for f in features))


def describe_scope(config: SpecConfig) -> str:
    bounds = describe_bounds(config.bounds, config.profile)
    extra = f", values {config.values}" if config.profile == "raft-tla" else ""
    mutant = f", mutant {config.mutant}" if config.mutant else ""
    return (f"{config.nodes} servers, profile {config.profile}{mutant}; {bounds}{extra}"
            + describe_membership(config))


def list_invariants() -> str:
    lines = []
    for p in TIMED_PROPERTIES.values():
        where = " -- timed model" if p.name not in PROPERTIES else ""
        lines.append(f"{p.name} ({p.kind}{where})")
        lines.append(f"    {p.description}")
    return "\n".join(lines)


def list_mutants() -> str:
    lines = []
    for m in MUTANTS.values():
        lines.append(f"{m.name}: caught by {' / '.join(m.catches)}")
        lines.append(f"    {m.description}")
        scope = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in m.bounds.items())
        timed = ""
        if m.timed is not None:
            options = {k: v for k, v in m.timed.items() if k != "timing"}
            timed = "; timed model " + ", ".join(
                f"{k.replace('_', '-')} {v}"
                for k, v in {**options, **m.timed.get("timing", {})}.items())
        options = "".join(f", {k.replace('_', '-')} {v}" for k, v in m.options.items())
        lines.append(f"    runs by default with {m.nodes} servers; {scope}{options}{timed}")
    return "\n".join(lines)


# --- membership changes and snapshots (spec/membership.py, spec/snapshots.py) ---------------

MEMBERSHIP_FLAGS = ("membership", "initial_voters", "max_config_changes", "max_snapshots")


def add_membership_flags(explore: argparse.ArgumentParser) -> None:
    group = explore.add_argument_group(
        "membership changes and snapshots (untimed model; docs/explore.md)")
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


def membership_options(args: argparse.Namespace, mutant: Mutant | None) -> dict:
    """The SpecConfig options of the membership flags: a mutant's own, then the flags."""
    options = dict(mutant.options) if mutant else {}
    options.update({flag: getattr(args, flag) for flag in MEMBERSHIP_FLAGS
                    if getattr(args, flag) is not None})
    return options


def explore_command(args: argparse.Namespace) -> int:
    if args.list_invariants:
        print(list_invariants())
        return exit_codes.HOLDS
    if args.list_mutants:
        print(list_mutants())
        return exit_codes.HOLDS
    timed = uses_time(args)
    config = timed_config(args) if timed else spec_config(args)
    scope = (describe_scope(config.spec) + describe_timed(config)  # type: ignore[union-attr]
             if timed else describe_scope(config))  # type: ignore[arg-type]
    if args.show_scope:
        print(scope)
        return exit_codes.HOLDS
    if args.liveness:
        return check_liveness_command(args, config, scope)  # type: ignore[arg-type]
    table = TIMED_PROPERTIES if timed else PROPERTIES
    names = args.invariant or [
        name for name in table  # LinearizableReads is vacuous where no read is made
        if not (timed and name == "LinearizableReads" and config.reads == "none")]
    for name in names:
        if name not in table:
            hint = (" (it needs the timed model: add --time or --reads)"
                    if name in TIMED_PROPERTIES else "")
            raise ConfigError(f"unknown invariant {name!r}{hint}; --list-invariants lists them")
    check_output_paths(args)
    if timed and args.workers > 1:
        raise ConfigError("--workers: the timed model runs in one process")
    if timed and args.symmetry:
        raise ConfigError("--symmetry: the timed model sends a round's messages in server "
                          "order, a reduction that names servers; it has no symmetry reduction")
    if args.symmetry is None:
        args.symmetry = not timed
    model = TimedRaftModel(config, names) if timed else RaftModel(config, names)  # type: ignore
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    progress = TerminalProgress(sys.stderr) if show_progress else None
    if not args.json:
        print(f"raftcheck explore: {scope}")
        print(f"symmetry {'on' if args.symmetry else 'off'}; checking {', '.join(names)}")
        sys.stdout.flush()
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    search = breadth_first if args.workers == 1 else partial(
        parallel_breadth_first, workers=args.workers)
    result = search(
        model, symmetry=args.symmetry, checked=names, progress=progress,
        budget=Budget(max_states=args.max_states, seconds=args.time_limit),
    )
    if progress:
        progress.close()
    write_outputs(args, result, model, scope)
    note = expected_note(config, result)
    if args.json:
        out = result_json(result, model, config.spec if timed else config, args.symmetry)
        if timed:
            out["model"]["timed"] = describe_timed(config).lstrip("; ")  # type: ignore[arg-type]
        if note:
            out["note"] = note
        print(json.dumps(out, indent=1))
    else:
        print()
        print("\n".join(verdict_lines(result, symmetry=args.symmetry,
                                      describe=lambda n: TIMED_PROPERTIES[n].description)))
        if result.counterexample:
            print()
            print("\n".join(counterexample_lines(result.counterexample, model.summary)))
        if note:
            print()
            print(note)
    return result.outcome.exit_code


def check_output_paths(args: argparse.Namespace) -> None:
    """--out, --graph and --diagram name files of a kind that can be written."""
    if args.out:
        if not args.out.lower().endswith(".json"):
            raise ConfigError(f"--out {args.out}: use a .json or .itf.json file name")
        check_trace_path(args.out)
    if args.graph and not args.graph.lower().endswith((".graphml", ".dot", ".gv")):
        raise ConfigError(f"--graph {args.graph}: use a .graphml or .dot file name")
    if args.diagram and not args.diagram.lower().endswith(DIAGRAM_SUFFIXES):
        raise ConfigError(f"--diagram {args.diagram}: use a .svg or .mmd file name")


def check_liveness_command(args: argparse.Namespace, config: TimedConfig, scope: str) -> int:
    """explore --liveness: the timed model's liveness properties under fairness."""
    offered = {p.name: p for p in liveness_properties()}
    for name in args.invariant or ():
        if name not in offered:
            raise ConfigError(f"unknown liveness property {name!r}; with --liveness choose "
                              f"from {', '.join(offered)}")
    chosen = [offered[n] for n in args.invariant] if args.invariant else list(offered.values())
    check_output_paths(args)
    if args.symmetry or args.workers != 1:
        raise ConfigError("--liveness runs in one process on concrete states (no --symmetry, "
                          "no --workers; docs/liveness.md)")
    model = TimedRaftModel(config)
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    progress = TerminalProgress(sys.stderr) if show_progress else None
    if not args.json:
        print(f"raftcheck explore --liveness: {scope}")
        print("checking " + "; ".join(f"{p.name}: {p.formula()}" for p in chosen))
        print(f"fairness: {FAIRNESS_TEXT}")
        sys.stdout.flush()
    result = check_liveness(model, chosen, progress=progress,
                            budget=Budget(max_states=args.max_states, seconds=args.time_limit))
    if progress:
        progress.close()
    write_outputs(args, result, model, scope)
    if args.json:
        out = result_json(result, model, config.spec, False)
        out["model"]["timed"] = describe_timed(config).lstrip("; ")
        out["liveness"] = {name: v.value for name, v in result.verdicts.items()}
        out["notes"] = result.notes
        print(json.dumps(out, indent=1))
        return result.outcome.exit_code
    print()
    print("\n".join(liveness_verdict_lines(result)))
    for lasso in result.lassos.values():
        print()
        print("\n".join(counterexample_lines(lasso, model.summary)))
        if lasso.steps[-1].state != lasso.steps[lasso.loop_start or 0].state:
            print(f"     (terms are relative: the last state is step {lasso.loop_start}'s with "
                  "every term raised by the same amount)")
        if lasso.property == "EventuallyCommits" and any(
                isinstance(step.action, Partition | Restart) for step in lasso.steps):
            print()
            print(LOST_WRITE_NOTE)
    return result.outcome.exit_code



def expected_note(config: SpecConfig | TimedConfig, result: SearchResult) -> str | None:
    """Where a violation is what the configuration promises, say so: it is not a bug."""
    cex = result.counterexample
    if (isinstance(config, TimedConfig) and config.reads == "follower" and cex is not None
            and cex.property == "LinearizableReads"):
        return ("note: follower reads are eventually consistent by design: a follower answers "
                "from what it has applied, which may lag the leader. This stale read is the "
                "expected behaviour of --reads follower, not a bug; use --reads index or lease "
                "for linearizable reads.")
    return None


def write_outputs(args: argparse.Namespace, result: SearchResult, model: RaftModel,
                  scope: str) -> None:
    cex = result.counterexample
    description = f"raftcheck explore: {scope}"
    for path, diagram in ((args.out, False), (args.graph, False), (args.diagram, True)):
        if not path:
            continue
        if cex is None:
            print(f"raftcheck: no counterexample, so nothing written to {path}", file=sys.stderr)
            continue
        if diagram:
            write_diagram(path, cex, model, subtitle=description)
        else:
            write_trace(path, cex, model, description)


def result_json(result: SearchResult, model: RaftModel, config: SpecConfig,
                symmetry: bool) -> dict:
    return {
        "verdict": result.outcome.value,
        "exit_code": result.outcome.exit_code,
        "model": {"nodes": config.nodes, "profile": config.profile,
                  "bounds": asdict(config.bounds), "values": config.values,
                  "mutant": config.mutant, "symmetry": symmetry,
                  **({"membership": config.membership, "initial_voters": config.initial_voters,
                      "max_config_changes": config.max_config_changes}
                     if config.membership else {}),
                  **({"max_snapshots": config.max_snapshots} if config.snapshots else {})},
        "properties": result.checked,
        "statistics": result.stats.to_json(),
        "stop_reason": result.stop_reason,
        "counterexample": trace_json(result.counterexample, model)
        if result.counterexample else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except (UsageError, ConfigError, ExportError) as e:
        print(f"raftcheck: error: {e}", file=sys.stderr)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        print("raftcheck: interrupted", file=sys.stderr)
        return exit_codes.STOPPED
    except BrokenPipeError:
        return exit_codes.HOLDS
    except Exception as e:  # a bug: exit INTERNAL, never a verdict's code
        return report_internal_error(e)


def report_internal_error(e: BaseException) -> int:
    """One line (and the traceback with RAFTCHECK_DEBUG=1) for a bug in raftcheck."""
    cause = e.cause if isinstance(e, exit_codes.InternalError) else e
    what = str(e) if isinstance(e, exit_codes.InternalError) else f"{type(e).__name__}: {e}"
    print(f"raftcheck: internal error: {what}", file=sys.stderr)
    print(f"raftcheck: this is a bug in raftcheck, not a verdict about your cluster (exit "
          f"{exit_codes.INTERNAL}); please report it with the command line and its input "
          "(RAFTCHECK_DEBUG=1 prints the traceback)", file=sys.stderr)
    if os.environ.get("RAFTCHECK_DEBUG"):
        traceback.print_exception(cause)
    return exit_codes.INTERNAL


if __name__ == "__main__":
    sys.exit(main())
