"""etcd's own lines around Raft: the start-up banner (ServerConfig) and the warnings an operator
reads after an outage (ServerWarning), in zap and capnslog.

Lines in the first section are built from the format strings in etcd's sources (wal/wal.go,
etcdserver/raft.go, etcdserver/util.go, rafthttp/probing_status.go, rafthttp/peer_status.go,
rafthttp/stream.go) with made-up ids; the others are real runs of tests/data/etcd, checked
against their scenario.json.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from raftcheck.grammar.drafts import go_seconds
from raftcheck.grammar.etcd_server import WARNINGS
from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import read_logs

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "tests" / "data" / "etcd"
ME, PEER = "1f2e3d4c5b6a7980", "a0b1c2d3e4f5a6b7"


def _zap(msg: str, level: str = "warn", **extra: object) -> str:
    return json.dumps({"level": level, "ts": "2026-11-28T10:26:57.783Z",
                       "caller": "etcdserver/x.go:1", "msg": msg, **extra})


def _read(tmp_path: Path, lines: list[str]) -> list[ev.Event]:
    path = tmp_path / "node1.log"
    path.write_text("\n".join(lines) + "\n")
    parsed = read_logs([path])
    assert parsed.problems == []
    return parsed.events


ZAP_START = [
    _zap("starting an etcd server", "info", name="infra1", **{
        "heartbeat-interval": "250ms", "election-timeout": "2.5s", "pre-vote": False,
        "member-initialized": False}),
    _zap("starting local member", "info", **{"local-member-id": ME, "cluster-id": "c1"}),
    _zap(f"{ME} became follower at term 0", "info", caller="raft/raft.go:1"),
]


ZAP_CASES = [
    (_zap("slow fdatasync", took="1.363283431s", **{"expected-duration": "1s"}),
     "slow-fsync", None, 1.363283431),
    (_zap("leader failed to send out heartbeat on time; took too long, leader is overloaded "
          "likely from slow disk", to=PEER, **{"heartbeat-interval": "100ms",
                                               "expected-duration": "200ms",
                                               "exceeded-duration": "1.2206s"}),
     "heartbeat-late", "n2", 1.2206),
    (_zap("apply request took too long", took="983.137843ms", prefix="read-only range "),
     "slow-apply", None, 0.983137843),
    (_zap("waiting for ReadIndex response took too long, retrying"),
     "slow-read-index", None, None),
    (_zap("prober detected unhealthy status", **{"remote-peer-id": PEER, "rtt": "0s",
                                                 "error": "dial tcp: i/o timeout"}),
     "peer-unhealthy", "n2", None),
    (_zap("prober found high clock drift", **{"remote-peer-id": PEER, "clock-drift": "1.5s",
                                              "rtt": "2ms"}),
     "clock-drift", "n2", 1.5),
    (_zap("lost TCP streaming connection with remote peer", **{
        "remote-peer-id": PEER, "error": "unexpected EOF"}), "peer-lost", "n2", None),
    (_zap("peer became inactive (message send to peer failed)", **{
        "peer-id": PEER, "error": f"failed to dial {PEER} on stream Message (dial tcp: "
                                  "connection refused)"}), "peer-unreachable", "n2", None),
    (_zap("peer became active", "info", **{"peer-id": PEER}), "peer-active", "n2", None),
    (_zap("received signal; shutting down", "info", signal="terminated"),
     "stopping", None, None),
]


@pytest.mark.parametrize(("line", "kind", "peer", "seconds"), ZAP_CASES)
def test_zap_warnings(tmp_path: Path, line: str, kind: str, peer: str | None,
                      seconds: float | None) -> None:
    events = _read(tmp_path, [*ZAP_START, line])
    warning = events[-1]
    assert isinstance(warning, ev.ServerWarning)
    assert (warning.warning, warning.peer, warning.node) == (kind, peer, "n1")
    assert warning.seconds == (pytest.approx(seconds) if seconds is not None else None)
    assert warning.source.line == 4 and warning.detail.startswith(json.loads(line)["msg"])
    assert kind in ev.WARNING_KINDS


def test_every_zap_warning_is_tested() -> None:
    tested = {json.loads(line)["msg"] for line, *_ in ZAP_CASES}
    assert set(WARNINGS) - tested == {
        "timed out waiting for read index response (local node might have slow network)",
        "failed to reach the peer URL"}


def test_zap_banner_becomes_one_server_config_once_the_member_is_known(tmp_path: Path) -> None:
    events = _read(tmp_path, ZAP_START)
    assert [e.kind for e in events] == ["ServerConfig", "BecameFollower"]
    config = events[0]
    assert isinstance(config, ev.ServerConfig)
    assert (config.node, config.name, config.heartbeat_ms, config.election_ms,
            config.pre_vote) == ("n1", "infra1", 250, 2500, False)
    assert config.source.line == 1  # the banner, not the member line that named the node


CAPNSLOG_START = [
    "2026-11-28 10:16:55.028918 I | embed: name = infra2",
    "2026-11-28 10:16:55.028934 I | embed: heartbeat = 100ms",
    "2026-11-28 10:16:55.028938 I | embed: election = 1000ms",
    f"2026-11-28 10:16:55.107996 I | etcdserver: starting member {ME} in cluster e8079",
]


@pytest.mark.parametrize(("text", "kind", "peer", "seconds"), [
    ("W | wal: sync duration of 1.363283431s, expected less than 1s", "slow-fsync", None,
     1.363283431),
    (f"W | etcdserver: failed to send out heartbeat on time (exceeded the 100ms timeout for "
     f"1.220602923s, to {PEER})", "heartbeat-late", "n2", 1.220602923),
    ('W | etcdserver: read-only range request "key:\\"/k\\" " with result "error:context '
     'deadline exceeded" took too long (999.404125ms) to execute', "slow-apply", None,
     0.999404125),
    ("W | etcdserver: waiting for ReadIndex response took too long, retrying (sent-request-id: "
     "1, retry-timeout: 500ms)", "slow-read-index", None, None),
    (f"W | etcdserver: failed to reach the peerURL(http://10.0.0.2:2380) of member {PEER} "
     "(dial tcp: i/o timeout)", "peer-unreachable", "n2", None),
    (f"W | rafthttp: health check for peer {PEER} could not connect: dial tcp: i/o timeout",
     "peer-unhealthy", "n2", None),
    (f"W | rafthttp: the clock difference against peer {PEER} is too high [1.5s > 1s]",
     "clock-drift", "n2", 1.5),
    (f"W | rafthttp: lost the TCP streaming connection with peer {PEER} (stream Message "
     "reader)", "peer-lost", "n2", None),
    (f"W | rafthttp: peer {PEER} became inactive (message send to peer failed)",
     "peer-lost", "n2", None),
    (f"I | rafthttp: peer {PEER} became active", "peer-active", "n2", None),
    (f"W | rafthttp: failed to dial {PEER} on stream Message (dial tcp: connection refused)",
     "peer-unreachable", "n2", None),
    ("N | osutil: received terminated signal, shutting down...", "stopping", None, None),
])
def test_capnslog_warnings(tmp_path: Path, text: str, kind: str, peer: str | None,
                           seconds: float | None) -> None:
    events = _read(tmp_path, [*CAPNSLOG_START, f"2026-11-28 10:16:57.500000 {text}"])
    config, warning = events
    assert isinstance(config, ev.ServerConfig)
    assert (config.name, config.heartbeat_ms, config.election_ms, config.pre_vote,
            config.source.line) == ("infra2", 100, 1000, None, 1)
    assert isinstance(warning, ev.ServerWarning)
    assert (warning.warning, warning.peer) == (kind, peer)
    assert warning.seconds == (pytest.approx(seconds) if seconds is not None else None)
    assert warning.time == datetime.fromisoformat("2026-11-28 10:16:57.500000+00:00")


def test_other_server_lines_stay_skipped(tmp_path: Path) -> None:
    events = _read(tmp_path, [*ZAP_START, _zap("failed to detect default host", "info"),
                              _zap("simple token is not cryptographically signed")])
    assert [e.kind for e in events] == ["ServerConfig", "BecameFollower"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("1.5s", 1.5), ("983.1ms", 0.9831), ("213.17µs", 0.00021317), ("1m2.5s", 62.5),
    ("12ns", 12e-9), ("", None), ("1.5", None), ("fast", None), (None, None)])
def test_go_durations(text: str | None, seconds: float | None) -> None:
    got = go_seconds(text)
    assert got == pytest.approx(seconds) if seconds is not None else got is None


# --- real runs -------------------------------------------------------------------------------


def _scenario(run: Path) -> dict:
    return json.loads((run / "scenario.json").read_text())


@pytest.mark.parametrize("name", ["3.5-kill", "3.4-kill-capnslog", "3.5-restart"])
def test_real_runs_name_each_start_of_each_member(name: str) -> None:
    """One ServerConfig per start of a member, naming it as its --name."""
    run = RUNS / name
    scenario = _scenario(run)
    parsed = read_logs([run])
    configs = [e for e in parsed.events if isinstance(e, ev.ServerConfig)]
    restarts = [s["target"] for s in scenario["steps"] if s["action"] == "restart"]
    assert sorted(e.name for e in configs) == sorted([*scenario["members"], *restarts])
    for e in configs:
        assert parsed.nodes[e.node].ids == [scenario["members"][e.name]["id_hex"]]
        assert e.election_ms == scenario["election_ms"]
        assert e.heartbeat_ms == scenario["heartbeat_ms"]
        assert e.pre_vote == (scenario["pre_vote"] if "capnslog" not in name else None)


@pytest.mark.parametrize("name", ["3.5-kill", "3.4-kill-capnslog"])
def test_real_kill_peers_lose_the_victim_at_once(name: str) -> None:
    """kill -9 of the leader: within 50 ms both other members log that they lost it."""
    run = RUNS / name
    scenario = _scenario(run)
    kill = next(s for s in scenario["steps"] if s["action"] == "kill-9")
    parsed = read_logs([run])
    victim = next(n for n, info in parsed.nodes.items()
                  if info.ids == [scenario["members"][kill["target"]]["id_hex"]])
    precision = 1.0 if "capnslog" in name else 0.001
    lost = {e.node for e in parsed.events
            if isinstance(e, ev.ServerWarning) and e.warning == "peer-lost"
            and e.peer == victim and e.time is not None
            and -precision <= e.time.timestamp() - kill["epoch"] <= 0.05 + precision}
    assert lost == set(parsed.nodes) - {victim}


def test_real_restart_logs_the_stop_signal() -> None:
    run = RUNS / "3.5-restart"
    scenario = _scenario(run)
    parsed = read_logs([run])
    stops = [(e.node, e.time) for e in parsed.events
             if isinstance(e, ev.ServerWarning) and e.warning == "stopping"]
    sigterms = [s for s in scenario["steps"] if s["action"] == "SIGTERM"]
    assert len(stops) == len(sigterms)
    for (node, when), step in zip(stops, sigterms, strict=True):
        assert parsed.nodes[node].ids == [scenario["members"][step["target"]]["id_hex"]]
        assert when is not None and abs(when.timestamp() - step["epoch"]) < 0.05


def test_real_late_heartbeats_of_an_overloaded_leader() -> None:
    """etcd35/stale-pre-vote: the leader's loop stalled 1.26 s; it says so for each follower."""
    parsed = read_logs([REPO / "tests" / "data" / "etcd35" / "stale-pre-vote"])
    late = [e for e in parsed.events
            if isinstance(e, ev.ServerWarning) and e.warning == "heartbeat-late"]
    assert len(late) == 2 and {e.node for e in late} == {"n3"}
    assert {e.peer for e in late} == {"n1", "n2"}
    assert all(e.seconds is not None and 1.26 < e.seconds < 1.27 for e in late)


@pytest.mark.parametrize("name", ["3.5-slow-disk", "3.4-slow-disk-capnslog"])
def test_real_slow_disk_logs_slow_fsyncs_on_the_throttled_member_only(name: str) -> None:
    """The harness throttled one member's writes: etcd logs slow fsyncs (zap 'slow
    fdatasync', capnslog 'sync duration of') on that member, longer than its 1 s threshold."""
    run = RUNS / name
    scenario = _scenario(run)
    step = next(s for s in scenario["steps"] if s["action"] == "slow-disk")
    parsed = read_logs([run])
    slow = [e for e in parsed.events
            if isinstance(e, ev.ServerWarning) and e.warning == "slow-fsync"]
    assert slow and {parsed.nodes[e.node].ids[0] for e in slow} == {
        scenario["members"][step["target"]]["id_hex"]}
    assert all(e.seconds is not None and e.seconds > 1.0 for e in slow)
    assert all(e.time is not None and e.time.timestamp() > step["epoch"] for e in slow)
