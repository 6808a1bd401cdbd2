"""etcd-io/raft interaction transcripts: every output line shape in its context, the corpus.

The transcript below is written for this test in the datadriven format of etcd-io/raft's
rafttest (DescribeReady / DescribeMessage output); it is not copied from testdata. The corpus
tests read ../shared/corpus and are skipped without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import ParsedLogs, read_logs

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "etcd-raft-interaction"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the shared log corpus is not at {CORPUS} (tests read it there, never copy it)")

TRANSCRIPT = """\
# A two-node group; node 2 elects itself.
add-nodes 2 voters=(1,2) index=4
----
INFO 1 switched to configuration voters=(1 2)
INFO 1 became follower at term 0
INFO newRaft 1 [peers: [1,2], term: 0, commit: 4, applied: 4, lastindex: 4, lastterm: 1]

campaign 2
----
INFO 2 is starting a new election at term 0
INFO 2 became candidate at term 1
INFO 2 [logterm: 1, index: 4] sent MsgVote request to 1 at term 1

stabilize
----
> 2 handling Ready
  Ready MustSync=true:
  Lead:0 State:StateCandidate
  HardState Term:1 Vote:2 Commit:4
  Messages:
  2->1 MsgVote Term:1 Log:1/4
> 1 receiving messages
  2->1 MsgVote Term:1 Log:1/4
  INFO 1 [term: 0] received a MsgVote message with higher term from 2 [term: 1]
  INFO found conflict at index 3 [existing term: 1, conflicting term: 1]
> 1 handling Ready
  Ready MustSync=true:
  HardState Term:1 Vote:2 Commit:4
  Entries:
  1/5 EntryNormal "x"
  CommittedEntries:
  1/5 EntryConfChangeV2 v3
  Snapshot Index:4 Term:1 @CONF@
  Messages:
  1->2 MsgVoteResp Term:1 Log:0/0 Rejected (Hint: 0)
  1->2 MsgApp Term:1 Log:1/4 Commit:4 Entries:[
    1/5 EntryNormal ""
    1/6 EntryNormal "a \\"q\\""
  ]
> 2 receiving messages
  1->2 MsgVoteResp Term:1 Log:0/0
  raft: cannot step as peer not found
> 1 handling Ready
  <empty Ready>

deliver-msgs drop=(1)
----
dropped: 2->1 MsgApp Term:1 Log:1/4 Commit:4

deliver-msgs 1
----
2->1 MsgHeartbeat Term:1 Log:0/0 Commit:4

send-snapshot 2 1
----
2->1 MsgSnap Term:1 Log:0/0
  Snapshot: Index:4 Term:1 @CONF@

process-ready 2
----
Ready MustSync=false:
Messages:
2->AppendThread MsgStorageAppend Term:1 Log:0/0 Commit:4 Vote:2 Responses:[
  2->1 MsgAppResp Term:1 Log:0/5
]

process-append-thread 2
----
Processing:
2->AppendThread MsgStorageAppend Term:1 Log:0/0 Commit:4 Vote:2
Responses:
2->1 MsgAppResp Term:1 Log:0/5
AppendThread->2 MsgStorageAppendResp Term:1 Log:1/5

raft-state
----
1: StateFollower (Voter) Term:1 Lead:2
2: StateLeader (Non-Voter) Term:1 Lead:2

status 2
----
1: StateReplicate match=5 next=6 paused inflight=2[full]
2: StateSnapshot match=0 next=1 pendingSnap=4 inactive

raft-log 1
----
1/5 EntryNormal "x"

raft-log 2
----
log is empty: first index=6, last index=5

compact 1 5
----
ok

propose-conf-change 2
v3
----
ok

propose 1 z
----
raft proposal dropped

process-apply-thread 1 2
----
> 1 processing append thread
  Processing:
  1->AppendThread MsgStorageAppend Term:1 Log:0/0 Commit:4
  Responses:
> 2 processing apply thread
  Processing:
  2->ApplyThread MsgStorageApply Term:0 Log:0/0 Entries:[1/5 EntryNormal "x"]
  Responses:
  ApplyThread->2 MsgStorageApplyResp Term:0 Log:0/0 Entries:[1/5 EntryNormal "x"]
""".replace("@CONF@", "ConfState:Voters:[1 2] VotersOutgoing:[] Learners:[] LearnersNext:[] "
                      "AutoLeave:false")

# (line, event kind, node, fields that must match)
EXPECTED: list[tuple[int, str, str, dict[str, Any]]] = [
    (4, "Membership", "n1", {"voters": ("n1", "n2")}),
    (5, "BecameFollower", "n1", {"term": 0}),
    (6, "NodeStarted", "n1", {"commit": 4, "last_index": 4, "peers": ("n1", "n2")}),
    (10, "ElectionTimeout", "n2", {"term": 0}),
    (11, "BecameCandidate", "n2", {"term": 1}),
    (12, "VoteRequested", "n2", {"voter": "n1", "last_log_index": 4}),
    (18, "StateObserved", "n2", {"role": "Candidate", "leader": None}),
    (19, "HardState", "n2", {"term": 1, "vote": "n2", "commit": 4}),
    (21, "MessageSent", "n2", {"type": "MsgVote", "src": "n2", "dst": "n1", "term": 1}),
    (23, "MessageReceived", "n1", {"type": "MsgVote", "src": "n2", "dst": "n1"}),
    (24, "TermObserved", "n1", {"old_term": 0, "term": 1, "from_node": "n2"}),
    (25, "LogTruncated", "n1", {"from_index": 3}),   # no id in the line: the section's node
    (28, "HardState", "n1", {"vote": "n2"}),
    (30, "EntriesAppended", "n1", {"first_index": 5, "last_index": 5, "term": 1}),
    (32, "Applied", "n1", {"index": 5, "term": 1}),
    (32, "ConfigChange", "n1", {"detail": "applied EntryConfChangeV2 v3"}),
    (33, "Snapshot", "n1", {"action": "ready", "index": 4, "term": 1}),
    (35, "MessageSent", "n1", {"type": "MsgVoteResp", "dst": "n2"}),
    (36, "MessageSent", "n1", {"type": "MsgApp", "term": 1}),
    (41, "MessageReceived", "n2", {"type": "MsgVoteResp", "src": "n1"}),
    (42, "MessageDropped", "n2", {"type": "MsgVoteResp", "src": "n1", "dst": "n2",
                                  "reason": "raft: cannot step as peer not found"}),
    (48, "MessageDropped", "n2", {"type": "MsgApp", "reason": "dropped by deliver-msgs"}),
    (52, "MessageReceived", "n1", {"type": "MsgHeartbeat", "src": "n2"}),
    (56, "MessageSent", "n2", {"type": "MsgSnap", "dst": "n1"}),
    (63, "FeatureUsed", "n2", {"feature": "async-storage-writes"}),
    (70, "FeatureUsed", "n2", {"feature": "async-storage-writes"}),
    (72, "MessageSent", "n2", {"type": "MsgAppResp", "dst": "n1"}),
    (73, "FeatureUsed", "n2", {"feature": "async-storage-writes"}),
    (77, "StateObserved", "n1", {"role": "Follower", "term": 1, "leader": "n2"}),
    (78, "StateObserved", "n2", {"role": "Leader", "term": 1, "leader": "n2"}),
    (82, "ReplicationProgress", "n2", {"peer": "n1", "action": "status", "match": 5,
                                       "next": 6, "detail": "paused inflight=2[full]"}),
    (83, "ReplicationProgress", "n2", {"peer": "n2", "state": "StateSnapshot",
                                       "detail": "pendingSnap=4 inactive"}),
    (87, "LogObserved", "n1", {"first_index": 5, "last_index": 5, "term": 1}),
    (91, "LogObserved", "n2", {"first_index": 6, "last_index": 5, "term": None}),
    (93, "Snapshot", "n1", {"action": "compact", "index": 5}),
    (97, "ConfigChange", "n2", {"detail": "propose-conf-change v3"}),
    (104, "RequestDropped", "n1", {"request": "proposal"}),
    (110, "FeatureUsed", "n1", {"detail": "1->AppendThread MsgStorageAppend"}),
    (114, "FeatureUsed", "n2", {"detail": "2->ApplyThread MsgStorageApply"}),
    (116, "FeatureUsed", "n2", {"detail": "ApplyThread->2 MsgStorageApplyResp"}),
]


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> ParsedLogs:
    path = tmp_path_factory.mktemp("interaction") / "made_up.txt"
    path.write_text(TRANSCRIPT)
    return read_logs([str(path)])


def test_transcript_events(parsed: ParsedLogs) -> None:
    assert parsed.problems == []
    got = [(e.source.line, e.kind, e.node) for e in parsed.events]
    assert got == [(line, kind, node) for line, kind, node, _f in EXPECTED]


@pytest.mark.parametrize(("line", "kind", "node", "fields"), EXPECTED,
                         ids=[f"{x[0]}-{x[1]}" for x in EXPECTED])
def test_transcript_line(parsed: ParsedLogs, line: int, kind: str, node: str,
                         fields: dict[str, Any]) -> None:
    event = next(e for e in parsed.events if e.source.line == line and e.kind == kind)
    assert event.node == node
    for name, want in fields.items():
        assert getattr(event, name) == want, name


def test_multi_line_message(parsed: ParsedLogs) -> None:
    app = next(e for e in parsed.events if e.source.line == 36)
    assert isinstance(app, ev.MessageSent)
    assert app.source.raw.count("\n") == 3  # the record spans lines 36-39
    assert app.fields["entries"] == (ev.Entry(5, 1, "EntryNormal", ""),
                                     ev.Entry(6, 1, "EntryNormal", 'a "q"'))
    assert (app.fields["log_term"], app.fields["index"], app.fields["commit"]) == (1, 4, 4)
    reject = next(e for e in parsed.events if e.source.line == 35)
    assert isinstance(reject, ev.MessageSent)
    assert reject.fields["reject"] is True and reject.fields["reject_hint"] == 0
    snap = next(e for e in parsed.events if e.source.line == 56)
    assert isinstance(snap, ev.MessageSent)
    assert (snap.fields["snapshot_index"], snap.fields["snapshot_term"]) == (4, 1)


def test_line_accounting(parsed: ParsedLogs) -> None:
    f = parsed.files[0]
    assert f.format == "etcd-raft-interaction" and f.node is None and f.time_precision is None
    assert f.lines == TRANSCRIPT.count("\n")
    assert f.lines == f.event_lines + f.skipped
    assert all(e.time is None for e in parsed.events)


@pytest.mark.parametrize(("body", "line", "message"), [
    ("stabilize\n----\n> 1 handling Ready\n  Messages:\n  1->2 MsgApp Term:1 Log:1/4 Entries:[\n"
     "    1/5 EntryNormal \"\"\n\n", 5, "unterminated multi-line message (missing ']')"),
    ("stabilize\n----\n1->2 MsgApp Term:1 Log:1/4\n", 3,
     "message line outside Messages:, a receiving section or deliver-msgs/send-snapshot output"),
    ("stabilize\n----\n> 1 handling Ready\n  Lead:1 State:StateLeader Term:1\n", 4,
     "unrecognised interaction transcript line at column 26"),
    ("stabilize\n----\nHardState Term:1 Commit:2\n", 3, "output line outside a node's section"),
    ("status 1\n----\n1/5 EntryNormal \"\"\n", 3,
     "log entry outside Entries:, CommittedEntries: or a raft-log dump"),
])
def test_transcript_problems(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(body)
    parsed = read_logs([str(path)])
    assert [(p.line, p.message) for p in parsed.problems] == [(line, message)]


# --- the corpus ----------------------------------------------------------------------------


@needs_corpus
def test_corpus_transcripts_parse_completely() -> None:
    parsed = read_logs([str(CORPUS)])
    assert len(parsed.files) == 28
    assert parsed.problems == []
    for f in parsed.files:
        assert f.lines == f.event_lines + f.skipped, f.path
    assert sorted(parsed.nodes) == [f"n{i}" for i in range(1, 8)]


@needs_corpus
def test_corpus_campaign() -> None:
    parsed = read_logs([str(CORPUS / "campaign.txt")])
    leaders = [(e.node, e.term, e.source.line) for e in parsed.events
               if isinstance(e, ev.BecameLeader)]
    assert leaders == [("n1", 1, 59)]
    votes = [(e.node, e.candidate, e.term) for e in parsed.events if isinstance(e, ev.VoteCast)]
    assert votes == [("n2", "n1", 1), ("n3", "n1", 1)]
    sent = [(e.src, e.dst, e.type) for e in parsed.events if isinstance(e, ev.MessageSent)]
    assert sent[:2] == [("n1", "n2", "MsgVote"), ("n1", "n3", "MsgVote")]
    commits = [(e.node, e.commit) for e in parsed.events
               if isinstance(e, ev.HardState) and e.commit == 3]
    assert commits == [("n1", 3), ("n2", 3), ("n3", 3)]


@needs_corpus
def test_corpus_features_are_flagged() -> None:
    def kinds(name: str) -> set[str]:
        return {e.kind for e in read_logs([str(CORPUS / name)]).events}

    assert "FeatureUsed" in kinds("async_storage_writes.txt")
    assert "ConfigChange" in kinds("confchange_v1_add_single.txt")
    assert "Snapshot" in kinds("snapshot_succeed_via_app_resp.txt")
    assert {"ConfigChange", "Snapshot", "FeatureUsed"}.isdisjoint(kinds("campaign.txt"))
    prevote = read_logs([str(CORPUS / "prevote.txt")])
    assert any(isinstance(e, ev.BecamePreCandidate) for e in prevote.events)
    assert any(isinstance(e, ev.VoteRequested) and e.prevote for e in prevote.events)
