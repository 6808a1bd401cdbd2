"""etcd_raft.lark: every message shape of the raft package -> the right draft.

The messages below are built from the Go format strings in etcd-io/raft (raft.go, log.go,
log_unstable.go, node.go) with made-up ids and numbers; none is copied from a log. Real logs
are covered by test_grammar_etcd_server.py (fixtures made by running etcd, and the corpus).
"""

from __future__ import annotations

from typing import Any

import pytest
from lark import Tree

from raftcheck.grammar.drafts import Draft, RawId
from raftcheck.grammar.etcd_raft import EtcdRaftMessages
from raftcheck.grammar.parsers import ParseFailure, grammar
from raftcheck.traces import events as ev

A, B, C = "a1b2c3d4e5f60718", "2f", "8e530ca48d01902"  # 16, 2 and 15 hex digits

# (message, event class, node id or None (= the file's node), fields that must match)
SHAPES: list[tuple[str, type[ev.Event], str | None, dict[str, Any]]] = [
    # roles and terms
    (f"{A} became follower at term 7", ev.BecameFollower, A, {"term": 7}),
    (f"{A} became pre-candidate at term 7", ev.BecamePreCandidate, A, {"term": 7}),
    (f"{A} became candidate at term 8", ev.BecameCandidate, A, {"term": 8}),
    (f"{A} became leader at term 8", ev.BecameLeader, A, {"term": 8}),
    (f"{A} stepped down to follower since quorum is not active", ev.SteppedDown, A,
     {"reason": "check-quorum: quorum is not active"}),
    (f"{A} [term: 3] received a MsgHeartbeat message with higher term from {B} [term: 5]",
     ev.TermObserved, A, {"old_term": 3, "term": 5, "from_node": B,
                          "message_type": "MsgHeartbeat"}),
    (f"{A} [term: 6] ignored a MsgAppResp message with lower term from {B} [term: 4]",
     ev.StaleMessageDropped, A, {"term": 6, "message_term": 4, "from_node": B,
                                 "message_type": "MsgAppResp"}),
    (f"{A} [term: 6] ignored entry appends from a MsgStorageAppendResp message with lower term "
     "[term: 5]", ev.FeatureUsed, A, {"feature": "async-storage-writes"}),
    # elections
    (f"{A} is starting a new election at term 7", ev.ElectionTimeout, A, {"term": 7}),
    (f"{A} is unpromotable and can not campaign", ev.CampaignSkipped, A, {}),
    (f"{A} is unpromotable; campaign() should have been called", ev.CampaignSkipped, A, {}),
    (f"{A} cannot campaign at term 4 since there are still 2 pending configuration changes to "
     "apply", ev.CampaignSkipped, A, {"term": 4}),
    (f"{A} cannot campaign at term 4 since there are still pending configuration changes to "
     "apply", ev.CampaignSkipped, A, {"term": 4}),
    (f"{A} ignoring MsgHup because already leader", ev.CampaignSkipped, A,
     {"reason": "already leader"}),
    (f"{A} [logterm: 2, index: 19] sent MsgVote request to {B} at term 3", ev.VoteRequested,
     A, {"voter": B, "term": 3, "last_log_index": 19, "last_log_term": 2, "prevote": False}),
    (f"{A} [logterm: 2, index: 19] sent MsgPreVote request to {C} at term 2", ev.VoteRequested,
     A, {"voter": C, "term": 2, "prevote": True}),
    (f"{A} received MsgVoteResp from {A} at term 3", ev.VoteReceived, A,
     {"voter": A, "term": 3, "granted": True, "prevote": False}),
    (f"{A} received MsgPreVoteResp from {B} at term 2", ev.VoteReceived, A,
     {"voter": B, "granted": True, "prevote": True}),
    (f"{A} received MsgVoteResp rejection from {B} at term 3", ev.VoteReceived, A,
     {"voter": B, "granted": False, "prevote": False}),
    (f"{A} received MsgPreVoteResp rejection from {B} at term 2", ev.VoteReceived, A,
     {"voter": B, "granted": False, "prevote": True}),
    (f"{A} has received 3 MsgVoteResp votes and 1 vote rejections", ev.VotesTallied, A,
     {"granted": 3, "rejected": 1, "prevote": False, "term": None}),
    (f"{A} has received 2 MsgPreVoteResp votes and 0 vote rejections", ev.VotesTallied, A,
     {"granted": 2, "rejected": 0, "prevote": True}),
    (f"{A} [logterm: 2, index: 20, vote: 0] cast MsgVote for {B} [logterm: 2, index: 21] at "
     "term 3", ev.VoteCast, A,
     {"candidate": B, "term": 3, "granted": True, "prevote": False, "voted_for": None,
      "last_log_index": 20, "last_log_term": 2, "candidate_last_log_index": 21,
      "candidate_last_log_term": 2}),
    (f"{A} [logterm: 2, index: 20, vote: {B}] cast MsgPreVote for {C} [logterm: 2, index: 20] "
     "at term 3", ev.VoteCast, A,
     {"candidate": C, "granted": True, "prevote": True, "voted_for": B}),
    (f"{A} [logterm: 3, index: 22, vote: {C}] rejected MsgVote from {B} [logterm: 2, index: 21] "
     "at term 3", ev.VoteCast, A,
     {"candidate": B, "granted": False, "prevote": False, "voted_for": C}),
    (f"{A} [logterm: 3, index: 22, vote: 0] rejected MsgPreVote from {B} [logterm: 2, index: 2] "
     "at term 3", ev.VoteCast, A, {"candidate": B, "granted": False, "prevote": True}),
    (f"{A} [logterm: 3, index: 22, vote: 0] ignored MsgVote from {B} [logterm: 3, index: 22] at "
     "term 3: lease is not expired (remaining ticks: 7)", ev.VoteIgnored, A,
     {"candidate": B, "term": 3, "prevote": False, "remaining_ticks": 7}),
    (f"{A} [logterm: 3, index: 22, vote: {A}] ignored MsgPreVote from {B} [logterm: 3, index: 22]"
     " at term 3: lease is not expired (remaining ticks: 1)", ev.VoteIgnored, A,
     {"candidate": B, "prevote": True, "voted_for": A, "remaining_ticks": 1}),
    # leader knowledge
    (f"raft.node: {A} elected leader {B} at term 4", ev.LeaderKnown, A,
     {"leader": B, "term": 4, "previous": None}),
    (f"raft.node: {A} lost leader {B} at term 5", ev.LeaderLost, A, {"leader": B, "term": 5}),
    (f"raft.node: {A} changed leader from {B} to {C} at term 6", ev.LeaderKnown, A,
     {"leader": C, "previous": B, "term": 6}),
    (f"{A} forgetting leader {B} at term 6", ev.LeaderLost, A,
     {"leader": B, "term": 6, "reason": "forget-leader"}),
    ("ignoring MsgForgetLeader due to ReadOnlyLeaseBased", ev.FeatureUsed, None,
     {"feature": "forget-leader"}),
    # leadership transfer
    (f"{A} [term 9] starts to transfer leadership to {B}", ev.LeadershipTransfer, A,
     {"action": "start", "term": 9, "leader": A, "transferee": B}),
    (f"{A} sends MsgTimeoutNow to {B} immediately as {B} already has up-to-date log",
     ev.LeadershipTransfer, A, {"action": "timeout-now-sent", "transferee": B}),
    (f"{A} sent MsgTimeoutNow to {B} after received MsgAppResp", ev.LeadershipTransfer, A,
     {"action": "timeout-now-sent", "transferee": B}),
    (f"{B} [term 9] received MsgTimeoutNow from {A} and starts an election to get leadership.",
     ev.LeadershipTransfer, B,
     {"action": "timeout-now-received", "term": 9, "leader": A, "transferee": B}),
    (f"{B} [term 9 state StateCandidate] ignored MsgTimeoutNow from {A}", ev.LeadershipTransfer,
     B, {"action": "timeout-now-ignored", "leader": A}),
    (f"{A} [term 9] transfer leadership to {B} is in progress, ignores request to same node {B}",
     ev.LeadershipTransfer, A, {"action": "in-progress", "transferee": B}),
    (f"{A} [term 9] transfer leadership to {B} is in progress; ignores request to same node {B}",
     ev.LeadershipTransfer, A, {"action": "in-progress"}),
    (f"{A} [term 9] transfer leadership to {B} is in progress; dropping proposal",
     ev.RequestDropped, A, {"request": "proposal", "term": 9}),
    (f"{A} [term 9] abort previous transferring leadership to {B}", ev.LeadershipTransfer, A,
     {"action": "aborted", "transferee": B}),
    (f"{A} is already leader. Ignored transferring leadership to self", ev.LeadershipTransfer,
     A, {"action": "ignored"}),
    (f"{A} is learner. Ignored transferring leadership", ev.LeadershipTransfer, A,
     {"action": "ignored"}),
    # log replication
    ("found conflict at index 21 [existing term: 2, conflicting term: 3]", ev.LogTruncated,
     None, {"from_index": 21, "existing_term": 2, "conflicting_term": 3}),
    ("replace the unstable entries from index 21", ev.LogTruncated, None, {"from_index": 21}),
    # raft's panic where a node is told to commit past its log's end (etcd 3.4 and 3.5)
    ("tocommit(71) is out of range [lastIndex(9)]. Was the raft log corrupted, truncated, or "
     "lost?", ev.CommitOutOfRange, None, {"commit": 71, "last_index": 9}),
    # the unstable log keeps what comes before 11 and takes the new entries from 11 on
    ("truncate the unstable entries before index 11", ev.LogTruncated, None,
     {"from_index": 11}),
    (f"{A} [logterm: 0, index: 23] rejected MsgApp [logterm: 5, index: 23] from {B}",
     ev.AppendRejected, A, {"leader": B, "index": 23, "log_term": 5, "local_log_term": 0}),
    (f"{A} received MsgAppResp(MsgApp was rejected, lastindex: 48) from {B} for index 49",
     ev.ReplicationProgress, A, {"peer": B, "action": "append-rejected"}),
    (f"{A} received msgApp rejection(lastindex: 48) from {B} for index 49",
     ev.ReplicationProgress, A, {"peer": B, "action": "append-rejected"}),
    (f"{A} received MsgAppResp(rejected, hint: (index 5, term 2)) from {B} for index 9",
     ev.ReplicationProgress, A, {"peer": B, "detail": "for index 9; hint index 5 term 2"}),
    (f"{A} decreased progress of {B} to [StateProbe match=0 next=49]", ev.ReplicationProgress,
     A, {"peer": B, "action": "decreased", "state": "StateProbe", "match": 0, "next": 49}),
    (f"{A} failed to send message to {B} because it is unreachable [StateProbe match=36 next=37]",
     ev.ReplicationProgress, A, {"peer": B, "action": "unreachable", "match": 36, "next": 37}),
    (f"{A} failed to send message to {B} because it is unreachable [StateReplicate match=3 "
     "next=9 paused inactive inflight=2[full]]", ev.ReplicationProgress, A,
     {"state": "StateReplicate", "detail": "paused inactive inflight=2[full]"}),
    (f"{A} paused sending replication messages to {B} [StateSnapshot match=11 next=12 paused "
     "pendingSnap=5279]", ev.ReplicationProgress, A,
     {"action": "paused", "detail": "paused pendingSnap=5279"}),
    (f"{A} recovered from needing snapshot, resumed sending replication messages to {B} "
     "[StateSnapshot match=5314 next=5315 paused pendingSnap=5279]", ev.ReplicationProgress, A,
     {"action": "resumed", "match": 5314}),
    (f"{A} snapshot succeeded, resumed sending replication messages to {B} [StateProbe match=9 "
     "next=10 learner]", ev.ReplicationProgress, A,
     {"action": "resumed", "detail": "snapshot succeeded; learner"}),
    (f"{A} snapshot failed, resumed sending replication messages to {B} [StateProbe match=0 "
     "next=1]", ev.ReplicationProgress, A, {"detail": "snapshot failed"}),
    (f"{A} no progress available for {B}", ev.ReplicationProgress, A,
     {"action": "no-progress", "peer": B}),
    ("entry at index 15 missing from unstable log; ignoring", ev.FeatureUsed, None,
     {"feature": "async-storage-writes"}),
    ("entry at (index,term)=(12,2) mismatched with entry at (12,3) in unstable log; ignoring",
     ev.FeatureUsed, None, {"feature": "async-storage-writes"}),
    # snapshots
    (f"{A} [firstindex: 280, commit: 5314] sent snapshot[index: 5279, term: 2] to {B} "
     "[StateProbe match=11 next=12]", ev.Snapshot, A,
     {"action": "sent", "index": 5279, "term": 2, "commit": 5314, "peer": B}),
    (f"ignore sending snapshot to {B} since it is not recently active", ev.Snapshot, None,
     {"peer": B}),
    (f"{A} failed to send snapshot to {B} because snapshot is temporarily unavailable",
     ev.Snapshot, A, {"peer": B}),
    ("log [committed=11, applied=11, unstable.offset=12, len(unstable.Entries)=0] starts to "
     "restore snapshot [index: 5315, term: 2]", ev.Snapshot, None,
     {"action": "restoring", "index": 5315, "term": 2, "commit": 11}),
    ("log [committed=0, applied=0, applying=0, unstable.offset=1, unstable.offsetInProgress=1, "
     "len(unstable.Entries)=0] starts to restore snapshot [index: 11, term: 1]", ev.Snapshot,
     None, {"action": "restoring", "index": 11, "commit": 0}),
    (f"{A} [commit: 11, lastindex: 11, lastterm: 1] starts to restore snapshot [index: 20, "
     "term: 2]", ev.Snapshot, A, {"action": "restoring", "index": 20}),
    (f"{A} [commit: 5315, lastindex: 5315, lastterm: 2] restored snapshot [index: 5315, term: 2]",
     ev.Snapshot, A, {"action": "restored", "index": 5315, "commit": 5315}),
    (f"{A} [commit: 5315] restored snapshot [index: 5315, term: 2]", ev.Snapshot, A,
     {"action": "restored", "index": 5315, "term": 2}),
    (f"{A} [commit: 30] ignored snapshot [index: 20, term: 2]", ev.Snapshot, A,
     {"action": "ignored", "index": 20}),
    (f"{A} [commit: 10, lastindex: 30, lastterm: 3] fast-forwarded commit to snapshot [index: 20,"
     " term: 2]", ev.Snapshot, A, {"action": "fast-forwarded", "index": 20}),
    (f"{A} attempted to restore snapshot as leader; should never happen", ev.Snapshot, A, {}),
    # client requests
    (f"{A} no leader at term 5; dropping index reading msg", ev.RequestDropped, A,
     {"request": "read-index", "term": 5, "reason": "no leader"}),
    (f"{A} no leader at term 5; dropping proposal", ev.RequestDropped, A,
     {"request": "proposal"}),
    (f"{A} no leader at term 5; dropping leader transfer msg", ev.RequestDropped, A,
     {"request": "leader-transfer"}),
    (f"{A} not forwarding to leader {B} at term 5; dropping proposal", ev.RequestDropped, A,
     {"request": "proposal", "term": 5}),
    (f"{A} appending new entries to log would exceed uncommitted entry size limit; dropping "
     "proposal", ev.RequestDropped, A, {"request": "proposal"}),
    # membership
    (f"newRaft {A} [peers: [], term: 0, commit: 0, applied: 0, lastindex: 0, lastterm: 0]",
     ev.NodeStarted, A, {"term": 0, "commit": 0, "applied": 0, "last_index": 0, "last_term": 0,
                         "peers": ()}),
    (f"newRaft {A} [peers: [{A},{B},{C}], term: 3, commit: 21, applied: 20, lastindex: 22, "
     "lastterm: 3]", ev.NodeStarted, A,
     {"term": 3, "commit": 21, "applied": 20, "last_index": 22, "last_term": 3,
      "peers": (A, B, C)}),
    (f"{A} switched to configuration voters=()", ev.Membership, A, {"voters": ()}),
    # decimal ids: 0x2f == 47, 0xa1b2c3d4e5f60718 == 11651590505119483672
    (f"{A} switched to configuration voters=(47 11651590505119483672)", ev.Membership, A,
     {"voters": (B, A), "auto_leave": False}),
    (f"{A} switched to configuration voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) "
     "autoleave", ev.Membership, A,
     {"voters": ("1", "2", "3"), "outgoing_voters": ("1", "2"), "learners": ("4",),
      "learners_next": ("5",), "auto_leave": True}),
    ("initiating automatic transition out of joint configuration voters=(1 2 3)&&(1) autoleave",
     ev.ConfigChange, None, {}),
    ("not initiating automatic transition out of joint configuration voters=(1 2)&&(1): "
     "possible unapplied conf change", ev.ConfigChange, None, {}),
    (f"{A} ignoring conf change {{[] []}} at config voters=(1 2): not in joint state; refusing "
     "empty conf change", ev.ConfigChange, A, {}),
    # other
    (f"{A} A tick missed to fire. Node blocks too long!", ev.TickMissed, A, {}),
    ("A tick missed to fire. Node blocks too long!", ev.TickMissed, None, {}),
]


def _plain(value: Any) -> Any:
    if isinstance(value, RawId):
        return value.key
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


@pytest.fixture(scope="module")
def messages() -> EtcdRaftMessages:
    return EtcdRaftMessages()


@pytest.mark.parametrize(("text", "kind", "node", "fields"), SHAPES,
                         ids=[s[0][:60] for s in SHAPES])
def test_message_shape(messages: EtcdRaftMessages, text: str, kind: type[ev.Event],
                       node: str | None, fields: dict[str, Any]) -> None:
    drafts = messages.drafts(text)
    assert len(drafts) == 1
    draft: Draft = drafts[0]
    assert draft.kind is kind
    assert (draft.node.key if draft.node else None) == (node.lstrip("0") if node else None)
    for name, want in fields.items():
        assert _plain(draft.fields.get(name)) == want, name


def test_every_grammar_alternative_is_in_the_table() -> None:
    """The table above exercises each named alternative of etcd_raft.lark at least once."""
    parser = grammar("etcd_raft")
    seen = {parser.parse(text).data for text, *_ in SHAPES}
    rules = {r.alias or r.origin.name for r in parser.rules}
    alternatives = {str(a) for a in rules
                    if str(a) not in _HELPER_RULES and not str(a).startswith("__")}
    assert alternatives - {str(s) for s in seen} == set()


_HELPER_RULES = {
    "start", "message", "role", "election", "vote", "leader", "transfer", "replication",
    "snapshot", "request", "membership", "other", "last_entry", "voter_state", "vote_kind",
    "vote_resp", "prevote", "snap_outcome", "succeeded", "failed", "progress", "progress_flag",
    "flag_learner", "flag_paused", "flag_inactive", "flag_pending_snap", "flag_inflight",
    "log_field", "request_kind", "proposal", "read_index", "leader_transfer", "config", "joint",
    "learners", "learners_next", "id_group",
}


def test_tree_is_plain_data() -> None:
    tree = grammar("etcd_raft").parse(f"{A} became leader at term 8")
    assert isinstance(tree, Tree)
    assert tree.data == "became_leader"
    assert [str(t) for t in tree.children] == [A, "8"]


@pytest.mark.parametrize("text", [
    f"{A} became supreme leader at term 8",          # unknown wording
    f"{A} became leader at term eight",              # not a number
    f"{A} became leader at term 8 and more",         # trailing text
    f"{A}  became leader at term 8",                 # raft prints single spaces
    "became leader at term 8",                       # no id
    f"{A.upper()} became leader at term 8",          # ids are lowercase hex
    f"{A}ff became leader at term 8",                # longer than 16 hex digits
    "",
])
def test_unknown_messages_fail_with_a_column(messages: EtcdRaftMessages, text: str) -> None:
    with pytest.raises(ParseFailure, match="unrecognised etcd raft message"):
        messages.drafts(text)


def test_failure_names_the_column(messages: EtcdRaftMessages) -> None:
    with pytest.raises(ParseFailure, match=r"at column 1[789]"):  # just after the id
        messages.drafts(f"{A} became supreme leader at term 8")


def test_small_ids_ask_for_their_number() -> None:
    drafts = EtcdRaftMessages(small_ids=True).drafts("3 became leader at term 1")
    assert drafts[0].node == RawId("3", 3)
    assert EtcdRaftMessages().drafts("3 became leader at term 1")[0].node == RawId("3", None)


def test_vote_zero_means_no_vote(messages: EtcdRaftMessages) -> None:
    text = (f"{A} [logterm: 1, index: 5, vote: 0] cast MsgVote for {B} [logterm: 1, index: 5] "
            "at term 2")
    assert messages.drafts(text)[0].fields["voted_for"] is None
