"""Reading one run for a timeline, with the validator's pieces: its notion of a run
(validate/runs.py), its reader (traces/logfiles.py) and its merge (validate/merge.py).

A timeline is of one run: paths that hold several runs are refused with a message that
names them (one timeline per call keeps the output one picture). Each node's clock is first
corrected by what the logs prove about it (clocks.py); then the files are merged as the
validator merges them: by timestamp, ties in file order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from raftcheck.grammar.formats import SINGLE_NODE_FORMATS
from raftcheck.grammar.naming import NodeInfo
from raftcheck.grammar.outcomes import PRECISION_SECONDS
from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import FileSummary, LogError, LogStream, Problem
from raftcheck.traces.replays import Replay
from raftcheck.validate.merge import FileQueue, Merge
from raftcheck.validate.observe import observes
from raftcheck.validate.runs import (
    FileIdentity,
    find_runs,
    implementation,
    refuse_mixed,
)

from .clocks import estimate_skews
from .model import Skew

ONE_SECOND = timedelta(seconds=1)


@dataclass
class RunEvents:
    """One run's events in merged order, with what reading it found."""

    name: str
    implementation: str
    events: list[ev.Event]
    nodes: dict[str, NodeInfo]
    files: list[FileSummary]
    problems: list[Problem]
    skews: list[Skew] = field(default_factory=list)
    precision: dict[str, float] = field(default_factory=dict)  # per node, in seconds
    replays: list[Replay] = field(default_factory=list)  # lines that repeat others: read once


def read_run(paths: Iterable[str | os.PathLike[str]], *, assume_tz: tzinfo = UTC,
             max_skew: float = 0.1, choose: str | None = None) -> RunEvents:
    """The events of the one run in ``paths`` (with ``choose``: of the one whose name holds
    that text, e.g. a cluster id); raises LogError for unreadable input, logs that cannot be
    one cluster, several runs, or logs without timestamps."""
    runs = find_runs(paths)
    if choose is not None:
        chosen = [r for r in runs if choose in r.name]
        if not chosen:
            raise LogError(f"no run's name holds {choose!r} (runs: "
                           f"{', '.join(r.name for r in runs)})")
        runs = chosen
    if len(runs) > 1:
        names = ", ".join(r.name for r in runs)
        raise LogError(f"these paths hold {len(runs)} runs ({names}); a timeline shows one "
                       "run: give one run per call, or choose one with --run TEXT (a text "
                       "of its name, e.g. its cluster id)")
    run = runs[0]
    if run.error:
        raise LogError(run.error)
    stream = LogStream(files=run.files, ignored=run.ignored, assume_tz=assume_tz,
                       windows=run.windows)
    per_file = [(path, fmt, list(events)) for path, fmt, events in stream.per_file()]
    _refuse_mixed(per_file, stream)
    timed = [e for _p, _f, events in per_file for e in events if e.time is not None]
    if not timed:
        raise LogError(f"{run.name}: no timestamps in these logs (etcd-raft transcripts have "
                       "none): a timeline needs logged times")
    coarse = {f.path for f in stream.files if f.time_precision == "1s"}
    per_file = [(path, fmt, _refine_seconds(events) if path in coarse else events)
                for path, fmt, events in per_file]
    precision = {f.node: PRECISION_SECONDS.get(f.time_precision or "", 0.0)
                 for f in stream.files if f.node}
    skews = estimate_skews(timed, stream.nodes, precision)
    shift = {s.node: timedelta(seconds=s.applied) for s in skews if s.applied}
    queues = []
    for number, (path, fmt, events) in enumerate(per_file):
        if shift:
            events = [replace(e, time=e.time - shift[e.node])
                      if e.time is not None and e.node in shift else e for e in events]
        queues.append(FileQueue(number, path, fmt, iter(events), observes(fmt)))
    merge = Merge(queues, max_skew)
    merged: list[ev.Event] = []
    while (q := merge.next_queue()) is not None:
        merged.append(q.pop())
    return RunEvents(run.name, implementation(run.files[0][1]), merged, stream.nodes,
                     stream.files, stream.problems, skews, precision, stream.replays)


def _refine_seconds(events: list[ev.Event]) -> list[ev.Event]:
    """etcd 3.4's raft lines carry whole seconds while its other lines carry microseconds:
    a raft line written after a line stamped 12:00:05.731 cannot have happened at
    12:00:05.000. Such a time is raised to the latest time before it in its file (within
    its second); file order is the order one process wrote its lines in."""
    out: list[ev.Event] = []
    floor: datetime | None = None
    for e in events:
        t = e.time
        if t is not None:
            if t.microsecond == 0 and floor is not None and t < floor < t + ONE_SECOND:
                e = replace(e, time=floor)
            elif floor is None or t > floor:
                floor = t
        out.append(e)
    return out


def _refuse_mixed(per_file: list[tuple[str, str, list[ev.Event]]], stream: LogStream) -> None:
    """Logs that cannot be one cluster are refused, as validate refuses them."""
    owners = {f.path: f.node for f in stream.files}
    identities = []
    for path, fmt, events in per_file:
        if fmt not in SINGLE_NODE_FORMATS:
            continue
        ident = FileIdentity(path, owners.get(path), stream.cluster_ids.get(path))
        for e in events:
            ident.note(e)
        identities.append(ident)
    mixed = refuse_mixed(identities)
    if mixed:
        raise LogError(mixed)
