"""Where an etcd node log passes from one cluster to another.

A cluster restored from a snapshot (``etcdctl snapshot restore`` with a new cluster token), or
created again on wiped data, is a new cluster: new cluster id, new member ids, terms from the
start. Its members usually log to where the old ones did (journald, the same file), so one file
can hold the lives of two clusters, one after the other. Read as one history they would break
every rule (two leaders of term 2, terms going back); they are two runs.

etcd prints its cluster id as a server starts (and in membership lines). A file's *segments*
are its stretches of one cluster id: the first runs from line 1, each next one from the start
of the server life in which the new id first shows (the banner before it, whose settings belong
to the new life), or from that line itself if no banner precedes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import NamedTuple

from raftcheck.grammar.detect import read_lines, wrapper_name
from raftcheck.grammar.lines import MAX_LINE_BYTES, open_log, read_block

CLUSTER_ID = re.compile(r'"cluster-id":"([0-9a-f]+)"|\bcluster ([0-9a-f]{8,16})\b')
"""etcd's cluster id, as zap ("cluster-id") and capnslog ("... to cluster <id>") print it."""

_BANNERS = ('"msg":"starting an etcd server"', "embed: name = ")
"""The first line of a server's settings (zap, capnslog): where a server life's lines begin."""


Window = tuple[int, int]
"""The first and the last line of a file that one run reads."""


class Segment(NamedTuple):
    first: int  # line number of its first line
    cluster: str


def cluster_segments(path: str) -> list[Segment]:
    """The file's stretches of one cluster id, in file order (none if it prints none).
    Raises OSError."""
    segments: list[Segment] = []
    if wrapper_name(path) is not None:
        found, line_of = _ids_in_lines(path), int
    else:
        found, line_of = _ids_in_bytes(path), partial(_line_at, path)
    for place, cluster in found:
        if not segments:
            segments.append(Segment(1, cluster))
        elif cluster != segments[-1].cluster:  # (rare: the file is read again up to here)
            line = line_of(place)
            segments.append(Segment(_life_start(path, segments[-1].first, line), cluster))
    return segments


def _ids_in_lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, cluster id) of each line that prints one, in a wrapped file's lines."""
    for number, text, _problem in read_lines(path):
        if text is not None and "cluster" in text:
            found = CLUSTER_ID.search(text)
            if found is not None:
                yield number, found.group(1) or found.group(2)


_CLUSTER_ID_BYTES = re.compile(CLUSTER_ID.pattern.encode())


def _ids_in_bytes(path: str) -> Iterator[tuple[int, str]]:
    """(where the line starts, cluster id) of each line that prints one, in a file as it is:
    its bytes searched a block at a time, without a Python step per line (nor a count of
    lines: _line_at tells the line of a place, where one is needed)."""
    offset = 0  # of the block's first byte in the file
    rest = b""  # the start of a line that goes on in the next block
    with open_log(path) as f:
        while True:
            block = read_block(f)
            data = rest + block
            end = data.rfind(b"\n") if block else len(data) - 1
            lines, rest = data[:end + 1], data[end + 1:]
            at = lines.find(b"cluster")
            while at != -1:
                start = lines.rfind(b"\n", 0, at) + 1
                stop = lines.find(b"\n", at)
                stop = len(lines) if stop == -1 else stop
                found = _CLUSTER_ID_BYTES.search(lines, start, stop)
                if found is not None:
                    yield offset + start, (found.group(1) or found.group(2)).decode()
                at = lines.find(b"cluster", stop)
            offset += len(lines)
            if len(rest) > MAX_LINE_BYTES:  # an overlong line: read_lines reports it, and
                offset += len(rest)  # reads no id in it
                rest = b""
            if not block:
                return


def _line_at(path: str, place: int) -> int:
    """The number of the line that starts at byte ``place`` of the file (as read_lines
    numbers them: lines end at ``\n``)."""
    newlines = 0
    with open_log(path) as f:
        while place > 0 and (block := read_block(f)):
            newlines += block.count(b"\n", 0, place)
            place -= len(block)
    return newlines + 1


def _life_start(path: str, after: int, line: int) -> int:
    """The last banner line after line ``after`` and before ``line`` (``line`` if none)."""
    start = line
    for number, text, _problem in read_lines(path):
        if number >= line:
            break
        if number > after and text is not None and any(b in text for b in _BANNERS):
            start = number
    return start
