"""Format detection: which of the known log formats a file is in.

Rule: read the first lines (up to SNIFF_LINES non-blank ones); each line may carry the
signature of one format (below). The file's format is the format of the first signature line;
a signature of another format anywhere in the file is an error (mixed formats), reported with
its line. A file with no signature line in the sample is not a recognised Raft log.

Signatures:
  etcd-capnslog          ``raftYYYY/MM/DD HH:MM:SS`` or ``YYYY-MM-DD HH:MM:SS.ffffff L | pkg:``
  etcd-zap               a JSON object with "level" and "msg" (zap), not a trace record
  etcd-raft-trace        a JSON object with "event":{..."nid"...} (etcd-io/raft TLA+ trace)
  etcd-raft-interaction  a line that is exactly ``----`` (datadriven separator)
  hashicorp-hclog        ``YYYY-MM-DDTHH:MM:SS.fffZ [LEVEL]  module:``
  hashicorp-hclog-json   a JSON object with "@message"
Lines with no signature (gRPC warnings, banners, blank lines) are allowed in every format, and
zap records are allowed in a trace file (the test run's other log lines; a file with any trace
record is a trace).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from raftcheck.grammar import split
from raftcheck.grammar.wrappers import Lines, Wrapper, log_lines, second_source, sniff

ETCD_CAPNSLOG = "etcd-capnslog"
ETCD_ZAP = "etcd-zap"
ETCD_TRACE = "etcd-raft-trace"
ETCD_INTERACTION = "etcd-raft-interaction"
HCLOG_TEXT = "hashicorp-hclog"
HCLOG_JSON = "hashicorp-hclog-json"
FORMATS = (ETCD_CAPNSLOG, ETCD_ZAP, ETCD_TRACE, ETCD_INTERACTION, HCLOG_TEXT, HCLOG_JSON)

SNIFF_LINES = 200

_CAPNS_RAFT = re.compile(r"raft\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ")
_CAPNS_PKG = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [A-Z] \| ")
_TRACE_EVENT = re.compile(r'"event"\s*:\s*\{')
_HCLOG = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*(?:Z|[+-]\d\d:?\d\d) \[[A-Z]+\] ")


class DetectError(Exception):
    """The file is not in a recognised format; ``line`` is the offending line, if any."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def signature(line: str) -> str | None:
    """The format whose signature this line carries, or None."""
    first = line[:1]
    if first == "{":
        if '"@message"' in line:
            return HCLOG_JSON
        if '"nid"' in line and _TRACE_EVENT.search(line):
            return ETCD_TRACE
        if '"level"' in line and '"msg"' in line:
            return ETCD_ZAP
        return None
    if first == "r":
        return ETCD_CAPNSLOG if _CAPNS_RAFT.match(line) else None
    if first.isdigit():
        if _CAPNS_PKG.match(line):
            return ETCD_CAPNSLOG
        if _HCLOG.match(line):
            return HCLOG_TEXT
        return None
    if line == "----":
        return ETCD_INTERACTION
    return None


def foreign_format(line: str, own: str) -> str | None:
    """The other format this line belongs to, if it carries another format's signature.
    (A trace file may hold other zap records of the same test run.)"""
    sig = signature(line)
    if sig is None or sig == own or (own, sig) == (ETCD_TRACE, ETCD_ZAP):
        return None
    return sig


def mixed_format(line: str, own: str) -> str | None:
    """The error for a line of another format inside a file of format ``own``, or None."""
    other = foreign_format(line, own)
    if other is None:
        return None
    return f"mixed formats in one file: this line is {other}, the file is {own}"


SHARE_A_FILE = frozenset({(ETCD_TRACE, ETCD_ZAP), (ETCD_CAPNSLOG, ETCD_ZAP)})
"""(the file's format, a format of lines it may hold too): a trace holds its test run's other
zap records; an etcd log upgraded from 3.4's text to 3.5's JSON (or back) holds both. Seen in
either order, the first of a pair names the file."""


def detect(path: str) -> str:
    """The format of the file at ``path``; raises DetectError (unknown or mixed) or OSError."""
    found: str | None = None
    found_line = 0
    nonblank = 0
    first_text: tuple[int, str] | None = None
    for number, text, _problem in read_lines(path):
        if text is None or not text.strip():
            continue
        nonblank += 1
        if first_text is None:
            first_text = (number, text)
        sig = signature(text)
        if sig is not None:
            if found is None or (sig, found) in SHARE_A_FILE:
                found, found_line = sig, number
            elif sig != found and (found, sig) not in SHARE_A_FILE:
                raise DetectError(
                    f"mixed formats in one file: this line is {sig}, the file is {found} "
                    f"(from line {found_line})", number)
        if nonblank >= SNIFF_LINES:
            break
    if found is not None:
        wrapper = _wrapper_of(path)
        mixed = second_source(path, wrapper) \
            if wrapper is not None and split.part_of(path) is None else None
        if mixed is not None:
            one, other, number = mixed
            raise DetectError(
                f"the logs of several sources interleaved in one file by {wrapper.name} "
                f"({one} before, {other} from this line): a file holds one node's log; give "
                f"each its own file ({wrapper.split})", number)
        return found
    if first_text is None:
        raise DetectError("empty file (no text lines)")
    number, text = first_text
    shown = text if len(text) <= 80 else text[:77] + "..."
    raise DetectError(
        f"not a recognised Raft log format (first line: {shown!r}); known formats: "
        + ", ".join(FORMATS), number)


def read_lines(path: str) -> Lines:
    """The lines of a log file as its format wrote them, unwrapped from journald's, a
    container runtime's or kubectl's wrapper if the file has one (grammar/wrappers.py).
    Raises OSError. A part of a file (grammar/split.py) is its source's lines."""
    part = split.part_of(path)
    if part is not None:
        wrapper = _wrapper_of(part.file)
        assert wrapper is not None  # (a file is split by its wrapper)
        return split.part_lines(part, wrapper)
    return log_lines(path, _wrapper_of(path))


def split_parts(path: str) -> list[str]:
    """The parts of a file that interleaves the logs of several sources under a wrapper that
    names them (grammar/split.py), one a source; none for any other file. Raises OSError."""
    wrapper = _wrapper_of(path)
    return split.parts(path, wrapper) if wrapper is not None else []


def wrapper_name(path: str) -> str | None:
    """The name of the file's wrapper, if it has one."""
    wrapper = _wrapper_of(path)
    return wrapper.name if wrapper is not None else None


def _wrapper_of(path: str) -> Wrapper | None:
    part = split.part_of(path)
    if part is not None:
        path = part.file
    status = os.stat(path)
    return _sniffed(path, status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=256)
def _sniffed(path: str, _size: int, _mtime: int) -> Wrapper | None:
    return sniff(path, signature)  # (once per file and version: every reader asks)
