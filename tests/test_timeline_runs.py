"""raftcheck timeline on real runs whose harness recorded the ground truth (scenario.json):
what it injected and when, and the leaders it sampled.

- every leader and term the harness saw is an election of the timeline, named as in the logs;
- every fault injected into the leader (kill -9, SIGSTOP, SIGTERM, a partition, a removal, a
  leadership transfer) is the trigger of the next election, of the kind injected, and the
  interval in which the timeline says the fault began holds the moment it was injected
  (within the clock tolerance and the logs' resolution);
- a fault injected into a follower starts no election, and a killed follower's lane is down
  while it was down;
- runs without trouble say so, and nothing else.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from raftcheck.timeline import TimelineOptions, build_timeline
from raftcheck.timeline.model import Timeline
from raftcheck.validate.runs import find_runs

DATA = Path(__file__).resolve().parent / "data"
RUNS = sorted(p.parent for p in [*(DATA / "etcd").glob("*/scenario.json"),
                                  *(DATA / "hashicorp").glob("*/scenario.json")])
TOLERANCE = 0.1 + 0.05  # validate's default clock tolerance, and the harness's own latency

EXPECTED = {
    "kill-9": {"leader-killed"},
    "SIGSTOP": {"leader-paused"},
    "SIGTERM": {"transfer"},
    "partition": {"check-quorum", "heartbeats-lost"},
    "member-remove": {"leader-removed"},
    "remove-server": {"leader-removed"},
    "leadership-transfer": {"transfer"},
}
"""The trigger each fault injected into the leader must be explained by."""


def _id(run: Path) -> str:
    return f"{run.parent.name}/{run.name}"


@cache
def scenario(run: Path) -> dict:
    return json.loads((run / "scenario.json").read_text())


@cache
def timeline(run: Path, told: bool = False) -> Timeline:
    """The run's timeline; ``told``: given the heartbeat timeout hashicorp does not log."""
    config = scenario(run).get("config", {})
    timeout = float(config["HeartbeatTimeout"].removesuffix("ms")) / 1000 if told else None
    return build_timeline([run], TimelineOptions(election_timeout=timeout))


def _resolution(run: Path) -> float:
    return 1.0 if "capnslog" in run.name else 0.0


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _restored(run: Path) -> bool:
    """The run's members were all stopped and restored from a snapshot as a new cluster: its
    kills are the restore's procedure, not faults of the cluster, which ends there."""
    return any(s["action"] == "snapshot-restore" for s in scenario(run)["steps"])


def _replacements(run: Path) -> set[str]:
    """The member IDs of members added again under the name of one whose data was wiped: the
    timeline shows each as a lane of its own, named by its ID (the log's file names the
    member it replaced)."""
    steps = scenario(run)["steps"]
    wiped = {s["target"] for s in steps if s["action"] == "wipe-data"}
    return {s["member_id"] for s in steps if s["action"] == "member-add" and s["target"] in wiped}


@cache
def clusters(run: Path) -> list[Timeline]:
    """One timeline per cluster in the run's logs (two after a restore: the old cluster and
    the restored one, chosen with TimelineOptions.run by cluster id)."""
    ids = [part.name.rsplit("(cluster ", 1)[1].rstrip(")") for part in find_runs([run])
           if "(cluster " in part.name]
    if not ids:
        return [timeline(run)]
    return [build_timeline([run], TimelineOptions(run=cid)) for cid in ids]


def _leader_faults(run: Path) -> list[dict]:
    """Steps that injected a fault into the node leading at that moment."""
    out = []
    if _restored(run):
        return out
    for step in scenario(run)["steps"]:
        action, target, leader = step["action"], step.get("target"), step.get("leader_before")
        if action not in EXPECTED or leader is None:
            continue
        if action == "partition":
            alone = next((side for side in target if leader in side), [])
            if len(alone) * 2 < sum(len(side) for side in target):  # the leader's side lost
                out.append(step)
        elif target == leader:
            out.append(step)
    return out


@pytest.mark.parametrize("run", RUNS, ids=_id)
def test_leaders_and_terms_match_the_harness(run: Path) -> None:
    """(The logs of a restored run hold two clusters, each with its own terms from 1: each
    is a timeline of its own, and the harness's leaders are elections of one of them.)"""
    elected = {(t.name(e.leader), e.term) for t in clusters(run) for e in t.elections}
    seen = set()
    for step in scenario(run)["steps"]:
        for who, term in ((step.get("leader_before"), step.get("term_before")),
                          (step.get("leader_after"), step.get("term_after"))):
            if who is not None and term is not None:
                seen.add((who, term))
    assert seen, "the harness sampled no leader"
    assert seen <= elected
    for t in clusters(run):
        terms = [e.term for e in t.elections]
        assert terms == sorted(terms) and len(set(terms)) == len(terms)
        assert {t.name(n) for n in t.members} <= set(scenario(run)["members"]) | {
            m for s in scenario(run)["steps"] if s["action"] == "bootstrapped"
            for m in s["target"]} | _replacements(run)


# (not the chaos runs: their faults overlap, so the election after a fault on the leader may
# have been brought about by another fault before it)
FAULT_RUNS = [r for r in RUNS if _leader_faults(r) and scenario(r)["scenario"] != "chaos"]


TOLD = [r for r in FAULT_RUNS if "HeartbeatTimeout" in scenario(r).get("config", {})]


def _expected(run: Path, step: dict) -> set[str]:
    """The triggers that may explain ``step``. A leader killed and never started again leaves
    a log that just ends: nothing in it tells a kill from a stop."""
    if step["action"] == "kill-9" and not any(
            s["action"] == "restart" and s.get("target") == step["target"]
            and s["epoch"] > step["epoch"] for s in scenario(run)["steps"]):
        return {"leader-stopped"}
    return EXPECTED[step["action"]]


@pytest.mark.parametrize(("run", "told"), [*((r, False) for r in FAULT_RUNS),
                                           *((r, True) for r in TOLD)],
                         ids=[*map(_id, FAULT_RUNS), *(f"{_id(r)}-told" for r in TOLD)])
def test_each_fault_on_the_leader_is_found_at_its_time(run: Path, told: bool) -> None:
    t = timeline(run, told)
    slack = timedelta(seconds=TOLERANCE + _resolution(run))
    for step in _leader_faults(run):
        injected = _at(step["epoch"])
        applied = injected + timedelta(seconds=step.get("applied_s") or 0.0)
        after = [e for e in t.elections if e.at > injected - slack and e.previous is not None]
        assert after, f"no election after {step['action']} at {injected}"
        election = after[0]
        trigger = election.trigger
        assert trigger is not None and trigger.kind in _expected(run, step), (
            step["action"], trigger)
        assert t.name(election.previous.leader) == step["leader_before"]  # type: ignore[union-attr]
        if trigger.began is not None:
            low, high = trigger.began
            assert low - slack <= applied and injected <= high + slack, (
                step["action"], injected, trigger.began)
        window = election.window
        assert window is not None and not window.startup
        assert window.start >= injected - slack
        assert window.end == election.at


def _restart_after(run: Path, kill: dict) -> dict | None:
    """The step that started the member killed at ``kill`` again (None: killed for good)."""
    return next((s for s in scenario(run)["steps"] if s["action"] == "restart"
                 and s["target"] == kill["target"] and s["epoch"] > kill["epoch"]), None)


FOLLOWER_KILLS = [(r, s) for r in RUNS if not _restored(r) for s in scenario(r)["steps"]
                  if s["action"] == "kill-9" and s.get("leader_before") not in (None, s["target"])
                  and _restart_after(r, s) is not None]


@pytest.mark.parametrize(("run", "step"), FOLLOWER_KILLS,
                         ids=[f"{_id(r)}@{s['epoch']:.1f}" for r, s in FOLLOWER_KILLS])
def test_a_killed_follower_is_down_and_starts_no_election(run: Path, step: dict) -> None:
    t = timeline(run)
    killed = _at(step["epoch"])
    restart = _at(_restart_after(run, step)["epoch"])  # type: ignore[index]
    victim = next(n for n in t.members if t.name(n) == step["target"])
    slack = timedelta(seconds=TOLERANCE + _resolution(run))
    down = [s for s in t.spans if s.node == victim and s.role == "down"
            and s.start <= restart + slack and s.end >= killed - slack]
    assert len(down) == 1
    assert down[0].end >= restart - slack  # it was down until it started again
    assert not [e for e in t.elections
                if e.previous is not None and killed - slack <= e.at <= restart]


QUIET = [DATA / "hashicorp" / "steady", DATA / "hashicorp" / "steady-json",
         DATA / "logs" / "etcd-3.5" / "steady-zap", DATA / "etcd" / "3.5-member-learner",
         DATA / "etcd" / "3.5-member-add", DATA / "etcd" / "3.5-snapshot-catchup",
         DATA / "hashicorp" / "snapshot-catchup", DATA / "hashicorp" / "follower-restart"]


@pytest.mark.parametrize("run", QUIET, ids=_id)
def test_a_run_without_trouble_says_so(run: Path) -> None:
    t = build_timeline([run])
    assert [f.kind for f in t.findings] == ["no-trouble"]
    assert len(t.elections) == 1 and t.elections[0].trigger is not None
    assert t.elections[0].trigger.kind == "startup"
    assert [w.startup for w in t.windows if not w.shutdown] == [True]


FLAPPING = [r for r in RUNS if scenario(r)["scenario"] == "flapping"]


@pytest.mark.parametrize("run", FLAPPING, ids=_id)
def test_flapping_is_an_election_storm_within_the_flapping(run: Path) -> None:
    t = timeline(run)
    steps = scenario(run)["steps"]
    cuts = [_at(s["epoch"]) for s in steps if s["action"] in ("links", "partition")]
    end = max(_at(s["epoch"]) for s in steps if s["action"] in ("heal", "links", "partition"))
    slack = timedelta(seconds=TOLERANCE + _resolution(run) + 2.0)  # two election timeouts
    incidents = [e for e in t.elections if e.window is not None and not e.window.startup]
    assert len(incidents) >= 3
    for e in incidents:
        assert cuts[0] - slack <= e.window.start <= end + slack  # type: ignore[union-attr]
    storms = [f for f in t.findings if f.kind == "election-storm"]
    assert storms
    assert sum(len(f.evidence) for f in storms) <= len(incidents)
    assert storms[0].start is not None and storms[0].start >= cuts[0] - slack


def test_without_pre_vote_the_cut_off_leader_climbs_alone_and_disrupts() -> None:
    run = DATA / "etcd" / "3.5-leader-minority-no-pre-vote"
    t = timeline(run)
    isolated = next(s for s in scenario(run)["steps"] if s["action"] == "partition")
    cut_off = min(isolated["target"], key=len)[0]
    found = [f for f in t.findings if f.kind == "node-cut-off"]
    assert [t.name(n) for f in found for n in f.nodes] == [cut_off]
    assert "term climbed alone" in found[0].title and "Pre-vote would have" in found[0].advice
    disruptions = [e for e in t.elections if e.trigger and e.trigger.kind == "disruption"]
    assert disruptions and disruptions[0].trigger.summary.startswith(cut_off)  # type: ignore[union-attr]
    heal = next(_at(s["epoch"]) for s in scenario(run)["steps"] if s["action"] == "heal")
    assert abs((disruptions[0].trigger.at - heal).total_seconds()) < 1.0  # type: ignore[union-attr, operator]


def test_with_pre_vote_the_cut_off_leader_keeps_its_term() -> None:
    run = DATA / "etcd" / "3.5-leader-minority"
    t = timeline(run)
    assert not [e for e in t.elections if e.trigger and e.trigger.kind == "disruption"]
    assert not [f for f in t.findings if "climbed" in f.title]
    isolated = min(next(s for s in scenario(run)["steps"]
                        if s["action"] == "partition")["target"], key=len)[0]
    kept = [f for f in t.findings if f.kind == "node-cut-off"]
    assert all([t.name(n) for n in f.nodes] == [isolated] and "never won" in f.title
               for f in kept)


def test_a_leader_whose_loop_stalled_without_a_slow_write_is_diagnosed() -> None:
    """etcd35/stale-pre-vote: the leader's loop stalled 1.26 s (etcd's own late-heartbeat
    warnings, which blame the disk) and no disk write was logged slow; it lost leadership
    right after."""
    t = build_timeline([DATA / "etcd35" / "stale-pre-vote"])
    assert not [w for w in t.warnings if w.kind == "slow-fsync"]
    assert not [f for f in t.findings if f.kind == "slow-disk"]
    (stalled,) = [f for f in t.findings if f.kind == "leader-stalled"]
    assert [t.name(n) for n in stalled.nodes] == ["node3"]
    assert "1.26 s" in stalled.title and "CPU" in stalled.advice
    lost = next(x for x in t.tenures if x.leader == stalled.nodes[0])
    assert lost.end is not None and stalled.end is not None
    assert stalled.end <= lost.end


CHAOS = [r for r in RUNS if scenario(r)["scenario"] == "chaos" and r.parent.name == "etcd"]


def _stops(run: Path) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each member's SIGSTOP..SIGCONT spans, as the harness made them."""
    stops: dict[str, list[tuple[datetime, datetime]]] = {}
    for s in scenario(run)["steps"]:
        if s["action"] == "SIGSTOP":
            stops.setdefault(s["target"], []).append((_at(s["epoch"]), _at(s["epoch"])))
        elif s["action"] == "SIGCONT":
            began, _ = stops[s["target"]][-1]
            stops[s["target"]][-1] = (began, _at(s["epoch"]))
    return stops


@pytest.mark.parametrize("run", CHAOS, ids=_id)
def test_a_stopped_leader_is_a_stalled_leader_not_a_slow_disk(run: Path) -> None:
    """The chaos scenario stopped leaders (SIGSTOP) and never slowed a disk: each stalled
    leader the timeline names was stopped by the harness at the time its late heartbeats
    cover, and nothing is called a slow disk (etcd logs late heartbeats; hashicorp does
    not)."""
    t = timeline(run)
    stops = _stops(run)
    assert not [f for f in t.findings if f.kind == "slow-disk"]
    stalled = [f for f in t.findings if f.kind == "leader-stalled"]
    assert stalled
    slack = timedelta(seconds=TOLERANCE + _resolution(run))
    for f in stalled:
        (node,) = [t.name(n) for n in f.nodes]
        late = [w for w in t.warnings if w.source in f.evidence]
        assert late and all(w.kind == "heartbeat-late" for w in late)
        assert all(any(began - slack <= w.at - timedelta(seconds=w.seconds or 0.0)
                       and w.at <= ended + slack for began, ended in stops.get(node, []))
                   for w in late), (node, f.title, stops.get(node))


SLOW_DISK = [r for r in RUNS if scenario(r)["scenario"] == "slow-disk"]


@pytest.mark.parametrize("run", SLOW_DISK, ids=_id)
def test_a_slow_leader_disk_is_found_in_etcds_own_warnings(run: Path) -> None:
    """The harness throttled the leader's writes (a loop device, a block-I/O cgroup): etcd's
    own slow-fsync warnings put the stall at that moment, and the leader lost leadership."""
    t = timeline(run)
    step = next(s for s in scenario(run)["steps"] if s["action"] == "slow-disk")
    victim, slowed = step["target"], _at(step["epoch"])
    (disk,) = [f for f in t.findings if f.kind == "slow-disk"]
    assert [t.name(n) for n in disk.nodes] == [victim]
    assert not [f for f in t.findings if f.kind == "leader-stalled"]  # its fsyncs were slow
    fsyncs = [w for w in t.warnings if w.kind == "slow-fsync" and t.name(w.node) == victim]
    assert fsyncs and all(w.source in disk.evidence for w in fsyncs
                          if disk.end is not None and w.at <= disk.end)
    first = min(w.at - timedelta(seconds=w.seconds or 0) for w in fsyncs)
    slack = timedelta(seconds=TOLERANCE + _resolution(run))
    assert slowed - slack <= first <= slowed + timedelta(seconds=1.0)  # the first write slowed
    (lost,) = [e for e in t.elections if e.previous and t.name(e.previous.leader) == victim]
    assert lost.trigger is not None and lost.trigger.kind == "heartbeats-lost"
    assert "disk" in lost.trigger.summary
    assert t.name(lost.leader) == scenario(run)["facts"]["leader_during"]
    assert not [f for f in t.findings if f.kind in ("node-cut-off", "flapping-link")]


DATA_LOSS = sorted(p for p in (DATA / "data-loss").iterdir() if p.is_dir())


@pytest.mark.parametrize("run", DATA_LOSS, ids=_id)
def test_a_log_that_lost_what_it_acknowledged_is_diagnosed(run: Path) -> None:
    """A follower's data directory rolled back (real etcd 3.5 and 3.4 runs): the diagnosis says
    data loss, at the line where etcd panicked; the victim's own stop, kill and crash are not
    a flapping link."""
    t = timeline(run)
    victim = scenario(run)["facts"]["victim"]
    (lost,) = [f for f in t.findings if f.kind == "log-lost"]
    log = run / f"{victim}.log"
    line = next(k for k, text in enumerate(log.read_text().splitlines(), 1)
                if "tocommit(" in text)
    assert [t.name(n) for n in lost.nodes] == [victim]
    assert [str(s) for s in lost.evidence] == [f"{log}:{line}"]
    assert "data loss" in lost.title
    assert not [f for f in t.findings if f.kind == "flapping-link"]


@pytest.mark.parametrize("run", [r for r in RUNS if scenario(r)["scenario"] == "kill"],
                         ids=_id)
def test_a_member_killed_and_restarted_on_its_own_data_lost_nothing(run: Path) -> None:
    assert not [f for f in timeline(run).findings if f.kind == "log-lost"]


@pytest.mark.parametrize("run", [DATA / "etcd" / "3.4-to-3.5-rolling-upgrade-capnslog",
                                 DATA / "etcd" / "3.4-kill-capnslog"], ids=_id)
def test_a_members_own_stops_and_restarts_are_no_flapping_link(run: Path) -> None:
    """Its peers lose it each time it stops (a rolling upgrade restarts every member): that is
    not the link (both were diagnosed 'flapping link' before losses while the peer was down
    stopped counting)."""
    assert not [f for f in timeline(run).findings if f.kind == "flapping-link"]


def test_a_link_that_flaps_while_both_ends_run_is_still_found() -> None:
    t = timeline(DATA / "hashicorp" / "flapping")
    assert [f for f in t.findings if f.kind == "flapping-link"]


HASHICORP_CHAOS = [r for r in RUNS
                   if scenario(r)["scenario"] == "chaos" and r.parent.name == "hashicorp"]


@pytest.mark.parametrize("run", HASHICORP_CHAOS, ids=_id)
def test_a_hashicorp_leader_that_stood_still_was_paused_not_cut_off(run: Path) -> None:
    """A stopped hashicorp leader, resumed, finds it has heard from no quorum for seconds and
    steps down, as a cut-off one does; but a running one logs its failures to contact at every
    lease check, and this one logged nothing until it stepped down. Each election the timeline
    puts down to a paused leader follows a stop the harness made of that leader (its silence
    within the stop), and every stop of a sitting leader that ended in such a step-down is
    called a pause, not a cut."""
    t = timeline(run)
    stops = _stops(run)
    slack = timedelta(seconds=TOLERANCE + _resolution(run))
    paused = [e for e in t.elections if e.trigger is not None
              and e.trigger.kind == "leader-paused"]
    for e in paused:
        assert e.previous is not None and e.trigger is not None and e.trigger.began is not None
        low, high = e.trigger.began
        assert any(began - slack <= high and low <= ended + slack
                   for began, ended in stops.get(t.name(e.previous.leader), [])), e.trigger
    stopped_leaders = [s for s in scenario(run)["steps"] if s["action"] == "SIGSTOP"
                       and s.get("leader_before") == s["target"]]
    stepped_down = 0
    for step in stopped_leaders:
        began = _at(step["epoch"])
        after = next((e for e in t.elections if e.at > began and e.previous is not None
                      and t.name(e.previous.leader) == step["target"]), None)
        if after is not None and after.trigger is not None and after.trigger.kind in (
                "check-quorum", "leader-paused") and after.trigger.began is not None \
                and after.trigger.began[1] >= began - slack:
            assert after.trigger.kind == "leader-paused", after.trigger
            stepped_down += 1
    assert len(paused) >= stepped_down
    if run.name == "chaos":  # this recording: node4, leading, stopped for 2.4 s
        assert stepped_down >= 1


SEE = re.compile(r"see the ([\w-]+) item")


@pytest.mark.parametrize("run", RUNS, ids=_id)
def test_an_election_points_only_to_an_item_the_diagnosis_has(run: Path) -> None:
    """An election's advice that sends the reader to another item ("see the slow-disk item")
    names one the timeline has; a stopped leader (leader-paused) is no stalled one."""
    for t in clusters(run):
        kinds = {f.kind for f in t.findings}
        for f in t.findings:
            for item in SEE.findall(f.advice):
                assert item in kinds, (f.title, f.advice)
