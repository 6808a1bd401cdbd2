"""A history verdict for people (text) and for tools (JSON)."""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any

from .check import HistoryVerdict, KeyVerdict
from .edn import Keyword, Symbol
from .model import observed
from .operations import CAS, FAIL, INFO, NO_KEY, OK, READ, Operation
from .window import Window

#: Keys listed one by one in the text report when there are at most this many; beyond, only
#: the keys that fail (or were not decided) are.
KEYS_LISTED = 20

LINEARIZABLE, NOT_LINEARIZABLE, UNDECIDED = "linearizable", "not linearizable", "undecided"


def show(value: Any) -> str:
    """A value as the history shows it: nil, 3, "v1", :timed-out, [1 4]."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Keyword | Symbol):
        return str(value)
    if isinstance(value, tuple):
        return "[" + " ".join(show(v) for v in value) + "]"
    if isinstance(value, frozenset):
        return "#{" + " ".join(sorted(show(v) for v in value)) + "}"
    return str(value)


def show_key(key: Hashable) -> str:
    return "(the register)" if key is NO_KEY else show(key)


def describe(op: Operation) -> str:
    """What the operation did: ``write 3``, ``read -> 2``, ``cas 1 -> 4``."""
    if op.f == READ:
        return f"read -> {show(op.value)}" if op.status == OK else "read"
    if op.f == CAS:
        return f"cas {show(op.value[0])} -> {show(op.value[1])}"
    return f"write {show(op.value)}"


def outcome(op: Operation) -> str:
    return {OK: "ok", FAIL: "failed", INFO: "indeterminate"}[op.status]


def where(op: Operation) -> str:
    """``line 12-15`` (invocation and completion lines), ``line 12 (no response)``, or the
    record's name."""
    if not op.line:
        return op.source or f"operation {op.index + 1}"
    if op.complete_line:
        return f"line {op.line}-{op.complete_line}"
    return f"line {op.line} (no response)"


def verdict_of(v: HistoryVerdict) -> str:
    if v.failing:
        return NOT_LINEARIZABLE
    return UNDECIDED if v.undecided else LINEARIZABLE


def key_verdict(k: KeyVerdict) -> str:
    return {True: LINEARIZABLE, False: NOT_LINEARIZABLE, None: UNDECIDED}[k.linearizable]


def headline(v: HistoryVerdict) -> str:
    n_keys, n_ops = len(v.keys), len(v.history.operations)
    scope = f"{n_ops:,} operation(s) on {n_keys:,} key(s)"
    if v.failing:
        return (f"NOT LINEARIZABLE: {len(v.failing)} of {n_keys} key(s) have no linearization "
                f"({scope})")
    if v.undecided:
        return (f"UNDECIDED: the time limit ran out before {len(v.undecided)} of {n_keys} "
                f"key(s) were decided ({scope})")
    return f"LINEARIZABLE: every key's history has a linearization ({scope})"


def start_summary(w: Window) -> str:
    """The values the register may hold at the window's start that its operations look for,
    and how many others (which no operation in the window tells apart)."""
    looked_for = {v for op in w.operations for v in observed(op)}
    named = [v for v in w.start_values if v in looked_for]
    others = len(w.start_values) - len(named)
    text = ", ".join(show(v) for v in named)
    if not text:
        return (f"nil or a value written before ({len(w.start_values)} in all), none of them "
                "one its operations look for")
    if others:
        more = f"any of {others} other value(s) written before" if others > 1 else (
            show(next(v for v in w.start_values if v not in looked_for)))
        text = f"{text} or {more}"
    return text


def window_lines(w: Window, recorded: dict[int, Operation]) -> list[str]:
    """The explanation of one key's failure."""
    f = w.failing
    result = "" if f.status == OK else f" ({outcome(f)})"
    out = [f"  first response no linearization explains: {where(f)}, process {f.process} "
           f"{describe(f)}{result}",
           "  (every response before it has one)"]
    first = min(w.operations, key=lambda op: op.invoke)
    first = recorded.get(first.index, first)
    out.append(f"  smallest window: {len(w.operations)} operation(s), from {where(first)}; "
               f"when it starts the register may hold {start_summary(w)}")
    width = max(len(where(recorded.get(op.index, op))) for op in w.operations)
    reasons = []
    for op in w.operations:
        original = recorded.get(op.index, op)
        status = outcome(original)
        reason = w.reasons.get(op.index)
        if reason:
            if reason not in reasons:
                reasons.append(reason)
            status += f", taken as indeterminate ({'*' * (reasons.index(reason) + 1)})"
        mark = "   <- cannot be linearized" if op.index == f.index else ""
        out.append(f"    {where(original):<{width}}  process {op.process!s:<4} "
                   f"{describe(original):<20} {status}{mark}")
    out += [f"    {'*' * (i + 1)} {reason}" for i, reason in enumerate(reasons)]
    out.append("  No order of these operations agrees with their results and with real time "
               "(one that")
    out.append("  ended before another began comes first), whatever the register held at "
               "the start;")
    out.append("  an indeterminate one may take effect at any time after its invocation, "
               "or never.")
    if not w.minimal:
        out.append("  (the time budget for making the window small ran out: a smaller one "
                   "may exist; see --window-time)")
    return out


def text_lines(v: HistoryVerdict) -> list[str]:
    h = v.history
    out = [f"raftcheck history: {h.path} ({h.format}): {len(h.operations):,} operation(s), "
           f"{h.events:,} event(s), {len(v.keys):,} key(s)"]
    out += [f"  note: {note}" for note in v.notes]
    out.append(headline(v))
    recorded = {op.index: op for op in h.operations}
    listed = v.keys if len(v.keys) <= KEYS_LISTED else [k for k in v.keys
                                                          if k.linearizable is not True]
    for k in listed:
        out.append(f"key {show_key(k.key)}: {key_verdict(k)} ({k.operations:,} operation(s))")
        if k.linearizable is False:
            if k.window is None:
                out.append("  (the time limit ran out before the window was found)")
            else:
                out += window_lines(k.window, recorded)
    if len(listed) < len(v.keys):
        rest = len(v.keys) - len(listed)
        out.append(f"{rest:,} {'other ' if listed else ''}key(s): linearizable")
    tried = sum(k.tried for k in v.keys)
    out.append(f"checked in {v.seconds:.2f} s ({tried:,} placements tried)")
    return out


def op_json(op: Operation, recorded: Operation | None = None) -> dict[str, Any]:
    original = recorded or op
    out: dict[str, Any] = {
        "index": op.index, "process": _plain(op.process), "f": op.f,
        "value": _plain(original.value), "status": original.status,
        "line": op.line or None, "complete_line": op.complete_line,
        "invoke_time": op.invoke_time, "complete_time": op.complete_time,
    }
    if op.key is not NO_KEY:
        out["key"] = _plain(op.key)
    if op.source:
        out["source"] = op.source
    if recorded is not None and op.status != recorded.status:
        out["taken_as"] = op.status
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Keyword | Symbol | frozenset):
        return show(value)
    return value


def to_json(v: HistoryVerdict) -> dict[str, Any]:
    h = v.history
    recorded = {op.index: op for op in h.operations}
    keys = []
    for k in v.keys:
        entry: dict[str, Any] = {"key": None if k.key is NO_KEY else _plain(k.key),
                                 "verdict": key_verdict(k), "operations": k.operations,
                                 "tried": k.tried, "seconds": round(k.seconds, 6)}
        if k.window is not None:
            w = k.window
            entry["window"] = {
                "failing": op_json(w.failing),
                "minimal": w.minimal,
                "start_values": [_plain(x) for x in w.start_values],
                "operations": [{**op_json(op, recorded.get(op.index)),
                                **({"why": w.reasons[op.index]} if op.index in w.reasons
                                   else {})}
                               for op in w.operations],
            }
        keys.append(entry)
    return {"path": h.path, "format": h.format, "verdict": verdict_of(v),
            "exit_code": v.exit_code, "operations": len(h.operations), "events": h.events,
            "notes": v.notes, "seconds": round(v.seconds, 6), "keys": keys}
