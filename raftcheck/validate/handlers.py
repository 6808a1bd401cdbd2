"""The handler of every event kind: one place that says which spec actions explain which
events (roles, terms and votes in mapping.py; the log half in replication.py)."""

from __future__ import annotations

from raftcheck.traces import events as ev

from .mapping import (
    Handler,
    on_at_term,
    on_became_candidate,
    on_became_follower,
    on_became_leader,
    on_became_pre_candidate,
    on_config_change,
    on_leader_known,
    on_logging_level,
    on_membership,
    on_node_started,
    on_nothing,
    on_stepped_down,
    on_term_observed,
    on_vote_cast,
    on_vote_received,
    on_vote_requested,
    on_votes_tallied,
)
from .replication import (
    on_append_rejected,
    on_applied,
    on_commit_advanced,
    on_commit_out_of_range,
    on_entries_appended,
    on_feature,
    on_hard_state,
    on_log_observed,
    on_log_truncated,
    on_message_received,
    on_message_sent,
    on_snapshot,
    on_state_observed,
)

HANDLERS: dict[type, Handler] = {
    ev.NodeStarted: on_node_started,
    ev.Membership: on_membership,  # the engine reads it too (cluster size, changes)
    ev.ConfigChange: on_config_change,
    ev.BecameFollower: on_became_follower,
    ev.BecamePreCandidate: on_became_pre_candidate,
    ev.BecameCandidate: on_became_candidate,
    ev.BecameLeader: on_became_leader,
    ev.SteppedDown: on_stepped_down,
    ev.ElectionTimeout: on_at_term,
    ev.CampaignSkipped: on_at_term,
    ev.TermObserved: on_term_observed,
    ev.StaleMessageDropped: on_at_term,
    ev.VoteRequested: on_vote_requested,
    ev.VoteCast: on_vote_cast,
    ev.VoteIgnored: on_at_term,
    ev.VoteReceived: on_vote_received,
    ev.VotesTallied: on_votes_tallied,
    ev.VotesNeeded: on_nothing,
    ev.LeaderKnown: on_leader_known,
    ev.LeaderLost: on_at_term,
    ev.MessageSent: on_message_sent,
    ev.MessageReceived: on_message_received,
    ev.MessageDropped: on_nothing,
    ev.EntriesAppended: on_entries_appended,
    ev.CommitAdvanced: on_commit_advanced,
    ev.Applied: on_applied,
    ev.HardState: on_hard_state,
    ev.StateObserved: on_state_observed,
    ev.LogObserved: on_log_observed,
    ev.LogTruncated: on_log_truncated,
    ev.CommitOutOfRange: on_commit_out_of_range,
    ev.AppendRejected: on_append_rejected,
    ev.ReplicationProgress: on_nothing,
    ev.Snapshot: on_snapshot,
    ev.LeadershipTransfer: on_feature,
    ev.RequestDropped: on_nothing,
    ev.FeatureUsed: on_feature,
    ev.LoggingLevel: on_logging_level,
    ev.TickMissed: on_nothing,
    ev.ServerConfig: on_nothing,  # the server's banner and warnings say nothing of Raft state
    ev.ServerWarning: on_nothing,
    ev.Skimmed: on_nothing,  # one of the kinds above whose handler is on_nothing, unread
}
"""Every event kind has a handler: adding an event kind without one fails a test."""

WORLD_ONLY = frozenset({on_nothing, on_at_term, on_became_follower, on_stepped_down,
                        on_term_observed, on_leader_known})
"""Handlers that change nothing but the World: no Context field (beyond numbering nodes), so
that where one of them leaves the candidate Worlds as they were, every other event is explained
(or not) as it was before it (the engine spares retrying an event after it).
tests/test_validate_retry.py checks each against the Context on the recorded runs."""
