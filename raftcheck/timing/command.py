"""The `raftcheck lease` sub-command: flags in, verdict out."""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from typing import Any

from .. import exit_codes
from ..arguments import UNITS, TimeValue, time_value
from ..exit_codes import UsageError
from .lease import LeaseInputError, LeaseQuestion, check_lease
from .report import verdict_json, verdict_lines


def number(text: str) -> Fraction:
    """A decimal or p/q number, kept exact."""
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def rate(text: str) -> Fraction:
    """A drift rate: 0.01, or 1% for the same."""
    if text.strip().endswith("%"):
        return number(text.strip()[:-1]) / 100
    return number(text)


def timeout_range(text: str) -> tuple[TimeValue, TimeValue]:
    """MIN or MIN,MAX: times, each with or without a unit (1000, 1000ms, 1s)."""
    parts = text.split(",")
    if len(parts) > 2:
        raise argparse.ArgumentTypeError(f"expected MIN or MIN,MAX, got {text!r}")
    low = time_value(parts[0])
    return low, time_value(parts[1]) if len(parts) == 2 else low


def in_one_unit(times: list[TimeValue]) -> tuple[list[Fraction], str | None]:
    """The times as numbers of one unit: as given when none has a unit (the user's own unit),
    else all in the smallest unit given (1s and 100ms: 1000 and 100, in ms)."""
    units = {t.unit for t in times}
    if units == {None}:
        return [t.number for t in times], None
    if None in units:
        raise UsageError("give every time with a unit (1000ms, 1s) or none of them (all in one "
                         "unit of your choice)")
    unit = min(units, key=UNITS.__getitem__)
    return [t.seconds / UNITS[unit] for t in times], unit


def register(commands: Any) -> None:
    """Add `lease` to the CLI's sub-parsers."""
    parser = commands.add_parser(
        "lease",
        help="decide with z3 whether a lease read can be stale under bounded clock drift",
        description=(
            "Decide, for every real-valued clock behaviour within the drift bound, whether a "
            "leader serving reads from its lease can answer after another leader committed a "
            "write. Prints a timeline when it can, the inequality that holds when it cannot, "
            "and the largest safe lease. All times in one unit of your choice (e.g. ms). "
            "Exit codes: 0 safe, 1 a stale read is possible, 2 bad usage. See 'raftcheck docs "
            "lease'."
        ),
    )
    parser.add_argument("--election-timeout", type=timeout_range, required=True,
                        metavar="MIN[,MAX]",
                        help="election timeout, randomised in [MIN, MAX] (MAX defaults to MIN); "
                             "times as bare numbers in one unit of your choice, or each with a "
                             "unit (1000ms, 1s)")
    parser.add_argument("--heartbeat", type=time_value, required=True, metavar="H",
                        help="heartbeat interval on the leader's clock (must be < MIN)")
    parser.add_argument("--lease", type=time_value, required=True, metavar="L",
                        help="lease length on the leader's clock, from the start of an "
                             "acknowledged heartbeat round")
    parser.add_argument("--drift", type=rate, required=True, metavar="D",
                        help="clock drift bound: every clock runs at a rate within "
                             "[1-D, 1+D] of real time (e.g. 0.01 or 1%%)")
    parser.add_argument("--nodes", type=int, default=3, metavar="N",
                        help="servers in the cluster (default 3; the answer is the same for "
                             "every N >= 3)")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.set_defaults(run=lease_command)


def lease_command(args: argparse.Namespace) -> int:
    (low, high, heartbeat, lease), unit = in_one_unit([*args.election_timeout, args.heartbeat,
                                                       args.lease])
    try:
        question = LeaseQuestion(low, high, heartbeat, lease, args.drift, args.nodes)
        question.validate()
    except LeaseInputError as e:
        raise UsageError(str(e)) from None
    verdict = check_lease(question)
    code = exit_codes.HOLDS if verdict.safe else exit_codes.VIOLATED
    if args.json:
        print(json.dumps({**verdict_json(verdict, code), "unit": unit}, indent=1))
    else:
        if unit is not None:
            print(f"raftcheck lease: times in {unit}")
        print("\n".join(verdict_lines(verdict)))
    if not verdict.agrees:
        print("raftcheck: warning: z3 and the closed form disagree; please report this",
              file=sys.stderr)
    return code
