"""Forged copies of recorded runs: a run copied into a test's temporary folder, then edited line
by line (line numbers from 1, as a violation's location names them)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path


def copy_run(run: Path, tmp_path: Path) -> Path:
    """A copy of the run's folder (same name) under tmp_path."""
    copied = tmp_path / run.name
    shutil.copytree(run, copied)
    return copied


def edit_line(path: Path, number: int, change: Callable[[str], str]) -> None:
    """Replace line `number` of the file by change(line); the change must change it."""
    lines = path.read_text().splitlines(keepends=True)
    before = lines[number - 1]
    lines[number - 1] = change(before)
    assert lines[number - 1] != before, f"{path}:{number} unchanged"
    path.write_text("".join(lines))


def drop_lines(path: Path, *numbers: int) -> None:
    """Remove these lines from the file."""
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for k, line in enumerate(lines, 1) if k not in numbers))
