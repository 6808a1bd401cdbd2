"""Jepsen's histories: the EDN history (``history.edn``: one operation map per line, or one
vector of them) and the text log lines older Jepsen tests print (jepsen.util/log-op):

    INFO  jepsen.util - 3	:invoke	:cas	[1 4]
    INFO  jepsen.util - 3	:ok	:cas	[1 4]
    INFO  jepsen.util - 4	:info	:write	:timed-out

An operation is {:type :invoke|:ok|:fail|:info, :f :read|:write|:cas, :value v, :process p,
:time nanoseconds, ...}. The nemesis's entries (:process :nemesis) are not client operations
and are skipped. Keys come from a :key entry, or from jepsen.independent's [key value] tuples
when every value is one (operations.split_tuples).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .edn import EdnError, EdnMap, Keyword, keyword, read_all, read_one
from .operations import (
    FUNCTIONS,
    NO_KEY,
    TYPES,
    Event,
    History,
    HistoryError,
    hashable,
    keyed,
    pair_events,
    split_tuples,
    text_lines,
)

EDN = "jepsen-edn"
LOG = "jepsen-log"

NEMESIS = keyword("nemesis")
_K = {name: keyword(name) for name in ("type", "f", "value", "process", "time", "key", "error")}
_TUPLES_NOTE = "keys from jepsen.independent [key value] tuples"

#: ``<anything> jepsen.util - <process>\t:<type>\t:<f>\t<value>[\t<error>]``; the separator
#: after jepsen.util is " - " (log4j/logback patterns) or ": " (older ones). A line with a tab
#: after the process is an operation line and must parse; copies whose tabs became spaces are
#: recognised by their shape (``3   :invoke :write  3``).
LOG_LINE = re.compile(r"jepsen\.util(?: -|:) (?P<process>[^\s]+)(?P<sep>\t|\s+(?=:[\w-]+\s+:))"
                      r"(?P<rest>.*)$")


def _name(value: Any, what: str, allowed: tuple[str, ...], path: str, line: int) -> str:
    """The name of a keyword (``:ok``, or the text ":ok" of a log line) among ``allowed``."""
    if isinstance(value, Keyword):
        name, shown = value.name, str(value)
    elif isinstance(value, str):
        name, shown = value.removeprefix(":"), value
    else:
        name, shown = None, repr(value)
    if name not in allowed:
        raise HistoryError(f"{what} {shown} is not one of "
                           f"{', '.join(':' + a for a in allowed)}"
                           + (" (raftcheck checks registers)" if what == ":f" else ""),
                           path, line)
    return name


def _process(value: Any, path: str, line: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str | Keyword):
        raise HistoryError(f":process must be a number, got {value!r}", path, line)
    return value


def _events_from(events: list[Event], path: str, fmt: str) -> History:
    notes = []
    if split_tuples(events):
        events = keyed(events)
        notes.append(_TUPLES_NOTE)
    return pair_events(events, path, fmt, notes)


def op_event(m: Any, path: str, line: int) -> Event | None:
    """One EDN operation map as an event; None for the nemesis's entries."""
    if not isinstance(m, dict):
        raise HistoryError(f"expected an operation map {{:type ... :f ...}}, got {m!r}"[:200],
                           path, line)
    for k in ("type", "f", "process"):
        if _K[k] not in m:
            raise HistoryError(f"operation has no :{k}", path, line)
    process = m[_K["process"]]
    if process == NEMESIS:
        return None
    kind = _name(m[_K["type"]], ":type", TYPES, path, line)
    f = _name(m[_K["f"]], ":f", FUNCTIONS, path, line)
    stamp = m.get(_K["time"])
    if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int | float)):
        raise HistoryError(f":time must be a number of nanoseconds, got {stamp!r}", path, line)
    error = m.get(_K["error"])
    return Event(_process(process, path, line), kind, f, hashable(m.get(_K["value"])), line,
                 hashable(m[_K["key"]]) if _K["key"] in m else NO_KEY,
                 stamp / 1e9 if stamp is not None else None,
                 _show(error) if error is not None else None)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + " ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    return "nil" if value is None else str(value)


def read_edn(path: str) -> History:
    text = _text(path)
    try:
        values = read_all(text)
    except EdnError as exc:
        raise HistoryError(f"not EDN: {exc.reason}", path, exc.line) from None
    if len(values) == 1 and isinstance(values[0], tuple):
        values = list(values[0])  # one vector of operations
    events = []
    for value in values:
        line = value.line if isinstance(value, EdnMap) else _first_non_map_line(text)
        event = op_event(value, path, line)
        if event is not None:
            events.append(event)
    return _events_from(events, path, EDN)


def _first_non_map_line(text: str) -> int:
    """The line of the first top-level value that is not a map (only for an error message:
    values other than maps do not keep their line)."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip().lstrip("[").rstrip("]")
        try:
            values = read_all(stripped)
        except EdnError:
            continue
        if any(not isinstance(v, EdnMap) for v in values):
            return number
    return 1


def _text(path: str) -> str:
    return "\n".join(text for _, text in text_lines(path))


@lru_cache(maxsize=4096)
def _value(text: str) -> Any:
    """A log line's value column (values repeat: nil, 3, [1 4]; parsed once each)."""
    return hashable(read_one(text))


def log_event(match: re.Match[str], path: str, line: int) -> Event | None:
    """One jepsen.util op line as an event; None for the nemesis's lines."""
    process_text = match["process"]
    rest = match["rest"]
    # With tabs expanded to spaces, the value is the rest of the line.
    fields = rest.split("\t", 3) if "\t" in rest else rest.split(None, 2)
    if len(fields) < 3:
        raise HistoryError("expected <process> TAB :<type> TAB :<f> TAB <value>", path, line)
    kind_text, f_text, value_text = (f.strip() for f in fields[:3])
    if process_text == ":nemesis":
        return None
    if not process_text.lstrip("-").isdigit():
        raise HistoryError(f"process must be a number, got {process_text!r}", path, line)
    kind = _name(kind_text, ":type", TYPES, path, line)
    f = _name(f_text, ":f", FUNCTIONS, path, line)
    try:
        value = _value(value_text)
    except EdnError as exc:
        raise HistoryError(f"value {value_text[:60]!r} is not EDN: {exc.reason}", path,
                           line) from None
    error = fields[3].strip() if len(fields) > 3 and fields[3].strip() else None
    return Event(int(process_text), kind, f, value, line, error=error)


def read_log(path: str) -> History:
    events: list[Event] = []
    for number, text in text_lines(path):
        match = LOG_LINE.search(text)
        if match is None:
            continue  # Jepsen's other log lines
        event = log_event(match, path, number)
        if event is not None:
            events.append(event)
    if not events:
        raise HistoryError("no jepsen.util operation lines", path)
    return _events_from(events, path, LOG)
