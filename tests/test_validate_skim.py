"""validate reads the event kinds its engine never looks into (server warnings, dropped
requests...: engine.SKIMMED) as ``Skimmed`` events, their node, time, source and the nodes they
name, instead of whole events. A fast path: it must give what reading them whole gives — in
every place the same event, or a skimmed one holding what the engine reads of it — and the same
verdict, on real runs and on real runs broken at random."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import LogError, LogStream
from raftcheck.validate import engine
from raftcheck.validate.engine import SKIMMED, check_run
from raftcheck.validate.handlers import HANDLERS
from raftcheck.validate.mapping import ANCHORS, on_nothing
from raftcheck.validate.runs import find_runs
from tests.test_validate_fuzz import EDITS, RUNS, _edit, _files
from tests.test_validate_mutations import KILL, N1, N2, N3, copy, edit, line


def _read(run: Path, skim: frozenset[type[ev.Event]]) -> LogStream:
    found = find_runs([run])[0]
    return LogStream(files=found.files, ignored=found.ignored, skim=skim)


def _named(e: ev.Event) -> list[str]:
    """The node names in an event's name fields, in field order (tuples spread)."""
    out: list[str] = []
    for f in dataclasses.fields(e):
        if f.name in ev.NAME_FIELDS:
            value = getattr(e, f.name)
            out += [value] if isinstance(value, str) else list(value or ())
    return out


@pytest.mark.parametrize("run", RUNS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_skimmed_event_holds_what_the_engine_reads_of_the_whole_one(run: Path) -> None:
    whole_stream, skim_stream = _read(run, frozenset()), _read(run, SKIMMED)
    whole, skimmed = list(whole_stream), list(skim_stream)
    assert len(whole) == len(skimmed)
    for a, b in zip(whole, skimmed, strict=True):
        if type(a) in SKIMMED:
            assert type(b) is ev.Skimmed and b.of is type(a)
            assert (b.node, b.time, b.source) == (a.node, a.time, a.source)
            assert list(b.names) == _named(a)
        else:
            assert a == b
    assert whole_stream.files == skim_stream.files
    assert whole_stream.problems == skim_stream.problems
    assert whole_stream.nodes == skim_stream.nodes


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
def test_real_runs_have_skimmed_kinds_that_name_nodes() -> None:
    """The test above compares something: warnings that name a peer are among the runs."""
    kinds = {(e.of, bool(e.names)) for run in RUNS for e in _read(run, SKIMMED)
             if isinstance(e, ev.Skimmed)}
    assert (ev.ServerWarning, True) in kinds and (ev.RequestDropped, False) in kinds


def test_a_skimmed_event_names_every_node_its_whole_one_names(tmp_path: Path) -> None:
    """A dropped message's other fields (here a vote for node 9, in an interaction
    transcript) name a node too: skimmed, the stream knows the same nodes as whole."""
    transcript = tmp_path / "dropped.txt"
    transcript.write_text("deliver-msgs drop=(2)\n----\n"
                          "dropped: 1->2 MsgHeartbeat Term:1 Log:0/0 Vote:9\n")
    whole, skimmed = LogStream([transcript]), LogStream([transcript], skim=SKIMMED)
    [a], [b] = list(whole), list(skimmed)
    assert type(a) is ev.MessageDropped and a.fields["vote"] == "n9"
    assert type(b) is ev.Skimmed and b.names == ("n1", "n2")
    assert sorted(skimmed.nodes) == sorted(whole.nodes) == ["n1", "n2", "n9"]


def test_no_kind_the_engine_reads_is_skimmed() -> None:
    """engine.step returns at once for a kind whose handler is on_nothing: no kind whose
    role or term a resync waits for (ANCHORS), or that _note reads, may have it."""
    assert not SKIMMED & (set(ANCHORS) | engine._NOTED)
    assert all(HANDLERS[kind] is not on_nothing for kind in ANCHORS)


def _verdict(out: Path, skim: frozenset[type[ev.Event]]) -> dict:
    """check_run's verdict (less its time) with ``skim`` as the kinds it skims."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "SKIMMED", skim)
        body = check_run(find_runs([out])[0]).to_json()
    body.pop("seconds")
    return body


@pytest.mark.skipif(not RUNS, reason="no recorded runs in tests/data")
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run=st.sampled_from(RUNS) if RUNS else st.nothing(),
       edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 2**32)), max_size=4))
def test_a_run_broken_at_random_gets_the_same_verdict_skimmed_or_whole(
        tmp_path_factory, run: Path, edits: list[tuple[str, int]]) -> None:
    out = tmp_path_factory.mktemp("skim")
    texts = {f.name: f.read_text(errors="replace").splitlines(keepends=True)
             for f in _files(run)}
    for kind, seed in edits:
        rng = random.Random(seed)
        name = rng.choice(sorted(texts))
        texts[name] = _edit(texts[name], kind, rng, [])
    for name, lines in texts.items():
        (out / name).write_text("".join(lines))
    try:
        whole = _verdict(out, frozenset())
    except LogError as exc:
        with pytest.raises(LogError) as skimmed:
            _verdict(out, SKIMMED)
        assert str(skimmed.value) == str(exc)
        return
    assert _verdict(out, SKIMMED) == whole


# Real runs forged to violate, each at a known line (as in test_validate_mutations): the random
# breaks above seldom make a violation, so these make sure skimming never hides or moves one.
FORGERIES = {
    "ElectionSafety": ("node2.log", lambda logs: lambda lines: [
        *lines, line(logs / "node3.log", 88).replace(N3, N2).replace("46.068Z", "48.164Z")]),
    "TermMonotonic": ("node1.log", lambda logs: lambda lines: [
        *lines[:133], lines[133].replace("at term 3", "at term 1"), *lines[134:]]),
    "VotedOncePerTerm": ("node2.log", lambda logs: lambda lines: [
        *lines[:77], lines[76].replace(f"for {N3}", f"for {N1}"), *lines[77:]]),
}


@pytest.mark.skipif(not KILL.is_dir(), reason="tests/data/etcd35/leader-kill is absent")
@pytest.mark.parametrize("rule", sorted(FORGERIES))
def test_a_forged_violation_is_found_at_its_line_skimmed_or_whole(tmp_path: Path,
                                                                   rule: str) -> None:
    name, forge = FORGERIES[rule]
    logs = copy(KILL, tmp_path)
    edit(logs / name, forge(logs))
    whole = _verdict(logs, frozenset())
    assert (whole["status"], whole["rule"]) == ("violates", rule)
    assert whole["location"].startswith(f"{logs / name}:")
    assert _verdict(logs, SKIMMED) == whole
