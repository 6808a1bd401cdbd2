"""etcd raft-package messages (etcd_raft.lark) -> drafts of events.

Shared by the etcd server log readers (capnslog and zap, etcd 3.4 and 3.5) and by the log lines
of etcd-io/raft interaction transcripts: the raft package prints the same text in all of them.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer, Tree

from raftcheck.grammar.drafts import Draft, RawId, etcd_decimal_id, etcd_id
from raftcheck.grammar.parsers import load, parse
from raftcheck.grammar.shapes import ShapeMemo
from raftcheck.traces import events as ev

_ROLE_NAMES = {
    "StateFollower": "Follower",
    "StatePreCandidate": "PreCandidate",
    "StateCandidate": "Candidate",
    "StateLeader": "Leader",
}


def role_name(state: str) -> str:
    """``StateLeader`` -> ``Leader`` (unknown states are kept as printed)."""
    return _ROLE_NAMES.get(state, state)


class _Progress:
    """A leader's progress for one follower as ``tracker.Progress.String()`` prints it."""

    __slots__ = ("flags", "match", "next", "state")

    def __init__(self, state: str, match: int, next_: int, flags: list[str]) -> None:
        self.state, self.match, self.next, self.flags = state, match, next_, flags


def _int(tok: Token | None) -> int | None:
    return None if tok is None else int(tok)


class EtcdRaftTransformer(Transformer[Token, Any]):
    """Turns etcd_raft.lark trees into :class:`Draft` lists (one or two drafts per message)."""

    def __init__(self, small_ids: bool = False) -> None:
        super().__init__()
        self._small = small_ids

    def _id(self, tok: Token | None) -> RawId | None:
        return None if tok is None else etcd_id(str(tok), small=self._small)

    def _node(self, tok: Token) -> RawId:
        raw = etcd_id(str(tok), small=self._small)
        if raw is None:  # id 0 is "none": never a node that logs
            raise ValueError("node id 0")
        return raw

    def _draft(self, kind: type[ev.Event], node: Token | None, **fields: Any) -> list[Draft]:
        return [Draft(kind, None if node is None else self._node(node), fields)]

    # --- small pieces ---------------------------------------------------------------------
    def last_entry(self, c: list[Token]) -> tuple[int, int]:
        return int(c[0]), int(c[1])  # (logterm, index)

    def voter_state(self, c: list[Token]) -> tuple[int, int, RawId | None]:
        return int(c[0]), int(c[1]), self._id(c[2])

    def vote(self, _c: list[Any]) -> bool:
        return False

    def prevote(self, _c: list[Any]) -> bool:
        return True

    def progress(self, c: list[Any]) -> _Progress:
        return _Progress(str(c[0]), int(c[1]), int(c[2]), [str(f) for f in c[3:]])

    def flag_learner(self, _c: list[Any]) -> str:
        return "learner"

    def flag_paused(self, _c: list[Any]) -> str:
        return "paused"

    def flag_inactive(self, _c: list[Any]) -> str:
        return "inactive"

    def flag_pending_snap(self, c: list[Token]) -> str:
        return f"pendingSnap={c[0]}"

    def flag_inflight(self, c: list[Token | None]) -> str:
        return f"inflight={c[0]}" + ("[full]" if c[1] is not None else "")

    def succeeded(self, _c: list[Any]) -> str:
        return "succeeded"

    def failed(self, _c: list[Any]) -> str:
        return "failed"

    def proposal(self, _c: list[Any]) -> str:
        return "proposal"

    def read_index(self, _c: list[Any]) -> str:
        return "read-index"

    def leader_transfer(self, _c: list[Any]) -> str:
        return "leader-transfer"

    def log_field(self, c: list[Token]) -> tuple[str, int]:
        return str(c[0]), int(c[1])

    def id_group(self, c: list[Token | None]) -> tuple[RawId, ...]:
        ids = (etcd_decimal_id(str(t), small=self._small) for t in c if t is not None)
        return tuple(r for r in ids if r is not None)

    def joint(self, c: list[Any]) -> Any:
        return c[0]

    def learners(self, c: list[Any]) -> Any:
        return c[0]

    def learners_next(self, c: list[Any]) -> Any:
        return c[0]

    def config(self, c: list[Any]) -> dict[str, Any]:
        return {
            "voters": c[0],
            "outgoing_voters": c[1] or (),
            "learners": c[2] or (),
            "learners_next": c[3] or (),
            "auto_leave": c[4] is not None,
        }

    def _progress_draft(self, node: Token, peer: Token, pr: _Progress, action: str,
                        detail: str = "") -> list[Draft]:
        flags = " ".join(pr.flags)
        text = f"{detail}; {flags}" if detail and flags else (detail or flags)
        return self._draft(ev.ReplicationProgress, node, peer=self._id(peer), action=action,
                           state=pr.state, match=pr.match, next=pr.next, detail=text)

    # --- roles and terms ------------------------------------------------------------------
    def became_follower(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.BecameFollower, c[0], term=int(c[1]))

    def became_pre_candidate(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.BecamePreCandidate, c[0], term=int(c[1]))

    def became_candidate(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.BecameCandidate, c[0], term=int(c[1]))

    def became_leader(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.BecameLeader, c[0], term=int(c[1]))

    def stepped_down(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.SteppedDown, c[0], reason="check-quorum: quorum is not active")

    def higher_term(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.TermObserved, c[0], old_term=int(c[1]), message_type=str(c[2]),
                           from_node=self._id(c[3]), term=int(c[4]))

    def lower_term(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.StaleMessageDropped, c[0], term=int(c[1]),
                           message_type=str(c[2]), from_node=self._id(c[3]),
                           message_term=int(c[4]))

    def lower_term_storage(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.FeatureUsed, c[0], feature="async-storage-writes",
                           detail=f"ignored entry appends from a {c[2]} at term {c[3]} "
                                  f"(own term {c[1]})")

    # --- elections ------------------------------------------------------------------------
    def election_timeout(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.ElectionTimeout, c[0], term=int(c[1]))

    def unpromotable(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.CampaignSkipped, c[0], reason="unpromotable (learner or removed)")

    def pending_conf(self, c: list[Token | None]) -> list[Draft]:  # c[2]: count, if printed
        return self._draft(ev.CampaignSkipped, c[0], term=int(c[1]),
                           reason="pending configuration changes to apply")

    def already_leader(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.CampaignSkipped, c[0], reason="already leader")

    def vote_requested(self, c: list[Any]) -> list[Draft]:
        (log_term, index), prevote = c[1], c[2]
        return self._draft(ev.VoteRequested, c[0], voter=self._id(c[3]), term=int(c[4]),
                           last_log_index=index, last_log_term=log_term, prevote=prevote)

    def vote_granted(self, c: list[Any]) -> list[Draft]:
        return self._draft(ev.VoteReceived, c[0], prevote=c[1], voter=self._id(c[2]),
                           term=int(c[3]), granted=True)

    def vote_rejected(self, c: list[Any]) -> list[Draft]:
        return self._draft(ev.VoteReceived, c[0], prevote=c[1], voter=self._id(c[2]),
                           term=int(c[3]), granted=False)

    def votes_tallied(self, c: list[Any]) -> list[Draft]:
        return self._draft(ev.VotesTallied, c[0], granted=int(c[1]), prevote=c[2],
                           rejected=int(c[3]))

    def _vote_answer(self, c: list[Any], granted: bool) -> list[Draft]:
        (log_term, index, voted), prevote, (cand_term, cand_index) = c[1], c[2], c[4]
        return self._draft(ev.VoteCast, c[0], candidate=self._id(c[3]), term=int(c[5]),
                           granted=granted, prevote=prevote, voted_for=voted,
                           last_log_index=index, last_log_term=log_term,
                           candidate_last_log_index=cand_index,
                           candidate_last_log_term=cand_term)

    def vote_cast(self, c: list[Any]) -> list[Draft]:
        return self._vote_answer(c, True)

    def vote_refused(self, c: list[Any]) -> list[Draft]:
        return self._vote_answer(c, False)

    def vote_ignored(self, c: list[Any]) -> list[Draft]:
        (log_term, index, voted), prevote, (cand_term, cand_index) = c[1], c[2], c[4]
        return self._draft(ev.VoteIgnored, c[0], candidate=self._id(c[3]), term=int(c[5]),
                           prevote=prevote, voted_for=voted, last_log_index=index,
                           last_log_term=log_term, candidate_last_log_index=cand_index,
                           candidate_last_log_term=cand_term, remaining_ticks=int(c[6]))

    # --- leader knowledge -----------------------------------------------------------------
    def leader_elected(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeaderKnown, c[0], leader=self._id(c[1]), term=int(c[2]))

    def leader_lost(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeaderLost, c[0], leader=self._id(c[1]), term=int(c[2]))

    def leader_changed(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeaderKnown, c[0], previous=self._id(c[1]),
                           leader=self._id(c[2]), term=int(c[3]))

    def leader_forgotten(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeaderLost, c[0], leader=self._id(c[1]), term=int(c[2]),
                           reason="forget-leader")

    def forget_leader_ignored(self, _c: list[Token]) -> list[Draft]:
        return self._draft(ev.FeatureUsed, None, feature="forget-leader",
                           detail="ignoring MsgForgetLeader due to ReadOnlyLeaseBased")

    # --- leadership transfer --------------------------------------------------------------
    def transfer_start(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeadershipTransfer, c[0], action="start", term=int(c[1]),
                           leader=self._id(c[0]), transferee=self._id(c[2]))

    def timeout_now_sent(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeadershipTransfer, c[0], action="timeout-now-sent",
                           leader=self._id(c[0]), transferee=self._id(c[1]))

    def timeout_now_sent_late(self, c: list[Token]) -> list[Draft]:
        return self.timeout_now_sent(c)

    def timeout_now_received(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeadershipTransfer, c[0], action="timeout-now-received",
                           term=int(c[1]), leader=self._id(c[2]), transferee=self._id(c[0]))

    def timeout_now_ignored(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeadershipTransfer, c[0], action="timeout-now-ignored",
                           term=int(c[1]), leader=self._id(c[3]), transferee=self._id(c[0]))

    def transfer_in_progress(self, c: list[Token]) -> list[Draft]:  # c[3]: "," or ";"
        return self._draft(ev.LeadershipTransfer, c[0], action="in-progress", term=int(c[1]),
                           leader=self._id(c[0]), transferee=self._id(c[2]))

    def transfer_drops_proposal(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.RequestDropped, c[0], request="proposal", term=int(c[1]),
                           reason="leadership transfer in progress")

    def transfer_aborted(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeadershipTransfer, c[0], action="aborted", term=int(c[1]),
                           leader=self._id(c[0]), transferee=self._id(c[2]))

    def transfer_ignored(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LeadershipTransfer, c[0], action="ignored")

    # --- log replication ------------------------------------------------------------------
    def found_conflict(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LogTruncated, None, from_index=int(c[0]),
                           existing_term=int(c[1]), conflicting_term=int(c[2]))

    def commit_out_of_range(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.CommitOutOfRange, None, commit=int(c[0]), last_index=int(c[1]))

    def replace_unstable(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.LogTruncated, None, from_index=int(c[0]))

    def append_rejected(self, c: list[Any]) -> list[Draft]:
        (local_term, _same_index), (log_term, msg_index) = c[1], c[2]
        return self._draft(ev.AppendRejected, c[0], leader=self._id(c[3]), index=msg_index,
                           log_term=log_term, local_log_term=local_term)

    def rejection_received_lastindex(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.ReplicationProgress, c[0], peer=self._id(c[2]),
                           action="append-rejected",
                           detail=f"for index {c[3]}; follower lastindex {c[1]}")

    def rejection_received_hint(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.ReplicationProgress, c[0], peer=self._id(c[3]),
                           action="append-rejected",
                           detail=f"for index {c[4]}; hint index {c[1]} term {c[2]}")

    def progress_decreased(self, c: list[Any]) -> list[Draft]:
        return self._progress_draft(c[0], c[1], c[2], "decreased")

    def peer_unreachable(self, c: list[Any]) -> list[Draft]:
        return self._progress_draft(c[0], c[1], c[2], "unreachable")

    def replication_paused(self, c: list[Any]) -> list[Draft]:
        return self._progress_draft(c[0], c[1], c[2], "paused")

    def replication_resumed(self, c: list[Any]) -> list[Draft]:
        return self._progress_draft(c[0], c[1], c[2], "resumed")

    def snapshot_status(self, c: list[Any]) -> list[Draft]:
        return self._progress_draft(c[0], c[2], c[3], "resumed", f"snapshot {c[1]}")

    def no_progress(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.ReplicationProgress, c[0], peer=self._id(c[1]),
                           action="no-progress")

    def unstable_missing(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.FeatureUsed, None, feature="async-storage-writes",
                           detail=f"entry at index {c[0]} missing from unstable log")

    def unstable_mismatch(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.FeatureUsed, None, feature="async-storage-writes",
                           detail=f"entry ({c[0]},{c[1]}) mismatched with ({c[2]},{c[3]}) "
                                  "in unstable log")

    # --- snapshots ------------------------------------------------------------------------
    def snapshot_sent(self, c: list[Any]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action="sent", commit=int(c[2]),
                           index=int(c[3]), term=int(c[4]), peer=self._id(c[5]))

    def snapshot_skipped(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, None, action="not-sent (peer not recently active)",
                           peer=self._id(c[0]))

    def snapshot_unavailable(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action="not-sent (temporarily unavailable)",
                           peer=self._id(c[1]))

    def snapshot_restoring(self, c: list[Any]) -> list[Draft]:
        fields = dict(c[:-2])
        return self._draft(ev.Snapshot, None, action="restoring", index=int(c[-2]),
                           term=int(c[-1]), commit=fields.get("committed"))

    def snapshot_restoring_v33(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action="restoring", commit=int(c[1]),
                           index=int(c[4]), term=int(c[5]))

    def snapshot_restored_log(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action="restored", commit=int(c[1]),
                           index=int(c[4]), term=int(c[5]))

    def snapshot_restored(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action="restored", commit=int(c[1]),
                           index=int(c[2]), term=int(c[3]))

    def snapshot_ignored(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action="ignored", commit=int(c[1]),
                           index=int(c[2]), term=int(c[3]))

    def snapshot_fast_forward(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action="fast-forwarded", commit=int(c[1]),
                           index=int(c[4]), term=int(c[5]))

    def snapshot_refused(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.Snapshot, c[0], action=f"refused: {c[1]}")

    # --- client requests ------------------------------------------------------------------
    def no_leader_drop(self, c: list[Any]) -> list[Draft]:
        return self._draft(ev.RequestDropped, c[0], term=int(c[1]), request=c[2],
                           reason="no leader")

    def proposal_not_forwarded(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.RequestDropped, c[0], term=int(c[2]), request="proposal",
                           reason="proposal forwarding disabled")

    def proposal_too_large(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.RequestDropped, c[0], request="proposal",
                           reason="uncommitted entry size limit")

    # --- membership -----------------------------------------------------------------------
    def new_raft(self, c: list[Token | None]) -> list[Draft]:
        ids = [t for t in c if t is not None and t.type == "ID"]
        nums = [int(t) for t in c if t is not None and t.type == "INT"]
        term, commit, applied, last_index, last_term = nums
        peers = tuple(p for p in (self._id(t) for t in ids[1:]) if p is not None)
        return self._draft(ev.NodeStarted, ids[0], term=term, commit=commit, applied=applied,
                           last_index=last_index, last_term=last_term, peers=peers)

    def switched_config(self, c: list[Any]) -> list[Draft]:
        return self._draft(ev.Membership, c[0], **c[1])

    def auto_leave(self, c: list[Any]) -> list[Draft]:
        return self._draft(ev.ConfigChange, None,
                           detail="initiating automatic transition out of joint configuration")

    def auto_leave_refused(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.ConfigChange, None,
                           detail=f"not leaving joint configuration automatically: {c[0]}")

    def conf_change_ignored(self, c: list[Token]) -> list[Draft]:
        return self._draft(ev.ConfigChange, c[0], detail=f"ignoring conf change {c[1]}")

    # --- other ----------------------------------------------------------------------------
    def tick_missed(self, c: list[Token | None]) -> list[Draft]:
        return self._draft(ev.TickMissed, c[0])

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        return Tree(data, children, meta)


_MEMOS: dict[bool, ShapeMemo] = {}


class EtcdRaftMessages:
    """Parses raft-package message texts into drafts (one parser per id convention, and one
    shape memo per id convention and process: ``raftcheck.grammar.shapes``)."""

    def __init__(self, *, small_ids: bool = False) -> None:
        self._parser = load("etcd_raft", EtcdRaftTransformer(small_ids=small_ids), key=small_ids)
        memo = _MEMOS.get(small_ids)
        if memo is None:  # one per process: the parse is a function of the text alone
            memo = _MEMOS[small_ids] = ShapeMemo(self._parse)
        self.memo = memo

    def drafts(self, text: str) -> list[Draft]:
        """Drafts of one message; raises ParseFailure for a message the grammar does not know.
        Lark parses each message shape once (``raftcheck.grammar.shapes``)."""
        return self.memo(text)

    def _parse(self, text: str) -> list[Draft]:
        result = parse(self._parser, text, "etcd raft message")
        if not isinstance(result, list):  # pragma: no cover - every alternative returns a list
            raise TypeError(f"unexpected parse result {result!r}")
        return result
