"""What every benchmark measures besides wall time (imported by the bench_*.py scripts, which
run as `python benchmarks/NAME.py`, so this folder is on sys.path)."""

from __future__ import annotations

import resource


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (worker processes)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
