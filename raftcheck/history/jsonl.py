"""raftcheck's own history format: JSON lines, one event per line, in the order the events
happened (docs/clients.md):

    {"process": 1, "type": "invoke", "f": "write", "key": "k1", "value": "v1", "time": 0.013}
    {"process": 1, "type": "ok", "f": "write", "key": "k1", "value": "v1", "time": 0.021}

``process`` (a number or a name), ``type`` (invoke, ok, fail, info) and ``f`` (read, write,
cas) are required; ``key`` names the register (absent: one register); ``value`` is what is
written, [old, new] for a cas, what a read returned on its ok line (nil/null on its
invocation); ``time`` is in seconds from any origin, for pictures; ``error`` says why an
operation failed or is indeterminate. Other fields are allowed and ignored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from .edn import Keyword
from .operations import (
    CAS,
    FUNCTIONS,
    NO_KEY,
    TYPES,
    Event,
    History,
    HistoryError,
    Operation,
    hashable,
    pair_events,
    text_lines,
)

FORMAT = "raftcheck-jsonl"


def event_of(record: Any, path: str, line: int) -> Event:
    """One JSON record as an event, or HistoryError naming the line."""
    if not isinstance(record, dict):
        raise HistoryError(f"expected a JSON object, got {type(record).__name__}", path, line)
    for name in ("process", "type", "f"):
        if name not in record:
            raise HistoryError(f"missing field {name!r}", path, line)
    process, kind, f = record["process"], record["type"], record["f"]
    if not isinstance(process, int | str) or isinstance(process, bool):
        raise HistoryError(f"process must be a number or a name, got {process!r}", path, line)
    if kind not in TYPES:
        raise HistoryError(f"type must be one of {', '.join(TYPES)}, got {kind!r}", path, line)
    if f not in FUNCTIONS:
        raise HistoryError(f"f must be one of {', '.join(FUNCTIONS)}, got {f!r}", path, line)
    value = hashable(record.get("value"))
    if f == CAS and kind in ("invoke", "ok") and not (isinstance(value, tuple)
                                                      and len(value) == 2):
        raise HistoryError(f"a cas value must be [old, new], got {record.get('value')!r}",
                           path, line)
    stamp = record.get("time")
    if stamp is not None and (not isinstance(stamp, int | float) or isinstance(stamp, bool)
                              or not math.isfinite(stamp)):
        raise HistoryError(f"time must be a number of seconds, got {stamp!r}", path, line)
    key = hashable(record["key"]) if "key" in record else NO_KEY
    error = record.get("error")
    return Event(process, kind, f, value, line, key,
                 float(stamp) if stamp is not None else None,
                 str(error) if error is not None else None)


def iter_events(path: str) -> Iterator[Event]:
    for number, text in text_lines(path):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"not JSON: {exc.msg} at column {exc.colno}", path,
                               number) from None
        except RecursionError:
            raise HistoryError("not JSON: nested too deeply", path, number) from None
        yield event_of(record, path, number)


def read(path: str) -> History:
    return pair_events(iter_events(path), path, FORMAT)


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, frozenset):
        return sorted((_json_value(v) for v in value), key=repr)
    if isinstance(value, Keyword):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def records(operations: Iterable[Operation]) -> list[dict[str, Any]]:
    """The events of ``operations`` as JSON-lines records, in the order they happened."""
    out: list[tuple[int, dict[str, Any]]] = []
    for op in operations:
        base: dict[str, Any] = {"process": op.process, "f": op.f}
        if op.key is not NO_KEY:
            base["key"] = _json_value(op.key)
        invoke = {**base, "type": "invoke",
                  "value": None if op.f == "read" else _json_value(op.value)}
        if op.invoke_time is not None:
            invoke["time"] = op.invoke_time
        out.append((op.invoke, invoke))
        if op.complete is None:
            continue
        done = {**base, "type": op.status, "value": _json_value(op.value)}
        if op.complete_time is not None:
            done["time"] = op.complete_time
        if op.error:
            done["error"] = op.error
        out.append((op.complete, done))
    out.sort(key=lambda pair: pair[0])
    return [record for _, record in out]


def write(operations: Iterable[Operation], out: TextIO) -> int:
    """Write the events as JSON lines; returns how many."""
    rows = records(operations)
    for record in rows:
        out.write(json.dumps(record, separators=(", ", ": ")) + "\n")
    return len(rows)
