"""raftcheck: one Raft specification, explored exhaustively and used to validate real logs.

This module only wires the sub-commands; each lives in its own module (explore/command.py,
simulate/command.py, validate/command.py, timeline/command.py, history/command.py,
scenarios/command.py, timing/command.py, docs.py)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from . import __version__, exit_codes
from .exit_codes import UsageError
from .huge_pages import start_again_with_huge_pages

#: The sub-commands, in the order of the help, and the module of each: its register(commands)
#: adds the command's parser and sets its handler with set_defaults(run=handler),
#: handler(args) -> exit code. Handlers raise UsageError (ConfigError and ExportError are
#: kinds of it) for bad flags or input: one line, exit 2. A module is imported only when its
#: command is run or all of them are listed, so that `validate` in CI does not pay for
#: explore's imports.
COMMANDS: dict[str, str] = {
    "explore": "raftcheck.explore.command",
    "simulate": "raftcheck.simulate.command",
    "lease": "raftcheck.timing.command",
    "validate": "raftcheck.validate.command",
    "scenario": "raftcheck.scenarios.command",
    "history": "raftcheck.history.command",
    "timeline": "raftcheck.timeline.command",
    "docs": "raftcheck.docs",
}

DESCRIPTION = (
    "raftcheck checks Raft two ways from one specification: 'explore' searches every state of "
    "a small cluster model for a broken safety property and shows the shortest way there; "
    "'validate' reads real etcd and hashicorp/raft logs and names the first line no "
    "behaviour of the spec explains. 'simulate' walks models too large to search at random; "
    "'timeline' tells what happened to a cluster from its logs, 'history' checks clients' "
    "histories for linearizability, 'lease' decides lease safety under clock drift, "
    "'scenario' runs claims about Raft in production.")
EPILOG = ("Exit codes (every command): "
          + "; ".join(f"{code} {text}" for code, text in exit_codes.DESCRIPTIONS.items())
          + ". The manual: 'raftcheck docs' lists its pages.")


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser(only: str | None = None) -> Parser:
    """The parser of every command, or of the one named ``only``."""
    parser = Parser(prog="raftcheck", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"raftcheck {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(module).register(commands)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the line, if it is one (then only its module is needed)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in COMMANDS else None


#: Commands that, started as a program, start again with huge pages (huge_pages.py).
HUGE_PAGE_COMMANDS = ("explore",)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None and chosen_command(sys.argv[1:]) in HUGE_PAGE_COMMANDS:
        start_again_with_huge_pages()  # (the program itself, not a caller in this process)
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser(chosen_command(argv))
        args = parser.parse_args(argv)
        args.command_line = list(argv)
        return args.run(args)
    except UsageError as e:
        print(f"raftcheck: error: {e}", file=sys.stderr)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        print("raftcheck: interrupted", file=sys.stderr)
        return exit_codes.STOPPED
    except BrokenPipeError:
        return exit_codes.HOLDS
    except Exception as e:  # a bug: exit INTERNAL, never a verdict's code
        return report_internal_error(e)


def report_internal_error(e: BaseException) -> int:
    """One line (and the traceback with RAFTCHECK_DEBUG=1) for a bug in raftcheck."""
    cause = e.cause if isinstance(e, exit_codes.InternalError) else e
    what = str(e) if isinstance(e, exit_codes.InternalError) else f"{type(e).__name__}: {e}"
    print(f"raftcheck: internal error: {what}", file=sys.stderr)
    print(f"raftcheck: this is a bug in raftcheck, not a verdict about your cluster (exit "
          f"{exit_codes.INTERNAL}); please report it with the command line and its input "
          "(RAFTCHECK_DEBUG=1 prints the traceback)", file=sys.stderr)
    if os.environ.get("RAFTCHECK_DEBUG"):
        traceback.print_exception(cause)
    return exit_codes.INTERNAL


if __name__ == "__main__":
    sys.exit(main())
