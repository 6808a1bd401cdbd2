"""Runs checked side by side. Each run is a unit of its own (runs.py): nothing one run's check
learns is used by another's, so worker processes can check several at once. The verdicts come
back in the order the runs were found, the same as one process gives."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import repeat

from raftcheck.exit_codes import InternalError

from .engine import ValidateOptions, validate_run
from .report import Report, Verdict
from .runs import Run, find_runs


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def validate_each(runs: Sequence[Run], options: ValidateOptions | None = None,
                  workers: int = 1) -> list[Verdict]:
    """Every run's verdict, in order, checked by up to ``workers`` processes at once.

    A bug met while checking one run is that run's INTERNAL_ERROR verdict, as in one process;
    a worker process that dies (killed, out of memory) is an InternalError: no verdict is
    made up for the runs it held."""
    workers = min(workers, len(runs))
    if workers <= 1:
        return [validate_run(run, options) for run in runs]
    # fork where the system has it: the workers start with raftcheck already imported
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context)
    try:
        return list(pool.map(validate_run, runs, repeat(options), chunksize=1))
    except BrokenProcessPool as exc:
        raise InternalError(f"checking {len(runs)} runs in {workers} worker processes "
                            "(one died: killed, or out of memory?)", exc) from exc
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)  # the runs not started never start
        raise
    finally:
        pool.shutdown(wait=True)


def validate_runs(paths: Iterable[str | os.PathLike[str]],
                  options: ValidateOptions | None = None, workers: int = 1) -> Report:
    """Find the runs in ``paths`` (runs.py) and validate each on its own, up to ``workers``
    at once. Raises LogError when a path does not exist or holds no Raft logs at all."""
    return Report(validate_each(find_runs(paths), options, workers))
