"""`raftcheck explore`: parsing and output only. The search is checker/'s; the model and scope
flags are options.py's."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from rich.console import Console
from rich.text import Text

from .. import exit_codes
from ..checker.export import check_trace_path, trace_json, write_trace
from ..checker.liveness import check_liveness
from ..checker.model import Model
from ..checker.report import counterexample_lines, liveness_verdict_lines, verdict_lines
from ..checker.result import Counterexample, SearchResult
from ..diagrams import DIAGRAM_SUFFIXES, write_diagram
from ..spec.actions import Partition, Restart
from ..spec.config import ConfigError, SpecConfig
from ..spec.invariants import PROPERTIES
from ..spec.mutants import MUTANTS
from ..spec.timed.config import TimedConfig
from ..spec.timed.liveness import FAIRNESS_TEXT, LOST_WRITE_NOTE
from ..spec.timed.liveness import properties as liveness_properties
from ..spec.timed.model import TimedRaftModel
from ..spec.timed.properties import TIMED_PROPERTIES
from .options import ModelSetup, add_model_arguments, describe_timed, model_setup
from .search import (
    add_search_arguments,
    restore_saved_flags,
    run_search,
    search_budget,
    terminal_progress,
)


def register(commands: argparse._SubParsersAction) -> None:
    explore = commands.add_parser(
        "explore",
        help="exhaustively explore a small-scope Raft model and check its safety properties",
        description=(
            "Explore every reachable state of a small-scope Raft model breadth-first and check "
            "the safety properties in each; a violation is reported with a shortest "
            "counterexample. Exit codes: 0 holds, 1 violated, 2 bad usage, 3 stopped by a "
            "budget, Ctrl-C or SIGTERM."
        ),
    )
    add_model_arguments(explore)
    add_search_arguments(explore)
    add_output_arguments(explore)
    explore.set_defaults(run=explore_command)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--json, and the files a counterexample is written to (check_output_paths before the
    run, write_outputs after it)."""
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the result as JSON")
    output.add_argument("--out", metavar="FILE",
                        help="write the counterexample: FILE.json (JSON) or FILE.itf.json (ITF)")
    output.add_argument("--graph", metavar="FILE",
                        help="write the counterexample as a graph: FILE.graphml or FILE.dot")
    output.add_argument("--diagram", metavar="FILE",
                        help="write the counterexample as a message sequence diagram: FILE.svg "
                             "or FILE.mmd (Mermaid); 'raftcheck docs diagrams'")


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


def explore_command(args: argparse.Namespace) -> int:
    if args.list_invariants:
        print(list_invariants())
        return exit_codes.HOLDS
    if args.list_mutants:
        print(list_mutants())
        return exit_codes.HOLDS
    restore_saved_flags(args)
    setup = model_setup(args)
    if args.show_scope:
        print(setup.scope)
        return exit_codes.HOLDS
    if args.liveness:
        return check_liveness_command(args, setup)
    names = setup.safety_properties(args.invariant)
    check_output_paths(args)
    timed = setup.timed
    if timed and (args.workers > 1 or args.engine != "local"):
        raise ConfigError("--workers, --engine: the timed model runs in one process")
    if timed and args.symmetry:
        raise ConfigError("--symmetry: the timed model sends a round's messages in server "
                          "order, a reduction that names servers; it has no symmetry reduction")
    if args.symmetry is None:
        args.symmetry = not timed
    model = setup.model(names)
    if not args.json:
        print(f"raftcheck explore: {setup.scope}")
        print(f"symmetry {'on' if args.symmetry else 'off'}; checking {', '.join(names)}")
        sys.stdout.flush()
    result = run_search(args, model, names)
    write_outputs(args, result.counterexample, model, f"raftcheck explore: {setup.scope}")
    note = expected_note(setup.config, result)
    if args.json:
        out = result_json(result, model, setup.spec, args.symmetry)
        if timed:
            out["model"]["timed"] = describe_timed(setup.config).lstrip("; ")  # type: ignore
        if note:
            out["note"] = note
        out["scope_limits"] = setup.limits
        print(json.dumps(out, indent=1))
    else:
        print()
        print_verdict(verdict_lines(result, symmetry=args.symmetry,
                                    describe=lambda n: TIMED_PROPERTIES[n].description))
        if result.counterexample is None and setup.limits:
            print()
            print("\n".join(setup.limits_lines()))
        if result.counterexample:
            print()
            print("\n".join(counterexample_lines(result.counterexample, model.summary)))
        if note:
            print()
            print(note)
    return result.outcome.exit_code


VERDICT_STYLES = {"HOLDS": "bold green", "VIOLATED": "bold red", "STOPPED": "bold yellow"}


def print_verdict(lines: list[str]) -> None:
    """The verdict and its statistics; on a terminal the verdict's first word in colour."""
    if not sys.stdout.isatty():
        print("\n".join(lines))
        return
    console = Console(highlight=False, soft_wrap=True)
    head, *rest = lines
    word, colon, tail = head.partition(":")
    console.print(Text(word + colon, style=VERDICT_STYLES.get(word, "")) + Text(tail))
    for line in rest:
        console.print(Text(line))


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
    for flag, path in (("--out", args.out), ("--graph", args.graph), ("--diagram", args.diagram)):
        if path:
            check_writable(flag, path)


def check_writable(flag: str, path: str) -> None:
    """Refuse, before the search, a file that could not be written after it."""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise ConfigError(f"{flag} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise ConfigError(f"{flag} {path}: is a folder; name a file")
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"{flag} {path}: the folder {folder} is not writable")


def check_liveness_command(args: argparse.Namespace, setup: ModelSetup) -> int:
    """explore --liveness: the timed model's liveness properties under fairness."""
    config: TimedConfig = setup.config  # type: ignore[assignment]
    offered = {p.name: p for p in liveness_properties()}
    for name in args.invariant or ():
        if name not in offered:
            raise ConfigError(f"unknown liveness property {name!r}; with --liveness choose "
                              f"from {', '.join(offered)}")
    chosen = [offered[n] for n in args.invariant] if args.invariant else list(offered.values())
    check_output_paths(args)
    if args.symmetry or args.workers != 1 or args.engine != "local":
        raise ConfigError("--liveness runs in one process on concrete states (no --symmetry, "
                          "no --workers; docs/liveness.md)")
    model = TimedRaftModel(config)
    progress = terminal_progress(args)
    if not args.json:
        print(f"raftcheck explore --liveness: {setup.scope}")
        print("checking " + "; ".join(f"{p.name}: {p.formula()}" for p in chosen))
        print(f"fairness: {FAIRNESS_TEXT}")
        sys.stdout.flush()
    result = check_liveness(model, chosen, progress=progress, budget=search_budget(args))
    if progress:
        progress.close()
    write_outputs(args, result.counterexample, model, f"raftcheck explore: {setup.scope}")
    if args.json:
        out = result_json(result, model, config.spec, False)
        out["model"]["timed"] = describe_timed(config).lstrip("; ")
        out["liveness"] = {name: v.value for name, v in result.verdicts.items()}
        out["notes"] = result.notes
        print(json.dumps(out, indent=1))
        return result.outcome.exit_code
    print()
    print_verdict(liveness_verdict_lines(result))
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


def write_outputs(args: argparse.Namespace, cex: Counterexample | None, model: Model,
                  description: str) -> None:
    """The counterexample to the files --out, --graph and --diagram name (description: what
    was run, for the files' headers)."""
    for path, diagram in ((args.out, False), (args.graph, False), (args.diagram, True)):
        if not path:
            continue
        if cex is None:
            print(f"raftcheck: no counterexample, so nothing written to {path}", file=sys.stderr)
            continue
        if diagram:
            write_diagram(path, cex, model, subtitle=description)  # type: ignore[arg-type]
        else:
            write_trace(path, cex, model, description)
        print(f"raftcheck: wrote {path}", file=sys.stderr)


def model_json(config: SpecConfig) -> dict:
    """The model a run walked, for --json."""
    return {"nodes": config.nodes, "profile": config.profile, "bounds": asdict(config.bounds),
            "values": config.values, "mutant": config.mutant,
            **({"membership": config.membership, "initial_voters": config.initial_voters,
                "max_config_changes": config.max_config_changes}
               if config.membership else {}),
            **({"max_snapshots": config.max_snapshots} if config.snapshots else {})}


def result_json(result: SearchResult, model: Model, config: SpecConfig,
                symmetry: bool) -> dict:
    return {
        "verdict": result.outcome.value,
        "exit_code": result.outcome.exit_code,
        "model": {**model_json(config), "symmetry": symmetry},
        "properties": result.checked,
        "statistics": result.stats.to_json(),
        "stop_reason": result.stop_reason,
        "counterexample": trace_json(result.counterexample, model)
        if result.counterexample else None,
    }

