"""Lines wrapped by whatever collected the log: journald or syslog, a container runtime,
``kubectl logs --timestamps`` or ``--prefix``, ``docker compose logs``. An SRE rarely has
etcd's own file; they have ``journalctl -u etcd`` or a pod's log. Each such wrapper puts a
prefix of its own before the line etcd (or hashicorp/raft) wrote, or wraps it in a JSON record;
the reader wants that line.

A file is wrapped if more of its first lines carry a log format's signature
(``detect.signature``) unwrapped than as they are: a log in its own format is never unwrapped.
Unwrapping keeps every line's number in the file, so reports cite the file as it is. A file
whose prefixes name several sources (``docker compose logs`` of several services, a syslog
server's file of several hosts) holds the logs of several nodes interleaved: it is read as one
log per source (grammar/split.py); one that cannot be (a Raft log and another program's, under
compose or kubectl) is refused (``second_source``), not read as one node's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from raftcheck.grammar.lines import iter_lines

Lines = Iterator[tuple[int, str | None, str | None]]
"""``iter_lines``'s (line number, text or None, problem or None)."""

SNIFF_LINES = 50
"""Non-blank lines looked at to choose a wrapper."""

_ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)"
_SYSLOG_TIME = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?"
# "host etcd[1234]: ": the source is the host and the program (a restart changes the pid)
_HOST_IDENT = r"(?P<source>(?P<name>\S+) [^\s\[\]:]+)(?:\[\d+\])?: "


@dataclass(frozen=True)
class Wrapper:
    """``source``: for a wrapper whose prefix names where the line came from (a service, a
    pod, a host), that prefix, its group ``source`` the source and ``name`` what names its
    node like a file name would; ``split``: for a wrapper whose file holds only what was asked
    for (not a host's other programs), how to get one source a file."""

    name: str
    unwrap: Callable[[Lines], Lines]
    source: re.Pattern[str] | None = None
    split: str = ""


def _prefixed(pattern: str) -> Callable[[Lines], Lines]:
    """Lines whose wrapper is a prefix: the prefix is cut off. A line without it is kept
    as it is (a continuation), except journald's own notes (``-- Boot 3f2a... --``)."""
    prefix = re.compile(pattern)

    def unwrap(lines: Lines) -> Lines:
        match = prefix.match
        for number, text, problem in lines:
            if text is not None:
                found = match(text)
                if found:
                    text = text[found.end():]
                elif text[:3] == "-- " and text[-3:] == " --":
                    text = ""  # (a blank line: skipped, and still counted)
            yield number, text, problem
    return unwrap


_CRI = re.compile(rf"{_ISO} (?:stdout|stderr) ([FP]) ")


def _joined(lines: Lines, record: Callable[[str], tuple[str, bool] | None]) -> Lines:
    """Lines of a wrapper that may split a long line into several records: ``record``
    gives a line's text and whether it ends the logged line (None: not a record of the
    wrapper, kept as it is). A joined line is numbered by its first record; the records
    after it in the file read as blank lines, so that every line of the file is counted."""
    parts: list[str] = []
    numbers: list[int] = []
    for number, text, problem in lines:
        found = record(text) if text is not None else None
        if found is None:
            if parts:  # a partial record left without its end
                yield from _flush(numbers, parts)
                parts, numbers = [], []
            yield number, text, problem
            continue
        parts.append(found[0])
        numbers.append(number)
        if found[1]:
            yield from _flush(numbers, parts)
            parts, numbers = [], []
    if parts:
        yield from _flush(numbers, parts)


def _flush(numbers: list[int], parts: list[str]) -> Lines:
    yield numbers[0], "".join(parts), None
    for number in numbers[1:]:
        yield number, "", None


def _cri_record(text: str) -> tuple[str, bool] | None:
    found = _CRI.match(text)
    return (text[found.end():], found.group(1) == "F") if found else None


def _cri(lines: Lines) -> Lines:
    """containerd/CRI-O (a pod's file under /var/log/pods): ``TIME STREAM F|P line``; the
    runtime splits a long line into partial records (P) ended by a full one (F)."""
    return _joined(lines, _cri_record)


def _docker_json(lines: Lines) -> Lines:
    """Docker's json-file driver: ``{"log":"line\\n","stream":"stderr","time":"..."}``; a line
    longer than 16 KiB comes in records whose ``log`` does not end in a newline."""
    return _joined(lines, _docker_record)


def _docker_record(text: str) -> tuple[str, bool] | None:
    if text[:6] != '{"log"':  # (docker writes the log first)
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    log = record.get("log") if isinstance(record, dict) else None
    if not isinstance(log, str) or "stream" not in record:
        return None
    ends = log[-1:] == "\n"
    return (log[:-1].rstrip("\r") if ends else log), ends


_JOURNALD = re.compile(rf"{_SYSLOG_TIME} {_HOST_IDENT}")
_JOURNALD_ISO = re.compile(rf"{_ISO} {_HOST_IDENT}")
# the time stamp of --timestamps, not hashicorp's own ("TIME [INFO]  raft: ...")
_STAMP = rf"(?:{_ISO} (?!\[(?:TRACE|DEBUG|INFO|WARN|ERROR)\] ))?"
_COMPOSE = re.compile(rf"(?P<source>(?P<name>[A-Za-z0-9][\w.-]*)) +\| {_STAMP}")
_KUBECTL_PREFIX = re.compile(rf"\[(?P<source>pod/(?P<name>[^/\]\s]+)[^\]\s]*)\] {_STAMP}")

WRAPPERS = (
    # journalctl's default output, and syslog files (RFC 3164): "Dec  6 12:00:00 host etcd[1]: "
    Wrapper("journald", _prefixed(_JOURNALD.pattern), _JOURNALD),
    # journalctl -o short-iso / short-iso-precise, rsyslog's RFC 3339 time stamps
    Wrapper("journald-iso", _prefixed(_JOURNALD_ISO.pattern), _JOURNALD_ISO),
    Wrapper("cri", _cri),
    Wrapper("docker-json", _docker_json),
    # kubectl logs --timestamps, docker logs --timestamps
    Wrapper("timestamps", _prefixed(rf"{_ISO} ")),
    # docker compose logs [--timestamps]: "etcd1-1  | [TIME ]line"
    Wrapper("docker compose", _prefixed(_COMPOSE.pattern), _COMPOSE,
            "docker compose logs --no-log-prefix SERVICE > SERVICE.log"),
    # kubectl logs --prefix [--timestamps]: "[pod/etcd-0/etcd] [TIME ]line"
    Wrapper("kubectl --prefix", _prefixed(_KUBECTL_PREFIX.pattern), _KUBECTL_PREFIX,
            "kubectl logs POD > POD.log, without --prefix or one pod a call"),
)


def second_source(path: str, wrapper: Wrapper) -> tuple[str, str, int] | None:
    """For a wrapper whose file holds only what was asked for (compose's services, kubectl's
    pods: ``split``): (the first source, another one, the first line of that other), if the
    file interleaves sources; else None. (A host's journal holds systemd's lines about the
    service beside the service's own: read as the service's log, as they always were.)
    Raises OSError."""
    if wrapper.source is None or not wrapper.split:
        return None
    match = wrapper.source.match
    first: str | None = None
    for number, text, _problem in iter_lines(path):
        found = match(text) if text is not None else None
        if found is None:
            continue
        if first is None:
            first = found.group("source")
        elif found.group("source") != first:
            return first, found.group("source"), number
    return None


def sniff(path: str, signature: Callable[[str], str | None]) -> Wrapper | None:
    """The wrapper of the file at ``path``, if its lines are wrapped: the wrapper under
    which more of the sampled lines carry a log format's signature (``signature``) than as
    they are (a kubectl time stamp before etcd 3.4's ``[WARNING]`` line looks like
    hashicorp's text format; a hashicorp line without its time stamp is no log line).
    Raises OSError."""
    sample: list[tuple[int, str | None, str | None]] = []
    for line in iter_lines(path):
        if line[1] is not None and line[1].strip():
            sample.append(line)
            if len(sample) >= SNIFF_LINES:
                break

    def signed(lines: Lines) -> int:
        return sum(1 for _n, text, _p in lines if text and signature(text) is not None)

    best, best_count = None, signed(iter(sample))
    for wrapper in WRAPPERS:
        count = signed(wrapper.unwrap(iter(sample)))
        if count > best_count:
            best, best_count = wrapper, count
    return best


def log_lines(path: str, wrapper: Wrapper | None) -> Lines:
    """The lines of the file as its log format wrote them: ``iter_lines``, unwrapped."""
    lines = iter_lines(path)
    return wrapper.unwrap(lines) if wrapper is not None else lines
