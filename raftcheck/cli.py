"""The raftcheck command: argument parsing and output only."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from functools import partial
from typing import NoReturn

from . import exit_codes
from .checker.export import ExportError, check_trace_path, trace_json, write_trace
from .checker.parallel import parallel_breadth_first
from .checker.progress import TerminalProgress
from .checker.report import counterexample_lines, verdict_lines
from .checker.result import SearchResult
from .checker.search import Budget, breadth_first
from .diagrams import DIAGRAM_SUFFIXES, write_diagram
from .exit_codes import UsageError
from .scenarios.command import register as register_scenario
from .spec.config import BOUND_NAMES, PROFILES, ConfigError, SpecConfig, profile_defaults
from .spec.invariants import PROPERTIES
from .spec.model import RaftModel
from .spec.mutants import MUTANTS
from .timing.command import register as register_lease
from .validate.command import register as register_validate

#: The other sub-commands: each module's register(commands) adds its parser to the
#: sub-parsers and sets its handler with set_defaults(run=handler), handler(args) -> exit code.
#: Handlers raise UsageError or ConfigError for bad flags (one line, exit 2).
COMMANDS: list = [register_lease, register_validate, register_scenario]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def count_or_none(text: str) -> int | None:
    return None if text.lower() in ("none", "unbounded") else count(text)


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


BOUND_HELP = {
    "max_term": "every currentTerm <= N (terms start at 1)",
    "max_log": "every log holds at most N entries",
    "max_msgs": "at most N messages in flight (copies counted)",
    "max_dup": "1: the network never duplicates; 2+: it may deliver a message more than once "
               "(raft-tla: at most N copies in flight; raftcheck: copies are not counted)",
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
        kind = count_or_none if name in ("max_writes", "max_restarts", "max_elections") else count
        scope.add_argument("--" + name.replace("_", "-"), type=kind, metavar="N",
                           help=BOUND_HELP[name])
    scope.add_argument("--values", type=count, default=1, metavar="N",
                       help="raft-tla: client request values (the set Value), default 1")
    scope.add_argument("--show-scope", action="store_true",
                       help="print the scope that would be explored and exit")
    props = explore.add_argument_group("properties")
    props.add_argument("--invariant", action="append", metavar="NAME",
                       help="check only this property (repeatable; default: all)")
    props.add_argument("--list-invariants", action="store_true",
                       help="list the properties with their definitions and exit")
    props.add_argument("--mutant", metavar="NAME",
                       help="explore a deliberately broken spec (see --list-mutants)")
    props.add_argument("--list-mutants", action="store_true", help="list the mutants and exit")
    search = explore.add_argument_group("search")
    search.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=True,
                        help="reduce by renaming of servers (default on; sound for every "
                             "property here, since none names a server)")
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
        # A mutant runs at the scope where it is caught, unless flags say otherwise.
        bounds = replace(bounds, **mutant.bounds)
    chosen = {name: getattr(args, name) for name in BOUND_NAMES if getattr(args, name) is not None}
    if args.profile == "raft-tla":
        for name in ("max_writes", "max_restarts", "max_elections"):
            if name in chosen:
                raise ConfigError(f"--{name.replace('_', '-')} is not a raft.tla bound; "
                                  "raft.tla bounds writes by --max-log")
    elif args.values != 1:
        raise ConfigError("--values applies to --profile raft-tla; the raftcheck profile "
                          "writes a fresh value per client request")
    return SpecConfig(nodes=args.nodes, profile=args.profile, bounds=replace(bounds, **chosen),
                      values=args.values, mutant=args.mutant).validate()


def describe_scope(config: SpecConfig) -> str:
    bounds = ", ".join(
        f"{name.replace('_', '-')} {'none' if value is None else value}"
        for name, value in asdict(config.bounds).items()
        if not (config.profile == "raft-tla" and value is None)
    )
    extra = f", values {config.values}" if config.profile == "raft-tla" else ""
    mutant = f", mutant {config.mutant}" if config.mutant else ""
    return f"{config.nodes} servers, profile {config.profile}{mutant}; {bounds}{extra}"


def list_invariants() -> str:
    lines = []
    for p in PROPERTIES.values():
        lines.append(f"{p.name} ({p.kind})")
        lines.append(f"    {p.description}")
    return "\n".join(lines)


def list_mutants() -> str:
    lines = []
    for m in MUTANTS.values():
        lines.append(f"{m.name}: caught by {' / '.join(m.catches)}")
        lines.append(f"    {m.description}")
        scope = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in m.bounds.items())
        lines.append(f"    runs by default with {m.nodes} servers; {scope}")
    return "\n".join(lines)


def explore_command(args: argparse.Namespace) -> int:
    if args.list_invariants:
        print(list_invariants())
        return exit_codes.HOLDS
    if args.list_mutants:
        print(list_mutants())
        return exit_codes.HOLDS
    config = spec_config(args)
    if args.show_scope:
        print(describe_scope(config))
        return exit_codes.HOLDS
    names = args.invariant or list(PROPERTIES)
    for name in names:
        if name not in PROPERTIES:
            raise ConfigError(f"unknown invariant {name!r}; --list-invariants lists them")
    if args.out:
        if not args.out.lower().endswith(".json"):
            raise ConfigError(f"--out {args.out}: use a .json or .itf.json file name")
        check_trace_path(args.out)
    if args.graph and not args.graph.lower().endswith((".graphml", ".dot", ".gv")):
        raise ConfigError(f"--graph {args.graph}: use a .graphml or .dot file name")
    if args.diagram and not args.diagram.lower().endswith(DIAGRAM_SUFFIXES):
        raise ConfigError(f"--diagram {args.diagram}: use a .svg or .mmd file name")
    model = RaftModel(config, names)
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    progress = TerminalProgress(sys.stderr) if show_progress else None
    if not args.json:
        print(f"raftcheck explore: {describe_scope(config)}")
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
    write_outputs(args, result, model, config)
    if args.json:
        print(json.dumps(result_json(result, model, config, args.symmetry), indent=1))
    else:
        print()
        print("\n".join(verdict_lines(result, symmetry=args.symmetry,
                                      describe=lambda n: PROPERTIES[n].description)))
        if result.counterexample:
            print()
            print("\n".join(counterexample_lines(result.counterexample, model.summary)))
    return result.outcome.exit_code


def write_outputs(args: argparse.Namespace, result: SearchResult, model: RaftModel,
                  config: SpecConfig) -> None:
    cex = result.counterexample
    description = f"raftcheck explore: {describe_scope(config)}"
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
                  "mutant": config.mutant, "symmetry": symmetry},
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


if __name__ == "__main__":
    sys.exit(main())
