"""Drafts: what a transformer makes of one log record, before node names and sources are known.

A transformer only sees the text of one message, so it cannot know the node's normalised name
(that depends on every file read) nor the file and line. It returns :class:`Draft` objects whose
node references are :class:`RawId` values; ``raftcheck.traces.logfiles`` turns them into events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from raftcheck.traces.events import Event
from raftcheck.traces.quick_init import quick_init


@quick_init  # one or more per line read
@dataclass(frozen=True, slots=True)
class RawId:
    """A node as a log names it: ``key`` is canonical (etcd: lowercase hex without leading
    zeros; hashicorp: the server ID or address). ``number`` asks for the name ``n<number>``
    when the log's own ids are small integers (etcd-raft transcripts and traces)."""

    key: str
    number: int | None = None


SELF = RawId("")
"""In a draft's fields: the node the draft is about (for example a sender that is the file's
own node, whose id the line does not print)."""


@dataclass(slots=True)
class Draft:
    """An event without node name, source and time: ``node`` None means "the file's node"."""

    kind: type[Event]
    node: RawId | None
    fields: dict[str, Any] = field(default_factory=dict)


def etcd_id(text: str, *, small: bool = False) -> RawId | None:
    """An etcd/raft hex member id (``0`` means none). ``small``: name it n<id> if possible."""
    key = text.lower().lstrip("0")
    if not key:
        return None
    return RawId(key, int(key, 16) if small else None)


def etcd_decimal_id(text: str, *, small: bool = False) -> RawId | None:
    """An etcd/raft member id printed in decimal (``voters=(...)``, trace ``nid``)."""
    value = int(text)
    if value == 0:
        return None
    return RawId(format(value, "x"), value if small else None)


_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_seconds(text: object) -> float | None:
    """A Go duration as printed (``983.1ms``, ``1m2.5s``, ``213µs``: etcd's and hashicorp's
    lines) in seconds, or None."""
    if not isinstance(text, str) or not text:
        return None
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)
