"""``raftcheck history``: is a recorded client history linearizable?

    history = read_history("history.edn")       # Jepsen EDN or log, JSON lines, scenario.json
    verdict = check_history(history)            # each key on its own
    verdict.exit_code, verdict.failing[0].window

A register per key (read, write, cas); the Wing–Gong search with Lowe's memoisation
(search.py); indeterminate operations as Knossos treats them; for a key that fails, the
smallest window that shows it (window.py). docs/clients.md explains the method and its limits.
"""

from .check import HistoryVerdict, KeyVerdict, check_history
from .formats import FORMATS, detect, read_history
from .harness import history_of as scenario_history
from .jsonl import records as jsonl_records
from .jsonl import write as write_jsonl
from .operations import History, HistoryError, Operation
from .window import Window

__all__ = ["FORMATS", "History", "HistoryError", "HistoryVerdict", "KeyVerdict", "Operation",
           "Window", "check_history", "detect", "jsonl_records", "read_history",
           "scenario_history", "write_jsonl"]
