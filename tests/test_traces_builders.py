"""Events built straight from a learnt shape (raftcheck/traces/builders.py) are the events that
LogStream makes of the shape's drafts, with raw ids named in the same order."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_grammar_etcd_raft import SHAPES
from test_grammar_shapes import _shifted

from raftcheck.grammar.drafts import SELF, Draft, RawId
from raftcheck.grammar.etcd_raft import EtcdRaftMessages
from raftcheck.grammar.naming import NodeNames
from raftcheck.grammar.parsers import ParseFailure
from raftcheck.grammar.shapes import Filled, ShapeMemo
from raftcheck.traces import events as ev
from raftcheck.traces import logfiles
from raftcheck.traces.builders import Unattributed, builder
from raftcheck.traces.events import SourceRef
from raftcheck.traces.logfiles import LogStream
from raftcheck.validate.engine import SKIMMED
from raftcheck.validate.runs import find_runs
from tests.test_validate_fuzz import RUNS

OWNER = EtcdRaftMessages().drafts("4923cc2a2d4c5b92 became follower at term 1")[0].node


def _both_ways(filled: Filled, skim: frozenset, owner: object) -> tuple[object, object]:
    """(events or the exception, their fields' types, names given) by the builder, and by
    the drafts."""
    source = SourceRef("node1.log", 7, "raw")
    out = []
    for build in (True, False):
        names = NodeNames()
        names.reserve("1", 5)  # a reserved number, so that naming order shows
        stream = SimpleNamespace(skim=skim)
        reader = SimpleNamespace(owner=owner)
        try:
            if build:
                events = builder(filled.shape, skim)(filled.nums, names.name, owner, source,
                                                     None)
            else:
                events = [LogStream._event(stream, d, reader, source, None,  # type: ignore
                                           names.name) for d in filled.drafts()]
            # equal values of other types (a dict and a read-only view of it) compare equal
            types = [[type(getattr(e, f.name)) for f in dataclasses.fields(e)] for e in events]
        except Unattributed as exc:
            events, types = str(exc), []  # type: ignore[assignment]
        out.append((events, types, {k: (v.name, v.ids) for k, v in names.nodes.items()}))
    return out[0], out[1]


@pytest.mark.parametrize("small_ids", [False, True])
@pytest.mark.parametrize("skim", [frozenset(), SKIMMED], ids=["whole", "skimmed"])
@pytest.mark.parametrize("owner", [OWNER, None], ids=["owner", "no-owner"])
def test_every_learnt_shape_builds_the_events_of_its_drafts(small_ids: bool, skim: frozenset,
                                                            owner: object) -> None:
    messages = EtcdRaftMessages(small_ids=small_ids)
    learnt = 0
    for text, *_ in SHAPES:
        for by in (0, 1, 7, 1000):
            try:
                drafts = messages.memo.lazy(_shifted(text, by))
            except ParseFailure:
                continue
            if type(drafts) is Filled:
                learnt += 1
                by_builder, by_drafts = _both_ways(drafts, skim, owner)
                assert by_builder == by_drafts, text
    assert learnt > len(SHAPES)


def _stream(run: Path) -> tuple[list, object, object, object]:
    found = find_runs([run])[0]
    stream = LogStream(files=found.files, ignored=found.ignored, skim=SKIMMED)
    return list(stream), stream.files, stream.problems, stream.nodes


@pytest.mark.parametrize("run", [r for r in RUNS if "etcd" in str(r)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_runs_read_alike_with_and_without_builders(run: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    built = _stream(run)
    monkeypatch.setattr(logfiles, "Filled", type("NotFilled", (), {}))  # drafts, every line
    assert _stream(run) == built


def _synthetic(text: str) -> list:
    """A parse with what etcd's raft grammar never makes: SELF, dicts, tuples of ids,
    skimmed kinds that name nodes, a draft about the file's node (``11 22 33 5 7``: three ids,
    two numbers)."""
    a, b, c, n, m = text.split()
    return [
        Draft(ev.MessageSent, RawId(a), {"type": "MsgApp", "src": SELF, "dst": RawId(b),
                                        "term": int(n), "fields": {"index": int(m),
                                                                   "to": RawId(c)}}),
        Draft(ev.Membership, None, {"voters": (RawId(c), RawId(b), RawId(a))}),
        Draft(ev.MessageDropped, RawId(b), {"type": "MsgApp", "src": RawId(c), "dst": SELF,
                                           "term": int(m)}),
        Draft(ev.ReplicationProgress, RawId(c), {"peer": RawId(a), "action": "probe",
                                                "match": int(n)}),
    ]


@pytest.mark.parametrize("skim", [frozenset(), SKIMMED], ids=["whole", "skimmed"])
@pytest.mark.parametrize("owner", [OWNER, None], ids=["owner", "no-owner"])
def test_ids_in_every_place_a_draft_can_hold_them(skim: frozenset, owner: object) -> None:
    memo = ShapeMemo(_synthetic)
    memo("11 22 33 5 7")  # learnt
    filled = memo.lazy("44 55 66 6 9")
    assert type(filled) is Filled
    by_builder, by_drafts = _both_ways(filled, skim, owner)
    assert by_builder == by_drafts
