"""`raftcheck scenario list | run NAME... | run --all`: parsing and output only."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import exit_codes
from ..arguments import seconds
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
    run = actions.add_parser(
        "run", help="run scenarios by name, or --all",
        description="Check each scenario's claims on the spec and say whether Raft behaves as "
                    "claimed. Progress goes to stderr while they run; several scenarios end "
                    "with a summary. Exit code: the worst scenario's.")
    run.add_argument("names", nargs="*", metavar="NAME",
                     help="a scenario's name ('raftcheck scenario list' lists them)")
    run.add_argument("--all", action="store_true", help="run every scenario")
    run.add_argument("--time-limit", type=seconds, metavar="DURATION",
                     help="stop each search after this long, e.g. 90, 5m (exit 3)")
    run.add_argument("--traces", action=argparse.BooleanOptionalAction, default=None,
                     help="print each witness and counterexample step by step (default: when "
                          "one scenario is run)")
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
    results = run_all(chosen, budget)
    if args.json:
        print(json.dumps([result_json(r) for r in results], indent=1))
    else:
        out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
        traces = len(results) == 1 if args.traces is None else args.traces
        for i, r in enumerate(results):
            if i:
                out.print()
            for line, style in result_lines(r, traces=traces):
                out.print(Text(line, style=style))
        if len(results) > 1:
            out.print()
            print_summary(out, results)
    if args.diagram:
        write_witness_diagram(args.diagram, results[0])
    return max(r.exit_code for r in results)


VERDICT_STYLE = {"AS CLAIMED": "bold green", "NOT AS CLAIMED": "bold red"}


def verdict_of(r: ScenarioResult) -> str:
    return ("AS CLAIMED" if r.as_claimed else
            f"STOPPED ({r.stopped})" if r.stopped else "NOT AS CLAIMED")


def run_all(chosen: list[Scenario], budget: Budget | None) -> list[ScenarioResult]:
    """Run the scenarios in turn, saying on stderr which one runs and how each ended (a
    spinner on a terminal; one line per scenario otherwise, as CI logs show it)."""
    err = Console(stderr=True, highlight=False)
    results = []
    for k, s in enumerate(chosen, 1):
        what = f"[{k}/{len(chosen)}] {s.title}"
        started = time.perf_counter()
        if err.is_terminal:
            with err.status(f"{what} ...", spinner="dots"):
                r = run_scenario(s, budget)
        else:
            r = run_scenario(s, budget)
        r.seconds = time.perf_counter() - started
        verdict = verdict_of(r)
        err.print(Text(f"{what}: ").append(verdict, style=VERDICT_STYLE.get(verdict, "yellow"))
                  .append(f" ({r.seconds:.1f} s)"))
        results.append(r)
    return results


def print_summary(out: Console, results: list[ScenarioResult]) -> None:
    table = Table(title="Summary", title_justify="left")
    for column in ("scenario", "verdict", "claims", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for r in results:
        verdict = verdict_of(r)
        ok = sum(c.as_claimed for c in r.claims)
        table.add_row(r.scenario.title, Text(verdict, style=VERDICT_STYLE.get(verdict, "yellow")),
                      f"{ok}/{len(r.claims)} as claimed", f"{r.seconds:.1f}")
    out.print(table)
    counts = Counter(verdict_of(r).split(" (")[0].lower() for r in results)
    total = sum(r.seconds for r in results)
    out.print(f"{len(results)} scenarios: " + ", ".join(f"{n} {v}" for v, n in counts.items())
              + f"; {total:.1f} s")


def describe(s: Scenario) -> str:
    options = describe_membership(s.config) if isinstance(s.config, SpecConfig) else ""
    return (f"{s.config.nodes} servers; {describe_bounds(s.config.bounds)}{options}; "
            f"{s.setting}")


def result_lines(r: ScenarioResult, *, traces: bool = True) -> list[tuple[str, str]]:
    """The report of one scenario as (line, rich style): the verdict green when as claimed,
    red when not; a witness (what a claim says can happen) is not a violation and is not red.
    ``traces``: with each witness and counterexample step by step."""
    s = r.scenario
    verdict = verdict_of(r)
    lines = [(f"scenario {s.title}: {verdict}", VERDICT_STYLE.get(verdict, "yellow")),
             (f"  claim: {s.claim}", ""), (f"  checked: {describe(s)}", "")]
    for c in r.claims:
        mark = "ok " if c.as_claimed else "NO "
        lines.append((f"  {mark} {c.kind:5s} {c.name}: {c.text} — {c.detail}",
                      "green" if c.as_claimed else "red"))
        lines += [(f"        note: {note}", "") for note in c.notes]
    lines += [(f"  note: {note}", "") for note in s.notes]
    for c in r.claims:
        if c.trace is None:
            continue
        title = "witness" if c.seeks_witness else "counterexample"
        if not traces:
            lines.append((f"  {title} for {c.name}: {c.trace.length} steps (--traces, or run "
                          "this scenario alone, prints it)", "dim"))
            continue
        lines.append((f"  {title} for {c.name} ({c.trace.length} steps):", ""))
        steps = counterexample_lines(c.trace, r.model_of(c).summary)[1:-1]
        lines += [("  " + line, "") for line in steps]
        style = "green" if c.as_claimed and c.seeks_witness else "red"
        if c.trace.loop_start is not None:
            lines.append((f"         the behaviour loops back to step {c.trace.loop_start} "
                          f"forever: {c.name}", style))
        else:
            ending = "reaches" if c.kind == "can" else "breaks"
            lines.append((f"         the last state {ending} {c.name}", style))
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
                  subtitle=c.text, ending=c.detail,
                  witness=c.as_claimed and c.seeks_witness)
