"""Reading Raft log files into events: the public API of the parsing half of ``validate``.

    parsed = read_logs(["logs/"])           # every log file in the directory, one per node
    for event in iter_events(["a.log"]):    # or stream, in bounded memory
        ...

Each file's format is detected (``raftcheck.grammar.detect``); events come out file by file,
in file order within a file. Lines that carry no Raft state are counted as skipped; Raft
lines that do not parse are returned as problems (file:line + message), never dropped
silently. Input that cannot be read at all raises :class:`LogError`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from itertools import chain, islice
from pathlib import Path
from types import MappingProxyType
from typing import Any

from raftcheck.exit_codes import InternalError
from raftcheck.grammar import split
from raftcheck.grammar.detect import (
    ETCD_CAPNSLOG,
    ETCD_ZAP,
    HCLOG_JSON,
    HCLOG_TEXT,
    DetectError,
    detect,
    read_lines,
    split_parts,
    wrapper_name,
)
from raftcheck.grammar.drafts import SELF, Draft, RawId
from raftcheck.grammar.etcd_server import SERVER_START
from raftcheck.grammar.formats import SINGLE_NODE_FORMATS, make_reader
from raftcheck.grammar.hclog import HCLOG_START
from raftcheck.grammar.lines import looks_binary
from raftcheck.grammar.naming import NodeInfo, NodeNames, Unnamed
from raftcheck.grammar.outcomes import SKIPPED, Bad, Parsed, Reader
from raftcheck.grammar.rotation import is_log_name, reading_order
from raftcheck.grammar.shapes import Filled
from raftcheck.grammar.wrappers import Lines
from raftcheck.traces.builders import UNATTRIBUTED, Unattributed, builder
from raftcheck.traces.events import (
    Event,
    ServerWarning,
    Skimmed,
    SourceRef,
    name_fields,
    names_held,
)
from raftcheck.traces.incarnations import CLUSTER_ID, Window
from raftcheck.traces.replays import Replay, ReplayGuard

MAX_PROBLEMS_PER_FILE = 1000
"""Problems kept per file; more are counted (``FileSummary.problems``) but not stored."""

READ_AHEAD = 256
"""Events parsed ahead of the caller per file, at most (LogStream._read)."""

_READS_AHEAD = frozenset({ETCD_ZAP, ETCD_CAPNSLOG})
"""Formats whose readers keep nothing shared with other files' readers, so that a file's lines
may be parsed ahead (hashicorp's readers learn address aliases that name other files' nodes)."""

PRESCAN_LINES = 5000
"""Lines read ahead per single-node file to find its own node (for file-name numbering)."""


_SERVER_PAIR = re.compile(r'ID[:"]+\s*"?([^\s,"}\]]+)"?,?\s*"?Address[:"]+\s*"?([^\s,"}\]]+)')
"""A hashicorp server's ID and address as its configuration lines print them (text or JSON)."""

_OWN_ADDRESS = re.compile(r'Node at ([^\s\["]+) \[')
"""hashicorp's text lines name the file's own node by address: ``Node at 10.0.0.2:8300 [..]``."""

_GRANTED_BY = re.compile(r'vote granted\W.*?\bfrom\W+([^\s",}]+)')
"""The voter of a vote a candidate counted (text or JSON): ``vote granted: from=node2``."""

_PEER_PAIR = re.compile(r"\{(?:Voter|Nonvoter|Staging) ([^\s{}]+) ([^\s{}]+)\}"
                        r"|leader-address=(\S+) leader-id=(\S+)")
"""A hashicorp server's ID and address as replication and leader lines print them (text):
``peer="{Voter node2 10.0.0.2:8300}"``, ``leader-address=10.0.0.2:8300 leader-id=node2``; a
log cut before its configuration lines pairs them only there."""


def _logs_debug(line: str) -> bool:
    """Whether a line was logged at debug level (hclog text and JSON, zap, capnslog)."""
    # each mark looked for only where a shorter text it holds is: one character alone is found
    # several times faster than a text (these searches are most of the prescan's time)
    return ("[" in line and "[DEBUG]" in line) or ('level":"debug"' in line and (
        '"level":"debug"' in line or '"@level":"debug"' in line)) or (
        "|" in line and " D | " in line)


def _any_logs_debug(lines: Iterable[tuple[int, str | None, str | None]]) -> bool:
    """Whether any of these lines (``read_lines``') was logged at debug level, looked for in
    blocks of lines joined (no mark spans two lines)."""
    lines = iter(lines)
    while block := list(islice(lines, 256)):
        if _logs_debug("\n".join([t for _n, t, _p in block if t is not None])):
            return True
    return False


class LogError(Exception):
    """Input that cannot be read as Raft logs. ``str()`` names the file (and line)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line, self.reason = path, line, message


STEP_WORDS = re.compile(
    r"became (?:leader|candidate|pre-candidate|follower)|elected leader|election won"
    r"|entering (?:leader|candidate|follower) state|cast Msg(?:Pre)?Vote"
    r"|received Msg(?:Pre)?VoteResp|vote granted", re.IGNORECASE)
"""What a line says when it logs a step the checker takes (a role, a vote, an election won),
in the words of every format read: an unparsed line that says it hid a step."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A Raft-looking line (or record) that did not parse."""

    path: str
    line: int
    message: str
    raw: str = ""
    time: datetime | None = None  # the time of the last event before it in its file

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    @property
    def step(self) -> str | None:
        """The words by which the line logs a step the checker takes, if it does."""
        found = STEP_WORDS.search(self.raw)
        return found.group() if found else None


@dataclass(slots=True)
class FileSummary:
    """One file read: its format, its own node (single-node formats), and line counts.

    ``lines`` = ``event_lines`` + ``skipped`` + lines of problems + ``replayed`` (lines that
    repeat earlier lines of the log: traces/replays.py). ``time_precision`` is the
    resolution of the times its events carry ("1s", "1ms", "1us") or None (no clock).
    ``wrapper``: what wrapped its lines ("journald", "cri", ...: grammar/wrappers.py), if any.
    """

    path: str
    format: str
    node: str | None = None
    lines: int = 0
    events: int = 0
    event_lines: int = 0
    skipped: int = 0
    problems: int = 0
    replayed: int = 0
    time_precision: str | None = None
    wrapper: str | None = None


@dataclass(slots=True)
class ParsedLogs:
    """Everything :func:`read_logs` found."""

    events: list[Event]
    files: list[FileSummary]
    nodes: dict[str, NodeInfo]
    problems: list[Problem]
    ignored: list[tuple[str, str]] = field(default_factory=list)

    @property
    def skipped(self) -> dict[str, int]:
        """Skipped (non-Raft) line counts per file."""
        return {f.path: f.skipped for f in self.files}

    def events_of(self, path: str) -> list[Event]:
        """The events of one file, in file order."""
        return [e for e in self.events if e.source.path == path]

    @property
    def node_ids(self) -> dict[str, list[str]]:
        """Normalised name -> the raw ids (and aliases) the logs use for that node."""
        return {name: list(info.ids) for name, info in self.nodes.items()}


def check_file(path: str) -> str:
    """The format of one file (or part of one: grammar/split.py), or LogError (empty, binary,
    unknown, mixed, unreadable)."""
    part = split.part_of(path)
    try:
        if os.path.getsize(part.file if part else path) == 0:
            raise LogError("empty file", path)
        if looks_binary(part.file if part else path):
            raise LogError("binary data, not a text log", path)
        return detect(path)
    except DetectError as exc:
        raise LogError(str(exc), path, exc.line) from None
    except OSError as exc:
        raise LogError(f"cannot read: {exc.strerror or exc}", path) from None


def check_log(path: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The logs that one file holds, as ``([(path, format)], [(path, why it is no log)])``:
    the file itself; or, where it interleaves the logs of several sources under a wrapper that
    names each line's (``docker compose logs``, ``kubectl logs --prefix`` of several pods, a
    syslog server's file of several hosts: grammar/split.py), the part of each source whose
    lines are a node's log, where two or more are (the others, a host's other programs, are
    no logs). Raises LogError as check_file does."""
    try:
        parts = split_parts(path) if os.path.isfile(path) else []  # (binary: no wrapper)
    except OSError as exc:
        raise LogError(f"cannot read: {exc.strerror or exc}", path) from None
    found: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for part in parts:
        try:
            found.append((part, check_file(part)))
        except LogError as exc:
            if not exc.reason.startswith(("not a recognised", "empty file")):
                raise
            others.append((part, exc.reason))
    if len(found) >= 2 and all(fmt in SINGLE_NODE_FORMATS for _part, fmt in found):
        return found, others
    return [(path, check_file(path))], []


def log_files(paths: Iterable[str | os.PathLike[str]]
              ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Expand ``paths`` (files, or directories meaning their log files) into
    ``([(path, format)], [(ignored path, reason)])``; raises LogError."""
    found: list[tuple[str, str]] = []
    ignored: list[tuple[str, str]] = []
    seen: set[str] = set()
    given = list(paths)
    if not given:
        raise LogError("no log files given")
    for item in given:
        path = Path(item)
        if path.is_dir():
            kept = 0
            for entry in sorted(path.iterdir(), key=lambda p: reading_order(p.name)):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                if not is_log_name(entry.name):
                    continue
                try:
                    logs, others = check_log(str(entry))
                except LogError as exc:
                    if exc.reason.startswith("not a recognised"):
                        ignored.append((str(entry), exc.reason))
                        continue
                    raise
                ignored += others
                if str(entry.resolve()) not in seen:
                    seen.add(str(entry.resolve()))
                    found += logs
                    kept += len(logs)
            if kept == 0:
                names = ", ".join(split.base_name(p) for p, _ in ignored) or "none"
                raise LogError(f"no Raft log files in this directory (not logs: {names})",
                               str(path))
        elif path.exists():
            logs, others = check_log(str(path))
            if str(path.resolve()) not in seen:
                seen.add(str(path.resolve()))
                found += logs
                ignored += others
        else:
            raise LogError("no such file or directory", str(path))
    return found, ignored


class LogStream:
    """A one-pass iterator over the events of every file in turn. ``files``, ``nodes``, ``problems``
    fill in as it goes and are complete once iteration ends. Memory stays bounded by the
    events the caller keeps (problems are capped per file)."""

    def __init__(self, paths: Iterable[str | os.PathLike[str]] = (), *,
                 assume_tz: tzinfo = UTC,
                 files: list[tuple[str, str]] | None = None,
                 ignored: list[tuple[str, str]] | None = None,
                 skim: frozenset[type[Event]] = frozenset(),
                 windows: Mapping[str, Window] | None = None) -> None:
        """The files of ``paths`` (expanded by :func:`log_files`), or exactly ``files``
        (``(path, format)`` pairs, as :mod:`raftcheck.validate.runs` finds them). Events of
        the kinds in ``skim`` come out as :class:`Skimmed` (their node, time, source and the
        nodes they name; their other fields are not built into an event), otherwise as the
        same events in the same places: every count, name and problem stays as it is.
        ``windows``: the lines to read of a file (the rest is another run's: one cluster's life
        in a file that goes on with another's, traces/incarnations.py); whole files otherwise."""
        self.assume_tz = assume_tz
        self.skim = skim
        self._windows = dict(windows or {})
        if files is None:
            self._files, self.ignored = log_files(paths)
        else:
            self._files, self.ignored = list(files), list(ignored or [])
        self._formats = dict(self._files)
        self.cluster_ids: dict[str, str] = {}
        self.debug_files: set[str] = set()
        self._last_time: dict[str, datetime] = {}
        self.files: list[FileSummary] = []
        self.problems: list[Problem] = []
        self.replays: list[Replay] = []
        self._names = NodeNames()
        self._prescan_aliases()
        self._reserve_file_numbers()
        self._events = self._all_events()

    @property
    def nodes(self) -> dict[str, NodeInfo]:
        self._names.note_alias_names()
        return self._names.nodes

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return next(self._events)

    def per_file(self) -> list[tuple[str, str, Iterator[Event]]]:
        """One lazy event iterator per log, as ``(path, format, events)``, sharing this
        stream's node names and summaries, for a caller that interleaves files (validate's
        merge). The parts of a rotated log (grammar/rotation.py: ``node1.log.1``, then
        ``node1.log``) are one log, read oldest first and named by its newest part: a node's
        own lines keep their order, whatever their clocks say. Use either this or plain
        iteration, not both."""
        logs = []
        for parts, fmt in self._logs():
            path = parts[-1]
            if any(p in self.debug_files for p in parts):
                self.debug_files.add(path)
            cluster = next((self.cluster_ids[p] for p in parts if p in self.cluster_ids), None)
            if cluster is not None:
                self.cluster_ids.setdefault(path, cluster)
            logs.append((path, fmt, self._read_parts(parts, fmt)))
        return logs

    def stamps(self) -> Iterator[tuple[list[str], str, Iterator[tuple[str, int, datetime]]]]:
        """Each log as its parts (oldest first), its format, and the time every line of it
        carries as ``(path, line, time)`` in file order, lines the readers skip included (a
        node's clock shows in all its lines, validate/clocks.py); within windows."""
        for parts, fmt in self._logs():
            reader = make_reader(fmt, parts[0], NodeNames(), self.assume_tz)
            yield parts, fmt, ((path, number, when) for path in parts
                               for number, text, _problem in self._lines(path)
                               if text is not None and (when := reader.stamp(text)) is not None)

    def _logs(self) -> list[tuple[list[str], str]]:
        """The files grouped into logs: the parts of one rotated node log, of one format (an
        upgrade may change it between parts: then they are two logs). A part joins the log
        of the last file before it that is of its log (rotated files of several nodes' logs
        split by source come as all.log.1[a], all.log.1[b], all.log[a], all.log[b])."""
        logs: list[tuple[list[str], str]] = []
        for path, fmt in self._files:
            earlier = next((log for log in reversed(logs)
                            if split.same_log(log[0][-1], path)), None)
            if earlier is not None and fmt in SINGLE_NODE_FORMATS and earlier[1] == fmt:
                earlier[0].append(path)
            else:
                logs.append(([path], fmt))
        return logs

    def _read_parts(self, parts: list[str], fmt: str) -> Iterator[Event]:
        """A log's events: its parts' in turn, read by one reader."""
        reader = make_reader(fmt, parts[0], self._names, self.assume_tz, self.skim)
        guard = ReplayGuard(self._lines)
        for path in parts:
            guard.parts.append(path)
            yield from self._read(path, fmt, reader, guard, finish=path is parts[-1])
        guard.end()
        self.replays += guard.found

    def _all_events(self) -> Iterator[Event]:
        for parts, fmt in self._logs():
            yield from self._read_parts(parts, fmt)

    def starts_by(self, path: str, line: int) -> bool:
        """Whether the file shows its server starting at or before ``line`` (a line of etcd's
        banner, its member, raft's own start: ``SERVER_START``; hashicorp/raft's initial
        configuration: ``HCLOG_START``). A log that does not, at its first Raft event, began
        mid-run. Formats without such lines (transcripts, traces) always do."""
        fmt = self._formats.get(path)
        start = SERVER_START if fmt in (ETCD_ZAP, ETCD_CAPNSLOG) else \
            HCLOG_START if fmt in (HCLOG_TEXT, HCLOG_JSON) else None
        if start is None:
            return True
        try:
            for number, text, _problem in self._lines(path):
                if number > line:
                    return False
                if text is not None and start.search(text):
                    return True
        except OSError:
            return True  # (reading it says why it cannot be read)
        return False

    # --- naming ---------------------------------------------------------------------------
    def _prescan_aliases(self) -> None:
        """hashicorp names a server by ID in some lines and by address in others (a file's own
        node by address); the pairs its configuration lines print are learnt from every file
        before anything is named, so that one server gets one name whatever order files are
        read in. A file's own node, named by address only (``Node at ADDR``), is paired with
        the one ID among the votes it counted as a candidate that no line pairs with another
        address: a candidate always counts its own vote (a log cut before its configuration
        lines would otherwise name its node twice)."""
        counted: list[tuple[str, set[str]]] = []  # per file: its own address, voters counted
        for path, fmt in self._files:
            if fmt not in (HCLOG_TEXT, HCLOG_JSON):
                continue
            own: str | None = None
            voters: set[str] = set()
            try:
                for _number, line, _problem in self._lines(path):
                    if line is None:
                        continue
                    if own is None and "Node at" in line and (found := _OWN_ADDRESS.search(line)):
                        own = found.group(1)
                    if "vote granted" in line and (found := _GRANTED_BY.search(line)):
                        voters.add(found.group(1))
                    if "ID" in line and "Address" in line:
                        for sid, addr in _SERVER_PAIR.findall(line):
                            self._names.alias(addr, sid)
                    if "{" in line or "leader-id=" in line:
                        for sid, addr, leader_addr, leader_id in _PEER_PAIR.findall(line):
                            if sid:
                                self._names.alias(addr, sid)
                            elif leader_addr and leader_id:
                                self._names.alias(leader_addr, leader_id)
            except OSError as exc:
                raise LogError(f"cannot read: {exc.strerror or exc}", path) from None
            if own is not None:
                counted.append((own, voters))
        paired = True
        while paired:  # (a pair found may leave another file's candidate one ID to pair)
            paired = False
            for own, voters in counted:
                if self._names.canonical(own) == own:
                    unpaired = [v for v in voters if not self._names.is_aliased(v) and
                                self._names.canonical(v) == v and v != own]
                    if len(unpaired) == 1:
                        self._names.alias(own, unpaired[0])
                        paired = True

    def _reserve_file_numbers(self) -> None:
        """Rule 1 of naming.py: ``node3.log`` is ``n3`` when every file name says so."""
        owners: list[tuple[RawId, int]] = []
        numbered = True
        for path, fmt in self._files:
            if fmt not in SINGLE_NODE_FORMATS:
                continue
            owner = self._prescan_owner(path, fmt)
            if owner is None:
                continue
            numbers = re.findall(r"\d+", split.stem(path))
            if len(numbers) != 1:
                numbered = False
            elif (owner.key, int(numbers[0])) not in {(o.key, n) for o, n in owners}:
                owners.append((owner, int(numbers[0])))  # (once per log, not per rotated part)
        if not numbered or len({n for _o, n in owners}) != len(owners) or \
                len({o.key for o, _n in owners}) != len(owners):
            return
        for owner, number in owners:
            self._names.reserve(self._names.canonical(owner.key), number)

    def _prescan_owner(self, path: str, fmt: str) -> RawId | None:
        """The file's own node; and, in ``cluster_ids`` and ``debug_files``, the cluster id it
        prints and whether it logs at debug level (what a format observes depends on it)."""
        reader = make_reader(fmt, path, NodeNames(), self.assume_tz)
        try:
            lines = self._lines(path)
            for seen, (number, text, problem) in enumerate(lines, 1):
                if reader.owner is not None and path in self.cluster_ids and \
                        path not in self.debug_files:
                    # only a debug line is still looked for, in this line and the rest
                    rest = chain([(number, text, problem)], islice(lines, PRESCAN_LINES - seen))
                    if _any_logs_debug(rest):
                        self.debug_files.add(path)
                    break
                if text is not None:
                    if reader.owner is None:
                        with contextlib.suppress(ValueError, OverflowError):
                            reader.feed(number, text)  # a bad value is reported later
                    if path not in self.cluster_ids:
                        found = CLUSTER_ID.search(text)
                        if found:
                            self.cluster_ids[path] = found.group(1) or found.group(2)
                    if path not in self.debug_files and _logs_debug(text):
                        self.debug_files.add(path)
                if (reader.owner is not None and path in self.cluster_ids
                        and path in self.debug_files) or seen >= PRESCAN_LINES:
                    break
        except OSError as exc:
            raise LogError(f"cannot read: {exc.strerror or exc}", path) from None
        return reader.owner

    # --- reading --------------------------------------------------------------------------
    def _lines(self, path: str) -> Lines:
        """The file's lines (``read_lines``'), within its window if it has one."""
        lines = read_lines(path)
        window = self._windows.get(path)
        if window is None:
            return lines
        return _within(lines, *window)

    def _read(self, path: str, fmt: str, reader: Reader, guard: ReplayGuard, finish: bool
              ) -> Iterator[Event]:
        """The events of one file, as the caller asks for them. Lines are parsed up to
        ``READ_AHEAD`` events ahead of the caller (parsing in bursts is faster than one line
        at a time between the caller's own steps), but only where that changes nothing the
        caller can see: a line whose events name a node not named yet, or that is a problem,
        is turned into events (or a problem) only once every event before it was taken, as
        without look-ahead: names are given, and problems listed, in the order the caller
        reads events. ``reader``: the log's (its node, clock and state go on from part to
        part of a rotated log); ``guard``: the log's watch for lines it repeats (read once);
        ``finish``: this is the log's last part."""
        summary = FileSummary(path, fmt)
        self.files.append(summary)
        with contextlib.suppress(OSError):  # (reading it says why it cannot be read)
            summary.wrapper = wrapper_name(path)
        ahead = READ_AHEAD if fmt in _READS_AHEAD else 0
        ready: list[Event] = []  # events parsed ahead, not yet taken
        feed, named = reader.feed, self._names.named
        tolerance = guard.tolerance(reader.time_precision)
        last_time = guard.last_time  # a line before ``floor`` may repeat an earlier one
        floor = last_time - tolerance if last_time is not None else None
        # and so may a line back at the log's start, on a clock finer than whole seconds (in a
        # whole second, a log repeats a line of its own: etcd 3.4's configuration lines)
        first_time = guard.first_time if reader.time_precision != "1s" else None
        try:
            for number, text, problem in self._lines(path):
                summary.lines += 1
                if guard.replaying and guard.goes_on(path, number, text):
                    summary.replayed += 1
                    continue
                if text is None:
                    yield from ready
                    ready = []
                    self._problem(summary, Problem(path, number, problem or "unreadable line"))
                    continue
                try:
                    outcomes = feed(number, text)
                    if outcomes is SKIPPED:  # most lines: no Raft state
                        summary.skipped += 1
                        continue
                    if outcomes and type(first := outcomes[0]) is Parsed and \
                            (when := first.time) is not None and when is not last_time:
                        went_back = floor is not None and (when < floor or (
                            first_time is not None and when <= first_time < last_time))
                        if went_back and guard.starts(path, number, text):
                            summary.replayed += 1  # (its events are the first reading's)
                            continue
                        last_time, floor = when, when - tolerance
                        if guard.first_time is None:
                            guard.first_time = when
                            first_time = when if reader.time_precision != "1s" else None
                    # parsed ahead: one record whose events name only nodes named already
                    # (then nothing changes but this file's summary)
                    if len(ready) < ahead and len(outcomes) == 1 and \
                            type(parsed := outcomes[0]) is Parsed and reader.owner is not None:
                        try:
                            ready += self._parsed(summary, reader, parsed, named)
                            continue
                        except Unnamed:
                            pass
                    yield from ready
                    ready = []
                    built = self._outcomes(summary, reader, outcomes)
                except (LogError, OSError):
                    yield from ready
                    ready = []
                    raise
                except (ValueError, OverflowError) as exc:
                    # a value the line holds is out of range (a date with month 13, a clock
                    # before 1970 or after 9999): the line is bad input, not a bug
                    yield from ready
                    ready = []
                    self._problem(summary, Problem(path, number, f"unreadable value: {exc}",
                                                   text))
                    continue
                except Exception as exc:  # a bug in a grammar: never a verdict
                    yield from ready
                    raise InternalError(f"reading {path}:{number}", exc) from exc
                yield from built
            yield from ready
            ready = []
            if finish:
                yield from self._outcomes(summary, reader, reader.finish())
        except OSError as exc:
            guard.end()
            yield from ready
            raise LogError(f"cannot read: {exc.strerror or exc}", path) from None
        guard.last_time = last_time
        summary.time_precision = reader.time_precision
        if reader.owner is not None:
            summary.node = self._names.name(reader.owner)
            self._names.own_file(summary.node, path)

    def _outcomes(self, summary: FileSummary, reader: Reader, outcomes: Iterable[object]
                  ) -> list[Event]:
        """The events of a line's outcomes; its problems recorded."""
        events: list[Event] = []
        for outcome in outcomes:
            if isinstance(outcome, Parsed):
                events += self._parsed(summary, reader, outcome, self._names.name)
            elif isinstance(outcome, Bad):
                if outcome.fatal:
                    raise LogError(outcome.message, summary.path, outcome.line)
                self._problem(summary, Problem(summary.path, outcome.line, outcome.message,
                                               outcome.raw))
            else:
                summary.skipped += 1
        return events

    def _parsed(self, summary: FileSummary, reader: Reader, outcome: Parsed,
                name: Callable[[RawId], str]) -> list[Event]:
        """The events of one parsed record (none if it is a problem, then recorded). ``name``:
        how raw ids are named (NodeNames.name names a node on first sight)."""
        if outcome.time is not None:
            self._last_time[summary.path] = outcome.time
        source = SourceRef(summary.path, outcome.line, outcome.raw)
        drafts = outcome.drafts
        try:
            if type(drafts) is Filled:  # a learnt shape: its events without drafts
                build = drafts.shape.builders.get(self.skim) or builder(drafts.shape, self.skim)
                built = build(drafts.nums, name, reader.owner, source, outcome.time)
            else:
                built = [self._event(d, reader, source, outcome.time, name) for d in drafts]
        except Unattributed as exc:
            if type(drafts) is not Filled and all(d.kind is ServerWarning for d in drafts):
                # a server's warning before its node id shows (a log at --log-level warn may
                # never show it): it holds no Raft state, and is skipped as such lines are
                summary.skipped += outcome.lines
                return []
            self._problem(summary, Problem(summary.path, outcome.line, str(exc), outcome.raw))
            return []
        summary.event_lines += outcome.lines
        summary.events += len(built)
        return built

    def note_problem(self, path: str, line: int, message: str, raw: str = "") -> None:
        """A line read as events that its checker found it cannot take (it names no node
        where one is needed, or holds a number beyond any term or index): counted and listed
        as the lines that do not parse are."""
        summary = next((f for f in reversed(self.files) if f.path == path), None)
        if summary is not None:
            summary.events -= 1
            self._problem(summary, Problem(path, line, message, raw))

    def _problem(self, summary: FileSummary, problem: Problem) -> None:
        if problem.time is None and summary.path in self._last_time:
            problem = replace(problem, time=self._last_time[summary.path])
        summary.problems += 1
        if summary.problems <= MAX_PROBLEMS_PER_FILE:
            self.problems.append(problem)

    def _event(self, draft: Draft, reader: Reader, source: SourceRef,
               time: datetime | None, name: Callable[[RawId], str]) -> Event:
        raw = draft.node if draft.node is not None else reader.owner
        if raw is None:
            raise Unattributed(UNATTRIBUTED)
        node = name(raw)
        # every raw id named, skimmed or not: naming a node is what reading it whole would do
        fields = {k: v if type(v) in _PLAIN else _resolve(v, node, name)
                  for k, v in draft.fields.items()} if draft.fields else draft.fields
        if draft.kind in self.skim:
            return Skimmed(node=node, source=source, time=time, of=draft.kind,
                           names=names_held(map(fields.get, name_fields(draft.kind))))
        return draft.kind(node=node, source=source, time=time, **fields)


def _within(lines: Lines, first: int, last: int) -> Lines:
    """The lines numbered ``first`` to ``last`` (a part of a file numbers its lines as the
    file does: with gaps)."""
    for line in lines:
        if line[0] > last:
            return
        if line[0] >= first:
            yield line


_PLAIN = frozenset({int, bool, str, float, type(None)})
"""Types of draft values that name no node: they go into the event as they are."""


def _resolve(value: Any, node: str, name: Callable[[RawId], str]) -> Any:
    """A draft's value with its raw ids named (``SELF``: the event's own node)."""
    if isinstance(value, RawId):
        return node if value is SELF else name(value)
    if isinstance(value, tuple) and value and isinstance(value[0], RawId):
        return tuple(_resolve(v, node, name) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({k: _resolve(v, node, name) for k, v in value.items()})
    return value


def iter_events(paths: Iterable[str | os.PathLike[str]], *,
                assume_tz: tzinfo = UTC) -> LogStream:
    """Stream the events of ``paths``; raises LogError up front for unreadable input (and
    while iterating for a file found to mix formats)."""
    return LogStream(paths, assume_tz=assume_tz)


def read_logs(paths: Iterable[str | os.PathLike[str]], *,
              assume_tz: tzinfo = UTC) -> ParsedLogs:
    """Read every event of ``paths`` (files, or directories: every log file in them).

    ``assume_tz`` is the zone of formats whose timestamps carry none (etcd capnslog)."""
    stream = LogStream(paths, assume_tz=assume_tz)
    events = list(stream)
    return ParsedLogs(events, stream.files, stream.nodes, stream.problems, stream.ignored)


__all__ = [
    "FileSummary", "LogError", "LogStream", "ParsedLogs", "Problem", "iter_events",
    "log_files", "read_logs",
]
