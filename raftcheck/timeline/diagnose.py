"""The diagnosis: what an operator should take away from a timeline, each item with the lines
it rests on (FINDINGS in model.py).

- leader lost: each election after the first, with its trigger and how long no leader was
  elected (startup is not an incident);
- election storm: three or more elections within a span where they came less than ten
  election timeouts (10 s when the timeout is not logged) apart on average;
- a node cut off: a node that campaigned twice or more in a row without winning while the
  others kept their leader; with pre-vote its term stayed put, without it the term climbed;
- slow leader disk: slow-fsync warnings (and late heartbeats) on a node that was leader,
  before it lost leadership (or while it led, if it did not); a stalled leader: late
  heartbeats and no slow fsync (the process stood still: paused, starved of CPU, swapping);
- flapping link: a peer lost and found again three times or more by the same node (losses
  while the peer was down, restarting or crashed, do not count);
- a log that lost entries: a node told to commit past its log's end (etcd panics);
- clock skew: the nodes' own clock warnings, or a skew the Raft messages prove;
- no Raft trouble found: none of the above.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .model import Election, Finding, LoggedWarning, Timeline, hms, unique

if TYPE_CHECKING:
    from .build import TimelineOptions

STORM_MIN = 3
"""Elections (after the first) that make a storm, when they come fast."""
STORM_GAP_TIMEOUTS = 10
"""...less than this many election timeouts apart on average (10 s if not logged)."""
FLAPS_MIN = 3
"""Losses of one peer by one node, each followed by its return, that make a flapping link."""
DISK_WARNINGS = ("slow-fsync", "heartbeat-late")
LOST_PEER = ("peer-lost", "peer-unreachable", "contact-failed", "heartbeat-failed",
             "appendEntries-failed")


def diagnose(timeline: Timeline, options: TimelineOptions) -> None:
    findings = timeline.findings
    incidents = [e for e in timeline.elections if e.window is not None
                 and not e.window.startup]
    findings.extend(_lost_logs(timeline))
    findings.extend(_storms(timeline, incidents))
    findings.extend(_cut_off(timeline))
    findings.extend(_stalled_leaders(timeline))
    findings.extend(_incidents(timeline, incidents))
    findings.extend(_flapping(timeline))
    findings.extend(_clocks(timeline, options))
    for f in findings:
        f.evidence = unique(f.evidence)
    if not findings:
        leaders = sorted({timeline.name(e.leader) for e in timeline.elections})
        detail = (f"{len(timeline.elections)} election(s), at start-up; leader "
                  f"{', '.join(leaders)} throughout" if timeline.elections
                  else "no election in these logs")
        findings.append(Finding("no-trouble", "No Raft trouble found", detail + "; no "
                                "warning points at disk, network or clocks",
                                evidence=[e.source for e in timeline.elections]))


def _fmt(t: datetime | None) -> str:
    return hms(t, "?")


def _timeout(timeline: Timeline) -> timedelta | None:
    known = [m.election_ms for m in timeline.members.values() if m.election_ms]
    return timedelta(milliseconds=max(known)) if known else None


def _storms(timeline: Timeline, incidents: list[Election]) -> list[Finding]:
    """Maximal runs of elections that come fast, three or more."""
    timeout = _timeout(timeline)
    gap = STORM_GAP_TIMEOUTS * timeout if timeout else timedelta(seconds=10)
    runs: list[list[Election]] = []
    for e in incidents:
        if runs and e.at - runs[-1][-1].at <= gap:
            runs[-1].append(e)
        else:
            runs.append([e])
    out = []
    for run in runs:
        if len(run) < STORM_MIN:
            continue
        span = (run[-1].at - run[0].at).total_seconds()
        mean = span / (len(run) - 1)
        terms = [e.term for e in run if e.term is not None]
        leaders = sorted({timeline.name(e.leader) for e in run})
        rise = f"; the term rose from {min(terms)} to {max(terms)}" if terms else ""
        out.append(Finding(
            "election-storm", f"Election storm: {len(run)} elections in {span:.1f} s "
                              f"(mean interval {mean:.2f} s)",
            f"from {_fmt(run[0].at)} to {_fmt(run[-1].at)}, leaders {', '.join(leaders)}"
            f"{rise}. Each one left the cluster without a leader for a while: writes "
            "stalled and clients retried.",
            "Find the cause in the items below (a link that flaps, a node cut off, a slow "
            "disk); an election timeout well above the worst network and disk latency keeps "
            "short glitches from starting elections.",
            [e.source for e in run], leaders, run[0].at, run[-1].at))
    return out


def _cut_off(timeline: Timeline) -> list[Finding]:
    """Nodes that campaigned again and again without winning while another node led."""
    out = []
    by_node: dict[str, list] = defaultdict(list)
    for c in timeline.campaigns:
        by_node[c.node].append(c)
    elections = timeline.elections
    for node, campaigns in by_node.items():
        streak: list = []
        streaks = []
        for c in campaigns:
            won = c.outcome == "won" and not c.prevote
            led_between = streak and any(
                streak[-1].at < e.at <= c.at and e.leader == node for e in elections)
            if won or led_between:
                if len(streak) >= 2:
                    streaks.append(streak)
                streak = []
                continue
            if not c.prevote or not streak or streak[-1].prevote:
                streak.append(c)
        if len(streak) >= 2:
            streaks.append(streak)
        for run in streaks:
            # campaigns while the cluster had no leader are how it elected the next one;
            # those while another node led show this one was cut off from it
            alone = [c for c in run if not _leaderless(timeline, c.at)
                     and _leader_at(timeline, c.at) not in (None, node)]
            if len(alone) >= 2:
                out.append(_cut_off_finding(timeline, node, alone))
    return out


def _leaderless(timeline: Timeline, when: datetime) -> bool:
    return any(w.start <= when and (w.end is None or when <= w.end) for w in timeline.windows)


def _leader_at(timeline: Timeline, when: datetime) -> str | None:
    for tenure in reversed(timeline.tenures):
        if tenure.start <= when and (tenure.end is None or when <= tenure.end):
            return tenure.leader
    return None


def _cut_off_finding(timeline: Timeline, node: str, run: list) -> Finding:
    name = timeline.name(node)
    votes = [c for c in run if not c.prevote]
    pre = [c for c in run if c.prevote]
    member = timeline.members[node]
    span = (run[-1].at - run[0].at).total_seconds()
    if votes:
        terms = [c.term for c in votes if c.term is not None]
        climb = f"{min(terms)} to {max(terms)}" if terms else "up"
        title = f"{name} was cut off: its term climbed alone from {climb}"
        disrupted = [e for e in timeline.elections if e.trigger is not None
                     and e.trigger.kind == "disruption" and e.trigger.summary.startswith(name)]
        after = (" When it came back, its higher term forced the leader to step down "
                 f"({_fmt(disrupted[0].trigger.at)}): an election nobody needed."
                 if disrupted and disrupted[0].trigger else "")
        advice = ("Pre-vote would have kept its term where it was: a node that cannot win a "
                  "pre-vote does not raise its term, so it rejoins without disturbing the "
                  "leader (etcd --pre-vote, on by default since 3.5; hashicorp/raft 1.7+ "
                  "has pre-vote). Then find why it was cut off: its network, or its process.")
        if member.pre_vote:
            advice = ("Pre-vote is on, yet its term rose: its pre-votes were granted by "
                      "nodes that had lost the leader too. Find why it was cut off.")
        detail = (f"{len(votes)} election(s) it started and lost in {span:.1f} s while "
                  f"others kept a leader.{after}")
    else:
        title = f"{name} was cut off: it asked for votes {len(pre)} times and never won"
        detail = (f"{len(pre)} pre-votes in {span:.1f} s, all lost, while others kept a "
                  f"leader. Pre-vote kept its term where it was, so it did not disturb the "
                  "leader when it came back.")
        advice = "Find why it was cut off: its network, or its process (paused, overloaded)."
    return Finding("node-cut-off", title, detail, advice, [c.source for c in run][:12],
                   [node], run[0].at, run[-1].at)


def _stalled_leaders(timeline: Timeline) -> list[Finding]:
    """Leaders whose own warnings show their loop stalled: by their disk where a write was
    logged slow, else by something that stopped the whole process."""
    out = []
    for tenure in timeline.tenures:
        end = tenure.end or timeline.end
        assert end is not None
        horizon = timedelta(seconds=30)
        # a warning is logged when the slow write returns: the stall began seconds before
        slow = [w for w in timeline.warnings if w.node == tenure.leader
                and w.kind in DISK_WARNINGS and tenure.start - horizon <= w.at
                and w.at - timedelta(seconds=w.seconds or 0.0) <= end]
        if not slow:
            continue
        name = timeline.name(tenure.leader)
        worst = max((w.seconds for w in slow if w.seconds is not None), default=None)
        worst_text = f" (up to {worst:.2f} s)" if worst is not None else ""
        fsyncs = sum(1 for w in slow if w.kind == "slow-fsync")
        late = len(slow) - fsyncs
        lost = (f"before it lost leadership at {_fmt(tenure.end)} ({tenure.reason})"
                if tenure.end else "while it led")
        evidence = [w.source for w in slow][:12]
        if fsyncs:
            out.append(Finding(
                "slow-disk", f"Slow disk on the leader {name}: {fsyncs} slow fsync(s), "
                             f"{late} late heartbeat(s){worst_text} {lost}",
                "The leader writes every entry to its write-ahead log before it sends it; "
                "while an fsync blocks, heartbeats wait too, and followers that hear nothing "
                "for an election timeout start an election.",
                "Give the WAL a dedicated, fast disk (etcd --wal-dir; SSD/NVMe, no noisy "
                "neighbours), check fsync latency (etcd_disk_wal_fsync_duration_seconds p99 "
                "should stay under ~10 ms), and raise the election timeout above the worst "
                "fsync (etcd --election-timeout, with --heartbeat-interval about a tenth of "
                "it).", evidence, [tenure.leader], slow[0].at, slow[-1].at))
        else:
            out.append(Finding(
                "leader-stalled", f"The leader {name} stalled: {late} late heartbeat(s)"
                                  f"{worst_text}, no slow disk write, {lost}",
                "Its heartbeats went out late, and no write to its disk was logged as slow "
                "(etcd's warning blames the disk, but a disk that slow logs 'slow "
                "fdatasync' too): the whole process stood still — stopped (SIGSTOP, a VM "
                "freeze), starved of CPU (a cgroup CPU limit, steal time, a noisy "
                "neighbour), swapping, or in a long garbage collection.",
                "Check the leader's host at that time: CPU throttling (cgroup cpu.stat "
                "nr_throttled), steal time, memory pressure and swap, VM pauses; give etcd "
                "CPU of its own, and raise the election timeout above the longest stall "
                "(etcd --election-timeout, with --heartbeat-interval about a tenth of it).",
                evidence, [tenure.leader], slow[0].at, slow[-1].at))
    return out


def _incidents(timeline: Timeline, incidents: list[Election]) -> list[Finding]:
    out = []
    for e in incidents:
        trig, window = e.trigger, e.window
        assert window is not None
        if trig is None or trig.kind in ("transfer",):
            continue
        seconds = window.seconds or 0.0
        began = ""
        if trig.began is not None and trig.began[0] != trig.began[1]:
            began = f"; the fault began between {_fmt(trig.began[0])} and {_fmt(trig.began[1])}"
        out.append(Finding(
            "leader-lost", f"No leader for {seconds:.2f} s from {_fmt(window.start)}: "
                           f"{trig.summary}",
            f"{timeline.name(e.leader)} was elected at term {e.term} at {_fmt(e.at)}{began}.",
            SEE_ALSO.get(trig.finding or "") or _advice(trig.kind),
            [s for s in (window.start_source, *trig.evidence, e.source) if s is not None],
            [e.leader], window.start, e.at))
    return out


SEE_ALSO = {"slow-disk": "The leader's disk stalled it: see the slow-disk item.",
            "leader-stalled": "The leader's process stalled: see the leader-stalled item."}
"""The advice of an election whose trigger's cause a diagnosis item tells (Trigger.finding)."""


def _advice(kind: str) -> str:
    return {
        "leader-killed": "Find why the process died (OOM killer, crash, a deploy); a "
                         "graceful stop hands leadership over first and saves the election.",
        "leader-stopped": "Stop a leader gracefully (SIGTERM): etcd hands leadership over "
                          "first; otherwise move leadership away before maintenance.",
        "leader-paused": "A stopped process (SIGSTOP, a VM pause), a long GC or a stuck disk "
                         "look alike from outside: check the host of the old leader at that "
                         "time.",
        "heartbeats-lost": "Check the network between the leader and its followers at that "
                           "time (and the leader's load).",
        "check-quorum": "The leader was cut off from the majority: check its network at that "
                        "time.",
        "disruption": "Enable pre-vote so that a node coming back cannot force an election.",
    }.get(kind, "")


def _flapping(timeline: Timeline) -> list[Finding]:
    """A node losing a peer and finding it again, repeatedly."""
    out = []
    cycles: dict[tuple[str, str], list[LoggedWarning]] = defaultdict(list)
    state: dict[tuple[str, str], bool] = {}
    down = _downtimes(timeline)
    for w in timeline.warnings:
        if w.peer is None:
            continue
        pair = (w.node, w.peer)
        if w.kind in LOST_PEER and not state.get(pair) and \
                not any(a <= w.at <= b for a, b in down.get(w.peer, ())):
            state[pair] = True
            cycles[pair].append(w)
        elif w.kind == "peer-active" and state.get(pair):
            state[pair] = False
    seen: set[frozenset[str]] = set()
    for (node, peer), losses in sorted(cycles.items(), key=lambda kv: -len(kv[1])):
        link = frozenset((node, peer))
        if len(losses) < FLAPS_MIN or link in seen:
            continue
        seen.add(link)
        span = (losses[-1].at - losses[0].at).total_seconds()
        a, b = timeline.name(node), timeline.name(peer)
        out.append(Finding(
            "flapping-link", f"Flapping link {a} - {b}: lost and back {len(losses)} times "
                             f"in {span:.1f} s",
            f"{a} lost its connection to {b} at {', '.join(_fmt(w.at) for w in losses[:6])}"
            f"{' ...' if len(losses) > 6 else ''}, each time finding it again.",
            "Check that link (interfaces, switch ports, firewall rules, MTU); an election "
            "timeout above the outages' length keeps them from starting elections.",
            [w.source for w in losses][:12], [node, peer], losses[0].at, losses[-1].at))
    return out


DOWN_SLACK = timedelta(seconds=1)
"""How far from a peer's own stop, restart or crash a loss of it is still put down to that."""


def _downtimes(timeline: Timeline) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per node, the stretches its own log shows it down (between a stop and its restart, or
    from a panic on: its process exits), each widened by DOWN_SLACK."""
    down: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for s in timeline.spans:
        if s.role == "down":
            down[s.node].append((s.start - DOWN_SLACK, s.end + DOWN_SLACK))
    for w in timeline.warnings:
        if w.kind == "log-lost":
            down[w.node].append((w.at - DOWN_SLACK, datetime.max.replace(tzinfo=w.at.tzinfo)))
    return down


def _lost_logs(timeline: Timeline) -> list[Finding]:
    out = []
    for w in timeline.warnings:
        if w.kind != "log-lost":
            continue
        name = timeline.name(w.node)
        out.append(Finding(
            "log-lost", f"{name}'s log lost entries it had acknowledged: data loss",
            f"At {_fmt(w.at)} {name} was {w.text}. A leader tells a follower to commit only "
            "what the follower acknowledged, that is, wrote to its disk: the disk lost it "
            "since. raftcheck validate reports it (CommitIndexInLog).",
            "Look for a data directory restored from an older backup or VM snapshot, or "
            "storage that acknowledges fsync before the data is durable (a write cache "
            "without power-loss protection, some network file systems). Do not restore one "
            "member's data directory from a backup: remove the member and add it back empty "
            "(etcdctl member remove / member add), so that it is sent a snapshot.",
            [w.source], [w.node], w.at, w.at))
    return out


def _clocks(timeline: Timeline, options: TimelineOptions) -> list[Finding]:
    out = []
    drift = [w for w in timeline.warnings if w.kind == "clock-drift"]
    if drift:
        worst = max((w.seconds for w in drift if w.seconds is not None), default=None)
        pairs = sorted({(timeline.name(w.node), timeline.name(w.peer)) for w in drift})
        out.append(Finding(
            "clock-skew", f"Clock skew reported by the nodes: {len(drift)} warning(s)"
                          + (f", up to {worst:.2f} s" if worst is not None else ""),
            "between " + "; ".join(f"{a} and {b}" for a, b in pairs),
            "Run NTP (chrony) on every node; Raft's safety does not depend on clocks, but "
            "leases, timeouts and these logs' order do.",
            [w.source for w in drift][:12], sorted({w.node for w in drift}),
            drift[0].at, drift[-1].at))
    for s in timeline.skews:
        if abs(s.applied) <= options.max_skew:
            continue
        ahead, behind = (s.node, s.reference) if s.applied > 0 else (s.reference, s.node)
        out.append(Finding(
            "clock-skew", f"Clock skew: {timeline.name(ahead)}'s clock is at least "
                          f"{abs(s.applied):.3f} s ahead of {timeline.name(behind)}'s",
            "by their timestamps, a Raft message was received before it was sent; times in "
            f"this timeline are corrected by {abs(s.applied):.3f} s",
            "Run NTP (chrony) on every node.", s.evidence[:6], [s.node, s.reference]))
    return out
