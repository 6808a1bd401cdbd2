"""The ``history`` sub-command: argument parsing and output only."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from raftcheck import exit_codes
from raftcheck.arguments import seconds
from raftcheck.exit_codes import UsageError

from . import jsonl, picture
from .check import HistoryVerdict, check_history
from .formats import FORMATS, read_history
from .operations import HistoryError
from .report import LINEARIZABLE, NOT_LINEARIZABLE, UNDECIDED, text_lines, to_json
from .window import EXPLAIN_SECONDS

#: Exit codes from best to worst: several files give the worst.
SEVERITY = (exit_codes.HOLDS, exit_codes.STOPPED, exit_codes.VIOLATED)


def register(commands: Any) -> None:
    """Add ``history`` to the CLI's sub-parsers."""
    p = commands.add_parser(
        "history",
        help="check a recorded client history (Jepsen EDN or log, raftcheck JSON lines, a "
             "harness scenario.json) for linearizability",
        description=(
            "Check that each key's operations (read, write, cas on a register) have a "
            "linearization: an order that agrees with real time and with what each operation "
            "returned. Indeterminate operations (info, timeouts) may take effect at any time "
            "after their invocation, or never. For a key that has none, name the first "
            "response no order explains and the smallest window of operations that shows it. Exit "
            "codes: 0 linearizable, 1 not linearizable, 2 bad usage or input, 3 stopped by "
            "--time-limit. See 'raftcheck docs clients'."),
    )
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a history; several are checked one by one (the exit code is the "
                        "worst)")
    p.add_argument("--format", choices=FORMATS,
                   help="the history format (default: detected per file)")
    p.add_argument("--time-limit", type=seconds, metavar="SECONDS",
                   help="stop searching after this long per file (exit 3 if undecided)")
    p.add_argument("--window-time", type=seconds, default=EXPLAIN_SECONDS, metavar="SECONDS",
                   help="time to spend making a failing key's window small (default "
                        f"{EXPLAIN_SECONDS:g}; a window cut short is valid, perhaps not the "
                        "smallest)")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.add_argument("--svg", metavar="OUT", help="draw the history as SVG (one FILE only)")
    p.add_argument("--html", metavar="OUT",
                   help="write a page with the picture and the report (one FILE only)")
    p.add_argument("--export", metavar="OUT",
                   help="write the history read as raftcheck JSON lines (one FILE only)")
    p.set_defaults(run=history_command)


def history_command(args: argparse.Namespace) -> int:
    outputs = [name for name in ("svg", "html", "export") if getattr(args, name)]
    if outputs and len(args.files) > 1:
        raise UsageError(f"--{outputs[0]} draws or writes one history: give one FILE")
    for name in outputs:
        folder = Path(getattr(args, name)).parent
        if not folder.is_dir():
            raise UsageError(f"--{name} {getattr(args, name)}: no directory {folder}")
    try:
        histories = [read_history(path, args.format) for path in args.files]
    except HistoryError as exc:
        raise UsageError(str(exc)) from None
    verdicts: list[HistoryVerdict] = []
    for history in histories:
        verdict = check_history(history, args.time_limit, window_time=args.window_time)
        verdicts.append(verdict)
        if not args.json:
            if len(verdicts) > 1:
                print()
            print("\n".join(text_lines(verdict)))
            sys.stdout.flush()
    _write_outputs(args, verdicts[0])
    code = max((v.exit_code for v in verdicts), key=SEVERITY.index)
    if args.json:
        overall = {exit_codes.HOLDS: LINEARIZABLE, exit_codes.VIOLATED: NOT_LINEARIZABLE,
                   exit_codes.STOPPED: UNDECIDED}[code]
        print(json.dumps({"verdict": overall, "exit_code": code,
                          "files": [to_json(v) for v in verdicts]}, indent=1))
    return code


def _write_outputs(args: argparse.Namespace, verdict: HistoryVerdict) -> None:
    for kind in ("svg", "html"):
        path = getattr(args, kind)
        if path:
            try:
                picture.write(path, verdict, kind)
            except OSError as exc:
                raise UsageError(f"--{kind} {path}: cannot write: {exc.strerror or exc}") \
                    from None
    if args.export:
        try:
            with open(args.export, "w", encoding="utf-8") as out:
                jsonl.write(verdict.history.operations, out)
        except OSError as exc:
            raise UsageError(f"--export {args.export}: cannot write: {exc.strerror or exc}") \
                from None
