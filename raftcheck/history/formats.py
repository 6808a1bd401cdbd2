"""Which history format a file is in, and reading it.

- ``raftcheck-scenario``: a harness's scenario.json (one JSON document with "writes"/"reads");
- ``raftcheck-jsonl``: raftcheck's JSON lines (a JSON object with "type" on the first line);
- ``jepsen-log``: Jepsen's text log (a ``jepsen.util - <process><TAB>`` line among the first);
- ``jepsen-edn``: Jepsen's EDN history (starts with ``{``, ``[`` or ``#``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from raftcheck.grammar.lines import iter_lines, looks_binary

from . import harness, jepsen, jsonl
from .operations import History, HistoryError

READERS: dict[str, Callable[[str], History]] = {
    harness.FORMAT: harness.read,
    jsonl.FORMAT: jsonl.read,
    jepsen.LOG: jepsen.read_log,
    jepsen.EDN: jepsen.read_edn,
}
FORMATS = tuple(READERS)

SNIFF_LINES = 200


def detect(path: str) -> str:
    """The format of the file at ``path``; HistoryError if none fits."""
    if looks_binary(path):
        raise HistoryError("binary data, not a history", path)
    first: str | None = None
    for count, (_number, text, _problem) in enumerate(iter_lines(path)):
        if count >= SNIFF_LINES:
            break
        if text is None or not text.strip():
            continue
        if jepsen.LOG_LINE.search(text):
            return jepsen.LOG
        if first is None:
            first = text.strip()
    if first is None:
        raise HistoryError("empty: no operations", path)
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except ValueError:
            record = None
        if isinstance(record, dict):
            return harness.FORMAT if harness.is_scenario(record) else jsonl.FORMAT
        if first.startswith('{"'):  # JSON, but not a whole object on the first line
            return jsonl.FORMAT if '"type"' in first and '"f"' in first else harness.FORMAT
        if first == "{":
            return harness.FORMAT  # a JSON document laid over several lines
    if first[:1] in "{[#(;":
        return jepsen.EDN
    raise HistoryError(
        "unknown history format: expected raftcheck JSON lines, a harness scenario.json, "
        "Jepsen's EDN history or Jepsen's log lines ('raftcheck docs clients')", path)


def read_history(path: str, fmt: str | None = None) -> History:
    """The history in ``path`` (its format detected unless given)."""
    try:
        chosen = fmt or detect(path)
        return READERS[chosen](path)
    except OSError as exc:
        raise HistoryError(exc.strerror or str(exc), path) from None
