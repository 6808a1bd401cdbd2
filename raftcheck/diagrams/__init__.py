"""Traces as message sequence diagrams: sequence.py reads a Raft trace into plain records
(events.py); svg.py and mermaid.py draw them; output.py writes the file."""

from .output import DIAGRAM_SUFFIXES, check_diagram_path, diagram_text, write_diagram

__all__ = ["DIAGRAM_SUFFIXES", "check_diagram_path", "diagram_text", "write_diagram"]
