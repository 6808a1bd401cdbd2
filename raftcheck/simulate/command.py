"""`raftcheck simulate`: parsing and output only. The walks are engine.py's; the model and scope
flags are explore's (explore/options.py); a counterexample is printed and written by explore's
code."""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import sys

from .. import exit_codes
from ..arguments import count, duration, positive, seconds
from ..checker.export import trace_json
from ..checker.ray_engine import RayMissing
from ..checker.report import counterexample_lines
from ..checker.result import Counterexample, Outcome, TraceStep
from ..explore.command import (
    add_output_arguments,
    check_output_paths,
    list_invariants,
    list_mutants,
    model_json,
    write_outputs,
)
from ..explore.options import add_model_arguments, describe_timed, model_setup
from ..explore.search import (
    add_engine_arguments,
    check_engine_arguments,
    stop_signals_interrupt,
    terminal_progress,
)
from ..spec.config import ConfigError
from ..spec.timed.properties import TIMED_PROPERTIES
from .coverage import coverage, model_kinds
from .engine import SimulationBudget, simulate
from .report import (
    SimulationProgress,
    coverage_json,
    coverage_lines,
    title_line,
    verdict_lines,
)
from .shrink import shrink
from .walk import Walker

#: Without --walks or --time-limit, a run takes this long.
DEFAULT_SECONDS = 60.0
DEFAULT_DEPTH = 60
DEFAULT_SHRINK_SECONDS = 60.0
#: The flags a replay line replaces (with their values) or leaves out.
REPLACED = ("--seed", "--walks", "--time-limit")
LEFT_OUT = ("--progress", "--no-progress")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "simulate",
        allow_abbrev=False,  # the replay line rewrites flags by their full names
        help="random walks through the model, for scopes too large to explore exhaustively",
        description=(
            "Walk the model at random, from seeded generators, checking every safety property "
            "at every step; a violation is shrunk and reported like explore's, with the seed "
            "that replays it. Not exhaustive: finding nothing proves nothing. Exit codes: 0 no "
            "violation found, 1 violated, 2 bad usage, 3 stopped by Ctrl-C or SIGTERM. See "
            "'raftcheck docs simulate'."
        ),
    )
    add_model_arguments(parser)
    walks = parser.add_argument_group("walks")
    walks.add_argument("--seed", type=count, metavar="N",
                       help="seed of every random choice (default: a fresh one, printed); the "
                            "same seed and flags give the same walks and report")
    walks.add_argument("--depth", type=positive, default=DEFAULT_DEPTH, metavar="D",
                       help=f"steps per walk (default {DEFAULT_DEPTH}); a walk that starts "
                            "from a milestone adds them to the milestone's path")
    walks.add_argument("--walks", type=positive, metavar="N", help="stop after N walks")
    walks.add_argument("--time-limit", type=seconds, metavar="T",
                       help="stop after T seconds, or e.g. 5m, 1h (default "
                            f"{DEFAULT_SECONDS:.0f}s when --walks is not given either)")
    add_engine_arguments(walks, "processes (or Ray actors) walking at once (default 1); the "
                                "report is the same")
    walks.add_argument("--shrink-time", type=duration, default=DEFAULT_SHRINK_SECONDS,
                       metavar="T", help="at most this long to shrink a counterexample "
                                         f"(default {DEFAULT_SHRINK_SECONDS:.0f}s; 0: do not "
                                         "shrink)")
    walks.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="live progress on stderr (default: when stderr is a terminal)")
    add_output_arguments(parser)
    parser.set_defaults(run=simulate_command)


def simulate_command(args: argparse.Namespace) -> int:
    if args.list_invariants:
        print(list_invariants())
        return exit_codes.HOLDS
    if args.list_mutants:
        print(list_mutants())
        return exit_codes.HOLDS
    if args.liveness:
        raise ConfigError("--liveness: simulate checks safety properties; liveness needs the "
                          "whole state graph (explore --liveness)")
    setup = model_setup(args)
    if args.show_scope:
        print(setup.scope)
        return exit_codes.HOLDS
    names = setup.safety_properties(args.invariant)
    check_engine_arguments(args)
    check_output_paths(args)
    model = setup.model(names, exact_network=True)
    seed = secrets.randbelow(1_000_000) if args.seed is None else args.seed
    time_limit = args.time_limit
    if args.walks is None and time_limit is None:
        time_limit = DEFAULT_SECONDS
    kinds = model_kinds(setup.config)
    budget = " and ".join(filter(None, (
        f"{args.walks:,} walks" if args.walks else "",
        f"{time_limit:g}s" if time_limit else "")))
    if not args.json:
        print(f"raftcheck simulate: {setup.scope}")
        where = " on Ray" if args.engine == "ray" else ""
        print(f"seed {seed}, {args.depth} steps per walk, at most {budget}, "
              f"{args.workers} worker(s){where}; checking {', '.join(names)}")
        sys.stdout.flush()
    progress = terminal_progress(args, SimulationProgress)
    try:
        with stop_signals_interrupt():
            run = simulate(model, seed=seed, depth=args.depth, workers=args.workers,
                           budget=SimulationBudget(walks=args.walks, seconds=time_limit),
                           kinds=kinds, progress=progress, engine=args.engine,
                           address=args.address)
    except RayMissing as e:
        raise ConfigError(str(e)) from None
    finally:
        if progress:
            progress.close()
    cex = None
    replay = None
    if run.found is not None:
        path = shrink(model, run.found.path, run.found.violation, seconds=args.shrink_time) \
            if args.shrink_time else run.found.path
        steps = [TraceStep(action, state) for action, state in Walker(model).replay(path)]
        cex = Counterexample(run.found.violation.property, run.found.violation.kind, steps)
        replay = replay_line(args.command_line, seed, run.found.walk + 1)
    write_outputs(args, cex, model, f"raftcheck simulate: {setup.scope} (seed {seed})")
    cover = coverage(kinds, run.stats.taken, run.stats.enabled)
    if args.json:
        out = {
            "verdict": "violated" if run.outcome is Outcome.VIOLATED else (
                "no violation found" if run.outcome is Outcome.HOLDS else "stopped"),
            "exit_code": run.outcome.exit_code,
            "exhaustive": False,
            "model": model_json(setup.spec),
            "properties": names,
            "seed": seed,
            "depth": args.depth,
            "statistics": run.stats.to_json(),
            "stop_reason": run.stop_reason,
            "coverage": coverage_json(cover),
            "found": None if run.found is None else {
                "walk": run.found.walk, "walked_steps": len(run.found.path),
                "replay": replay},
            "counterexample": trace_json(cex, model) if cex else None,
            "scope_limits": setup.limits,
        }
        if setup.timed:
            out["model"]["timed"] = describe_timed(setup.config).lstrip("; ")  # type: ignore
        print(json.dumps(out, indent=1))
        return run.outcome.exit_code
    print()
    print("\n".join(verdict_lines(run, names,
                                  describe=lambda n: TIMED_PROPERTIES[n].description)))
    if run.found is not None and cex is not None:
        print(f"  found by walk {run.found.walk:,}; replay it with: {replay}")
    elif setup.limits:
        print()
        print("\n".join(setup.limits_lines()))
    print()
    print("\n".join(coverage_lines(cover)))
    if cex is not None and run.found is not None:
        print()
        lines = counterexample_lines(cex, model.summary)
        lines[0] = title_line(cex, len(run.found.path))
        print("\n".join(lines))
    return run.outcome.exit_code


def replay_line(command_line: list[str], seed: int, walks: int) -> str:
    """The command that runs the same walks up to the one that found the violation."""
    kept: list[str] = []
    skip = False
    for arg in command_line:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in REPLACED:
            skip = "=" not in arg
            continue
        if name in LEFT_OUT:
            continue
        kept.append(arg)
    return "raftcheck " + shlex.join([*kept, "--seed", str(seed), "--walks", str(walks)])
