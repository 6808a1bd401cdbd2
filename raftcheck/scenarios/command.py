"""`raftcheck scenario list | run NAME... | run --all`: parsing and output only."""

from __future__ import annotations

import argparse
import json
import sys

from .. import exit_codes
from ..checker.report import counterexample_lines
from ..checker.search import Budget
from ..exit_codes import UsageError
from ..spec.config import SpecConfig, describe_bounds, describe_membership
from .catalog import PLANNED, SCENARIOS, Scenario
from .run import ScenarioResult, run_scenario


def register(commands: argparse._SubParsersAction) -> None:
    scenario = commands.add_parser(
        "scenario", help="claims about Raft in production, as checks that can fail",
        description="Each scenario states a claim, checks it on the spec (exhaustively for "
                    "'never' claims, by a shortest witness for 'can' claims) and says whether "
                    "Raft behaves as claimed. Exit codes: 0 as claimed, 1 not as claimed, "
                    "2 bad usage, 3 stopped by a budget.")
    actions = scenario.add_subparsers(dest="scenario_command", required=True,
                                      parser_class=type(scenario))
    actions.add_parser("list", help="list the scenarios").set_defaults(run=list_command)
    run = actions.add_parser("run", help="run scenarios by name, or --all")
    run.add_argument("names", nargs="*", metavar="NAME")
    run.add_argument("--all", action="store_true", help="run every scenario")
    run.add_argument("--time-limit", type=float, metavar="SECONDS",
                     help="stop each search after this long (exit 3)")
    run.add_argument("--prevote", action="store_true",
                     help="run the scenario's variant with pre-vote (where it has one)")
    run.add_argument("--check-quorum", action="store_true",
                     help="run the scenario's variant with check-quorum (where it has one)")
    run.add_argument("--json", action="store_true", help="print the results as JSON")
    run.add_argument("--diagram", metavar="FILE",
                     help="write the witness of a single scenario as FILE.svg or FILE.mmd")
    run.set_defaults(run=run_command)


def list_command(args: argparse.Namespace) -> int:
    for s in SCENARIOS.values():
        print(f"{s.name}: {s.claim}")
    for name, needs in PLANNED.items():
        print(f"{name}: (not yet: needs {needs})")
    return exit_codes.HOLDS


def run_command(args: argparse.Namespace) -> int:
    names = list(SCENARIOS) if args.all else args.names
    if not names:
        raise UsageError("name a scenario or use --all ('raftcheck scenario list' lists them)")
    for name in names:
        if name in PLANNED:
            raise UsageError(f"scenario {name!r} is not built yet: it needs {PLANNED[name]}")
        if name not in SCENARIOS:
            raise UsageError(f"unknown scenario {name!r}; 'raftcheck scenario list' lists them")
    if args.diagram:
        if len(names) != 1:
            raise UsageError("--diagram writes one scenario's witness: name one scenario")
        if not args.diagram.lower().endswith((".svg", ".mmd")):
            raise UsageError(f"--diagram {args.diagram}: use a .svg or .mmd file name")
    flags = [flag for flag, on in (("--prevote", args.prevote),
                                   ("--check-quorum", args.check_quorum)) if on]
    chosen = []
    for name in names:
        try:
            chosen.append(SCENARIOS[name].variant(flags))
        except KeyError:
            offered = [" ".join(sorted(f)) for f, _ in SCENARIOS[name].variants]
            raise UsageError(f"scenario {name!r} has no variant with {' '.join(flags)}"
                             + (f" (it has: {'; '.join(offered)})" if offered else "")) from None
    budget = Budget(seconds=args.time_limit) if args.time_limit else None
    results = [run_scenario(s, budget) for s in chosen]
    if args.json:
        print(json.dumps([result_json(r) for r in results], indent=1))
    else:
        for i, r in enumerate(results):
            if i:
                print()
            print("\n".join(result_lines(r)))
    if args.diagram:
        write_witness_diagram(args.diagram, results[0])
    return max(r.exit_code for r in results)


def describe(s: Scenario) -> str:
    options = describe_membership(s.config) if isinstance(s.config, SpecConfig) else ""
    return (f"{s.config.nodes} servers; {describe_bounds(s.config.bounds)}{options}; "
            f"{s.setting}")


def result_lines(r: ScenarioResult) -> list[str]:
    s = r.scenario
    verdict = ("AS CLAIMED" if r.as_claimed else
               f"STOPPED ({r.stopped})" if r.stopped else "NOT AS CLAIMED")
    lines = [f"scenario {s.title}: {verdict}", f"  claim: {s.claim}",
             f"  checked: {describe(s)}"]
    for c in r.claims:
        mark = "ok " if c.as_claimed else "NO "
        lines.append(f"  {mark} {c.kind:5s} {c.name}: {c.text} — {c.detail}")
        lines += [f"        note: {note}" for note in c.notes]
    lines += [f"  note: {note}" for note in s.notes]
    for c in r.claims:
        if c.trace is not None:
            title = "witness" if c.kind in ("can", "lasso") else "counterexample"
            lines.append(f"  {title} for {c.name} ({c.trace.length} steps):")
            steps = counterexample_lines(c.trace, r.model_of(c).summary)[1:-1]
            lines += ["  " + line for line in steps]
            if c.trace.loop_start is not None:
                lines.append(f"         the behaviour loops back to step {c.trace.loop_start} "
                             f"forever: {c.name}")
            else:
                ending = "reaches" if c.kind == "can" else "breaks"
                lines.append(f"         the last state {ending} {c.name}")
    return lines


def result_json(r: ScenarioResult) -> dict:
    return {
        "scenario": r.scenario.name, "flags": list(r.scenario.flags), "claim": r.scenario.claim,
        "verdict": "as-claimed" if r.as_claimed else "stopped" if r.stopped else "not-as-claimed",
        "claims": [{"name": c.name, "kind": c.kind, "text": c.text, "as_claimed": c.as_claimed,
                    "detail": c.detail,
                    "trace": [str(step.action) if step.action else "initial state"
                              for step in c.trace.steps] if c.trace else None}
                   for c in r.claims],
    }


def write_witness_diagram(path: str, r: ScenarioResult) -> None:
    from ..diagrams import write_diagram

    traced = [c for c in r.claims if c.trace is not None]
    if not traced:
        print(f"raftcheck: no trace, so nothing written to {path}", file=sys.stderr)
        return
    c = traced[0]
    write_diagram(path, c.trace, r.model_of(c), title=f"{r.scenario.title}: {c.name}",
                  subtitle=c.text, ending=c.detail)
