"""Rotated logs: one node's log in several files, as logrotate (or the server) leaves them.

``node1.log`` is the newest part; ``node1.log.1`` the one before, ``node1.log.2.gz`` older
still (numbered rotation, compressed or not), or ``node1.log-20261205`` (logrotate's
``dateext``). They are one log, read oldest first; each keeps its own line numbers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

LOG_SUFFIXES = frozenset({".log", ".txt", ".ndjson", ".jsonl", ".json", ".out", ".err"})
"""Suffixes of the files in a directory that may be logs (their content decides)."""

_ROTATED = re.compile(r"(?P<base>.+?)(?:\.(?P<number>\d{1,4})|-(?P<date>\d{8,14}))?"
                      r"(?:\.gz)?")


def log_base(name: str) -> str:
    """The name of the log a file is part of: ``node1.log`` for ``node1.log.2.gz``."""
    return _ROTATED.fullmatch(name).group("base")  # type: ignore[union-attr]


def is_log_name(name: str) -> bool:
    """Whether a file of this name may be (part of) a log."""
    return Path(log_base(name)).suffix.lower() in LOG_SUFFIXES


def natural_key(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def reading_order(name: str) -> tuple:
    """Sort key of file names: by log (natural order: ``node2`` before ``node10``), and the
    parts of one log oldest first: dated parts by date, then numbered ones from the highest
    number down, then the live file."""
    found = _ROTATED.fullmatch(name)
    assert found is not None  # (every name matches: the rotation part is optional)
    if found.group("date"):
        age: tuple = (0, found.group("date"))
    elif found.group("number"):
        age = (1, -int(found.group("number")))
    else:
        age = (2, 0)
    return natural_key(found.group("base")), age
