"""What every benchmark measures besides wall time (imported by the bench_*.py scripts, which
run as `python benchmarks/NAME.py`, so this folder is on sys.path)."""

from __future__ import annotations

import os
import resource


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (worker processes)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (other jobs share the machine)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
