"""Transparent huge pages for explore's searches, where Linux gives them on request.

A search spends much of its time on look-ups in tables of millions of entries (the visited
set's fingerprints, the spec's memo tables): random accesses that miss the CPU's caches and,
with 4 KiB pages, its TLB as well. Most Linux systems give 2 MiB pages to the memory a program
asks for with madvise (/sys/kernel/mm/transparent_hugepage/enabled: "madvise"), and glibc 2.35
and later asks for them for the memory malloc maps when its tunable glibc.malloc.hugetlb=1 is
set. glibc reads tunables when a process starts, so `raftcheck explore`, started as a program,
starts itself again with the tunable set (execv: the same PID, arguments and streams) before
it imports anything heavy. About 5 % less time on raft.tla's scopes (benchmarks/, README).

Nothing is done where huge pages come anyway ("always") or never, off Linux or glibc, where
GLIBC_TUNABLES is set already (the user's choice), or with RAFTCHECK_HUGE_PAGES=0.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from pathlib import Path

#: The kernel's transparent huge page policy.
THP_POLICY = Path("/sys/kernel/mm/transparent_hugepage/enabled")
#: glibc's tunable: madvise(MADV_HUGEPAGE) on the memory malloc takes from the system.
TUNABLE = "glibc.malloc.hugetlb=1"
#: The oldest glibc that knows the tunable.
GLIBC_WITH_TUNABLE = (2, 35)
#: Set to 0 to keep explore from starting itself again.
OPT_OUT = "RAFTCHECK_HUGE_PAGES"


def environment_with_huge_pages(environ: Mapping[str, str], policy: str | None,
                                libc: tuple[str, str]) -> dict[str, str] | None:
    """The environment to start again with, or None where starting again would change
    nothing: policy is the kernel's (THP_POLICY's text, None where unreadable), libc is
    platform.libc_ver()."""
    if environ.get(OPT_OUT) == "0" or "GLIBC_TUNABLES" in environ:
        return None
    if policy is None or "[madvise]" not in policy:
        return None  # "[always]": huge pages already; "[never]": none to have
    name, version = libc
    try:
        numbers = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return None
    if name != "glibc" or numbers < GLIBC_WITH_TUNABLE:
        return None
    return {**environ, "GLIBC_TUNABLES": TUNABLE}


def start_again_with_huge_pages() -> None:
    """Replace this process by the same command with glibc's huge-page tunable, where that
    helps; return where it would not (or the exec fails). Only for a program's own start:
    nothing of this process survives."""
    if sys.platform != "linux":
        return
    try:
        policy: str | None = THP_POLICY.read_text()
    except OSError:
        policy = None
    environ = environment_with_huge_pages(os.environ, policy, platform.libc_ver())
    if environ is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environ)
    except OSError:
        return  # go on without
