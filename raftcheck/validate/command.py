"""The ``validate`` sub-command: argument parsing and output only."""

from __future__ import annotations

import argparse
import json
import sys

from raftcheck.arguments import duration, positive, positive_or_auto
from raftcheck.exit_codes import UsageError
from raftcheck.traces.logfiles import LogError

from .engine import ValidateOptions, check_run
from .junit import write_junit
from .parallel import usable_cores, validate_each
from .report import Report
from .runs import find_runs


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "validate",
        help="check real cluster logs against the Raft spec",
        description=(
            "Check that some behaviour of the raftcheck Raft spec explains the events in the "
            "given logs, and name the first line that none does. Each run is checked on its "
            "own: a directory holding node logs (searched recursively), each etcd-raft "
            "transcript or trace, or the node log files given together. Exit codes (the "
            "worst run's): 0 conforms, 1 violates, 2 bad usage or input (also logs that "
            "cannot be one cluster), 4 inconclusive (features outside the model, or too "
            "little observed), 5 internal error. See 'raftcheck docs validate'."
        ),
    )
    p.add_argument("logs", nargs="+", metavar="LOGS",
                   help="log files, or directories of runs (searched recursively)")
    p.add_argument("--max-skew", type=duration, default=ValidateOptions.max_skew,
                   metavar="DURATION",
                   help="how far two nodes' clocks may disagree; events within it are ordered "
                        "by causality, not by timestamp (default 0.1; e.g. 0.5, 50ms)")
    p.add_argument("--max-clock-gap", type=duration, default=ValidateOptions.max_clock_gap,
                   metavar="DURATION",
                   help="how far a node's clock may be found ahead of the others' where "
                        "nothing within --max-skew explains a line (a clock stepped forward): "
                        "its later lines are merged that much earlier, and the verdict says "
                        "so; a line explained only beyond it is inconclusive, naming the gap "
                        "(default 60; 0 trusts the clocks to --max-skew)")
    p.add_argument("--max-candidates", type=positive, default=ValidateOptions.max_candidates,
                   metavar="N", help="bound of the set of candidate states (default 64)")
    p.add_argument("--no-pre-vote", dest="pre_vote", action="store_false",
                   help="the cluster does not use pre-vote: a pre-candidate is a violation")
    p.add_argument("--no-check-quorum", dest="check_quorum", action="store_false",
                   help="the cluster does not use check-quorum: a leader stepping down "
                        "without a higher term is a violation")
    p.add_argument("--workers", type=positive_or_auto, default=None, metavar="N|auto",
                   help="check up to N runs at once, each in its own process (default auto: "
                        "one per usable core; the verdicts and their order do not change)")
    p.add_argument("--junit", metavar="FILE",
                   help="also write a JUnit XML report to FILE (one test case per run)")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.set_defaults(run=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    options = ValidateOptions(max_skew=args.max_skew, max_clock_gap=args.max_clock_gap,
                              max_candidates=args.max_candidates,
                              pre_vote=args.pre_vote, check_quorum=args.check_quorum)
    try:
        runs = find_runs(args.logs)
        if len(runs) == 1:  # one run: bad input is a usage error, a bug an internal error
            report = Report([check_run(runs[0], options)])
        else:
            workers = usable_cores() if args.workers is None else args.workers
            report = Report(validate_each(runs, options, workers))
    except LogError as exc:
        raise UsageError(str(exc)) from None
    if args.junit:
        try:
            write_junit(args.junit, report, name=" ".join(args.logs))
        except OSError as exc:
            raise UsageError(f"--junit {args.junit}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        print("\n".join(report.lines()))
    sys.stdout.flush()
    return report.exit_code
