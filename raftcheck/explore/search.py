"""explore's search flags, and the search they ask for: one process, worker processes, or a
Ray cluster; budgets; SIGTERM taken as Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from ..arguments import count, seconds
from ..checker.model import Model
from ..checker.parallel import parallel_breadth_first
from ..checker.progress import TerminalProgress
from ..checker.result import SearchResult
from ..checker.search import Budget, breadth_first
from ..spec.config import ConfigError

ENGINES = ("local",)


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    search = parser.add_argument_group("search")
    search.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=None,
                        help="reduce by renaming of servers (default on; sound for every "
                             "property here, since none names a server; the timed model "
                             "has none)")
    search.add_argument("--workers", type=count, default=1, metavar="N",
                        help="processes sharing the search (default 1; see docs/scale.md)")
    search.add_argument("--engine", choices=ENGINES, default="local",
                        help="local (default): this machine's processes")
    search.add_argument("--max-states", type=count, metavar="N",
                        help="stop after N distinct states (exit 3)")
    search.add_argument("--time-limit", type=seconds, metavar="T",
                        help="stop after T seconds, or e.g. 5m, 1h (exit 3)")
    search.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="live progress on stderr (default: when stderr is a terminal)")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the search as Ctrl-C does: partial statistics, exit 3."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_search(args: argparse.Namespace, model: Model, names: list[str]) -> SearchResult:
    """The safety search the flags ask for, with live progress where asked."""
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    progress = TerminalProgress(sys.stderr) if show_progress else None
    search = breadth_first if args.workers == 1 else partial(
        parallel_breadth_first, workers=args.workers)
    try:
        with sigterm_as_interrupt():
            return search(
                model, symmetry=args.symmetry, checked=names, progress=progress,
                budget=Budget(max_states=args.max_states, seconds=args.time_limit),
            )
    finally:
        if progress:
            progress.close()
