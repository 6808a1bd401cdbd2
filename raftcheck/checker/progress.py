"""Live progress of a search on a terminal: one line, rewritten in place."""

from __future__ import annotations

from typing import TextIO

from .report import progress_line
from .result import Statistics


class TerminalProgress:
    """Call with the statistics; on a terminal the line is redrawn, elsewhere one line is
    printed per report."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.shown = False

    def __call__(self, stats: Statistics) -> None:
        line = progress_line(stats)
        if self.live:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.live and self.shown:
            self.stream.write("\n")
            self.stream.flush()
