"""Fault scenarios for a running :class:`EtcdCluster`: each a function that injects one kind of
trouble into a real cluster and records the ground truth in scenario.json — what was injected
when (UTC times and epochs in ``steps``), the leaders and terms the members reported
(``status_samples``), and every client request (``writes``/``reads``, with invoke and complete
times, outcome and value read). Each returns the facts it established, which are also stored
as scenario.json ``facts``.

    with EtcdCluster(out, 3, network="netns", scenario="flapping") as cluster:
        facts = flapping(cluster, duration=20, seed=1)

``SCENARIOS`` names them for ``python -m raftcheck.harness record`` and gives the cluster each
one needs (network, members, spare slots, snapshot count). See docs/etcd-cluster-harness.md.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from raftcheck.harness.background import ClientLoad, StatusSampler
from raftcheck.harness.errors import EtcdHarnessError
from raftcheck.harness.etcd_cluster import EtcdCluster
from raftcheck.harness.etcdctl import WriteResult
from raftcheck.harness.scenario import Outages, ScenarioRecorder, leader_of
from raftcheck.harness.slow_disk import SlowDisk

Facts = dict[str, Any]
FlapPattern = Literal["random-links", "one-link", "leader-links", "leader-link"]
FLAP_PATTERNS: tuple[str, ...] = ("random-links", "one-link", "leader-links", "leader-link")

#: etcd 3.4 and 3.5 keep this many entries in the leader's in-memory log behind each snapshot,
#: for followers that lag (etcdserver's SnapshotCatchUpEntries, not a flag before 3.5.10).
SNAPSHOT_CATCH_UP_ENTRIES = 5000
#: Writes and reads a scenario's client load has acknowledged before it stops (if the cluster
#: answers within ACKNOWLEDGED_WAIT seconds more): a history with something to check.
ACKNOWLEDGED = 5
ACKNOWLEDGED_WAIT = 30.0


@contextlib.contextmanager
def _background(cluster: EtcdCluster, *, load: bool, seed: int, sample_every: float,
                label: str) -> Iterator[StatusSampler]:
    """A status sampler and (with ``load``) client load, for the length of the block; the load
    goes on after it until the history holds ACKNOWLEDGED writes and reads (at most
    ACKNOWLEDGED_WAIT seconds more: a cluster that answers nothing is a finding too)."""
    with StatusSampler(cluster, sample_every, label) as sampler:
        if load:
            with ClientLoad(cluster, seed=seed) as client_load:
                yield sampler
                client_load.wait_for_acknowledged(ACKNOWLEDGED, ACKNOWLEDGED,
                                                  ACKNOWLEDGED_WAIT)
        else:
            yield sampler


def _recorder(cluster: EtcdCluster) -> ScenarioRecorder:
    if cluster.recorder is None:
        raise EtcdHarnessError("start the cluster before running a scenario on it")
    return cluster.recorder


def _begin(cluster: EtcdCluster, scenario: str, **parameters: Any) -> tuple[str, int]:
    leader, term = cluster.wait_for_leader(15)
    _recorder(cluster).meta.setdefault("scenario_parameters", {}).update(parameters)
    cluster.record_step("scenario-start", scenario, **parameters)
    return leader, term


def _end(cluster: EtcdCluster, scenario: str, facts: Facts) -> Facts:
    _recorder(cluster).meta["facts"] = facts
    cluster.record_step("scenario-end", scenario, **{k: v for k, v in facts.items()
                                                     if not isinstance(v, dict | list)})
    return facts


def _settle(cluster: EtcdCluster, timeout: float = 30.0) -> tuple[str, int]:
    """Wait for an agreed leader and every running member converged on it: the leader and
    term they converged on (a member healed with a higher term may still depose the leader
    found first: the leader minority without pre-vote)."""
    cluster.wait_for_leader(timeout)
    statuses = cluster.wait_for_convergence(timeout)
    leader = next(n for n, s in statuses.items() if s.is_leader)
    return leader, statuses[leader].raft_term


def _wait_since(cluster: EtcdCluster, action: str, seconds: float) -> None:
    """Sleep until ``seconds`` have passed since the last ``action`` step was injected (its
    recorded epoch), so that a fault lasts what was asked, whatever the waits took."""
    epoch = next(s["epoch"] for s in reversed(_recorder(cluster).steps)
                 if s["action"] == action)
    time.sleep(max(0.0, seconds - (time.time() - epoch)))


def _followers(cluster: EtcdCluster, leader: str) -> list[str]:
    return [n for n in cluster.voters if n != leader]


# ---------------------------------------------------------------------------------- flapping

def flapping(cluster: EtcdCluster, *, duration: float = 20.0,
             period: tuple[float, float] = (0.2, 2.0), pattern: FlapPattern = "random-links",
             seed: int = 0, load: bool = True, sample_every: float = 1.0) -> Facts:
    """Links cut and restored again and again for ``duration`` seconds; the network changes
    after a time drawn from ``period`` each (seeded). ``pattern`` says how: ``random-links``
    cuts a new random set of links at each change (each link with probability 1/2, so
    sometimes none: healed); the others alternate a cut and a heal: ``one-link`` cuts one
    random link, ``leader-links`` every link of the member last sampled as leader,
    ``leader-link`` one link between it and a random other member. Every change is a step
    (nft rules in the members' namespaces, ``cut_links`` listing what is cut from then on);
    statuses are sampled every ``sample_every`` seconds. Needs ``network='netns'``."""
    if pattern not in FLAP_PATTERNS:
        raise ValueError(f"pattern must be one of {FLAP_PATTERNS}, not {pattern!r}")
    lo, hi = period
    if not 0 < lo <= hi:
        raise ValueError(f"period must be (low, high) with 0 < low <= high, not {period}")
    rng = random.Random(seed)
    leader0, term0 = _begin(cluster, "flapping", duration_s=duration, period_s=[lo, hi],
                            pattern=pattern, seed=seed, load=load)
    dropped0 = sum(cluster.dropped_packets().values())
    changes = cuts = 0
    with _background(cluster, load=load, seed=seed, sample_every=sample_every,
                     label="flapping") as sampler:
        deadline = time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            if pattern == "random-links" or changes % 2 == 0:
                leader = sampler.leader or leader0
                if pattern.startswith("leader"):  # who leads now, not at the last sample
                    leader = leader_of(cluster.status())[0] or leader
                links = _pick_links(cluster.names, leader, pattern, rng)
            else:
                links = []
            if links:
                cluster.cut_links(links, status=False)
                cuts += 1
            else:
                cluster.heal(status=False)
            changes += 1
            time.sleep(min(rng.uniform(lo, hi), left))
        cluster.heal()
        leader, term = _settle(cluster)
    dropped = cluster.dropped_packets()
    terms_seen = [s.get("max_raft_term") or s["term"] or 0
                  for s in _recorder(cluster).status_samples]
    return _end(cluster, "flapping", {
        "changes": changes, "cuts": cuts, "leader_before": leader0, "term_before": term0,
        "leader_after": leader, "term_after": term, "max_term_sampled": max(terms_seen),
        "dropped_packets": sum(dropped.values()) - dropped0,
        "dropped_packets_by_member": dropped,
        "leaders_seen": list(_recorder(cluster).leaders_seen),
    })


def _pick_links(names: list[str], leader: str, pattern: str,
                rng: random.Random) -> list[tuple[str, str]]:
    links = list(itertools.combinations(names, 2))
    if pattern == "one-link":
        return [rng.choice(links)]
    if pattern == "leader-links":
        return [(leader, n) for n in names if n != leader]
    if pattern == "leader-link":
        return [(leader, rng.choice([n for n in names if n != leader]))]
    return [link for link in links if rng.random() < 0.5]


CHAOS_FAULTS: tuple[str, ...] = ("links", "heal", "kill", "pause", "replace")


def chaos(cluster: EtcdCluster, *, duration: float = 60.0,
          period: tuple[float, float] = (0.5, 3.0), down: tuple[float, float] = (1.0, 4.0),
          replaces: int = 2, seed: int = 0, load: bool = True, sample_every: float = 1.0
          ) -> Facts:
    """A bad day: for ``duration`` seconds under client load, faults of every kind at once.
    After a time drawn from ``period`` each (seeded), one of: a new random set of links cut
    (``links``), every link restored (``heal``), a member killed with SIGKILL (``kill``) or
    stopped with SIGSTOP (``pause``), the leader or a follower, for a time drawn from ``down``,
    then restarted on its data or resumed; or (at most ``replaces`` times) a follower replaced
    as after a lost disk (``replace``: removed, wiped, added again under its name with a new
    member ID; every member is brought back, every link healed and the cluster converged
    first, as an SRE would; the faults go on while it catches up). Fewer than half the members
    are down or stopped at once, so the cluster can make progress between faults; with the
    cluster's snapshot count low (``record`` runs it at 100) snapshots and compactions come
    with the writes, and a member restarted may catch up from one. At the end every member is
    running, every link restored, and the cluster has one leader. Needs ``network='netns'``."""
    lo, hi = period
    if not 0 < lo <= hi or not 0 < down[0] <= down[1]:
        raise ValueError(f"period and down must be (low, high) with 0 < low <= high, not "
                         f"{period} and {down}")
    rng = random.Random(seed)
    leader0, term0 = _begin(cluster, "chaos", duration_s=duration, period_s=[lo, hi],
                            down_s=list(down), seed=seed, load=load)
    faults = dict.fromkeys(CHAOS_FAULTS, 0)
    outages = Outages(cluster, wait=False)
    statuses, cluster.record_status = cluster.record_status, False  # (the sampler samples)
    try:
        with _background(cluster, load=load, seed=seed, sample_every=sample_every,
                         label="chaos") as sampler:
            deadline = time.monotonic() + duration
            while (left := deadline - time.monotonic()) > 0:
                outages.bring_back(time.monotonic())
                fault = rng.choice(CHAOS_FAULTS)
                if fault in ("kill", "pause") and not outages.may_take_one():
                    fault = "links"
                if fault == "replace" and faults["replace"] >= replaces:
                    fault = "links"
                if fault == "replace":  # as an SRE would: on a cluster that is whole again
                    outages.bring_back()
                    cluster.heal(status=False)
                    leader, _term = _settle(cluster)
                    cluster.replace_member(rng.choice(_followers(cluster, leader)))
                elif fault == "links":
                    links = [link for link in itertools.combinations(cluster.names, 2)
                             if rng.random() < 0.3]
                    cluster.cut_links(links, status=False)
                elif fault == "heal":
                    cluster.heal(status=False)
                else:
                    leader = sampler.leader or leader0
                    up = outages.up()
                    victim = leader if leader in up and rng.random() < 0.5 else rng.choice(up)
                    outages.take(victim, fault, rng.uniform(*down))
                faults[fault] += 1
                time.sleep(min(rng.uniform(lo, hi), left))
            outages.bring_back()
            cluster.heal(status=False)
            leader, term = _settle(cluster)
    finally:
        cluster.record_status = statuses
    terms_seen = [s.get("max_raft_term") or s["term"] or 0
                  for s in _recorder(cluster).status_samples]
    return _end(cluster, "chaos", {
        "faults": faults, "leader_before": leader0, "term_before": term0,
        "leader_after": leader, "term_after": term, "max_term_sampled": max(terms_seen),
        "leaders_seen": list(_recorder(cluster).leaders_seen),
    })


# ---------------------------------------------------------------------------------- partitions

def leader_minority(cluster: EtcdCluster, *, hold: float = 5.0, seed: int = 0,
                    load: bool = True) -> Facts:
    """The leader (with as many followers as still leaves it a minority) cut off from the rest
    for ``hold`` seconds, then healed. The majority elects a new leader at a higher term; a
    write through the old leader fails. With pre-vote off the cut-off members' terms climb
    while they campaign, and on heal they disrupt the majority's leader; with pre-vote on they
    do not. Check-quorum (always on in etcd) makes the old leader step down. Needs netns."""
    rng = random.Random(seed)
    leader, term = _begin(cluster, "leader-minority", hold_s=hold, seed=seed, load=load,
                          pre_vote=cluster.pre_vote)
    followers = _followers(cluster, leader)
    rng.shuffle(followers)
    minority = [leader, *followers[:len(cluster.voters) - cluster.quorum - 1]]
    majority = [n for n in cluster.names if n not in minority]
    for i in range(3):
        cluster.put(f"/minority/before{i}", str(i))
    with _background(cluster, load=load, seed=seed, sample_every=0.5, label="partitioned"):
        cluster.partition([minority])
        new, new_term = cluster.wait_for_leader(15, min_term=term + 1, exclude=minority)
        cut_off_write = cluster.put("/minority/cut-off", "x", endpoint=leader, timeout=1.5)
        majority_writes = [cluster.put(f"/minority/majority{i}", str(i), endpoint=majority)
                           for i in range(3)]
        _wait_since(cluster, "partition", hold)
        cluster.sample_status("before-heal")
        old = cluster.raft_status([leader])[leader]
        dropped = sum(cluster.dropped_packets().values())
        cluster.heal()
        final, final_term = _settle(cluster)
    return _end(cluster, "leader-minority", {
        "old_leader": leader, "term_before": term, "minority": minority, "majority": majority,
        "new_leader": new, "new_term": new_term,
        "cut_off_write": cut_off_write.outcome, "cut_off_write_error": cut_off_write.error,
        "majority_writes_ok": sum(w.ok for w in majority_writes),
        "old_leader_term_before_heal": old.term if old else None,
        "old_leader_state_before_heal": old.state if old else None,
        "dropped_packets": dropped, "leader_after_heal": final, "term_after_heal": final_term,
    })


# ---------------------------------------------------------------------------------- processes

def kill_restart(cluster: EtcdCluster, *, targets: tuple[str, ...] = ("leader", "follower"),
                 down: float = 2.0, graceful: bool = False, seed: int = 0,
                 load: bool = True) -> Facts:
    """For each target role in turn, stop that member (SIGKILL, or SIGTERM with ``graceful``:
    a leader then hands leadership over first), keep it down ``down`` seconds under client
    load, start it again on its data and wait until it has caught up."""
    rng = random.Random(seed)
    name = "restart" if graceful else "kill"
    _begin(cluster, name, targets=list(targets), down_s=down, graceful=graceful, seed=seed,
           load=load)
    rounds = []
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label=name):
        for role in targets:
            leader, term = cluster.wait_for_leader(15)
            victim = leader if role == "leader" else rng.choice(_followers(cluster, leader))
            if graceful:
                cluster.terminate(victim)
            else:
                cluster.kill(victim)
            new, new_term = (cluster.wait_for_leader(15, min_term=term + 1, exclude=[victim])
                             if victim == leader else (leader, term))
            _wait_since(cluster, "SIGTERM" if graceful else "kill-9", down)
            cluster.restart(victim)
            caught = cluster.wait_for_catch_up(victim, 20)
            rounds.append({"role": role, "victim": victim, "term_before": term,
                           "leader_after": new, "term_after": new_term,
                           "applied_after_catch_up": caught.applied_index})
        leader, term = _settle(cluster)
    return _end(cluster, name, {"rounds": rounds, "leader_after": leader, "term_after": term})


def pause(cluster: EtcdCluster, *, targets: tuple[str, ...] = ("leader", "follower"),
          stall: float = 3.0, seed: int = 0, load: bool = True) -> Facts:
    """For each target role in turn, SIGSTOP that member for ``stall`` seconds (past the
    election timeout: a GC pause or a stuck disk, as its peers see it) under client load, then
    SIGCONT it; a paused leader is replaced and, resumed, learns the higher term."""
    if stall * 1000 <= cluster.election_ms:
        raise ValueError(f"stall ({stall}s) must exceed the election timeout "
                         f"({cluster.election_ms} ms)")
    rng = random.Random(seed)
    _begin(cluster, "pause", targets=list(targets), stall_s=stall, seed=seed, load=load)
    rounds = []
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="pause"):
        for role in targets:
            leader, term = cluster.wait_for_leader(15)
            victim = leader if role == "leader" else rng.choice(_followers(cluster, leader))
            cluster.pause(victim)
            new, new_term = (cluster.wait_for_leader(15, min_term=term + 1, exclude=[victim])
                             if victim == leader else (leader, term))
            _wait_since(cluster, "SIGSTOP", stall)
            cluster.resume(victim)
            statuses = cluster.wait_for_convergence(20)
            rounds.append({"role": role, "victim": victim, "term_before": term,
                           "leader_during": new, "term_during": new_term,
                           "victim_term_after": statuses[victim].raft_term,
                           "victim_leads_after": statuses[victim].is_leader})
        leader, term = _settle(cluster)
    return _end(cluster, "pause", {"rounds": rounds, "leader_after": leader, "term_after": term})


def slow_disk(cluster: EtcdCluster, *, disk: SlowDisk, stall: float = 6.0, write_iops: int = 2,
              seed: int = 0, load: bool = True) -> Facts:
    """The leader's disk turns slow for ``stall`` seconds under client load: its writes to the
    cluster's data disk (a loop device, slow_disk.py) are throttled to ``write_iops`` per
    second, so that each WAL fsync takes about a second. etcd logs ``slow fdatasync`` (and,
    when the loop stalls, late heartbeats); its followers, hearing nothing, elect another
    leader. Then the disk is fast again and the cluster converges."""
    leader, term = _begin(cluster, "slow-disk", stall_s=stall, write_iops=write_iops,
                          seed=seed, load=load)
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="slow-disk"):
        pid = cluster.pids(leader)[-1]
        disk.throttle(pid, write_iops=write_iops)
        cluster.record_step("slow-disk", leader, pid=pid, device=disk.major_minor,
                            write_iops=write_iops)
        try:
            new, new_term = cluster.wait_for_leader(stall + 15, min_term=term + 1,
                                                    exclude=[leader])
        finally:
            _wait_since(cluster, "slow-disk", stall)
            disk.release()
            cluster.record_step("disk-fast", leader)
        after, after_term = _settle(cluster)
    return _end(cluster, "slow-disk", {"victim": leader, "term_before": term,
                                      "leader_during": new, "term_during": new_term,
                                      "leader_after": after, "term_after": after_term})


# ---------------------------------------------------------------------------------- snapshots

def snapshot_catchup(cluster: EtcdCluster, *, entries: int | None = None, seed: int = 0,
                     load: bool = True, compact: bool = True) -> Facts:
    """A follower is killed; meanwhile so many writes commit (``entries``; default enough to
    pass the 5,000 entries etcd keeps behind a snapshot, plus two snapshots) that the leader
    has compacted its log past the follower's last entry; the keyspace history is compacted
    (``etcdctl compact``); the follower restarts and can only catch up from a snapshot the
    leader sends. Needs a small ``snapshot_count`` (e.g. 100) on the cluster."""
    if cluster.snapshot_count is None:
        raise ValueError("snapshot-catchup needs EtcdCluster(snapshot_count=...), e.g. 100")
    entries = entries or SNAPSHOT_CATCH_UP_ENTRIES + 2 * cluster.snapshot_count + 200
    rng = random.Random(seed)
    leader, term = _begin(cluster, "snapshot-catchup", entries=entries, seed=seed, load=load,
                          snapshot_count=cluster.snapshot_count, compact=compact)
    victim = rng.choice(_followers(cluster, leader))
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="snapshot"):
        cluster.put("/snap/before", "1")
        behind = cluster.status([victim])[victim]
        cluster.kill(victim)
        bulk = cluster.bulk_put(entries)
        compacted = None
        if compact and bulk["last_revision"]:
            compacted = int(bulk["last_revision"]) // 2
            cluster.etcdctl(["compact", str(compacted)]).output(f"compact {compacted}")
            cluster.record_step("compact", None, revision=compacted)
        cluster.put("/snap/after", "2")
        cluster.restart(victim)
        caught = cluster.wait_for_catch_up(victim, 60)
        leader, term = _settle(cluster, 60)
    return _end(cluster, "snapshot-catchup", {
        "victim": victim, "victim_applied_before": behind.applied_index if behind else None,
        "bulk_ok": bulk["ok"], "bulk_failed": bulk["failed"], "compacted_revision": compacted,
        "victim_applied_after": caught.applied_index, "leader_after": leader,
        "term_after": term,
    })


# ---------------------------------------------------------------------------------- membership

def member_add(cluster: EtcdCluster, *, learner: bool = False, seed: int = 0,
               load: bool = True) -> Facts:
    """Under client load, one member is added (``etcdctl member add``, ``--learner`` with
    ``learner``), started with ``--initial-cluster-state existing``, caught up, and — a
    learner — promoted to voter. Needs one spare slot."""
    name = "member-learner" if learner else "member-add"
    _begin(cluster, name, learner=learner, seed=seed, load=load)
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label=name):
        new = cluster.add_member(learner=learner)
        cluster.wait_for_catch_up(new, 30)
        if learner:
            cluster.promote_member(new)
        cluster.put("/member/after-add", new)
        leader, term = _settle(cluster)
    return _end(cluster, name, {"added": new, "learner": learner,
                                "members": _member_list(cluster), "leader_after": leader,
                                "term_after": term})


def member_remove(cluster: EtcdCluster, *, seed: int = 0, load: bool = True) -> Facts:
    """Under client load, a follower is removed (``etcdctl member remove``), then the leader
    itself: it commits its own removal, steps down and stops, and the rest elect."""
    rng = random.Random(seed)
    if len(cluster.voters) < 3:
        raise ValueError("member-remove needs at least 3 members")
    leader, term = _begin(cluster, "member-remove", seed=seed, load=load)
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="member-remove"):
        follower = rng.choice(_followers(cluster, leader))
        cluster.remove_member(follower)
        leader, term = cluster.wait_for_leader(15)
        cluster.put("/member/after-follower-removed", follower)
        removed_leader = leader
        cluster.remove_member(leader)
        successor, successor_term = cluster.wait_for_leader(20, exclude=[removed_leader])
        cluster.put("/member/after-leader-removed", removed_leader)
        leader, term = _settle(cluster)
    return _end(cluster, "member-remove", {
        "removed_follower": follower, "removed_leader": removed_leader,
        "successor": successor, "successor_term": successor_term,
        "leader_after": leader, "term_after": term, "members": _member_list(cluster)})


def member_replace(cluster: EtcdCluster, *, seed: int = 0, load: bool = True) -> Facts:
    """Under client load, a follower whose disk is lost is replaced as etcd's guide has it:
    removed (``etcdctl member remove``), its data wiped, added again under its name and peer
    URL (a new member ID) and started on empty data; it catches up. Its log goes on in the same
    file, so one file holds two members of one cluster."""
    rng = random.Random(seed)
    leader, _term = _begin(cluster, "member-replace", seed=seed, load=load)
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="member-replace"):
        replaced = rng.choice(_followers(cluster, leader))
        old_id = cluster.members[replaced].member_id
        new_id = cluster.replace_member(replaced)
        cluster.wait_for_catch_up(replaced, 20)
        cluster.put("/member/after-replace", replaced)
        leader_after, term_after = _settle(cluster)
    return _end(cluster, "member-replace", {
        "replaced": replaced, "old_member_id": old_id, "new_member_id": new_id,
        "leader_after": leader_after, "term_after": term_after,
        "members": _member_list(cluster)})


def member_grow(cluster: EtcdCluster, *, size: int | None = None, seed: int = 0,
                load: bool = True) -> Facts:
    """A cluster bootstrapped small (one member) grows, under client load, to ``size`` voters
    (default: every slot, spares included), one ``member add`` and start at a time, each new
    member caught up before the next is added."""
    size = size or len(cluster.slots)
    if not len(cluster.names) < size <= len(cluster.slots):
        raise ValueError(f"size ({size}) must exceed the {len(cluster.names)} members and fit "
                         f"the {len(cluster.slots)} slots")
    _begin(cluster, "member-grow", size=size, seed=seed, load=load)
    added = []
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="member-grow"):
        while len(cluster.names) < size:
            new = cluster.add_member()
            cluster.wait_for_catch_up(new, 30)
            cluster.put(f"/member/grown-to-{len(cluster.names)}", new)
            added.append(new)
        leader, term = _settle(cluster)
    return _end(cluster, "member-grow", {"added": added, "members": _member_list(cluster),
                                         "leader_after": leader, "term_after": term})


def _member_list(cluster: EtcdCluster) -> list[dict[str, Any]]:
    return [{"id_hex": m.member_id, "name": m.name, "learner": m.is_learner}
            for m in cluster.member_list()]


# ---------------------------------------------------------------------------------- recovery

def force_new_cluster(cluster: EtcdCluster, *, lagging_writes: int = 20, down: float = 2.0,
                      seed: int = 0, load: bool = True) -> Facts:
    """Under client load, a follower is killed; ``lagging_writes`` more writes are
    acknowledged without it (and it stays down at least ``down`` seconds); then the leader
    and the other followers are killed for good (the quorum is lost) and the lagging follower,
    the only member left, is restarted with ``--force-new-cluster``: it becomes leader of a
    one-member cluster, and takes writes. Every write acknowledged after its kill is lost
    (``acknowledged_writes_lost``)."""
    rng = random.Random(seed)
    leader, term = _begin(cluster, "force-new-cluster", lagging_writes=lagging_writes,
                          down_s=down, seed=seed, load=load)
    forced = rng.choice(_followers(cluster, leader))
    with _background(cluster, load=load, seed=seed, sample_every=1.0,
                     label="force-new-cluster"):
        _put_one(cluster, "/force/before-kill", forced)
        cluster.wait_for_catch_up(forced, 20)
        cluster.kill(forced)
        killed = time.time()
        survivors = [n for n in cluster.names if n != forced]
        _put_acknowledged(cluster, "/force/after-kill", lagging_writes, survivors)
        _wait_since(cluster, "kill-9", down)
        for n in survivors:
            cluster.kill(n)
        down = time.time()
        commit = cluster.force_new_cluster(forced)
        new, new_term = cluster.wait_for_leader(20)
        recovered = [cluster.put(f"/force/after-recovery{i}", str(i)) for i in range(3)]
        leader_after, term_after = _settle(cluster)
    return _end(cluster, "force-new-cluster", {
        "forced": forced, "old_leader": leader, "term_before": term,
        "killed_for_good": survivors, "commit_index_at_forced_restart": commit,
        "acknowledged_writes_lost": len(_acknowledged(cluster, killed, down)),
        "new_leader": new, "new_term": new_term,
        "writes_after_recovery_ok": sum(w.ok for w in recovered),
        "leader_after": leader_after, "term_after": term_after,
        "members": _member_list(cluster)})


def disk_rollback(cluster: EtcdCluster, *, writes: int = 50, seed: int = 0,
                  load: bool = True) -> Facts:
    """Under client load, a follower is stopped gracefully and its data directory copied;
    started again, it persists and acknowledges ``writes`` more writes; then it is killed, its
    data directory put back as the copy (a VM snapshot reverted, a disk that acknowledged
    writes it never made durable) and started. Its log now ends short of what it acknowledged,
    which Raft assumes never happens: the leader's next heartbeat tells it to commit past the
    end of its log and etcd panics (``tocommit(N) is out of range [lastIndex(M)]. Was the raft
    log corrupted, truncated, or lost?``). ``panicked``: whether it exited within 15 s."""
    rng = random.Random(seed)
    leader, term = _begin(cluster, "disk-rollback", writes=writes, seed=seed, load=load)
    victim = rng.choice(_followers(cluster, leader))
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="disk-rollback"):
        cluster.terminate(victim)
        copy = cluster.copy_data(victim)
        cluster.restart(victim)
        copied = cluster.wait_for_catch_up(victim, 20).raft_index
        _put_acknowledged(cluster, "/rollback/after-copy", writes)
        acknowledged = cluster.wait_for_catch_up(victim, 20).raft_index
    # Without client writes from here on, the leader's first message to the restarted victim
    # is a heartbeat (an append comes with a proposal, or after a heartbeat's answer), and the
    # heartbeat carries the commit index the victim acknowledged: etcd panics at once. Under
    # load an append may come first and refill its log, hiding the loss from its log.
    cluster.kill(victim)
    cluster.roll_back_data(victim, copy)
    _wait_since(cluster, "kill-9", 1.0)  # (long enough for the leader to see it gone)
    cluster.restart(victim, wait=False)
    member = cluster.members[victim]
    deadline = time.monotonic() + 15
    while member.running and time.monotonic() < deadline:
        time.sleep(0.2)
    panicked = not member.running
    if panicked:
        cluster.record_step("exited", victim, status=member.proc and member.proc.returncode)
    others = [n for n in cluster.names if n != victim]
    _put_acknowledged(cluster, "/rollback/after-rollback", 3, others)
    leader_after, term_after = cluster.wait_for_leader(20)
    return _end(cluster, "disk-rollback", {
        "victim": victim, "leader_before": leader, "term_before": term,
        "raft_index_at_copy": copied, "raft_index_acknowledged": acknowledged,
        "panicked": panicked, "leader_after": leader_after, "term_after": term_after})


def snapshot_restore(cluster: EtcdCluster, *, writes_after: int = 10, seed: int = 0,
                     load: bool = True) -> Facts:
    """Under client load, ``etcdctl snapshot save`` from one member; ``writes_after`` more
    writes; every member killed; each restored from the snapshot (``etcdctl snapshot
    restore``: same name and peer URL, a new data directory, a new cluster token, so a new
    cluster ID and new member IDs) and started on it. Writes acknowledged after the snapshot
    are lost (``acknowledged_writes_lost``: those with a revision above the snapshot's)."""
    rng = random.Random(seed)
    _begin(cluster, "snapshot-restore", writes_after=writes_after, seed=seed, load=load)
    old_id = cluster.cluster_id()
    with _background(cluster, load=load, seed=seed, sample_every=1.0,
                     label="snapshot-restore"):
        _put_one(cluster, "/restore/before-snapshot", "1")
        source = rng.choice(cluster.voters)
        snapshot, revision = cluster.save_snapshot(source)
        _put_acknowledged(cluster, "/restore/after-snapshot", writes_after)
        for n in list(cluster.names):
            cluster.kill(n)
        down = time.time()
        token = cluster.restore_snapshot(snapshot)
        new, new_term = cluster.wait_for_leader(20)
        new_id = cluster.cluster_id()
        recovered = [cluster.put(f"/restore/after-restore{i}", str(i)) for i in range(3)]
        leader_after, term_after = _settle(cluster)
    lost = [w for w in _acknowledged(cluster, 0.0, down) if (w.revision or 0) > revision]
    return _end(cluster, "snapshot-restore", {
        "source": source, "snapshot_revision": revision, "old_cluster_id": old_id,
        "new_cluster_id": new_id, "new_token": token,
        "acknowledged_writes_lost": len(lost), "new_leader": new, "new_term": new_term,
        "writes_after_restore_ok": sum(w.ok for w in recovered),
        "leader_after": leader_after, "term_after": term_after,
        "members": _member_list(cluster)})


def _put_acknowledged(cluster: EtcdCluster, prefix: str, count: int,
                      endpoint: list[str] | None = None) -> None:
    """Put ``<prefix>0..`` until ``count`` of them are acknowledged (at most 3 tries each)."""
    acknowledged = tries = 0
    while acknowledged < count:
        if tries == 3 * count:
            raise EtcdHarnessError(f"only {acknowledged} of {count} writes {prefix}* "
                                   f"acknowledged in {tries} tries")
        tries += 1
        acknowledged += cluster.put(f"{prefix}{acknowledged}", str(tries), endpoint).ok


def _put_one(cluster: EtcdCluster, key: str, value: str, tries: int = 3) -> None:
    """Put ``key`` until acknowledged (a scenario's fact rests on it: under load a put may
    time out, and then it is not known to be written)."""
    if not any(cluster.put(key, value).ok for _ in range(tries)):
        raise EtcdHarnessError(f"{key} not acknowledged in {tries} tries")


def _acknowledged(cluster: EtcdCluster, invoked_from: float, completed_by: float
                  ) -> list[WriteResult]:
    """The acknowledged writes invoked at or after ``invoked_from`` and completed by
    ``completed_by`` (epochs)."""
    return [w for w in list(_recorder(cluster).writes)
            if w.ok and w.t_start >= invoked_from and w.t_end <= completed_by]


def rolling_upgrade(cluster: EtcdCluster, *, to: str = "3.5", seed: int = 0,
                    load: bool = True) -> Facts:
    """Under client load, every member in turn, the followers first and the leader last (as
    etcd's upgrade guide has it), is stopped gracefully and started again by etcd ``to`` on
    its data directory, logging on to its file (etcd 3.5 in JSON after 3.4's text). Each waits
    for the cluster to converge before the next. Facts: the version every member reports
    after."""
    leader, term = _begin(cluster, "rolling-upgrade", to=to, seed=seed, load=load)
    with _background(cluster, load=load, seed=seed, sample_every=1.0, label="rolling-upgrade"):
        for name in [*_followers(cluster, leader), leader]:
            cluster.upgrade(name, to)
            _settle(cluster)
        leader_after, term_after = _settle(cluster)
    return _end(cluster, "rolling-upgrade", {
        "to": to, "leader_before": leader, "term_before": term, "versions": cluster.versions(),
        "leader_after": leader_after, "term_after": term_after})


# ---------------------------------------------------------------------------------- registry

@dataclass(frozen=True)
class Scenario:
    """A scenario as ``record`` runs it: the function, the keyword ``--duration`` sets (None:
    it takes no duration), fixed keywords, and the cluster it needs."""

    name: str
    summary: str
    run: Callable[..., Facts]
    duration_param: str | None = None
    duration_means: str = "ignored"
    fixed: dict[str, Any] = field(default_factory=dict)
    nodes: int = 3
    spare: int = 0
    network: Literal["loopback", "netns"] = "netns"
    cluster_options: dict[str, Any] = field(default_factory=dict)
    slow_disk: bool = False  # the cluster keeps its data on a SlowDisk, passed as ``disk``

    def call(self, cluster: EtcdCluster, *, duration: float | None = None, seed: int = 0,
             load: bool = True, **extra: Any) -> Facts:
        kwargs = {**self.fixed, "seed": seed, "load": load, **extra}
        if duration is not None and self.duration_param is not None:
            kwargs[self.duration_param] = duration
        return self.run(cluster, **kwargs)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("flapping", "links cut and restored at random every 0.2-2 s (nftables)",
             flapping, "duration", "how long links flap (default 20 s)"),
    Scenario("chaos", "a bad day: links cut and healed, members killed and restarted, "
             "stopped and resumed, followers replaced, at random under load, snapshots on",
             chaos, "duration", "how long the faults go on (default 60 s)",
             cluster_options={"snapshot_count": 100}),
    Scenario("leader-minority", "the leader cut off in a minority, then healed",
             leader_minority, "hold", "how long the partition holds (default 5 s)"),
    Scenario("kill", "kill -9 the leader, then a follower; each restarted and caught up",
             kill_restart, "down", "how long each victim stays down (default 2 s)"),
    Scenario("restart", "SIGTERM (graceful stop) the leader, then a follower; restarted",
             kill_restart, "down", "how long each victim stays down (default 2 s)",
             fixed={"graceful": True}),
    Scenario("pause", "SIGSTOP the leader, then a follower, past the election timeout",
             pause, "stall", "how long each victim is stopped (default 3 s)"),
    Scenario("slow-disk", "the leader's disk throttled (loop device, block-I/O cgroup): "
             "slow fsyncs, an election", slow_disk, "stall",
             "how long the disk stays slow (default 6 s)", slow_disk=True),
    Scenario("snapshot-catchup", "a follower down while 5,400 writes commit; it restarts "
             "and catches up from a snapshot", snapshot_catchup,
             cluster_options={"snapshot_count": 100}),
    Scenario("member-add", "a fourth member added and started under load", member_add,
             spare=1),
    Scenario("member-learner", "a learner added, caught up and promoted to voter",
             member_add, fixed={"learner": True}, spare=1),
    Scenario("member-remove", "a follower removed, then the leader itself", member_remove,
             nodes=4),
    Scenario("member-grow", "one member grown to three by member add", member_grow,
             nodes=1, spare=2),
    Scenario("member-replace", "a follower removed, its data wiped, added again under its "
             "name (a new member ID) and restarted, its log going on", member_replace),
    Scenario("rolling-upgrade", "every member, the leader last, restarted by etcd 3.5 on its "
             "data (record it with --etcd 3.4: its text log goes on in JSON)", rolling_upgrade),
    Scenario("force-new-cluster", "a lagging follower restarted with --force-new-cluster "
             "after the quorum is lost; the writes it missed are lost", force_new_cluster,
             "down", "how long the lagging follower is down before the quorum is lost "
             "(default 2 s)"),
    Scenario("snapshot-restore", "every member restored from a snapshot under a new cluster "
             "token; the writes after the snapshot are lost", snapshot_restore),
    Scenario("disk-rollback", "a follower's data directory rolled back to an older copy "
             "(it loses entries it acknowledged: Raft's stable storage broken); etcd panics",
             disk_rollback),
]}
