"""Reading a log file line by line, in bounded memory, whatever bytes it holds."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from itertools import repeat
from typing import BinaryIO

MAX_LINE_BYTES = 1 << 20
"""A longer line is reported as a problem and skipped without being held in memory."""

READ_BLOCK = 1 << 16
"""Bytes read at a time."""


def iter_lines(path: str) -> Iterator[tuple[int, str | None, str | None]]:
    """Yield ``(line number, text, None)`` per line, or ``(line number, None, problem)`` for
    a line that is not text (invalid UTF-8, NUL bytes) or is too long. Raises OSError.

    The file is read a block at a time and a block of good lines is decoded at once (most
    blocks); a block with a bad line in it is decoded line by line, so that only that line is
    a problem. Memory holds one block and at most one line of ``MAX_LINE_BYTES``."""
    with open_log(path) as f:
        number = 0
        rest = b""  # the start of a line that goes on in the next block
        overlong = False  # the line being read is already too long: its bytes are dropped
        while True:
            block = read_block(f)
            if not block:
                break
            end = block.rfind(b"\n")
            if end == -1:  # the line goes on
                if not overlong:
                    rest += block
                    overlong = len(rest) > MAX_LINE_BYTES
                    if overlong:
                        rest = b""
                continue
            if overlong:  # its end: one problem for the whole line
                number += 1
                yield number, None, _too_long()
                overlong, head = False, block[block.index(b"\n") + 1:end + 1]
            else:
                head = rest + block[:end + 1]
            rest = block[end + 1:]
            try:
                text: str | None = head.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is None or "\x00" in text or len(head) > MAX_LINE_BYTES:
                for line in head.split(b"\n")[:-1]:  # some line is bad: each on its own
                    number += 1
                    yield number, *_one_line(line)
                continue
            lines = text.split("\n")[:-1]
            if "\r" in text:  # (CRLF line ends: most logs have none)
                lines = [line.rstrip("\r") for line in lines]
            # the block's (number, line, None) made by C iterators, not a Python step per line
            yield from zip(range(number + 1, number + 1 + len(lines)), lines, repeat(None))
            number += len(lines)
        if overlong or rest:
            number += 1
            yield (number, None, _too_long()) if overlong else (number, *_one_line(rest))


GZIP_MAGIC = b"\x1f\x8b"


def open_log(path: str) -> BinaryIO:
    """The file's bytes, decompressed if it is gzip-compressed (a rotated log, ``.gz``)."""
    f = open(path, "rb", buffering=0)  # noqa: SIM115 (returned to the caller's ``with``)
    if f.read(2) == GZIP_MAGIC:
        f.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    f.seek(0)
    return f


def read_block(f: BinaryIO, size: int = READ_BLOCK) -> bytes:
    """The next block; a corrupt or cut-off compressed file is an OSError like any unreadable
    file (the callers report those as bad input)."""
    try:
        return f.read(size)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise OSError(f"corrupt gzip data ({exc or 'cut off'})") from None


def _too_long() -> str:
    return f"line longer than {MAX_LINE_BYTES} bytes, skipped"


def _one_line(line: bytes) -> tuple[str | None, str | None]:
    """``(text, None)`` or ``(None, problem)`` for one line's bytes, without its newline."""
    if len(line) > MAX_LINE_BYTES:
        return None, _too_long()
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8 text (binary data?)"
    if "\x00" in text:
        return None, "NUL bytes in line (binary data?)"
    return text.rstrip("\r"), None


_CONTROL = frozenset(range(32)) - {9, 10, 13}


def looks_binary(path: str, size: int = 8192) -> bool:
    """True if more than a tenth of the file's first bytes are control bytes (NUL, ...) or not
    UTF-8: a binary file. A text log with a few junk lines is text (its junk lines are
    reported one by one)."""
    with open_log(path) as f:
        head = read_block(f, size)
    if not head:
        return False
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") + sum(1 for b in head if b in _CONTROL)
    return bad * 10 > len(head)
