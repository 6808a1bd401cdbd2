"""The fault scenarios of raftcheck.harness.etcd_scenarios, each run for real on a short
cluster, and what each must have done to the cluster: checked against what etcd itself says
(endpoint status, member list, its logs, nftables counters), not against the harness's plans.

Marked ``etcd``; skipped with the reason when etcd 3.5 / 3.4 or network namespaces are not
available (.ci/install-etcd installs them).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from raftcheck.harness import EtcdCluster, EtcdNotInstalled, find_etcd_binaries
from raftcheck.harness.etcd_scenarios import (
    chaos,
    disk_rollback,
    flapping,
    force_new_cluster,
    kill_restart,
    leader_minority,
    member_add,
    member_grow,
    member_remove,
    member_replace,
    rolling_upgrade,
    snapshot_catchup,
    snapshot_restore,
)
from raftcheck.harness.network import netns_unavailable_reason
from raftcheck.validate import validate_paths
from tests.outages import most_down_at_once

pytestmark = pytest.mark.etcd


def _need(version: str) -> None:
    try:
        find_etcd_binaries(version=version)
    except EtcdNotInstalled as exc:
        pytest.skip(str(exc))
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(f"network namespaces unavailable: {reason}")


def _doc(folder: Path) -> dict:
    return json.loads((folder / "scenario.json").read_text())


def _log(folder: Path, name: str) -> str:
    return (folder / f"{name}.log").read_text()


def _answered_get(cluster: EtcdCluster, key: str, endpoint: str | None = None,
                  consistency: str = "l"):
    """A read the cluster answered (under load one may time out: tried up to three times);
    its value is None only where the key is absent."""
    for _ in range(3):
        read = cluster.get(key, endpoint, consistency=consistency)  # type: ignore[arg-type]
        if read.ok:
            return read
    raise AssertionError(f"no answer to a read of {key} in three tries: {read.error}")


def _leader_terms(log: str, member_id: str) -> list[int]:
    """Terms at which the member with this ID logged that it became leader (zap or text)."""
    return [int(t) for t in re.findall(rf"{member_id} became leader at term (\d+)", log)]


# ---------------------------------------------------------------------------------- flapping

def test_flapping_links_drop_packets_and_force_elections(tmp_path: Path) -> None:
    _need("3.5")
    with EtcdCluster(tmp_path, 3, network="netns", scenario="flapping") as cluster:
        # each cut outlasts the longest randomized election timeout (2 x 1 s): an election
        facts = flapping(cluster, duration=18, period=(2.2, 2.6), pattern="leader-links",
                         seed=3, load=False)
        ids = {n: cluster.members[n].member_id for n in cluster.names}
    assert facts["dropped_packets"] > 100, facts  # nft counters in the members' namespaces
    assert facts["term_after"] >= facts["term_before"] + 3, facts
    elections = {t for n, i in ids.items() for t in _leader_terms(_log(tmp_path, n), i)}
    assert len(elections) >= 4  # the first leader and at least three more, as etcd logged
    assert max(elections) == facts["term_after"]
    steps = _doc(tmp_path)["steps"]
    cuts = [s for s in steps if s["action"] == "links"]
    assert len(cuts) >= 4 and all(len(s["cut_links"]) == 2 for s in cuts)


def test_chaos_cuts_kills_and_stops_at_once_and_validate_follows_it(tmp_path: Path) -> None:
    """A bad day on five members: links, kills, stops and a follower replaced, at random under
    load, snapshots on. What etcd shows must match the faults (a start-up banner per kill and
    replacement, the replaced member's two IDs, the cluster caught up afterwards, snapshots
    taken), no more than two members are ever down at once, and validate, which has never
    seen this run, finds a behaviour of the spec in it."""
    _need("3.5")
    with EtcdCluster(tmp_path, 5, network="netns", scenario="chaos", snapshot_count=20,
                     heartbeat_ms=50, election_ms=300) as cluster:
        facts = chaos(cluster, duration=20, period=(0.3, 1.0), down=(0.5, 2.0), replaces=1,
                      seed=5)
        statuses = cluster.wait_for_convergence(15)
    doc = _doc(tmp_path)
    steps = doc["steps"]
    def times(action: str, member: str) -> int:
        return sum(s["action"] == action and s["target"] == member for s in steps)

    kills = {n: times("kill-9", n) for n in doc["members"]}
    wiped = {n: times("wipe-data", n) for n in doc["members"]}
    assert sum(kills.values()) == facts["faults"]["kill"] >= 1, facts
    assert sum(wiped.values()) == facts["faults"]["replace"] == 1, facts
    assert facts["faults"]["pause"] >= 1 and facts["faults"]["links"] >= 1, facts
    for member in doc["members"]:  # a start-up per kill and per replacement, as etcd logged
        starts = _log(tmp_path, member).count('"msg":"starting an etcd server"')
        assert starts == 1 + kills[member] + wiped[member], member
    replaced = next(n for n, k in wiped.items() if k)
    ids = set(re.findall(r'"local-member-id":"([0-9a-f]+)"', _log(tmp_path, replaced)))
    assert len(ids) == 2  # its log shows the member it was and the one that replaced it
    assert most_down_at_once(steps) <= 2  # of five
    assert len({s.applied_index for s in statuses.values()}) == 1  # everyone caught up
    assert any('"msg":"triggering snapshot"' in _log(tmp_path, n) for n in doc["members"])
    verdict = validate_paths([tmp_path])
    assert verdict.status == "conforms", verdict.lines()


# ---------------------------------------------------------------------------------- partitions

@pytest.mark.parametrize("pre_vote", [True, False], ids=["pre-vote", "no-pre-vote"])
def test_leader_minority_with_and_without_pre_vote(tmp_path: Path, pre_vote: bool) -> None:
    _need("3.5")
    with EtcdCluster(tmp_path, 3, network="netns", pre_vote=pre_vote,
                     scenario="leader-minority") as cluster:
        facts = leader_minority(cluster, hold=5, seed=1, load=False)
        old = facts["old_leader"]
        old_id = cluster.members[old].member_id
        final = cluster.wait_for_convergence(10)
    assert facts["new_leader"] in facts["majority"]
    assert facts["new_term"] > facts["term_before"]
    assert facts["cut_off_write"] != "ok"  # the write through the cut-off leader
    assert facts["majority_writes_ok"] == 3
    assert facts["dropped_packets"] > 0
    # its own raft.status just before the heal: check-quorum made it step down; then
    state, term = facts["old_leader_state_before_heal"], facts["old_leader_term_before_heal"]
    log = _log(tmp_path, old)
    if pre_vote:  # a pre-candidate never raises its term
        assert state in ("StatePreCandidate", "StateFollower")
        assert term == facts["term_before"]
        assert f"{old_id} became pre-candidate at term {term}" in log
    else:  # it campaigns alone, its term climbing, and brings that term back on heal
        assert state in ("StateCandidate", "StateFollower")
        assert term > facts["term_before"]
        assert f"{old_id} became candidate at term {term}" in log
        assert facts["term_after_heal"] >= term
    assert final[old].raft_term == facts["term_after_heal"]


# ---------------------------------------------------------------------------------- processes

def test_kill_and_restart_under_load(tmp_path: Path) -> None:
    _need("3.5")
    with EtcdCluster(tmp_path, 3, network="netns", scenario="kill") as cluster:
        facts = kill_restart(cluster, down=2.0, seed=2)
        statuses = cluster.wait_for_convergence(10)
        pids = {n: cluster.pids(n) for n in cluster.names}
        # a write through a member with no process behind it cannot have taken effect
        dead = facts["rounds"][-1]["victim"]
        cluster.kill(dead)
        refused = cluster.put("/kill/refused", "x", endpoint=dead, timeout=1.0)
        assert (refused.ok, refused.outcome) == (False, "fail")
        assert cluster.get("/kill/refused", consistency="l").value is None
    leader_round, follower_round = facts["rounds"]
    assert leader_round["leader_after"] != leader_round["victim"]
    assert leader_round["term_after"] > leader_round["term_before"]
    assert follower_round["victim"] != leader_round["leader_after"]
    assert len({s.applied_index for s in statuses.values()}) == 1  # everyone caught up
    for victim in {r["victim"] for r in facts["rounds"]}:
        kills = sum(r["victim"] == victim for r in facts["rounds"])
        assert len(pids[victim]) == 1 + kills
        assert _log(tmp_path, victim).count('"msg":"starting an etcd server"') == 1 + kills
    doc = _doc(tmp_path)
    assert doc["writes_summary"]["ok"] >= 5 and doc["reads_summary"]["ok"] >= 5
    # a write through a member that was down the whole time cannot have taken effect
    down: list[tuple[str, float, float]] = []  # (member, killed at, restarted at)
    for s in doc["steps"]:
        if s["action"] == "kill-9":
            down.append((s["target"], s["epoch"], float("inf")))
        elif s["action"] == "restart":
            down = [(m, k, s["epoch"] if m == s["target"] and r == float("inf") else r)
                    for m, k, r in down]
    for w in doc["writes"]:
        (endpoint,) = w["endpoints"]
        if any(m == endpoint and k < w["epoch_start"] and w["epoch_end"] < r
               for m, k, r in down):
            assert w["outcome"] == "fail", w
        if w["outcome"] == "ok":
            assert w["revision"] is not None


def test_pause_via_the_record_command(tmp_path: Path) -> None:
    """The command users run: a paused leader is replaced and, resumed, follows at the new
    term; a paused follower comes back."""
    _need("3.5")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "raftcheck.harness", "record", "pause",
                           "--out", str(out), "--duration", "2.5", "--seed", "4"],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr
    assert f"raftcheck validate {out}" in proc.stdout
    doc = _doc(out)
    leader_round, follower_round = doc["facts"]["rounds"]
    assert leader_round["leader_during"] != leader_round["victim"]
    assert leader_round["victim_term_after"] >= leader_round["term_during"]
    assert follower_round["victim"] != follower_round["leader_during"]
    assert not leader_round["victim_leads_after"] or leader_round["victim_term_after"] > \
        leader_round["term_during"]
    stops = [s for s in doc["steps"] if s["action"] in ("SIGSTOP", "SIGCONT")]
    assert [s["action"] for s in stops] == ["SIGSTOP", "SIGCONT"] * 2
    assert stops[1]["epoch"] - stops[0]["epoch"] >= 2.5
    victim_id = doc["members"][leader_round["victim"]]["id_hex"]
    new_id = doc["members"][leader_round["leader_during"]]["id_hex"]
    assert leader_round["term_during"] in _leader_terms(
        _log(out, leader_round["leader_during"]), new_id)
    # resumed, the old leader hears the higher term and steps down
    assert re.search(rf"{victim_id} became follower at term {leader_round['term_during']}",
                     _log(out, leader_round["victim"]))
    assert doc["regenerate"].startswith("python -m raftcheck.harness record pause")


# ---------------------------------------------------------------------------------- snapshots

@pytest.mark.parametrize("version", ["3.5", "3.4"])
def test_snapshot_catchup(tmp_path: Path, version: str) -> None:
    _need(version)
    log_format = "zap" if version == "3.5" else "capnslog"
    with EtcdCluster(tmp_path, 3, network="netns", version=version, snapshot_count=100,
                     log_format=log_format, scenario="snapshot-catchup") as cluster:
        facts = snapshot_catchup(cluster, seed=5, load=False)
        statuses = cluster.wait_for_convergence(10)
        victim_id = cluster.members[facts["victim"]].member_id
        leader = facts["leader_after"]
    victim = facts["victim"]
    assert statuses[victim].applied_index == statuses[leader].applied_index
    log = _log(tmp_path, victim)
    if version == "3.5":
        assert '"msg":"received and saved database snapshot"' in log
        assert '"msg":"sending database snapshot"' in _log(tmp_path, leader)
    else:
        assert "successfully received and saved database snapshot" in log
        assert "start to send database snapshot [index: " in _log(tmp_path, leader)
    restored = [int(i) for i in re.findall(
        rf"{victim_id} \[commit: \d+\] restored snapshot \[index: (\d+)", log)]
    assert restored and restored[-1] > facts["victim_applied_before"] + 5000
    # the leader had compacted its raft log past the victim's last entry: only a snapshot
    # could bring the victim back
    compacted = re.findall(r'"msg":"compacted Raft logs","compact-index":(\d+)'
                           if version == "3.5" else r"compacted raft log at (\d+)",
                           _log(tmp_path, leader))
    assert max(map(int, compacted)) > facts["victim_applied_before"]


# ---------------------------------------------------------------------------------- membership

def _member_names(cluster: EtcdCluster) -> dict[str, bool]:
    return {m.name: m.is_learner for m in cluster.member_list()}


@pytest.mark.parametrize("learner", [False, True], ids=["voter", "learner"])
def test_member_add(tmp_path: Path, learner: bool) -> None:
    _need("3.5")
    with EtcdCluster(tmp_path, 3, network="netns", spare=1, scenario="member-add") as cluster:
        facts = member_add(cluster, learner=learner, seed=6)
        listed = _member_names(cluster)
        statuses = cluster.wait_for_convergence(10)
        new_id = cluster.members[facts["added"]].member_id
    assert listed == {"node1": False, "node2": False, "node3": False, "node4": False}
    assert statuses["node4"].leader == facts["leader_after"]
    log = _log(tmp_path, "node4")
    assert f'"local-member-id":"{new_id}"' in log
    steps = [s["action"] for s in _doc(tmp_path)["steps"]]
    assert steps.index("member-add") < steps.index("start")
    if learner:
        assert steps.index("start") < steps.index("member-promote")
        assert '"msg":"promote member"' in _log(tmp_path, facts["leader_after"])


def test_member_remove_follower_then_leader(tmp_path: Path) -> None:
    _need("3.5")
    with EtcdCluster(tmp_path, 4, network="netns", scenario="member-remove") as cluster:
        facts = member_remove(cluster, seed=7)
        listed = _member_names(cluster)
        gone = [facts["removed_follower"], facts["removed_leader"]]
        running = cluster.running
    assert sorted(listed) == sorted(set(["node1", "node2", "node3", "node4"]) - set(gone))
    assert not set(gone) & set(running)  # etcd stopped the removed members itself
    assert facts["successor"] not in gone
    for name in gone:
        assert "the member has been permanently removed from the cluster" in \
            _log(tmp_path, name)
    doc = _doc(tmp_path)
    removals = [s for s in doc["steps"] if s["action"] == "member-remove"]
    assert [s["target"] for s in removals] == gone
    assert all(s["exited_by_itself"] for s in removals)


def test_member_grow_from_one_to_three(tmp_path: Path) -> None:
    _need("3.5")
    with EtcdCluster(tmp_path, 1, network="netns", spare=2, scenario="member-grow") as cluster:
        facts = member_grow(cluster, seed=8)
        listed = _member_names(cluster)
        statuses = cluster.wait_for_convergence(10)
    assert facts["added"] == ["node2", "node3"]
    assert listed == {"node1": False, "node2": False, "node3": False}
    assert len({s.applied_index for s in statuses.values()}) == 1
    assert cluster.quorum == 2


def test_member_replace_gives_the_name_a_new_member_on_empty_data(tmp_path: Path) -> None:
    _need("3.5")
    with EtcdCluster(tmp_path, 3, network="netns", scenario="member-replace") as cluster:
        facts = member_replace(cluster, seed=12)
        listed = {m.name: m.member_id for m in cluster.member_list()}
        statuses = cluster.wait_for_convergence(10)
        replaced = cluster.members[facts["replaced"]]
        read = _answered_get(cluster, "/member/after-replace", facts["replaced"], "s")
    assert listed[facts["replaced"]] == facts["new_member_id"] != facts["old_member_id"]
    assert facts["old_member_id"] not in listed.values() and len(listed) == 3
    assert len({s.applied_index for s in statuses.values()}) == 1
    assert read.value == facts["replaced"]  # it caught up on empty data
    log = _log(tmp_path, facts["replaced"])
    assert log.count('"msg":"starting an etcd server"') == len(replaced.pids) == 2
    assert facts["old_member_id"] in log and facts["new_member_id"] in log  # one log, both
    steps = [s["action"] for s in _doc(tmp_path)["steps"]]
    assert steps.index("member-remove") < steps.index("wipe-data") < steps.index("member-add")


# ---------------------------------------------------------------------------------- recovery

VERSIONS = pytest.mark.parametrize(("version", "log_format"),
                                   [("3.5", "zap"), ("3.4", "capnslog")])


def _cluster(tmp_path: Path, version: str, log_format: str, scenario: str) -> EtcdCluster:
    _need(version)
    return EtcdCluster(tmp_path, 3, network="netns", version=version,
                       log_format=log_format,  # type: ignore[arg-type]
                       scenario=scenario)


@VERSIONS
def test_force_new_cluster_leaves_the_lagging_member_alone_without_what_it_missed(
        tmp_path: Path, version: str, log_format: str) -> None:
    with _cluster(tmp_path, version, log_format, "force-new-cluster") as cluster:
        facts = force_new_cluster(cluster, down=0.5, seed=9)
        forced = facts["forced"]
        listed = cluster.member_list()
        statuses = cluster.wait_for_convergence(10)
        kept, missed, new = (_answered_get(cluster, k) for k in (
            "/force/before-kill", "/force/after-kill0", "/force/after-recovery0"))
        argv = list(cluster.members[forced].argv)
        forced_id = cluster.members[forced].member_id
    assert [(m.name, m.member_id) for m in listed] == [(forced, forced_id)]
    assert list(statuses) == [forced] and statuses[forced].is_leader
    # a key acknowledged before its kill is there, unless etcd discarded it: a follower
    # applies an entry before its log's commit index reaches the disk, and a forced restart
    # drops every entry past the commit index on disk ("discarding ... uncommitted WAL
    # entries"), applied or not
    discarded = re.search(r"discarding .*uncommitted WAL entries", _log(tmp_path, forced))
    assert kept.value == forced or (kept.value is None and discarded)
    assert new.value == "0"
    assert missed.ok and missed.count == 0  # acknowledged by the old cluster, lost
    assert facts["acknowledged_writes_lost"] >= 20
    steps = _doc(tmp_path)["steps"]
    restart = next(s for s in steps if s["action"] == "restart")
    assert (restart["target"], restart["extra_args"]) == (forced, ["--force-new-cluster"])
    assert "--force-new-cluster" not in argv  # for that start only
    # the commit index etcd restarted at lags the old leader's log by the writes it missed
    # (sampled before each kill: the last one's sample lacks the leader, killed before it).
    # etcd logs that index after appending and committing one removal of each member dropped.
    old_index = max(st["raft_index"] for s in steps if s["action"] == "kill-9"
                    for st in s["status_before"].values() if "raft_index" in st)
    removals = len(facts["killed_for_good"])
    assert facts["commit_index_at_forced_restart"] - removals + 20 <= old_index
    assert facts["new_term"] > facts["term_before"]
    assert _leader_terms(_log(tmp_path, forced), forced_id)[-1] == facts["new_term"]


@VERSIONS
def test_snapshot_restore_makes_a_new_cluster_without_the_later_writes(
        tmp_path: Path, version: str, log_format: str) -> None:
    with _cluster(tmp_path, version, log_format, "snapshot-restore") as cluster:
        old_ids = {n: cluster.members[n].member_id for n in cluster.names}
        facts = snapshot_restore(cluster, seed=10)
        cluster_id = cluster.cluster_id()
        listed = {m.name: m.member_id for m in cluster.member_list()}
        statuses = cluster.wait_for_convergence(10)
        kept, missed, new = (_answered_get(cluster, k) for k in (
            "/restore/before-snapshot", "/restore/after-snapshot0", "/restore/after-restore0"))
        argvs = {n: list(m.argv) for n, m in cluster.members.items()}
        restored_dirs = {n: m.data_dir for n, m in cluster.members.items()}
    assert cluster_id == facts["new_cluster_id"] != facts["old_cluster_id"]
    assert sorted(listed) == ["node1", "node2", "node3"]
    assert all(listed[n] != old_ids[n] for n in listed)  # a new token: new member IDs
    assert len({s.applied_index for s in statuses.values()}) == 1
    assert (kept.value, new.value) == ("1", "0")
    assert missed.ok and missed.count == 0  # written after the snapshot: lost
    assert facts["acknowledged_writes_lost"] >= 10
    assert new.revision > facts["snapshot_revision"]
    for name, argv in argvs.items():  # a later restart starts the restored member
        assert argv[argv.index("--initial-cluster-token") + 1] == facts["new_token"]
        assert argv[argv.index("--data-dir") + 1] == str(restored_dirs[name])
        assert _starts_of(_log(tmp_path, name), log_format) == 2  # appended to one log
        assert facts["new_cluster_id"] in _log(tmp_path, name)


@VERSIONS
def test_a_disk_rolled_back_loses_what_it_acknowledged_and_validate_says_where(
        tmp_path: Path, version: str, log_format: str) -> None:
    """A follower's data directory put back as an older copy: its log ends short of what it
    acknowledged; etcd panics when the leader's heartbeat tells it to commit past that end,
    and validate names that line (CommitIndexInLog). (The same member killed and restarted
    on its own data conforms: tests/test_validate_fixtures.py, the kill runs.)"""
    with _cluster(tmp_path, version, log_format, "disk-rollback") as cluster:
        facts = disk_rollback(cluster, writes=30, seed=12)
        leader, _term = cluster.wait_for_leader(10)
    victim = facts["victim"]
    assert facts["panicked"] and leader != victim
    assert facts["raft_index_acknowledged"] >= facts["raft_index_at_copy"] + 30
    steps = [s["action"] for s in _doc(tmp_path)["steps"] if s.get("target") == victim]
    assert steps[:3] == ["SIGTERM", "copy-data", "restart"]
    assert steps[-4:] == ["kill-9", "roll-back-data", "restart", "exited"]
    log = _log(tmp_path, victim).splitlines()
    line, found = next((k, m) for k, text in enumerate(log, 1)
                       if (m := re.search(r"tocommit\((\d+)\) is out of range "
                                          r"\[lastIndex\((\d+)\)\]", text)))
    told, last = int(found.group(1)), int(found.group(2))
    assert last < facts["raft_index_at_copy"] + 5 < told  # (a few entries of its restart)
    verdict = validate_paths([tmp_path])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "CommitIndexInLog", f"{tmp_path / victim}.log:{line}"), verdict.lines()


def _starts_of(log: str, log_format: str) -> int:
    return log.count("etcdmain: etcd Version: " if log_format == "capnslog"
                     else '"msg":"starting an etcd server"')


# ---------------------------------------------------------------------------------- upgrade

def test_rolling_upgrade_from_3_4_text_logs_to_3_5(tmp_path: Path) -> None:
    _need("3.4")
    _need("3.5")
    with EtcdCluster(tmp_path, 3, network="netns", version="3.4", log_format="capnslog",
                     pre_vote=False, scenario="rolling-upgrade") as cluster:
        facts = rolling_upgrade(cluster, seed=11)
        statuses = cluster.wait_for_convergence(10)
        written = cluster.put("/upgrade/after", "1")
        argvs = {n: list(m.argv) for n, m in cluster.members.items()}
    new = find_etcd_binaries(version="3.5")
    assert set(facts["versions"].values()) == {new.version_str}  # what each member reports
    assert written.ok and len({s.applied_index for s in statuses.values()}) == 1
    for name, argv in argvs.items():  # a later restart starts 3.5, logging JSON
        assert argv[0] == str(new.etcd) and "capnslog" not in argv
        log = _log(tmp_path, name).splitlines()
        text = [k for k, line in enumerate(log) if line.startswith("raft20")]
        json_lines = [k for k, line in enumerate(log) if line.startswith('{"level"')]
        assert text and json_lines and max(text) < min(json_lines)  # 3.4's text, then JSON
    upgraded = [s["target"] for s in _doc(tmp_path)["steps"] if s["action"] == "upgrade"]
    assert sorted(upgraded) == ["node1", "node2", "node3"]
    assert upgraded[-1] == facts["leader_before"]  # the leader last
