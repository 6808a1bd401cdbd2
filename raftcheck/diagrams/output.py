"""Writing a trace as a diagram file: the suffix picks the format (.svg or .mmd)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..checker.export import ExportError
from ..checker.result import Counterexample
from . import mermaid, svg
from .sequence import build

if TYPE_CHECKING:
    from ..spec.model import RaftModel

DIAGRAM_SUFFIXES = (".svg", ".mmd")


def check_diagram_path(path: str) -> None:
    """Refuse an unknown suffix before spending time on a search."""
    if not path.lower().endswith(DIAGRAM_SUFFIXES):
        raise ExportError(f"{path}: unknown diagram format; use .svg or .mmd (Mermaid)")


def diagram_text(path: str | Path, cex: Counterexample, model: RaftModel, *,
                 title: str | None = None, subtitle: str = "", ending: str | None = None,
                 witness: bool = False) -> str:
    """The diagram of the trace in the format the file name asks for (``witness``: the trace
    shows what a claim says can happen, drawn as such, not as a violation)."""
    check_diagram_path(str(path))
    seq = build(cex, model, title=title, subtitle=subtitle, ending=ending, witness=witness)
    return svg.render(seq) if str(path).lower().endswith(".svg") else mermaid.render(seq)


def write_diagram(path: str | Path, cex: Counterexample, model: RaftModel, *,
                  title: str | None = None, subtitle: str = "",
                  ending: str | None = None, witness: bool = False) -> None:
    """Write the trace as a message sequence diagram: *.svg as SVG, *.mmd as Mermaid text."""
    text = diagram_text(path, cex, model, title=title, subtitle=subtitle, ending=ending,
                        witness=witness)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise ExportError(f"{path}: cannot write: {e.strerror or e}") from e
