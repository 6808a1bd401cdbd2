"""``python -m raftcheck.harness``: run real clusters with faults and keep their logs.

    python -m raftcheck.harness list
    python -m raftcheck.harness record flapping --out runs/flap --duration 20

Each command lives in its own module; this one only wires them (see record.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from raftcheck import exit_codes
from raftcheck.harness.record import register, register_list

#: Each registers its sub-parser and sets run=handler(args) -> exit code.
COMMANDS = [register, register_list]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(exit_codes.USAGE)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m raftcheck.harness",
                     description="Run real Raft clusters on this machine with faults and keep "
                                 "their logs and ground truth. See "
                                 "'raftcheck docs etcd-cluster-harness'.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=_Parser)
    for register_command in COMMANDS:
        register_command(commands)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except Exception as exc:  # a bug in the harness: say so, never look like a result
        print(f"{parser.prog}: internal error (a bug in raftcheck, please report it): "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("RAFTCHECK_DEBUG"):
            traceback.print_exc()
        return exit_codes.INTERNAL


if __name__ == "__main__":
    sys.exit(main())
