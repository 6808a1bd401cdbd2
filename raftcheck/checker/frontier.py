"""A level's states kept in a file instead of memory (--disk), for models whose states are flat
tuples of 64-bit ints (model.state_width).

In memory a state of a level costs its tuple (about 170 bytes for 5 servers) for as long as
the level is being built and then expanded: for the largest levels of a big scope that is most
of the search's memory. On disk each state is a row of int64 written once, in search order,
and read back in order, a chunk at a time, whenever the level is walked (to check the
survivors, to expand them, for the model to forget what they do not name). Memory then holds a
chunk, and the page cache the rest.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

#: States per chunk written or read (about 7 MB for 5 servers).
CHUNK = 1 << 16


class StateFile:
    """States appended in order, then read back in that order as tuples, any number of times."""

    def __init__(self, path: Path, width: int, *, written: bool = False) -> None:
        """A new file at path; written: the states the file at path already holds (one a
        checkpoint saved), sealed."""
        self.path = path
        self.width = width
        self._row = struct.Struct(f"{width}q")
        self._buffer = bytearray()
        self._count = path.stat().st_size // self._row.size if written else 0
        self._out: BinaryIO | None = (None if written  # closed by seal
                                      else open(path, "wb"))  # noqa: SIM115

    def save_as(self, target: Path) -> StateFile:
        """The same states under another name, sharing the file's blocks where the file
        system can (a hard link), else copied: no state is read into memory."""
        self.seal()
        target.unlink(missing_ok=True)
        try:
            os.link(self.path, target)
        except OSError:
            shutil.copyfile(self.path, target)
        return StateFile(target, self.width, written=True)

    def append(self, state: tuple) -> None:
        self._buffer += self._row.pack(*state)
        self._count += 1
        if self._count % CHUNK == 0:
            self._out.write(self._buffer)
            self._buffer.clear()

    def extend(self, states: Iterable[tuple]) -> None:
        for state in states:
            self.append(state)

    def seal(self) -> None:
        """No more states: write what is buffered and close the file."""
        if self._out is None:
            return
        self._write_out()
        self._out.close()
        self._out = None

    def _write_out(self) -> None:
        self._out.write(self._buffer)  # type: ignore[union-attr]
        self._out.flush()  # type: ignore[union-attr]
        self._buffer.clear()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[tuple]:
        """The states appended so far, in order (more may be appended after)."""
        if self._out is not None:
            self._write_out()
        chunk = CHUNK * self._row.size
        with open(self.path, "rb") as source:
            while rows := source.read(chunk):
                yield from self._row.iter_unpack(rows)

    def remove(self) -> None:
        self.seal()
        self.path.unlink(missing_ok=True)


def in_chunks(numbers: np.ndarray | list[int]) -> Iterable[int]:
    """The numbers as Python ints, converted a chunk at a time (a list is itself)."""
    if isinstance(numbers, list):
        return numbers
    return (number for start in range(0, len(numbers), CHUNK)
            for number in numbers[start:start + CHUNK].tolist())
