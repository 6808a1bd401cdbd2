"""A compact notation for hand-made client histories (test-only).

One event per line, in the order they happened::

    p1 invoke write 1
    p2 invoke read
    p2 ok read 1          # what the read returned (nil for none)
    p1 ok write 1
    p3 invoke cas 1 2
    p3 fail cas 1 2
    k=x p4 invoke write 3 # on key x (default: one register)

Values are integers, ``nil``, or other words (strings).
"""

from __future__ import annotations

from typing import Any

from raftcheck.history.operations import NO_KEY, Event, History, pair_events


def _value(word: str) -> Any:
    if word == "nil":
        return None
    try:
        return int(word)
    except ValueError:
        return word


def events(text: str) -> list[Event]:
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        key: Any = NO_KEY
        if line[0].startswith("k="):
            key, line = line[0][2:], line[1:]
        process, kind, f, *args = line
        values = [_value(a) for a in args]
        if f == "cas":
            value: Any = tuple(values) if values else None
        else:
            value = values[0] if values else None
        out.append(Event(process, kind, f, value, number, key))
    return out


def history(text: str) -> History:
    return pair_events(events(text), "hand-made", "notation")
