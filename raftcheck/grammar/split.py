"""One file, several nodes' logs: ``docker compose logs`` of every service, ``kubectl logs
--prefix`` of several pods, a syslog server's file of several hosts. Where the file's wrapper
names each line's source (grammar/wrappers.py) and several sources log Raft, the file is read
as one log per source: the *part* ``all.log[etcd1]`` is the lines of ``all.log`` that etcd1
wrote, each at its line number in ``all.log``, so that reports cite the file the user has.

A part is named by a string, like a file, so that everything that takes a log's path takes a
part; the names made here are remembered (:func:`part_of`) for the readers to find the file
and the source again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from raftcheck.grammar.lines import iter_lines
from raftcheck.grammar.rotation import log_base
from raftcheck.grammar.wrappers import Lines, Wrapper


@dataclass(frozen=True)
class Part:
    """The lines of ``file`` that ``source`` wrote; ``stem`` names the source the way a
    node log's file name would (a service, a pod, a host)."""

    file: str
    source: str
    stem: str


_PARTS: dict[str, Part] = {}


def part_of(path: str) -> Part | None:
    """The part that ``path`` names, if it names one made by :func:`parts`."""
    return _PARTS.get(path) if path.endswith("]") else None


def sources(path: str, wrapper: Wrapper) -> dict[str, str]:
    """Every source the file's lines name, in the order they first appear, each with its
    stem (none if the wrapper names no source). Raises OSError."""
    found: dict[str, str] = {}
    if wrapper.source is None:
        return found
    match = wrapper.source.match
    for _number, text, _problem in iter_lines(path):
        named = match(text) if text is not None else None
        if named is not None and named.group("source") not in found:
            found[named.group("source")] = named.group("name") or named.group("source")
    return found


def parts(path: str, wrapper: Wrapper) -> list[str]:
    """The names of the file's parts, one a source, if its lines name more than one source;
    else none. Raises OSError."""
    named = sources(path, wrapper)
    if len(named) < 2:
        return []
    out = []
    for source, stem in named.items():
        name = f"{path}[{source}]"
        _PARTS[name] = Part(path, source, stem)
        out.append(name)
    return out


def part_lines(part: Part, wrapper: Wrapper) -> Lines:
    """The part's lines, unwrapped, numbered as in its file (the other sources' lines left
    out: the numbers have gaps); a line without the wrapper's prefix (a continuation) belongs
    to the source of the line before it."""
    assert wrapper.source is not None
    match, own = wrapper.source.match, part.source
    current: str | None = None
    for number, text, problem in iter_lines(part.file):
        if text is not None:
            named = match(text)
            if named is not None:
                current = named.group("source")
                text = text[named.end():]
            elif text[:3] == "-- " and text[-3:] == " --":
                text = ""  # (journald's own note)
        if current == own:
            yield number, text, problem


def base_name(path: str) -> str:
    """A file's name without its folder (``all.log[pod/etcd-0/etcd]`` for a part)."""
    part = part_of(path)
    return f"{Path(part.file).name}[{part.source}]" if part is not None else Path(path).name


def stem(path: str) -> str:
    """What names a log's node where its content does not: its file's name without the
    suffix and rotation (``node1`` for ``node1.log.2.gz``), or a part's source (a compose
    service, a pod, a host)."""
    part = part_of(path)
    return part.stem if part is not None else Path(log_base(Path(path).name)).stem


def same_log(a: str, b: str) -> bool:
    """Whether two files (or parts) are parts of one rotated log: ``node1.log.1`` and
    ``node1.log``; ``all.log.1[etcd1]`` and ``all.log[etcd1]``."""
    pa, pb = part_of(a), part_of(b)
    if (pa is None) != (pb is None):
        return False
    if pa is not None and pb is not None:
        if pa.source != pb.source:
            return False
        a, b = pa.file, pb.file
    fa, fb = Path(a), Path(b)
    return fa.parent == fb.parent and log_base(fa.name) == log_base(fb.name)

