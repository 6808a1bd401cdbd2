"""Reading a log file line by line, in bounded memory, whatever bytes it holds."""

from __future__ import annotations

from collections.abc import Iterator

MAX_LINE_BYTES = 1 << 20
"""A longer line is reported as a problem and skipped without being held in memory."""

READ_BUFFER = 1 << 16
"""Bytes read at a time: with the default 8 KiB, skipping a 1 GiB line takes six times
longer."""


def iter_lines(path: str) -> Iterator[tuple[int, str | None, str | None]]:
    """Yield ``(line number, text, None)`` per line, or ``(line number, None, problem)`` for
    a line that is not text (invalid UTF-8, NUL bytes) or is too long. Raises OSError."""
    with open(path, "rb", buffering=READ_BUFFER) as f:
        number = 0
        while True:
            chunk = f.readline(MAX_LINE_BYTES + 1)
            if not chunk:
                return
            number += 1
            if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
                while True:  # drain the rest of the overlong line
                    more = f.readline(MAX_LINE_BYTES)
                    if not more or more.endswith(b"\n"):
                        break
                yield number, None, f"line longer than {MAX_LINE_BYTES} bytes, skipped"
                continue
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                yield number, None, "not UTF-8 text (binary data?)"
                continue
            if "\x00" in text:
                yield number, None, "NUL bytes in line (binary data?)"
                continue
            yield number, text.rstrip("\r\n"), None


_CONTROL = frozenset(range(32)) - {9, 10, 13}


def looks_binary(path: str, size: int = 8192) -> bool:
    """True if more than a tenth of the file's first bytes are control bytes (NUL, ...) or not
    UTF-8: a binary file. A text log with a few junk lines is text (its junk lines are
    reported one by one)."""
    with open(path, "rb") as f:
        head = f.read(size)
    if not head:
        return False
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") + sum(1 for b in head if b in _CONTROL)
    return bad * 10 > len(head)
