"""The registry of log formats: detection name -> reader."""

from __future__ import annotations

from datetime import UTC, tzinfo

from raftcheck.grammar.detect import (
    ETCD_CAPNSLOG,
    ETCD_INTERACTION,
    ETCD_TRACE,
    ETCD_ZAP,
    HCLOG_JSON,
    HCLOG_TEXT,
)
from raftcheck.grammar.etcd_interaction import InteractionReader
from raftcheck.grammar.etcd_server import EtcdServerReader
from raftcheck.grammar.etcd_trace import TraceReader
from raftcheck.grammar.hclog import HclogReader
from raftcheck.grammar.naming import NodeNames
from raftcheck.grammar.outcomes import Reader
from raftcheck.traces.events import Event

SINGLE_NODE_FORMATS = frozenset({ETCD_CAPNSLOG, ETCD_ZAP, HCLOG_TEXT, HCLOG_JSON})
"""Formats in which one file is one node's log (the others hold every node of a test)."""


def make_reader(fmt: str, path: str, names: NodeNames, assume_tz: tzinfo = UTC,
                skim: frozenset[type[Event]] = frozenset()) -> Reader:
    """A fresh reader for one file of format ``fmt``. ``skim``: event kinds of which the
    caller reads only the nodes named (``LogStream``'s): a reader may leave their other
    fields out of their drafts."""
    if fmt in (ETCD_CAPNSLOG, ETCD_ZAP):
        return EtcdServerReader(path, zap=fmt == ETCD_ZAP, assume_tz=assume_tz, skim=skim)
    if fmt in (HCLOG_TEXT, HCLOG_JSON):
        return HclogReader(path, names, json_lines=fmt == HCLOG_JSON)
    if fmt == ETCD_INTERACTION:
        return InteractionReader(path)
    if fmt == ETCD_TRACE:
        return TraceReader(path)
    raise ValueError(f"unknown log format {fmt!r}")
