"""Live progress of a search: on a terminal one line redrawn in place (rich, cropped to the
terminal's width so a narrow window never wraps it into a trail of lines); elsewhere one
line per report, for logs."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from .report import progress_line
from .result import Statistics


class TerminalProgress:
    """Call with the statistics; close() when the search ends."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live: Live | None = None
        if stream.isatty():
            console = Console(file=stream, highlight=False)
            self.live = Live(console=console, auto_refresh=False, transient=False)

    @staticmethod
    def renderable(line: str) -> Text:
        return Text(line, no_wrap=True, overflow="ellipsis", style="dim")

    def __call__(self, stats: Statistics) -> None:
        line = progress_line(stats)
        if self.live is None:
            self.stream.write(line + "\n")
            self.stream.flush()
            return
        if not self.live.is_started:
            self.live.start()
        self.live.update(self.renderable(line), refresh=True)

    def close(self) -> None:
        if self.live is not None and self.live.is_started:
            self.live.stop()
