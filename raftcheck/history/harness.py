"""The client operations a raftcheck harness recorded in ``scenario.json``, as a history.

The etcd harness (raftcheck.harness) records every ``etcdctl put`` under "writes" and every
``etcdctl get`` under "reads", each with its key, the wall-clock time before it was sent
(``t_start``) and after its answer (``t_end``), and its outcome (``ok``, ``error``; a read's
``value``, absent or null when the key does not exist). From these:

- an ok put is a write that happened between its two times;
- a failed put is indeterminate: etcdctl's error (a timeout, a lost connection) does not say
  whether the cluster applied it, so it may have taken effect at any time after it was sent;
- an ok linearizable get is a read that returned ``value`` (nil for a missing key);
- a failed get is dropped (a read changes nothing); a serializable get is not checked (etcd
  serves it from one member's state, which may lag: not linearizable by design); a read of a
  key prefix (older recordings: a count, no value) is not checked. Each is counted in a note.

A record with a ``process`` or ``client`` field is that client's; otherwise operations are laid
in lanes, the lowest lane free at each start (one lane for a harness that waits for each
answer). Other fields are ignored.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from .operations import INFO, OK, READ, WRITE, History, HistoryError, Operation, hashable

FORMAT = "raftcheck-scenario"

#: Where an operation's times are: the harness writes t_start/t_end; the other names are
#: accepted so that a recorder adding explicit invoke/complete times needs no change here.
START_FIELDS = ("t_start", "t_invoke", "invoke_time")
END_FIELDS = ("t_end", "t_complete", "complete_time")


def _first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((record[n] for n in names if record.get(n) is not None), None)


def is_scenario(doc: Any) -> bool:
    return isinstance(doc, dict) and ("writes" in doc or "reads" in doc)


def _seconds(value: Any, what: str, path: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
    raise HistoryError(f"{what}: expected an ISO 8601 time or seconds, got {value!r}", path)


def read(path: str) -> History:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except UnicodeDecodeError:
        raise HistoryError("not UTF-8 text", path) from None
    except json.JSONDecodeError as exc:
        raise HistoryError(f"not JSON: {exc.msg} at column {exc.colno}", path,
                           exc.lineno) from None
    return history_of(doc, path)


def history_of(doc: Any, path: str = "scenario.json") -> History:
    """The client history a scenario document records (see the module doc)."""
    if not is_scenario(doc):
        raise HistoryError("not a harness scenario (no \"writes\" or \"reads\")", path)
    rows: list[tuple[float, float, dict[str, Any]]] = []
    skipped = {"serializable": 0, "prefix": 0, "failed": 0}
    for section, f in (("writes", WRITE), ("reads", READ)):
        records = doc.get(section) or []
        if not isinstance(records, list):
            raise HistoryError(f"\"{section}\" must be a list", path)
        for n, record in enumerate(records):
            what = f"{section}[{n}]"
            if not isinstance(record, dict):
                raise HistoryError(f"{what}: expected an object", path)
            if f == READ:
                if "key" not in record:
                    skipped["prefix"] += 1
                    continue
                if record.get("consistency", "linearizable") != "linearizable":
                    skipped["serializable"] += 1
                    continue
                if not record.get("ok"):
                    skipped["failed"] += 1
                    continue
            elif "key" not in record:
                raise HistoryError(f"{what}: a write without \"key\"", path)
            start = _seconds(_first(record, START_FIELDS), f"{what}.t_start", path)
            end = _seconds(_first(record, END_FIELDS), f"{what}.t_end", path)
            if end < start:
                raise HistoryError(f"{what}: t_end is before t_start", path)
            rows.append((start, end, {**record, "f": f, "what": what}))
    rows.sort(key=lambda r: (r[0], r[1]))
    lanes = _lanes(rows)
    # Event positions: all starts and ends in time order; at a tie a start comes first (the
    # two operations are then concurrent: the weaker claim).
    stamps = sorted([(s, 0, i) for i, (s, _, _) in enumerate(rows)]
                    + [(e, 1, i) for i, (_, e, _) in enumerate(rows)])
    invoke_at, complete_at = [0] * len(rows), [0] * len(rows)
    for position, (_, is_end, i) in enumerate(stamps):
        (complete_at if is_end else invoke_at)[i] = position
    operations = []
    for i, (start, end, record) in enumerate(rows):
        ok = bool(record.get("ok"))
        value = hashable(record.get("value"))
        operations.append(Operation(
            index=i, process=lanes[i], f=record["f"], key=hashable(record["key"]),
            value=value, status=OK if ok else INFO, invoke=invoke_at[i],
            complete=complete_at[i], line=0, complete_line=None, invoke_time=start,
            complete_time=end, error=record.get("error"), source=record["what"]))
    notes = [f"operations from the harness's records ({len(operations)} put/get)"]
    failed_writes = sum(1 for op in operations if op.status == INFO)
    if failed_writes:
        notes.append(f"{failed_writes} failed put(s) taken as indeterminate: etcdctl's error "
                     "does not say whether the cluster applied them")
    if skipped["serializable"]:
        notes.append(f"{skipped['serializable']} serializable get(s) not checked: "
                     "not linearizable by design")
    if skipped["prefix"]:
        notes.append(f"{skipped['prefix']} prefix read(s) not checked: they record a count, "
                     "not a value")
    if skipped["failed"]:
        notes.append(f"{skipped['failed']} failed get(s) dropped: a read changes nothing")
    return History(path, FORMAT, operations, 2 * len(operations), notes)


def _lanes(rows: list[tuple[float, float, dict[str, Any]]]) -> list[Any]:
    """A process per operation: the record's own process or client where every record names
    one, each split into lanes where its operations overlap (one client name shared by several
    threads: a process runs one operation at a time); else lanes by time alone."""
    named = [r[2].get("process", r[2].get("client")) for r in rows]
    if all(n is not None for n in named):
        free_at: dict[Any, list[float]] = {}
        lanes = []
        for (start, end, _), name in zip(rows, named, strict=True):
            lane = _free_lane(free_at.setdefault(hashable(name), []), start, end)
            lanes.append(hashable(name) if lane == 1 else f"{name}/{lane}")
        return lanes
    free: list[float] = []
    return [_free_lane(free, start, end) for start, end, _ in rows]


def _free_lane(free_at: list[float], start: float, end: float) -> int:
    """The first lane (1-based) free at ``start``, now busy until ``end``."""
    for lane, busy_until in enumerate(free_at):
        if busy_until < start:
            free_at[lane] = end
            return lane + 1
    free_at.append(end)
    return len(free_at)
