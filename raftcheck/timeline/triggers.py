"""Why each election happened, and how long the cluster had no leader before it.

A leader can commit while it leads and enough followers hear from it (a quorum with itself).
Before each election after the first, the leaderless window starts at the first line that
shows this was over:

- the old leader's own end: it stepped down (check-quorum), saw a higher term, handed over
  leadership, or was stopped (a stop signal; or its peers lost it and it restarted later);
- or the moment too few followers still heard from it. A follower stops hearing from the
  leader at the latest when its election timer fires, minus one election timeout (the timer
  only fires after a full timeout without the leader), or when it grants a vote to another
  node (etcd's check-quorum lease: only after a full timeout), moves to a higher term, or
  restarts. Where the timeout is not logged (hashicorp), the line's own time is used.

Each bound is one the logs prove: the real loss may be earlier, never later. The trigger is
the first of these signs that explains the rest (see TRIGGERS in model.py), with the interval
in which the fault must have begun.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from raftcheck.spec.quorum import quorum_size
from raftcheck.traces import events as ev
from raftcheck.traces.events import SourceRef

from .model import Election, LoggedWarning, Tenure, Timeline, Trigger, Window, hms

if TYPE_CHECKING:
    from .build import TimelineOptions

TIMER_EVENTS = (ev.ElectionTimeout, ev.BecamePreCandidate, ev.BecameCandidate)
"""A node's election timer fired (it had not heard from a leader for a timeout)."""

VOTE_REQUESTS = frozenset({"MsgVote", "MsgPreVote", "RequestVoteRequest"})
"""A higher term seen in a vote request is taken only by a node that had not heard from a
leader for an election timeout (etcd's check-quorum lease; hashicorp rejects votes while it
has a leader)."""

class Loss(NamedTuple):
    """A follower stopped hearing from the leader by ``when`` (at the latest), shown by the
    line ``source`` logged at ``logged``; ``timer``: its election timer fired (or it voted
    for another, which etcd's lease allows only after a timeout)."""

    when: datetime
    source: SourceRef
    what: str
    logged: datetime
    timer: bool


LEADER_MESSAGES = frozenset({"MsgApp", "MsgHeartbeat", "MsgSnap", "MsgTimeoutNow",
                             "AppendEntriesRequest", "InstallSnapshotRequest"})
"""Messages only a leader sends: an old leader that sees a higher term in one learns that it
was replaced, not that a rejoining node disrupted it."""

RECOVERIES = frozenset({"peer-active"})
"""Notices that trouble ended: shown, never tied to an election as its warning."""

WARNING_HORIZON = timedelta(seconds=10)
"""Warnings at most this long (or ten election timeouts) before an election are tied to it."""


class NodeLog:
    """One node's events in merged order, searchable by time. zap stamps are not monotonic
    within a file (goroutines share it), so a window is found on the running maximum and
    widened by a second, then filtered by each event's own time."""

    SLACK = timedelta(seconds=1)

    def __init__(self, events: list[ev.Event]) -> None:
        self.events = events
        self.maxes: list[datetime] = []
        latest: datetime | None = None
        for e in events:
            if e.time is not None and (latest is None or e.time > latest):
                latest = e.time
            self.maxes.append(latest or datetime.min.replace(tzinfo=UTC))

    def between(self, start: datetime, end: datetime | None = None) -> list[ev.Event]:
        """The events stamped in (start, end] (end None: to the end), in merged order."""
        lo = bisect_right(self.maxes, start - self.SLACK)
        hi = len(self.events) if end is None else bisect_right(self.maxes, end + self.SLACK)
        return [e for e in self.events[lo:hi] if e.time is not None and e.time > start
                and (end is None or e.time <= end)]


def explain_elections(timeline: Timeline, events: dict[str, list[ev.Event]],
                      voters: list[tuple[datetime, frozenset[str]]],
                      options: TimelineOptions) -> None:
    """Fill each election's window, trigger and warnings, and the timeline's windows."""
    by_node = {n: NodeLog(e) for n, e in events.items()}
    previous: Tenure | None = None
    prev_at: datetime | None = None
    for election in timeline.elections:
        election.previous = previous
        election.campaigns = [c for c in timeline.campaigns
                              if c.term == election.term and (prev_at is None or c.at > prev_at)
                              and c.at <= election.at]
        if previous is None:
            assert timeline.start is not None
            election.window = Window(timeline.start, election.at, None, election.source,
                                     startup=True)
            election.trigger = Trigger("startup", "the cluster's first election",
                                       election.at, None, [election.source])
        else:
            _explain(election, previous, timeline, by_node, voters)
        if election.window is not None and (election.window.seconds or 0) >= 0:
            timeline.windows.append(election.window)
        _tie_warnings(election, prev_at, timeline)
        previous = next(t for t in timeline.tenures if t.source == election.source)
        prev_at = election.at
    _trailing_window(timeline, previous)


def _election_timeout(timeline: Timeline, node: str) -> timedelta | None:
    member = timeline.members.get(node)
    if member is None or member.election_ms is None:
        return None
    return timedelta(milliseconds=member.election_ms)


def _quiet_floor(timeline: Timeline, node: str) -> timedelta | None:
    """How long a node has surely not heard from a leader when its election timer fires: one
    election timeout less one tick (etcd counts whole ticks of a heartbeat interval, and the
    first may come just after the last message)."""
    timeout = _election_timeout(timeline, node)
    if timeout is None:
        return None
    member = timeline.members[node]
    return timeout - timedelta(milliseconds=member.heartbeat_ms or 0)


def _explain(election: Election, previous: Tenure, timeline: Timeline,
             by_node: dict[str, NodeLog],
             voters: list[tuple[datetime, frozenset[str]]]) -> None:
    old, since, until = previous.leader, previous.start, election.at
    signs: list[tuple[datetime, SourceRef, Loss | None]] = []  # (when, line, a follower's)
    if previous.end is not None and previous.end <= until and previous.end_source:
        signs.append((previous.end, previous.end_source, None))
    losses = _follower_losses(timeline, by_node, old, since, until)
    members = _voters_at(voters, until) or frozenset(timeline.members)
    quorum = quorum_size(len(members))
    # the leader needs quorum-1 followers: it lost them when the (quorum-1)-th latest left
    # (followers that never stopped hearing from it count as hearing until the election)
    lost = sorted((losses[n] for n in sorted(members) if n != old and n in losses),
                  key=lambda f: f.when, reverse=True)  # sorted: the same output every run
    hearing = len([n for n in members if n != old]) - len(lost)
    short = quorum - 1 - hearing  # how many of the lost ones it needed
    if 0 < short <= len(lost):
        loss = lost[short - 1]
        signs.append((loss.when, loss.source, loss))
    start, start_source, decisive = min(signs, key=lambda s: s[0]) if signs else (
        until, election.source, None)
    start = max(start, since)
    election.window = Window(start, until, start_source, election.source)
    election.trigger = _trigger(election, previous, timeline, by_node, losses, decisive)
    if election.trigger.began is not None:  # the fault began by the time the window did
        low, high = election.trigger.began
        election.trigger.began = (min(low, start), min(high, max(start, low)))


def _voters_at(voters: list[tuple[datetime, frozenset[str]]], when: datetime
               ) -> frozenset[str] | None:
    known = [v for t, v in voters if t <= when]
    return known[-1] if known else None


def _follower_losses(timeline: Timeline, by_node: dict[str, NodeLog], leader: str,
                     since: datetime, until: datetime) -> dict[str, Loss]:
    """For each other node that did not hear from ``leader`` at ``until``: the latest time at
    which it (provably) stopped hearing from it."""
    losses: dict[str, Loss] = {}
    for node, log in by_node.items():
        if node == leader:
            continue
        events = log.between(since - NodeLog.SLACK, until)
        timeout = _quiet_floor(timeline, node)
        lost: Loss | None = None
        forced_at: datetime | None = None
        started = False  # its process ran before: a start line is a restart
        for e in events:
            if e.time is None or e.time <= since:
                started = True
                continue
            if e.time > until:
                break
            if isinstance(e, ev.NodeStarted | ev.ServerConfig) and not started:
                started = True
                continue
            if isinstance(e, ev.LeadershipTransfer) and e.action == "timeout-now-received":
                forced_at = e.time
            if (isinstance(e, ev.LeaderKnown) and e.leader == leader) or (
                    isinstance(e, ev.BecameFollower) and e.leader == leader):
                lost = None  # it hears from the leader again
                continue
            what = _loss(e, leader, timeline.name)
            if what is None:
                continue
            when = _latest(e, timeline.precision.get(node, 0.0))
            timer = isinstance(e, TIMER_EVENTS) or (
                isinstance(e, ev.VoteCast) and e.granted) or (
                isinstance(e, ev.TermObserved) and e.message_type in VOTE_REQUESTS)
            forced = forced_at is not None and (e.time - forced_at) < timedelta(seconds=0.05)
            timer = timer and not forced
            if timer and timeout is not None:
                when = max(since, when - timeout)
                what += f" (so it had not heard from the leader since {hms(when)})"
            if lost is None or when < lost.when:
                lost = Loss(when, e.source, what, e.time, timer)
        if lost is not None:
            losses[node] = lost
    return losses


def _loss(e: ev.Event, leader: str, name: Callable[[str | None], str]) -> str | None:
    """What a node's line shows about it no longer following ``leader``, or None."""
    node = name(e.node)
    if isinstance(e, ev.ElectionTimeout):
        return f"{node}'s election timer fired"
    if isinstance(e, ev.BecamePreCandidate):
        return f"{node} started a pre-vote"
    if isinstance(e, ev.BecameCandidate):
        return f"{node} started an election"
    if isinstance(e, ev.VoteCast) and e.granted and e.candidate != leader:
        return f"{node} voted for {name(e.candidate)}"
    if isinstance(e, ev.LeaderLost):
        return f"{node} lost the leader"
    if isinstance(e, ev.TermObserved):
        return f"{node} moved to a higher term"
    if isinstance(e, ev.NodeStarted | ev.ServerConfig):
        return f"{node} restarted"
    return None


def _latest(e: ev.Event, precision: float) -> datetime:
    """The latest time a line may have been written at: a stamp in whole seconds (etcd 3.4's
    raft lines) may be up to a second late."""
    assert e.time is not None
    if precision >= 1.0 and e.time.microsecond == 0:
        return e.time + timedelta(seconds=precision) - timedelta(microseconds=1)
    return e.time


def _silent(log: NodeLog, start: datetime, end: datetime) -> bool:
    """No line of the node in (start, end]."""
    return not log.between(start, end)


STOOD_STILL = 1.0
"""Seconds since a hashicorp leader last heard from each peer it failed to contact, at least,
above which failures that come only as it steps down mean it stood still: running, it checks
its lease every LeaderLeaseTimeout (500 ms by default) and logs each failure as it goes."""


def _stood_still(timeline: Timeline, log: NodeLog, node: str, when: datetime
                 ) -> tuple[datetime, datetime] | None:
    """(its last line before, its first line after) where a hashicorp leader that stepped down
    at ``when`` for want of a quorum had stood still: its failures to contact its peers come
    only at the step-down, seconds after the last contact (``time=``), with nothing logged
    meanwhile. A leader cut off while running logs them at every lease check instead."""
    burst = [w for w in timeline.warnings if w.node == node and w.kind == "contact-failed"
             and when - timedelta(seconds=0.2) <= w.at <= when and w.seconds is not None]
    if not burst:
        return None
    lost_for = min(w.seconds or 0.0 for w in burst)
    back = min(w.at for w in burst)
    last = _last_before(log, back - timedelta(milliseconds=1))
    if lost_for < STOOD_STILL or last is None or \
            (back - last).total_seconds() < lost_for - STOOD_STILL / 2:
        return None
    return last, back


def _last_before(log: NodeLog, when: datetime) -> datetime | None:
    """The time of the node's last line at or before ``when``."""
    k = bisect_right(log.maxes, when + NodeLog.SLACK)
    stamps = [e.time for e in log.events[max(0, k - 256):k]
              if e.time is not None and e.time <= when]
    return max(stamps) if stamps else None


def _trigger(election: Election, previous: Tenure, timeline: Timeline,
             by_node: dict[str, NodeLog], losses: dict[str, Loss],
             decisive: Loss | None) -> Trigger:
    old, since, at = previous.leader, previous.start, election.at
    name = timeline.name
    window = election.window
    assert window is not None
    timeout = _election_timeout(timeline, election.leader) or _election_timeout(timeline, old)
    own_end = previous.end if previous.end is not None and previous.end <= at else None
    reason = previous.reason
    timers = sorted((v for _n, v in sorted(losses.items()) if v.timer), key=lambda v: v.when)
    if decisive is not None and decisive.timer:  # the loss that left too few followers
        timers.insert(0, decisive)
    tick = timedelta(milliseconds=timeline.members[old].heartbeat_ms or 0)

    transfer = [e for n in (old, election.leader) for e in by_node[n].between(since, at)
                if isinstance(e, ev.LeadershipTransfer)
                and e.action in ("start", "timeout-now-sent", "timeout-now-received")]
    if transfer:
        first = min(transfer, key=lambda e: e.time)  # type: ignore[arg-type, return-value]
        assert first.time is not None
        stop = [w for w in timeline.warnings if w.node == old and w.kind == "stopping"
                and since < w.at <= at]
        why = f" as {name(old)} shut down" if stop else ""
        return Trigger("transfer", f"{name(old)} handed leadership to "
                       f"{name(election.leader)}{why}", first.time, (first.time, first.time),
                       [*(w.source for w in stop), first.source])

    if own_end is not None and previous.end_source is not None and "removed" in reason:
        changes = [e for e in by_node[old].between(since, own_end)
                   if isinstance(e, ev.ConfigChange)]
        return Trigger("leader-removed", f"{name(old)}, the leader, was {reason}", own_end,
                       (own_end, own_end), [*(c.source for c in changes[:1]),
                                            previous.end_source])

    if own_end is not None and previous.end_source is not None and (
            "killed" in reason or "stopped by a signal" in reason or "log ends" in reason):
        last = _last_before(by_node[old], own_end) or since
        kind = "leader-killed" if "killed" in reason else "leader-stopped"
        return Trigger(kind, f"{name(old)}, the leader, {reason}", own_end,
                       (min(last, own_end), own_end), [previous.end_source])

    step_down = next((e for e in by_node[old].between(since, previous.end)
                      if isinstance(e, ev.SteppedDown)), None)
    if step_down is not None and step_down.time is not None and (
            previous.end is None or step_down.time <= previous.end):
        when = step_down.time
        stood = _stood_still(timeline, by_node[old], old, when) \
            if timeline.implementation == "hashicorp/raft" else None
        if stood is not None:
            last, back = stood
            return Trigger("leader-paused", f"{name(old)}, the leader, went silent after "
                           f"{hms(last)} (paused or stalled); running again at {hms(back)}, "
                           "it had heard from no quorum for that long and stepped down",
                           back, (last, back), [step_down.source])
        low = max(since, when - 2 * timeout) if timeout else since
        high = when
        if timeout and timeline.implementation == "etcd":
            # etcd checks the quorum once an election timeout: a leader cut off at f steps
            # down in (f + timeout, f + 2 timeouts]; hashicorp's lease is not logged
            high = max(since, when - timeout + tick)
        evidence = [step_down.source]
        if decisive is not None:
            evidence.insert(0, decisive.source)
        first = min(when, decisive.when) if decisive is not None else when
        return Trigger("check-quorum", f"{name(old)}, the leader, was cut off from the "
                       f"majority: it stepped down at {hms(when)} (check-quorum: no quorum "
                       "heard from for an election timeout)", first, (low, high), evidence)

    saw = next((e for e in by_node[old].between(since, previous.end)
                if isinstance(e, ev.TermObserved) and e.source == previous.end_source), None)
    replaced = saw is not None and (saw.message_type in LEADER_MESSAGES
                                    or (saw.from_node == election.leader and saw.time == at))
    if own_end is not None and previous.end_source is not None and reason.startswith("saw") \
            and not replaced:  # a leader told by its successor's messages was not disrupted
        disruptor = _disruptor(previous, timeline)
        if disruptor is not None:
            node, first_source, climbed = disruptor
            pre_vote = timeline.members[node].pre_vote
            uses = {True: " with pre-vote", False: " without pre-vote"}.get(pre_vote, "")
            return Trigger("disruption", f"{name(node)} rejoined at term {climbed}{uses} and "
                           f"forced {name(old)} out", own_end, (own_end, own_end),
                           [first_source, previous.end_source])

    if timers:
        first_loss, first_source, what, logged, _timer = timers[0]
        low = max(since, logged - 2 * timeout) if timeout else since
        high = first_loss
        after = next(iter(by_node[old].between(at)), None)
        learnt = after is not None and isinstance(
            after, ev.TermObserved | ev.BecameFollower | ev.LeaderKnown)
        # a leader that was away longer than check-quorum lets a running one stay, and did
        # not step down: its own clock stood still (paused, or stalled on a stuck disk)
        away = after.time - high if after is not None and after.time is not None else None
        long_enough = away is not None and (timeout is None or away > 2 * timeout + tick)
        if _silent(by_node[old], low, at) and learnt and long_enough and after is not None:
            assert after.time is not None
            last = _last_before(by_node[old], high) or since
            return Trigger("leader-paused", f"{name(old)}, the leader, went silent after "
                           f"{hms(last)} (paused or stalled) and logged again at "
                           f"{hms(after.time)}, learning of the newer term; {what}",
                           first_loss, (max(low, last), high), [first_source, after.source])
        stalls = _disk_stalls(timeline, old, low, at)
        if stalls:
            worst = max((w.seconds or 0.0) for w in stalls)
            disk = any(w.kind == "slow-fsync" for w in stalls)
            how = ("whose loop was blocked on its disk (slow fsync, late heartbeats" if disk
                   else "whose process stalled (late heartbeats, no slow disk write")
            return Trigger("heartbeats-lost", f"{what}: it stopped hearing from {name(old)}, "
                           f"{how}: up to {worst:.2f} s)", first_loss, (low, high),
                           [first_source, *(w.source for w in stalls[:4])],
                           finding="slow-disk" if disk else "leader-stalled")
        return Trigger("heartbeats-lost", f"{what}: it stopped hearing from {name(old)}, "
                       "which kept running (a network problem between them, or an "
                       "overloaded leader)", first_loss, (low, high), [first_source])
    if own_end is not None and previous.end_source is not None:
        return Trigger("unknown", f"{name(old)} {reason}", own_end, None,
                       [previous.end_source])
    return Trigger("unknown", "the logs do not show why", window.start, None, [])


DISK_WARNINGS = frozenset({"slow-fsync", "heartbeat-late"})


def _disk_stalls(timeline: Timeline, node: str, start: datetime, end: datetime
                 ) -> list[LoggedWarning]:
    """The node's disk warnings whose stall overlapped [start, end]: a warning is logged when
    the slow write returns, ``seconds`` after it began."""
    out = []
    for w in timeline.warnings:
        if w.node != node or w.kind not in DISK_WARNINGS:
            continue
        began = w.at - timedelta(seconds=w.seconds or 0.0)
        if began <= end and w.at >= start:
            out.append(w)
    return out


def _disruptor(previous: Tenure, timeline: Timeline) -> tuple[str, SourceRef, int] | None:
    """The node whose term climbed while the leader led: it campaigned at terms above the
    leader's before the leader saw the higher term."""
    end = previous.end
    assert end is not None
    best: tuple[str, SourceRef, int] | None = None
    for c in timeline.campaigns:
        if c.prevote or c.node == previous.leader or c.term is None or previous.term is None:
            continue
        if previous.start < c.at <= end and c.term > previous.term and (
                best is None or c.term > best[2]):
            first = next(x for x in timeline.campaigns if x.node == c.node
                         and x.at > previous.start and not x.prevote)
            best = (c.node, first.source, c.term)
    return best


def _tie_warnings(election: Election, prev_at: datetime | None, timeline: Timeline) -> None:
    timeout = _election_timeout(timeline, election.leader)
    horizon = max(WARNING_HORIZON, 10 * timeout) if timeout else WARNING_HORIZON
    for w in timeline.warnings:
        if w.kind in RECOVERIES:
            continue
        if w.election is None and (prev_at is None or w.at > prev_at) \
                and election.at - horizon <= w.at <= election.at:
            w.election = election.term
            election.warnings.append(w)


def _trailing_window(timeline: Timeline, last: Tenure | None) -> None:
    """A leader lost before the logs end, with no election after: open window."""
    if last is None or last.end is None or last.end_source is None:
        return
    stopping = {w.node for w in timeline.warnings if w.kind == "stopping" and w.at >= last.start}
    shutdown = len(stopping) >= quorum_size(len(timeline.members))  # a majority stopping
    note = ("the cluster was being stopped" if shutdown else
            f"{timeline.name(last.leader)} {last.reason}; no leader elected before the logs end")
    timeline.windows.append(Window(last.end, None, last.end_source, None, note=note,
                                   shutdown=shutdown))
