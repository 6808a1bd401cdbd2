"""Helpers for harnesses that run cluster members as child processes: die with the harness,
where data lives, what a dead member said last."""

from __future__ import annotations

import ctypes
import os
import signal
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` of a member: the kernel SIGKILLs it when the harness process dies, so a
    crashed test leaves no cluster behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def default_data_parent() -> Path | None:
    """tmpfs if there is one: members fsync their logs, which takes seconds on a VM disk. A
    kill -9 keeps what a process wrote in the page cache either way, so the fault model
    (process crashes, not power loss) is the same."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def tail(path: Path, lines: int = 3) -> str:
    """The last ``lines`` lines of a file, joined with `` | `` (for one-line error messages)."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no output)"
    return " | ".join(text[-lines:]) or "(empty)"
