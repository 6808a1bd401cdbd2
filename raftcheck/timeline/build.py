"""From one run's merged events to a timeline: role spans, tenures, campaigns and elections
(one pass over the events), then for each election its leaderless window and trigger
(triggers.py), the warnings it follows, and the diagnosis (diagnose.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from raftcheck.grammar.drafts import go_seconds
from raftcheck.traces import events as ev
from raftcheck.traces.events import SourceRef

from .diagnose import diagnose
from .model import (
    Campaign,
    Election,
    LoggedWarning,
    Member,
    RoleSpan,
    Tenure,
    Timeline,
    hms,
)
from .read import RunEvents, read_run
from .triggers import explain_elections

HCLOG_WARNINGS = {
    # event kind -> (warning kind, what it says), for hashicorp/raft's own warnings
    ev.ElectionTimeout: ("heartbeat-timeout", "heartbeat timeout reached"),
    ev.SteppedDown: ("quorum-lost", "failed to contact quorum of nodes, stepping down"),
    ev.MessageDropped: ("message-failed", "failed to send"),
}


@dataclass(frozen=True)
class TimelineOptions:
    """``max_skew``: seconds two clocks may disagree without it being reported (and the
    validator's merge tolerance). ``election_timeout``: seconds, for logs that do not state
    it (hashicorp); None = as logged, or unknown. ``run``: of several runs in the paths, the
    one whose name holds this text."""

    max_skew: float = 0.1
    election_timeout: float | None = None
    run: str | None = None


@dataclass
class _Node:
    """A node's state while the events are walked."""

    role: str = "follower"
    term: int | None = None
    since: datetime | None = None
    source: SourceRef | None = None
    leader: str | None = None
    last_seen: datetime | None = None  # its own last event
    stopping: datetime | None = None  # a stop signal since it last started
    lost_by: dict[str, tuple[datetime, SourceRef]] = field(default_factory=dict)
    """Peers that lost it (or cannot reach it) and have not found it again: since when."""
    starts: int = 0


def build_timeline(paths: Iterable[str | os.PathLike[str]],
                   options: TimelineOptions | None = None, *,
                   assume_tz: tzinfo = UTC) -> Timeline:
    """The timeline of the one run in ``paths`` (files or a directory of node logs). Raises
    LogError for input that cannot be read, or that holds several runs."""
    options = options or TimelineOptions()
    started = time.perf_counter()
    run = read_run(paths, assume_tz=assume_tz, max_skew=options.max_skew, choose=options.run)
    timeline = timeline_of(run, options)
    timeline.seconds = time.perf_counter() - started
    return timeline


def timeline_of(run: RunEvents, options: TimelineOptions) -> Timeline:
    members = _members(run, options)
    times = [e.time for e in run.events if e.time is not None]
    timeline = Timeline(run.name, run.implementation, members, min(times), max(times),
                        skews=run.skews, precision=run.precision, events=len(run.events),
                        problems=[str(p) for p in run.problems])
    walker = _Walker(timeline, hashicorp=run.implementation != "etcd")
    for e in run.events:
        walker.step(e)
    walker.finish()
    explain_elections(timeline, walker.events_by_node, walker.voters, options)
    diagnose(timeline, options)
    coarse = sorted(timeline.name(n) for n, p in run.precision.items() if p >= 1.0)
    if coarse:
        timeline.notes.append(f"the raft lines of {', '.join(coarse)} are stamped to the "
                              "second (etcd 3.4 text logs): times and windows built on them "
                              "may be up to a second off")
    timeline.notes += [str(replay) for replay in run.replays]
    if run.implementation != "etcd" and options.election_timeout is None:
        timeline.notes.append("hashicorp/raft does not log its timeouts: leaderless windows "
                              "start at the first line that shows the leader gone (give "
                              "--election-timeout to date the loss of contact earlier)")
    return timeline


def _members(run: RunEvents, options: TimelineOptions) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for node, info in run.nodes.items():
        ids = [i for i in info.ids if ":" not in i] or info.ids
        members[node] = Member(node, ids[0] if ids else node, list(info.ids), list(info.files))
    for e in run.events:
        if isinstance(e, ev.ServerConfig) and e.node in members:
            member = members[e.node]
            member.name = e.name or member.name
            member.election_ms = e.election_ms or member.election_ms
            member.heartbeat_ms = e.heartbeat_ms or member.heartbeat_ms
            if e.pre_vote is not None:
                member.pre_vote = e.pre_vote
    if options.election_timeout is not None:
        for member in members.values():
            member.election_ms = member.election_ms or round(options.election_timeout * 1000)
    return members


def _lost_since(node: _Node) -> tuple[datetime, SourceRef] | None:
    """Since when a peer has lost a node (or could not reach it) without finding it again:
    the first such line since the node's own last one, if any."""
    if not node.lost_by:
        return None
    return min(node.lost_by.values(), key=lambda x: x[0])


class _Walker:
    """One pass in merged order: roles, terms, tenures, campaigns, warnings, restarts."""

    def __init__(self, timeline: Timeline, *, hashicorp: bool) -> None:
        self.t = timeline
        self.hashicorp = hashicorp
        self.nodes: dict[str, _Node] = {n: _Node() for n in timeline.members}
        self.tenure: dict[str, Tenure] = {}  # the open tenure of each leader
        self.open_campaigns: dict[str, Campaign] = {}
        self.voters: list[tuple[datetime, frozenset[str]]] = []
        self.events_by_node: dict[str, list[ev.Event]] = {n: [] for n in timeline.members}
        self.now: datetime | None = timeline.start
        self._config_nodes: set[str] = set()  # nodes whose starts show in a banner

    # --- the pass -----------------------------------------------------------------------
    def step(self, e: ev.Event) -> None:
        if e.time is not None:
            self.now = e.time
        now = self.now
        assert now is not None
        node = self.nodes.setdefault(e.node, _Node())
        self.events_by_node.setdefault(e.node, []).append(e)
        if node.since is None:
            node.since, node.source = now, e.source
        self._note_peers_losing(e, now)
        if self._is_start(e):
            self._started(e, node, now)
        node.last_seen = now
        handler = _ON.get(type(e))
        if handler is not None:
            handler(self, e, node, now)
        self._warning(e, now)

    def finish(self) -> None:
        end = self.t.end
        assert end is not None
        for name, node in self.nodes.items():
            if node.since is not None and node.role != "down":
                self._span(name, node, end)
        for name, tenure in self.tenure.items():
            later = [e for e in self.t.elections if e.at > tenure.start and e.leader != name]
            node = self.nodes[name]
            if later and node.last_seen is not None and node.last_seen <= later[0].at:
                end, source = _lost_since(node) or (node.last_seen, tenure.source)
                tenure.end, tenure.end_source = end, source
                tenure.reason = "its log ends (stopped, or the log was cut)"
            elif later:
                tenure.reason = "never logged losing leadership; later leaders were elected"
            else:
                tenure.reason = tenure.reason or "still leader when the logs end"
        self.t.spans.sort(key=lambda s: (s.node, s.start))

    # --- helpers ------------------------------------------------------------------------
    def _span(self, name: str, node: _Node, end: datetime) -> None:
        assert node.since is not None
        if end >= node.since:
            self.t.spans.append(RoleSpan(name, node.role, node.term, node.since, end,
                                         node.source))

    def _become(self, name: str, node: _Node, role: str, term: int | None, now: datetime,
                source: SourceRef) -> None:
        if role == node.role and (term is None or term == node.term):
            return
        self._span(name, node, now)
        node.role, node.since, node.source = role, now, source
        if term is not None:
            node.term = term

    def _end_tenure(self, name: str, now: datetime, reason: str, source: SourceRef) -> None:
        tenure = self.tenure.pop(name, None)
        if tenure is not None:
            tenure.end, tenure.reason, tenure.end_source = now, reason, source

    def _is_start(self, e: ev.Event) -> bool:
        """A (re)start of the node's process: etcd's banner, else hashicorp's configuration."""
        if isinstance(e, ev.ServerConfig):
            self._config_nodes.add(e.node)
            return True
        return isinstance(e, ev.NodeStarted) and e.node not in self._config_nodes

    def _started(self, e: ev.Event, node: _Node, now: datetime) -> None:
        node.starts += 1
        if node.starts == 1:
            return
        # a restart: the process was down since it was stopped, its peers lost it, or its
        # last line before, whichever the logs show first
        down = node.last_seen or now
        source = e.source
        lost = _lost_since(node)
        if node.stopping is not None:
            down = node.stopping
        elif lost is not None:
            down, source = lost
        down = min(max(down, node.since or down), now)
        name = e.node
        if name in self.tenure:
            how = "stopped by a signal" if node.stopping else "killed or crashed"
            self._end_tenure(name, down, f"{how}; restarted at {hms(now)}",
                             source)
        self._become(name, node, "down", None, down, source)
        self._become(name, node, "follower", None, now, e.source)
        node.stopping = None
        node.leader = None
        node.lost_by.clear()

    def _note_peers_losing(self, e: ev.Event, now: datetime) -> None:
        """A peer's line that it lost or cannot reach a node (the node may be down), or that
        it has found it again."""
        peer, lost = None, True
        if isinstance(e, ev.ServerWarning) and e.warning in ("peer-lost", "peer-unreachable",
                                                             "peer-active"):
            peer, lost = e.peer, e.warning != "peer-active"
        elif isinstance(e, ev.MessageDropped) and "connection refused" in e.reason:
            peer = e.dst
        elif isinstance(e, ev.ReplicationProgress) and e.action == "pipelining":
            peer, lost = e.peer, False
        if peer is None or peer not in self.nodes:
            return
        target = self.nodes[peer]
        if not lost:
            target.lost_by.pop(e.node, None)
        elif e.node not in target.lost_by:
            target.lost_by[e.node] = (now, e.source)

    def _campaign(self, e: ev.Event, term: int | None, prevote: bool, now: datetime) -> None:
        campaign = Campaign(e.node, term, prevote, now, e.source)
        self.t.campaigns.append(campaign)
        previous = self.open_campaigns.get(e.node)
        if previous is not None and previous.prevote and not prevote:
            previous.outcome = "won"
        self.open_campaigns[e.node] = campaign

    def _warning(self, e: ev.Event, now: datetime) -> None:
        if isinstance(e, ev.ServerWarning):
            text = e.detail or ("peer became active" if e.warning == "peer-active"
                                else e.warning)
            self.t.warnings.append(LoggedWarning(e.node, now, e.warning, text, e.source, e.peer,
                                                 e.seconds))
            return
        if not self.hashicorp or type(e) not in HCLOG_WARNINGS:
            return
        kind, text = HCLOG_WARNINGS[type(e)]
        peer = None
        if isinstance(e, ev.MessageDropped):
            peer = e.dst
            what = {"AppendEntries": "appendEntries", "Heartbeat": "heartbeat",
                    "RequestVote": "requestVote RPC"}.get(e.type or "", e.type or "message")
            kind = f"{what.split()[0]}-failed"
            text = f"failed to {what} to {self.t.name(e.dst)}: {e.reason}"
        elif isinstance(e, ev.SteppedDown) and "lease" not in e.reason:
            return
        self.t.warnings.append(LoggedWarning(e.node, now, kind, text, e.source, peer))

    # --- events -------------------------------------------------------------------------
    def _on_server_warning(self, e: ev.ServerWarning, node: _Node, now: datetime) -> None:
        if e.warning == "stopping":
            node.stopping = now

    def _on_commit_out_of_range(self, e: ev.CommitOutOfRange, node: _Node,
                                now: datetime) -> None:
        self.t.warnings.append(LoggedWarning(
            e.node, now, "log-lost", f"told to commit index {e.commit}, but its log ends at "
            f"{e.last_index}: etcd panicked", e.source))

    def _on_replication_progress(self, e: ev.ReplicationProgress, node: _Node,
                                now: datetime) -> None:
        if self.hashicorp and e.action == "contact-failed":  # (seconds: since last contact)
            self.t.warnings.append(LoggedWarning(
                e.node, now, "contact-failed",
                f"failed to contact {self.t.name(e.peer)} ({e.detail})",
                e.source, e.peer, go_seconds(e.detail)))
        elif self.hashicorp and e.action == "pipelining":
            self.t.warnings.append(LoggedWarning(
                e.node, now, "peer-active", f"pipelining replication to {self.t.name(e.peer)}",
                e.source, e.peer))

    def _on_membership(self, e: ev.Membership, node: _Node, now: datetime) -> None:
        if e.voters:
            self.voters.append((now, frozenset(e.voters)))
            if e.node in self.tenure and e.node not in e.voters:
                self._end_tenure(e.node, now, "removed from the cluster (membership change)",
                                 e.source)

    def _on_config_change(self, e: ev.ConfigChange, node: _Node, now: datetime) -> None:
        if e.node in self.tenure and "removed ourself" in e.source.raw:
            self._end_tenure(e.node, now, "removed from the cluster (membership change)",
                             e.source)

    def _on_node_started(self, e: ev.NodeStarted, node: _Node, now: datetime) -> None:
        if e.peers and self.hashicorp:
            self.voters.append((now, frozenset(e.peers)))
        if e.term is not None:
            node.term = e.term

    def _on_became_follower(self, e: ev.BecameFollower, node: _Node, now: datetime) -> None:
        if node.role == "leader" and e.node in self.tenure:
            higher = e.term is not None and node.term is not None and e.term > node.term
            self._end_tenure(e.node, now, f"became follower at term {e.term}" if higher
                             else "became follower", e.source)
        self._become(e.node, node, "follower", e.term, now, e.source)
        node.leader = e.leader
        self.open_campaigns.pop(e.node, None)

    def _on_became_pre_candidate(self, e: ev.BecamePreCandidate, node: _Node,
                               now: datetime) -> None:
        self._become(e.node, node, "pre-candidate", e.term, now, e.source)
        node.leader = None
        self._campaign(e, None if e.term is None else e.term + 1, True, now)

    def _on_became_candidate(self, e: ev.BecameCandidate, node: _Node, now: datetime) -> None:
        if e.node in self.tenure:
            self._end_tenure(e.node, now, "became candidate", e.source)
        self._become(e.node, node, "candidate", e.term, now, e.source)
        node.leader = None
        self._campaign(e, e.term, False, now)

    def _on_became_leader(self, e: ev.BecameLeader, node: _Node, now: datetime) -> None:
        term = e.term if e.term is not None else node.term
        self._become(e.node, node, "leader", term, now, e.source)
        node.leader = e.node
        campaign = self.open_campaigns.pop(e.node, None)
        if campaign is not None:
            campaign.outcome = "won"
        tenure = Tenure(e.node, term, now, e.source)
        self.tenure[e.node] = tenure
        self.t.tenures.append(tenure)
        self.t.elections.append(Election(term, e.node, now, e.source))

    def _on_stepped_down(self, e: ev.SteppedDown, node: _Node, now: datetime) -> None:
        self._end_tenure(e.node, now, e.reason or "stepped down", e.source)
        self._become(e.node, node, "follower", None, now, e.source)
        node.leader = None

    def _on_term_observed(self, e: ev.TermObserved, node: _Node, now: datetime) -> None:
        if e.node in self.tenure:
            source = f" from {self.t.name(e.from_node)}" if e.from_node else ""
            what = f" in a {e.message_type}" if e.message_type else ""
            term = f" term {e.term}" if e.term is not None else " a higher term"
            self._end_tenure(e.node, now, f"saw{term}{source}{what}", e.source)
            self._become(e.node, node, "follower", e.term, now, e.source)
        elif e.term is not None:
            node.term = max(node.term or 0, e.term)
        node.leader = None

    def _on_leader_known(self, e: ev.LeaderKnown, node: _Node, now: datetime) -> None:
        node.leader = e.leader
        if e.leader != e.node and node.role not in ("follower", "down"):
            self._become(e.node, node, "follower", e.term, now, e.source)

    def _on_leader_lost(self, e: ev.LeaderLost, node: _Node, now: datetime) -> None:
        node.leader = None

    def _on_leadership_transfer(self, e: ev.LeadershipTransfer, node: _Node,
                               now: datetime) -> None:
        tenure = self.tenure.get(e.node)
        if tenure is not None and e.action == "start":
            tenure.reason = f"leadership transfer to {self.t.name(e.transferee)}"


_ON: dict[type, Callable[..., None]] = {
    ev.ServerWarning: _Walker._on_server_warning,
    ev.ReplicationProgress: _Walker._on_replication_progress,
    ev.CommitOutOfRange: _Walker._on_commit_out_of_range,
    ev.Membership: _Walker._on_membership,
    ev.ConfigChange: _Walker._on_config_change,
    ev.NodeStarted: _Walker._on_node_started,
    ev.BecameFollower: _Walker._on_became_follower,
    ev.BecamePreCandidate: _Walker._on_became_pre_candidate,
    ev.BecameCandidate: _Walker._on_became_candidate,
    ev.BecameLeader: _Walker._on_became_leader,
    ev.SteppedDown: _Walker._on_stepped_down,
    ev.TermObserved: _Walker._on_term_observed,
    ev.LeaderKnown: _Walker._on_leader_known,
    ev.LeaderLost: _Walker._on_leader_lost,
    ev.LeadershipTransfer: _Walker._on_leadership_transfer,
}
"""What each event kind does to the walk (kinds not here only count as a node's line)."""
