"""explore's search flags, and the search they ask for: one process, worker processes, or a
Ray cluster; budgets; the visited set on disk; checkpoints; SIGTERM taken as Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, TypeVar

from ..arguments import positive, seconds
from ..checker.checkpoint import Checkpoint, CheckpointError
from ..checker.model import Model
from ..checker.parallel import parallel_breadth_first
from ..checker.progress import TerminalProgress
from ..checker.result import SearchResult
from ..checker.search import Budget, breadth_first
from ..spec.config import ConfigError
from .options import NOT_GIVEN

P = TypeVar("P")

ENGINES = ("local", "ray")
#: Flags that do not change what is searched: not saved with a checkpoint, and free to
#: change when it is resumed.
RUN_FLAGS = ("run", "command", "resume", "checkpoint", "json", "progress", "out", "graph",
             "diagram", "time_limit", "max_states", "show_scope", "list_invariants",
             "list_mutants", "disk", "engine", "address")
_NOT_GIVEN_MARK = "<not given>"


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    search = parser.add_argument_group("search")
    search.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=None,
                        help="reduce by renaming of servers (default on; sound for every "
                             "property here, since none names a server; the timed model "
                             "has none)")
    add_engine_arguments(search, "processes (or Ray actors) sharing the search (default 1; "
                                 "'raftcheck docs scale')")
    search.add_argument("--disk", metavar="DIR",
                        help="keep the visited set's older levels in files under DIR "
                             "(created; must be empty), not in memory; in one process, "
                             "each level's states too")
    search.add_argument("--checkpoint", metavar="DIR",
                        help="save the search in DIR after every level (and keep the last "
                             "one on Ctrl-C or SIGTERM); --resume DIR continues it")
    search.add_argument("--resume", metavar="DIR",
                        help="continue the search saved by --checkpoint DIR, with the model "
                             "and scope it was started with")
    search.add_argument("--max-states", type=positive, metavar="N",
                        help="stop after N distinct states (exit 3)")
    search.add_argument("--time-limit", type=seconds, metavar="T",
                        help="stop after T seconds, or e.g. 5m, 1h (exit 3)")
    search.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="live progress on stderr (default: when stderr is a terminal)")


def add_engine_arguments(group: argparse._ArgumentGroup, workers_help: str) -> None:
    """--workers, --engine and --address: how many work at once, and where (explore's search,
    simulate's walks). workers_help: what the workers do, in the command's words."""
    group.add_argument("--workers", type=positive, default=1, metavar="N", help=workers_help)
    group.add_argument("--engine", choices=ENGINES, default="local",
                       help="local (default): this machine's processes; ray: --workers actors "
                            "on a Ray cluster (pip install 'raftcheck[ray]')")
    group.add_argument("--address", metavar="HOST:PORT",
                       help="with --engine ray: the cluster to join (default: start a local "
                            "Ray instance for the run)")


def check_engine_arguments(args: argparse.Namespace) -> None:
    """--address only with --engine ray."""
    if args.address and args.engine != "ray":
        raise ConfigError("--address names a Ray cluster: use it with --engine ray")


def restore_saved_flags(args: argparse.Namespace) -> None:
    """With --resume DIR: the flags that chose the model, as the checkpoint saved them."""
    if not args.resume:
        return
    if args.checkpoint and Path(args.checkpoint) != Path(args.resume):
        raise ConfigError("--resume DIR goes on saving in DIR; --checkpoint cannot name "
                          "another directory")
    try:
        saved = Checkpoint(Path(args.resume)).meta()["flags"]
    except CheckpointError as e:
        raise ConfigError(f"--resume {e}") from None
    for name, value in saved.items():
        setattr(args, name, NOT_GIVEN if value == _NOT_GIVEN_MARK else value)
    args.checkpoint = args.resume


def saved_flags(args: argparse.Namespace) -> dict[str, Any]:
    return {name: _NOT_GIVEN_MARK if value is NOT_GIVEN else value
            for name, value in vars(args).items() if name not in RUN_FLAGS}


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM stops the search as Ctrl-C does: partial statistics, exit 3. So does SIGINT
    even where the process started with it ignored (a shell starts background jobs so, and
    Python then never raises KeyboardInterrupt): `kill -INT` still stops a search."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous_term = signal.signal(signal.SIGTERM, interrupt)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def spill_directory(text: str | None) -> Path | None:
    if text is None:
        return None
    path = Path(text)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(f"--disk {text}: not an empty directory")
    path.mkdir(parents=True, exist_ok=True)
    return path


def terminal_progress(args: argparse.Namespace, display: Callable[[TextIO], P] = TerminalProgress
                      ) -> P | None:
    """Live progress on stderr where --progress (default: a terminal) asks for it."""
    show = sys.stderr.isatty() if args.progress is None else args.progress
    return display(sys.stderr) if show else None


def search_budget(args: argparse.Namespace) -> Budget:
    return Budget(max_states=args.max_states, seconds=args.time_limit)


def run_search(args: argparse.Namespace, model: Model, names: list[str]) -> SearchResult:
    """The safety search the flags ask for, with live progress where asked."""
    check_engine_arguments(args)
    if args.engine == "ray" and args.checkpoint:
        raise ConfigError("--checkpoint and --resume run on the local engine")
    checkpoint = Path(args.checkpoint) if args.checkpoint else None
    if checkpoint is not None and not args.resume and checkpoint.exists() and any(
            checkpoint.iterdir()):
        raise ConfigError(f"--checkpoint {args.checkpoint}: not an empty directory (to go on "
                          f"with the search saved there: --resume {args.checkpoint})")
    spill = spill_directory(args.disk)
    progress = terminal_progress(args)
    common: dict[str, Any] = dict(symmetry=args.symmetry, checked=names, progress=progress,
                                  budget=search_budget(args), spill=spill)
    if checkpoint is not None:
        checkpoint.mkdir(parents=True, exist_ok=True)
        common.update(checkpoint=Checkpoint(checkpoint), resume=bool(args.resume),
                      meta={"flags": saved_flags(args)})
    try:
        with stop_signals_interrupt():
            if args.engine == "ray":
                from ..checker.ray_engine import RayMissing, ray_breadth_first
                try:
                    return ray_breadth_first(model, workers=args.workers,
                                             address=args.address, **common)
                except RayMissing as e:
                    raise ConfigError(str(e)) from None
            if args.workers == 1:
                return breadth_first(model, **common)
            return parallel_breadth_first(model, workers=args.workers, **common)
    except CheckpointError as e:
        raise ConfigError(f"--resume {e}") from None
    finally:
        if progress:
            progress.close()
