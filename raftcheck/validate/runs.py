"""Which logs belong together: a *run* is the logs of one cluster over one period.

``validate`` checks each run on its own and gives one verdict per run:

- a directory that holds node logs (one file per node: etcd, hashicorp) is one run, whatever
  else it holds; its sub-directories are searched too, each one its own run;
- every etcd-raft interaction transcript and every etcd-raft TLA+ trace (one file for all nodes
  of a test) is a run by itself;
- node logs named one by one on the command line form one run together.

Logs of one run must be able to come from one cluster; :func:`refuse_mixed` checks what
reading them shows (see docs/validate.md, "Runs").
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from raftcheck.grammar import split
from raftcheck.grammar.detect import HCLOG_JSON, HCLOG_TEXT
from raftcheck.grammar.formats import SINGLE_NODE_FORMATS
from raftcheck.grammar.rotation import is_log_name, natural_key, reading_order
from raftcheck.traces import events as ev
from raftcheck.traces.incarnations import Segment, Window, cluster_segments
from raftcheck.traces.logfiles import LogError, check_log

IMPLEMENTATIONS = {HCLOG_TEXT: "hashicorp/raft", HCLOG_JSON: "hashicorp/raft"}
"""The implementation behind each format (etcd's otherwise): one run, one implementation."""


@dataclass
class Run:
    """The files of one run (``(path, format)``, in reading order), its name for reports, the
    non-log files beside them, and, if it cannot be read, why (then it is refused, exit 2)."""

    name: str
    files: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    windows: dict[str, Window] = field(default_factory=dict)  # lines read, where not all


def implementation(fmt: str) -> str:
    return IMPLEMENTATIONS.get(fmt, "etcd")


def find_runs(paths: Iterable[str | os.PathLike[str]]) -> list[Run]:
    """The runs in ``paths`` (files and directories, searched recursively). Raises LogError
    for a path that does not exist, or when nothing anywhere is a Raft log."""
    given = [Path(p) for p in paths]
    if not given:
        raise LogError("no log files given")
    runs: list[Run] = []
    loose = Run("the given files")
    not_logs: list[str] = []
    for path in given:
        if path.is_dir():
            runs.extend(_directory_runs(path, not_logs))
        elif path.exists():
            logs, _others = check_log(str(path))
            for log, fmt in logs:
                if fmt in SINGLE_NODE_FORMATS:
                    loose.files.append((log, fmt))
                else:
                    runs.append(Run(log, [(log, fmt)]))
        else:
            raise LogError("no such file or directory", str(path))
    if loose.files:
        # (a run in one file, the logs of several nodes: named by that file)
        homes = {part.file if (part := split.part_of(p)) else str(Path(p).parent)
                 for p, _ in loose.files}
        if len(homes) == 1:
            loose.name = homes.pop()
        runs.insert(0, loose)
    runs = _unique(runs)
    if not runs:
        where = str(given[0]) if len(given) == 1 else None
        names = ", ".join(not_logs) or "none"
        raise LogError(f"no Raft log files in this directory or below it (not logs: {names})",
                       where)
    for run in runs:
        if run.error is None:
            run.error = _one_implementation(run)
    return [part for run in runs for part in _by_cluster(run)]


def _by_cluster(run: Run) -> list[Run]:
    """A run whose etcd logs pass from one cluster to another (a restore from a snapshot, a
    cluster created again: traces/incarnations.py) as one run per cluster, each reading its
    part of every file; any other run as it is."""
    if run.error is not None:
        return [run]
    segments: dict[str, list[Segment]] = {}
    try:
        for path, fmt in run.files:
            if fmt in SINGLE_NODE_FORMATS and implementation(fmt) == "etcd":
                segments[path] = cluster_segments(path)
    except OSError:
        return [run]  # reading it says why it cannot be read
    if all(len(found) <= 1 for found in segments.values()):
        return [run]
    rank: dict[str, int] = {}  # each cluster's earliest place in a file: the order they came
    for found in segments.values():
        for place, segment in enumerate(found):
            rank[segment.cluster] = min(place, rank.get(segment.cluster, place))
    clusters = sorted(rank, key=rank.__getitem__)
    parts = {c: Run(f"{run.name} (cluster {c})") for c in clusters}
    parts[clusters[0]].ignored = run.ignored
    for path, fmt in run.files:
        found = segments.get(path) or [Segment(1, clusters[0])]  # (no id: the first's)
        for k, segment in enumerate(found):
            part = parts[segment.cluster]
            if path in part.windows:
                part.error = part.error or (
                    f"{path}: cluster {segment.cluster} again at line {segment.first}, after "
                    f"cluster {found[k - 1].cluster}: split the log where each cluster starts")
                continue
            last = found[k + 1].first - 1 if k + 1 < len(found) else sys.maxsize
            part.files.append((path, fmt))
            part.windows[path] = (segment.first, last)
    return list(parts.values())


def _directory_runs(top: Path, not_logs: list[str]) -> Iterator[Run]:
    for folder, subdirs, names in os.walk(top):
        subdirs[:] = sorted((d for d in subdirs if not d.startswith(".")),
                            key=natural_key)
        here = Run(folder)
        traces: list[Run] = []
        for name in sorted((n for n in names if not n.startswith(".")), key=reading_order):
            path = os.path.join(folder, name)
            if not is_log_name(name) or not os.path.isfile(path):
                continue
            try:
                logs, others = check_log(path)
            except LogError as exc:
                if exc.reason.startswith("not a recognised"):
                    here.ignored.append((path, exc.reason))
                    not_logs.append(name)
                else:
                    here.error = here.error or str(exc)
                continue
            here.ignored += others
            for log, fmt in logs:
                if fmt in SINGLE_NODE_FORMATS:
                    here.files.append((log, fmt))
                else:
                    traces.append(Run(log, [(log, fmt)]))
        if here.files or here.error:
            yield here
        yield from traces


def _unique(runs: list[Run]) -> list[Run]:
    """Drop a file named twice (a directory and a file in it, or a path given twice)."""
    seen: set[str] = set()
    out = []
    for run in runs:
        kept = []
        for path, fmt in run.files:
            key = os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                kept.append((path, fmt))
        run.files = kept
        if run.files or run.error:
            out.append(run)
    return out


def _one_implementation(run: Run) -> str | None:
    kinds: dict[str, str] = {}
    for path, fmt in run.files:
        kinds.setdefault(implementation(fmt), path)
    if len(kinds) > 1:
        shown = ", ".join(f"{name} ({path})" for name, path in kinds.items())
        return f"these logs cannot be one cluster: they come from different implementations: " \
               f"{shown}"
    return None


# --- what reading shows ----------------------------------------------------------------------

MENTIONS_ENOUGH = 256
"""Nodes named in one file beyond which more names cannot link it to other files' nodes."""


@dataclass
class FileIdentity:
    """What a node log says about the cluster it belongs to (:func:`refuse_mixed`), gathered
    event by event with :meth:`note`."""

    path: str
    owner: str | None
    cluster_id: str | None
    first: float | None = None  # the first timestamp (epoch seconds)
    last_time: datetime | None = None  # the last event's time
    mentions: set[str] = field(default_factory=set)
    raft: bool = False  # a line shows Raft's state (a term, a role): not only warnings and such

    @property
    def last(self) -> float | None:
        """The last timestamp (epoch seconds)."""
        return None if self.last_time is None else self.last_time.timestamp()

    def note(self, e: ev.Event) -> None:
        """What an event of this file says: the nodes it names (enough of them to link the file
        to the others), and its time."""
        if not self.raft and (getattr(e, "term", None) is not None
                              or isinstance(e, ev.ROLE_CHANGES)):
            self.raft = True
        mentions = self.mentions
        if len(mentions) < MENTIONS_ENOUGH:
            kind = type(e)
            names = (_MENTIONS.get(kind) or _mentions(kind))(e)
            if names is not None:
                mentions.add(e.node)
                mentions.update(names)
        if e.time is not None:
            if self.first is None:
                self.first = e.time.timestamp()
            self.last_time = e.time


_MENTIONS: dict[type[ev.Event], Callable[[ev.Event], tuple[str, ...] | None]] = {}
"""Per event kind, what FileIdentity.note adds besides the event's node: the names its fields
hold, or None for a kind whose fields can name no node (then not even its own node counts)."""


def _mentions(kind: type[ev.Event]) -> Callable[[ev.Event], tuple[str, ...] | None]:
    if kind is ev.Skimmed:
        def skimmed(e: ev.Event) -> tuple[str, ...] | None:
            return e.names if ev.name_fields(e.of) else None  # type: ignore[attr-defined]
        found = skimmed
    elif ev.name_fields(kind):
        found = ev.names_getter(kind)
    else:
        found = _names_nothing
    _MENTIONS[kind] = found
    return found


def _names_nothing(e: ev.Event) -> None:
    return None


CLOCK_SLACK = 1.0
"""Seconds by which the parts of one rotated log may seem to overlap: etcd 3.4's text log
stamps raft's lines to the second and its other lines to the microsecond, so the last line of
one part may carry a later time than the first line of the next."""


def refuse_mixed(files: list[FileIdentity]) -> str | None:
    """Why these node logs cannot be logs of one cluster over one period, or None.

    - different cluster ids (etcd prints its cluster id);
    - two logs of one node that overlap in time (copies, or two runs given together; a log
      rotated into two files does not overlap and is accepted);
    - nodes whose logs never mention one another: no two nodes of one cluster are that far
      apart (they vote, follow a leader, list each other as peers). Only logs that show Raft's
      state count: a log of warnings only (``--log-level warn``) names a few peers at most.
    """
    ids = {f.cluster_id: f.path for f in files if f.cluster_id}
    if len(ids) > 1:
        shown = ", ".join(f"{cid} ({path})" for cid, path in ids.items())
        return f"these logs cannot be one cluster: different cluster ids: {shown}"
    by_owner: dict[str, list[FileIdentity]] = {}
    for f in files:
        if f.owner:
            by_owner.setdefault(f.owner, []).append(f)
    for owner, mine in by_owner.items():
        timed = [f for f in mine if f.first is not None and f.last is not None]
        for a, b in itertools.combinations(timed, 2):
            if max(a.first, b.first) < min(a.last, b.last) - CLOCK_SLACK:  # type: ignore
                return (f"two logs of node {owner} overlap in time: {a.path} and {b.path} "
                        "(copies of one log, or logs of two runs given as one?)")
    return _disconnected(files)


def _disconnected(files: list[FileIdentity]) -> str | None:
    """Logs showing Raft's state whose nodes are not linked by mentions; a log that shows none
    (warnings only, or a leader's replication lines cut before its term shows) cannot be
    required to mention the others, but what it mentions links them."""
    owned = [f for f in files if f.owner and f.raft]
    if len(owned) < 2:
        return None
    links: dict[str, set[str]] = {f.owner: set() for f in files if f.owner}  # type: ignore[misc]
    for f in files:
        if not f.owner:
            continue
        for other in f.mentions & links.keys():
            if other != f.owner:
                links[f.owner].add(other)
                links[other].add(f.owner)
    start = owned[0].owner
    reached, todo = {start}, [start]
    while todo:
        for nxt in links[todo.pop()] - reached:  # type: ignore[index]
            reached.add(nxt)
            todo.append(nxt)
    if all(f.owner in reached for f in owned):
        return None
    apart = sorted({f.owner for f in owned} - reached)  # type: ignore[type-var]
    here = ", ".join(f.path for f in owned if f.owner in reached)
    there = ", ".join(f.path for f in owned if f.owner in apart)
    return ("these logs cannot be one cluster: the nodes of " + here + " and those of " +
            there + " never mention one another (logs of different clusters given as one run?)")
