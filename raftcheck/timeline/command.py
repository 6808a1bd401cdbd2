"""The ``timeline`` sub-command: argument parsing and output only."""

from __future__ import annotations

import argparse
import json
import os
import sys

from rich.console import Console

from raftcheck import exit_codes
from raftcheck.arguments import duration
from raftcheck.exit_codes import UsageError
from raftcheck.traces.logfiles import LogError

from .build import TimelineOptions, build_timeline
from .html import write_html
from .jsonout import timeline_json
from .text import render


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "timeline",
        help="what happened to a cluster: elections, leaderless windows, why, from its logs",
        description=(
            "Read one run's logs (the node logs of one cluster over one period: files, or a "
            "directory) and tell its story: every term with who campaigned and who won, how "
            "long the cluster had no leader and why (leader killed, paused, cut off, "
            "disrupted by a node coming back, leadership handed over), the warnings the "
            "implementation logged before each election, and a diagnosis (election storm, a "
            "node cut off, slow leader disk, flapping link, clock skew). Exit codes: 0 "
            "timeline made, 2 bad usage or input (also several runs, or logs that cannot be "
            "one cluster), 5 internal error."),
    )
    p.add_argument("logs", nargs="+", metavar="LOGS",
                   help="the log files of one run, or its directory")
    p.add_argument("--json", action="store_true", help="print the timeline as JSON")
    p.add_argument("--html", metavar="FILE",
                   help="also write one self-contained HTML page: swimlane, tables, diagnosis")
    p.add_argument("--max-skew", type=duration, default=TimelineOptions.max_skew,
                   metavar="DURATION",
                   help="clock difference between nodes not worth reporting; also the merge's "
                        "tolerance, as in validate (default 0.1 s; e.g. 0.5, 50ms)")
    p.add_argument("--election-timeout", type=duration, metavar="DURATION",
                   help="the cluster's election timeout, for logs that do not state it "
                        "(hashicorp/raft's HeartbeatTimeout; etcd logs its own): dates each "
                        "loss of the leader one timeout earlier (e.g. 1s, 1500ms)")
    p.add_argument("--run", metavar="TEXT", dest="choose",
                   help="of several runs in LOGS (e.g. the clusters before and after a "
                        "restore from a snapshot, in one set of files), the one whose name "
                        "holds TEXT, such as its cluster id")
    p.set_defaults(run=timeline_command)


def timeline_command(args: argparse.Namespace) -> int:
    if args.html:
        folder = os.path.dirname(os.path.abspath(args.html))
        if not os.path.isdir(folder):
            raise UsageError(f"--html {args.html}: no such directory {folder}")
    options = TimelineOptions(max_skew=args.max_skew, election_timeout=args.election_timeout,
                              run=args.choose)
    try:
        timeline = build_timeline(args.logs, options)
    except LogError as exc:
        raise UsageError(str(exc)) from None
    if args.html:
        try:
            write_html(timeline, args.html)
        except OSError as exc:
            raise UsageError(f"--html {args.html}: {exc.strerror or exc}") from None
    if args.json:
        print(json.dumps(timeline_json(timeline), indent=1))
    else:
        wide = sys.stdout.isatty() or "COLUMNS" in os.environ  # else rich would assume 80
        render(timeline, Console(highlight=False, width=None if wide else 120))
    if args.html:
        print(f"raftcheck: wrote {args.html}", file=sys.stderr)
    sys.stdout.flush()
    return exit_codes.HOLDS
