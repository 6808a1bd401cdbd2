"""etcd-io/raft TLA+ trace NDJSON: every event name, bad records, the corpus's example.ndjson.

The records in the first part are written for this test in the shape of etcd-io/raft's
state_trace.go output; the corpus test reads ../shared/corpus and is skipped without it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import LogError, read_logs

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO.parent / "shared" / "corpus" / "etcd-raft-trace" / "example.ndjson"
needs_corpus = pytest.mark.skipif(
    not EXAMPLE.is_file(),
    reason=f"the shared log corpus is not at {EXAMPLE.parent} (tests read it there)")


def _record(name: str, nid: str = "3", term: int = 4, vote: str = "0", commit: int = 7,
            role: str = "StateFollower", log: int = 9, **extra: Any) -> str:
    event = {"name": name, "nid": nid, "state": {"term": term, "vote": vote, "commit": commit},
             "role": role, "log": log, "conf": [["3", "11", "12"], []], **extra}
    return json.dumps({"level": "debug", "ts": 1712329729.5, "caller": "rafttest/x.go:42",
                       "msg": "trace", "tag": "trace", "event": event})


def _msg(kind: str, frm: str = "3", to: str = "11", **fields: Any) -> dict[str, Any]:
    msg = {"type": kind, "term": 4, "from": frm, "to": to, "entries": 0, "logTerm": 0,
           "index": 0, "commit": 0, "vote": "0", "reject": False, "rejectHint": 0}
    msg.update(fields)
    return msg


# (record, event kind, node, fields that must match)
SHAPES: list[tuple[str, str, str, dict[str, Any]]] = [
    (_record("InitState", term=0, commit=0, log=0), "NodeStarted", "n3",
     {"term": 0, "vote": None, "commit": 0, "last_index": 0, "peers": ("n3", "n11", "n12")}),
    (_record("BecomeFollower"), "BecameFollower", "n3", {"term": 4, "leader": None}),
    (_record("BecomePreCandidate"), "BecamePreCandidate", "n3", {"term": 4}),
    (_record("BecomeCandidate", vote="3", role="StateCandidate"), "BecameCandidate", "n3",
     {"term": 4}),
    (_record("BecomeLeader", role="StateLeader"), "BecameLeader", "n3", {"term": 4}),
    (_record("SendRequestVoteRequest", msg=_msg("MsgVote", logTerm=3, index=9)), "MessageSent",
     "n3", {"type": "MsgVote", "src": "n3", "dst": "n11", "term": 4}),
    (_record("SendRequestVoteResponse", msg=_msg("MsgVoteResp", reject=True)), "MessageSent",
     "n3", {"type": "MsgVoteResp"}),
    (_record("SendAppendEntriesRequest", msg=_msg("MsgApp", entries=2, logTerm=3, index=7,
                                                  commit=6), prop={"match": 7, "next": 8}),
     "MessageSent", "n3", {"type": "MsgApp"}),
    (_record("SendAppendEntriesResponse", msg=_msg("MsgAppResp", index=9)), "MessageSent", "n3",
     {"type": "MsgAppResp"}),
    (_record("ReceiveRequestVoteRequest", msg=_msg("MsgVote", frm="11", to="3")),
     "MessageReceived", "n3", {"src": "n11", "dst": "n3"}),
    (_record("ReceiveRequestVoteResponse", msg=_msg("MsgVoteResp", frm="11", to="3")),
     "MessageReceived", "n3", {"type": "MsgVoteResp"}),
    (_record("ReceiveAppendEntriesRequest", msg=_msg("MsgApp", frm="11", to="3", vote="11")),
     "MessageReceived", "n3", {"type": "MsgApp"}),
    (_record("ReceiveAppendEntriesResponse", msg=_msg("MsgAppResp", frm="11", to="3")),
     "MessageReceived", "n3", {"type": "MsgAppResp"}),
    (_record("Commit", role="StateLeader"), "CommitAdvanced", "n3",
     {"commit_index": 7, "term": 4, "last_index": 9}),
    (_record("Replicate", role="StateLeader", log=9), "EntriesAppended", "n3",
     {"first_index": 10, "last_index": 10, "term": 4}),
    (_record("Ready", vote="11"), "StateObserved", "n3",
     {"role": "Follower", "term": 4, "vote": "n11", "commit": 7, "last_index": 9}),
    (_record("ApplyConfChange", prop={"cc": {"newconf": ["3", "11"]}}), "Membership", "n3",
     {"voters": ("n3", "n11")}),
    (_record("ApplyConfChange", prop={"cc": {}}), "Membership", "n3",
     {"voters": ("n3", "n11", "n12")}),
    (_record("ChangeConf", prop={"cc": {"changes": [{"nid": "12", "action": "RemoveServer"}]}}),
     "ConfigChange", "n3", {"detail": "RemoveServer 12"}),
]


@pytest.mark.parametrize(("record", "kind", "node", "fields"), SHAPES,
                         ids=[f"{i}-{s[1]}" for i, s in enumerate(SHAPES)])
def test_event_shape(tmp_path: Path, record: str, kind: str, node: str,
                     fields: dict[str, Any]) -> None:
    path = tmp_path / "t.ndjson"
    path.write_text(record + "\n")
    parsed = read_logs([str(path)])
    assert parsed.problems == []
    event, *after = parsed.events
    assert (event.kind, event.node) == (kind, node)
    assert event.time == datetime.fromtimestamp(1712329729.5, UTC)
    for name, want in fields.items():
        assert getattr(event, name) == want, name
    record_json = json.loads(record)["event"]
    if record_json["name"] in ("Ready", "Replicate", "InitState"):
        assert after == []  # Ready is the state; Replicate's is before; InitState's the same
    else:  # then the state after the step, so that every state is checked
        (state,) = after
        assert isinstance(state, ev.StateObserved) and state.node == node
        assert (state.term, state.commit, state.last_index) == (
            record_json["state"]["term"], record_json["state"]["commit"], record_json["log"])


def test_message_fields(tmp_path: Path) -> None:
    path = tmp_path / "t.ndjson"
    path.write_text(_record("SendAppendEntriesRequest", msg=_msg(
        "MsgApp", entries=2, logTerm=3, index=7, commit=6, vote="12")) + "\n")
    event, _state = read_logs([str(path)]).events
    assert isinstance(event, ev.MessageSent)
    assert dict(event.fields) == {"log_term": 3, "index": 7, "commit": 6, "entry_count": 2,
                                  "reject": False, "reject_hint": 0, "vote": "n12"}


def test_replicate_counts_entries_traced_before_one_append(tmp_path: Path) -> None:
    path = tmp_path / "t.ndjson"
    path.write_text("\n".join([_record("Replicate", log=9), _record("Replicate", log=9),
                               _record("Replicate", log=11)]) + "\n")
    indexes = [e.first_index for e in read_logs([str(path)]).events  # type: ignore[attr-defined]
               ]
    assert indexes == [10, 11, 12]


def test_bad_records(tmp_path: Path) -> None:
    good = _record("BecomeFollower")
    path = tmp_path / "t.ndjson"
    path.write_text("\n".join([
        good, good[:40], _record("Teleport"), _record("BecomeFollower", nid="0"),
        json.dumps({"level": "debug", "msg": "trace", "tag": "trace"}),
        json.dumps({"level": "info", "ts": 1.5, "msg": "some other zap record of the run"}),
        _record("ReceiveAppendEntriesRequest"),  # no "msg"
        "", "plain text", good]) + "\n")
    parsed = read_logs([str(path)])
    assert [(p.line, p.message) for p in parsed.problems] == [
        (2, "truncated or invalid JSON record"),
        (3, "unrecognised trace event 'Teleport'"),
        (4, "malformed BecomeFollower event: node id 0"),
        (5, 'trace record without an "event" object'),
        (7, "malformed ReceiveAppendEntriesRequest event: missing field 'msg'"),
        (9, "not a JSON trace record"),
    ]
    assert [e.source.line for e in parsed.events] == [1, 1, 10, 10]  # each with its state
    assert parsed.files[0].skipped == 2  # the other zap record and the blank line


def test_trace_with_hclog_line_is_mixed(tmp_path: Path) -> None:
    path = tmp_path / "t.ndjson"
    path.write_text(_record("BecomeFollower") + "\n"
                    + "2026-11-28T10:00:31.636Z [INFO]  raft: election won: tally=2\n")
    with pytest.raises(LogError, match=r"t\.ndjson:2: mixed formats"):
        read_logs([str(path)])


@needs_corpus
def test_example_ndjson() -> None:
    parsed = read_logs([str(EXAMPLE)])
    assert parsed.problems == []
    summary = parsed.files[0]
    names = Counter(json.loads(line)["event"]["name"] for line in EXAMPLE.open())
    with_state = sum(n for name, n in names.items()
                     if name not in ("Ready", "Replicate", "InitState"))
    assert (summary.lines, summary.events, summary.format) == (
        4888, 4888 + with_state, "etcd-raft-trace")
    kinds = Counter(e.kind for e in parsed.events)
    assert kinds["MessageSent"] == sum(v for k, v in names.items() if k.startswith("Send"))
    assert kinds["MessageReceived"] == sum(v for k, v in names.items()
                                           if k.startswith("Receive"))
    assert kinds["BecameLeader"] == names["BecomeLeader"] == 1
    assert kinds["EntriesAppended"] == names["Replicate"]
    assert kinds["CommitAdvanced"] == names["Commit"]
    assert kinds["ConfigChange"] == names["ChangeConf"] == 9
    leader = next(e for e in parsed.events if isinstance(e, ev.BecameLeader))
    assert (leader.node, leader.term, leader.source.line) == ("n2", 2, 102)
    first_entry = next(e for e in parsed.events if isinstance(e, ev.EntriesAppended))
    assert (first_entry.node, first_entry.first_index, first_entry.term,
            first_entry.source.line) == ("n2", 6, 2, 103)
    assert sorted(parsed.nodes, key=lambda n: int(n[1:])) == [f"n{i}" for i in range(1, 11)]
    assert parsed.nodes["n10"].ids == ["a"]  # decimal nid 10 = etcd id 0xa
