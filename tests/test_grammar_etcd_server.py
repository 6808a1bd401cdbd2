"""etcd server logs (capnslog and zap): envelopes, fixtures made by real etcd, and the corpus.

Envelope lines in the first section are built from etcd's log formats with made-up ids; the
fixtures in tests/data/logs were printed by real etcd 3.5 / 3.4 processes (see
tests/data/logs/regenerate_etcd.py) and are checked against the scenario.json written with
them. The corpus tests read ../shared/corpus and are skipped without it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import LogError, ParsedLogs, read_logs

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "data" / "logs"
CORPUS = REPO.parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not (CORPUS / "etcd-3.4").is_dir(),
    reason=f"the shared log corpus is not at {CORPUS} (tests read it there, never copy it)")

ID1, ID2, ID3 = "1f2e3d4c5b6a7980", "a0b1c2d3e4f5a6b7", "8e530ca48d01902"


def _write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _zap(msg: str, caller: str = "raft/raft.go:771", **extra: object) -> str:
    record = {"level": "info", "ts": "2026-11-28T10:26:57.783Z", "caller": caller, "msg": msg}
    record.update(extra)
    return json.dumps(record)


# --- capnslog envelope ---------------------------------------------------------------------

CAPNSLOG = [
    "[WARNING] Deprecated '--logger=capnslog' flag is set; use '--logger=zap' flag instead",
    "2026-11-28 10:16:55.321828 I | etcdmain: etcd Version: 3.4.23",
    f"2026-11-28 10:16:55.393510 I | etcdserver: starting member {ID1} in cluster a595c175",
    f"raft2026/11/28 10:16:55 INFO: {ID1} switched to configuration voters=()",
    f"raft2026/11/28 10:16:55 INFO: {ID1} became follower at term 0",
    "INFO: 2026/11/28 10:27:04 [core] Channel Connectivity change to READY",
    f"raft2026/11/28 10:16:57 INFO: {ID1} is starting a new election at term 1",
    f"raft2026/11/28 10:16:57 WARN: {ID1} stepped down to follower since quorum is not active",
    "2026-11-28 10:26:10.398215 I | etcdserver: start to snapshot (applied: 21, lastsnap: 0)",
    f"2026-11-28 10:26:11.000001 I | raft: {ID1} became leader at term 2",
    "WARNING: 2026/11/28 10:26:20 [core] grpc: Server.Serve failed to create ServerTransport",
]


def test_capnslog_envelope(tmp_path: Path) -> None:
    parsed = read_logs([_write(tmp_path, "m1.log", CAPNSLOG)])
    assert parsed.problems == []
    kinds = [(e.source.line, e.kind) for e in parsed.events]
    assert kinds == [(4, "Membership"), (5, "BecameFollower"), (7, "ElectionTimeout"),
                     (8, "SteppedDown"), (9, "Applied"), (10, "BecameLeader")]
    summary = parsed.files[0]
    assert (summary.format, summary.node, summary.time_precision) == ("etcd-capnslog", "n1", "1s")
    assert (summary.lines, summary.event_lines, summary.skipped) == (11, 6, 5)
    follower = parsed.events[1]
    assert isinstance(follower, ev.BecameFollower)
    assert follower.term == 0 and follower.node == "n1"
    assert follower.time == datetime(2026, 11, 28, 10, 16, 55, tzinfo=UTC)
    applied = parsed.events[4]
    assert isinstance(applied, ev.Applied) and applied.index == 21 and applied.node == "n1"
    assert applied.time == datetime(2026, 11, 28, 10, 26, 10, 398215, tzinfo=UTC)
    # etcd <= 3.3 logged raft through capnslog's "raft" package
    assert parsed.events[5].time == datetime(2026, 11, 28, 10, 26, 11, 1, tzinfo=UTC)


def test_capnslog_zone_is_assumed(tmp_path: Path) -> None:
    cet = timezone(timedelta(hours=1))
    parsed = read_logs([_write(tmp_path, "m1.log", CAPNSLOG)], assume_tz=cet)
    assert parsed.events[0].time == datetime(2026, 11, 28, 10, 16, 55, tzinfo=cet)


def test_capnslog_problems_name_the_line(tmp_path: Path) -> None:
    lines = [*CAPNSLOG[:5],
             f"raft2026/11/28 10:16:56 INFO: {ID1} became the leader at term 3",
             "raft2026/11/28 10:1",
             f"raft2026/11/28 10:16:57 INFO: {ID1} became leader at term 3"]
    parsed = read_logs([_write(tmp_path, "m1.log", lines)])
    assert [(p.line, p.message) for p in parsed.problems] == [
        (6, "unrecognised etcd raft message at column 18"),
        (7, "malformed raft log line (envelope)"),
    ]
    assert parsed.files[0].problems == 2
    assert parsed.events[-1].source.line == 8


def test_capnslog_then_a_zap_line_reads_both(tmp_path: Path) -> None:
    """A member restarted by etcd 3.5 logs JSON after 3.4's text, to the same file (a rolling
    upgrade, journald): the zap line is read as zap."""
    path = _write(tmp_path, "m1.log", [*CAPNSLOG, _zap(f"{ID1} became leader at term 3")])
    parsed = read_logs([path])
    last = parsed.events[-1]
    assert (type(last).__name__, last.source.line, last.term) == ("BecameLeader", 12, 3)
    assert parsed.files[0].format == "etcd-capnslog" and not parsed.problems


def test_an_etcd_log_with_a_hashicorp_line_is_mixed(tmp_path: Path) -> None:
    hclog = "2026-12-05T08:39:19.361Z [INFO]  raft: entering follower state: follower=x leader=y"
    path = _write(tmp_path, "m1.log", [*CAPNSLOG, hclog])
    with pytest.raises(LogError, match=r"m1\.log:12: mixed formats in one file: this line is "
                                       r"hashicorp-hclog, the file is etcd-capnslog"):
        read_logs([path])


def test_line_without_node_before_any_id_is_a_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "m1.log", [
        "raft2026/11/28 10:16:55 INFO: replace the unstable entries from index 21",
        f"raft2026/11/28 10:16:55 INFO: {ID1} became follower at term 0",
        "raft2026/11/28 10:16:56 INFO: found conflict at index 4 [existing term: 1, "
        "conflicting term: 2]",
    ])
    parsed = read_logs([path])
    assert [p.line for p in parsed.problems] == [1]
    assert "cannot tell which node" in parsed.problems[0].message
    truncated = parsed.events[-1]
    assert isinstance(truncated, ev.LogTruncated)
    assert (truncated.node, truncated.from_index, truncated.conflicting_term) == ("n1", 4, 2)


@pytest.mark.parametrize("fmt", ["capnslog", "zap"])
def test_a_line_without_node_is_the_member_that_started_last(tmp_path: Path, fmt: str) -> None:
    # a member replaced under its name (removed, data wiped, added again: a new member ID)
    # logs on in the same file; raft's lines that name no node are the new member's
    conflict = "found conflict at index 117 [existing term: 5, conflicting term: 6]"
    if fmt == "capnslog":
        lines = [f"2026-12-07 02:05:06.000001 I | etcdserver: starting member {ID1} in cluster a5",
                 f"raft2026/12/07 02:05:06 INFO: {ID1} became follower at term 1",
                 f"raft2026/12/07 02:05:10 INFO: {conflict}",
                 f"2026-12-07 02:05:15.364033 I | etcdserver: starting member {ID2} in cluster a5",
                 f"raft2026/12/07 02:05:15 INFO: {ID2} became follower at term 0",
                 f"raft2026/12/07 02:05:53 INFO: {conflict}"]
    else:
        lines = [_zap("starting local member", caller="etcdserver/raft.go:448",
                      **{"local-member-id": ID1, "cluster-id": "a5"}),
                 _zap(f"{ID1} became follower at term 1", logger="raft"),
                 _zap(conflict, logger="raft"),
                 _zap("starting local member", caller="etcdserver/raft.go:448",
                      **{"local-member-id": ID2, "cluster-id": "a5"}),
                 _zap(f"{ID2} became follower at term 0", logger="raft"),
                 _zap(conflict, logger="raft")]
    parsed = read_logs([_write(tmp_path, "node4.log", lines)])
    names = {raw: name for name, info in parsed.nodes.items() for raw in info.ids}
    truncations = [e for e in parsed.events if isinstance(e, ev.LogTruncated)]
    assert [e.node for e in truncations] == [names[ID1], names[ID2]]
    assert names[ID1] != names[ID2]


# --- zap envelope --------------------------------------------------------------------------


def test_zap_envelopes_of_etcd_34_and_35(tmp_path: Path) -> None:
    lines = [
        json.dumps({"level": "info", "ts": 1795868282.9029002, "caller": "etcdmain/etcd.go:72",
                    "msg": "Running: ", "args": ["etcd"]}),
        _zap("starting local member", "etcdserver/raft.go:536", **{"local-member-id": ID2}),
        _zap(f"{ID2} became follower at term 0"),                          # 3.4: raft/raft.go
        json.dumps({"level": "info", "ts": "2026-11-28T10:26:57.790Z", "logger": "raft",
                    "caller": "etcdserver/zap_raft.go:77",
                    "msg": f"{ID2} became candidate at term 1"}),        # 3.5: logger raft
        _zap(f"raft.node: {ID2} elected leader {ID3} at term 1", "raft@v3.5.0/node.go:327"),
        _zap(f"{ID2} became leader at term 9", "go.etcd.io/raft/v3@v3.6.0/raft.go:900"),
        _zap("peer became active", "rafthttp/peer_status.go:51", **{"peer-id": ID3}),
        "WARNING: 2026/11/28 10:26:43 [core] grpc: Server.Serve failed to create ServerTransport",
        _zap("triggering snapshot", "etcdserver/server.go:1423",
             **{"local-member-id": ID2, "local-member-applied-index": 22}),
        json.dumps({"level": "info", "ts": 1795868283.5, "caller": "raft/raft.go:1",
                    "msg": f"{ID2} became follower at term 10"}),
    ]
    parsed = read_logs([_write(tmp_path, "m2.log", lines)])
    assert parsed.problems == []
    got = [(e.source.line, e.kind, e.node) for e in parsed.events]
    assert got == [(3, "BecameFollower", "n2"), (4, "BecameCandidate", "n2"),
                   (5, "LeaderKnown", "n2"), (6, "BecameLeader", "n2"),
                   (7, "ServerWarning", "n2"), (9, "Applied", "n2"), (10, "BecameFollower", "n2")]
    known = parsed.events[2]
    assert isinstance(known, ev.LeaderKnown) and known.leader == "n1" and known.term == 1
    assert parsed.events[0].time == datetime(2026, 11, 28, 10, 26, 57, 783000, tzinfo=UTC)
    assert parsed.events[-1].time == datetime.fromtimestamp(1795868283.5, UTC)
    assert parsed.files[0].time_precision == "1ms"
    assert parsed.node_ids == {"n2": [ID2.lstrip("0")], "n1": [ID3]}


def test_zap_bad_records_are_problems(tmp_path: Path) -> None:
    good = _zap(f"{ID2} became follower at term 0")
    lines = [good, good[:57], "[1, 2, 3]", _zap(42), good.replace("follower", "folower"), good]
    parsed = read_logs([_write(tmp_path, "m2.log", lines)])
    assert [(p.line, p.message) for p in parsed.problems] == [
        (2, "truncated or invalid JSON record"),
        (4, 'raft JSON record without a "msg" text'),
        (5, "unrecognised etcd raft message at column 18"),
    ]
    assert [e.source.line for e in parsed.events] == [1, 6]
    assert parsed.files[0].skipped == 1  # "[1, 2, 3]" is not a zap record


def test_zap_then_a_capnslog_raft_line_reads_both(tmp_path: Path) -> None:
    """The other way (3.5 back to 3.4): the text line is read as text, and the file's clock is
    whole seconds from then on."""
    path = _write(tmp_path, "m2.log", [_zap(f"{ID2} became follower at term 0"), CAPNSLOG[4]])
    parsed = read_logs([path])
    assert [(type(e).__name__, e.source.line) for e in parsed.events] == [
        ("BecameFollower", 1), ("BecameFollower", 2)]
    assert parsed.files[0].time_precision == "1s" and not parsed.problems


# --- fixtures printed by real etcd ---------------------------------------------------------

FIXTURE_RUNS = sorted(p.parent for p in FIXTURES.glob("etcd-3.*/*/scenario.json"))


def _scenario(run: Path) -> dict[str, object]:
    return json.loads((run / "scenario.json").read_text())  # type: ignore[no-any-return]


def _leaders(parsed: ParsedLogs) -> list[tuple[str, int | None]]:
    """(node, term) of every BecameLeader, in time order (events come file by file)."""
    became = [e for e in parsed.events if isinstance(e, ev.BecameLeader)]
    became.sort(key=lambda e: (e.time or datetime.min.replace(tzinfo=UTC), e.term or 0))
    return [(e.node, e.term) for e in became]


def _check_against_scenario(parsed: ParsedLogs, id_to_name: dict[str, str],
                            leaders: list[tuple[str, int]]) -> None:
    """Node names follow the file names; every leader the scenario saw became leader."""
    assert parsed.problems == []
    names = {n: f"n{name.removeprefix('node')}" for n, name in id_to_name.items()}
    assert {name: info.ids for name, info in parsed.nodes.items()} == {
        name: [raw] for raw, name in names.items()}
    for f in parsed.files:
        assert f.node == f"n{Path(f.path).stem.removeprefix('node')}"
        assert f.lines == f.event_lines + f.skipped
    became = _leaders(parsed)
    wanted = [(names[next(k for k, v in id_to_name.items() if v == node)], term)
              for node, term in leaders]
    assert [lt for lt in became if lt in wanted] == list(dict.fromkeys(wanted))


@pytest.mark.parametrize("run", FIXTURE_RUNS,
                         ids=[f"{r.parent.name}/{r.name}" for r in FIXTURE_RUNS])
def test_fixture_matches_its_scenario(run: Path) -> None:
    scenario = _scenario(run)
    parsed = read_logs([str(run)])
    assert parsed.ignored == [(str(run / "scenario.json"), parsed.ignored[0][1])]
    steps = scenario["steps"]
    assert isinstance(steps, list)
    leaders = [(s["leader"], s["term"]) for s in steps if "leader" in s]
    _check_against_scenario(parsed, scenario["id_to_name"], leaders)  # type: ignore[arg-type]
    expected_format = "etcd-capnslog" if "capnslog" in run.name else "etcd-zap"
    assert {f.format for f in parsed.files} == {expected_format}


def _victim(run: Path, action: str) -> str:
    steps = _scenario(run)["steps"]
    assert isinstance(steps, list)
    target = next(s["target"] for s in steps if s["step"] == action)
    return f"n{str(target).removeprefix('node')}"


@pytest.mark.parametrize("run", [r for r in FIXTURE_RUNS if r.name.startswith("leader-kill")],
                         ids=lambda r: f"{r.parent.name}/{r.name}")
def test_fixture_restart_shows_persisted_state(run: Path) -> None:
    parsed = read_logs([str(run)])
    victim = _victim(run, "kill-9")
    starts = [e for e in parsed.events if isinstance(e, ev.NodeStarted) and e.node == victim]
    assert len(starts) == 2
    first_leader_term = _leaders(parsed)[0][1]
    assert starts[0].term == 0 and starts[0].last_index == 0
    assert starts[1].term == first_leader_term  # currentTerm survived the crash
    assert starts[1].commit is not None and starts[1].commit > 0
    assert starts[1].last_index is not None and starts[1].last_index >= starts[1].commit


def test_fixture_paused_leader_steps_down_on_a_higher_term() -> None:
    run = FIXTURES / "etcd-3.5" / "leader-pause-zap"
    parsed = read_logs([str(run)])
    old = _victim(run, "SIGSTOP")
    (new_leader, new_term), = [lt for lt in _leaders(parsed) if lt[0] != old]
    seen = [e for e in parsed.events if e.node == old and isinstance(e, ev.TermObserved)]
    assert seen and seen[0].term == new_term and seen[0].from_node == new_leader
    after = parsed.events_of(seen[0].source.path)
    nxt = after[after.index(seen[0]) + 1]
    assert isinstance(nxt, ev.BecameFollower) and nxt.term == new_term


def test_fixture_debug_run_shows_the_dead_peer_unreachable() -> None:
    run = FIXTURES / "etcd-3.5" / "leader-kill-zap-debug"
    parsed = read_logs([str(run)])
    victim = _victim(run, "kill-9")
    unreachable = [e for e in parsed.events
                   if isinstance(e, ev.ReplicationProgress) and e.action == "unreachable"]
    unreachable.sort(key=lambda e: e.time or datetime.min.replace(tzinfo=UTC))
    assert unreachable and unreachable[0].peer == victim  # later: peers stopped at the end
    assert all(e.state in ("StateProbe", "StateReplicate") for e in unreachable)
    assert all(e.match is not None and e.next is not None and e.match < e.next
               for e in unreachable)


# --- the corpus ----------------------------------------------------------------------------


def _corpus_runs() -> list[Path]:
    return sorted(p.parent for p in (CORPUS / "etcd-3.4").glob("*/scenario.json"))


@needs_corpus
@pytest.mark.parametrize("name", ["leader-kill-capnslog", "leader-kill-zap",
                                  "leader-pause-zap-debug", "steady-capnslog", "steady-zap",
                                  "steady-zap-debug"])
def test_corpus_run_matches_scenario(name: str) -> None:
    run = CORPUS / "etcd-3.4" / name
    scenario = json.loads((run / "scenario.json").read_text())
    parsed = read_logs([str(run)])
    leaders = []
    for step in scenario["steps"]:
        if step.get("leader_after") and (step["leader_after"], step["term_after"]) not in leaders:
            leaders.append((step["leader_after"], step["term_after"]))
    _check_against_scenario(parsed, scenario["id_to_name"], leaders)
    assert {n for n, _t in _leaders(parsed)} == {
        f"n{x.removeprefix('node')}" for x in scenario["leaders_seen"]}
    raft_lines = set()
    for f in parsed.files:
        for number, line in enumerate(Path(f.path).read_text().splitlines(), 1):
            if line.startswith("raft2") or '"caller":"raft/' in line:
                raft_lines.add((f.path, number))
    read = {(e.source.path, e.source.line) for e in parsed.events}
    assert raft_lines <= read  # every raft line is understood
    # and of the server's own lines only what is read on purpose: applies, the start-up
    # banner (ServerConfig) and the warnings a timeline ties to elections
    assert {e.kind for e in parsed.events if (e.source.path, e.source.line) not in raft_lines} \
        <= {"Applied", "ServerConfig", "ServerWarning"}


@needs_corpus
def test_corpus_capnslog_lines() -> None:
    run = CORPUS / "etcd-3.4" / "leader-kill-capnslog"
    parsed = read_logs([str(run)])
    node2 = parsed.events_of(str(run / "node2.log"))
    by_line = {e.source.line: e for e in node2}
    higher = by_line[192]
    assert higher == ev.TermObserved(
        node="n2", source=higher.source, time=datetime(2026, 11, 28, 10, 17, 1, tzinfo=UTC),
        term=3, old_term=2, from_node="n3", message_type="MsgHeartbeat")
    restart = by_line[137]
    assert isinstance(restart, ev.NodeStarted)
    assert (restart.term, restart.commit, restart.applied, restart.last_index,
            restart.last_term) == (2, 21, 21, 21, 2)
    assert restart.peers == ("n4", "n2", "n3", "n5", "n1")
    leader = by_line[105]
    assert isinstance(leader, ev.BecameLeader) and (leader.node, leader.term) == ("n2", 2)


@needs_corpus
def test_corpus_zap_lines() -> None:
    kill = CORPUS / "etcd-3.4" / "leader-kill-zap"
    parsed = read_logs([str(kill)])
    by_line = {e.source.line: e for e in parsed.events_of(str(kill / "node3.log"))}
    higher = by_line[178]
    assert isinstance(higher, ev.TermObserved)
    assert (higher.node, higher.old_term, higher.term, higher.from_node) == ("n3", 2, 3, "n5")
    assert higher.time == datetime(2026, 11, 28, 10, 17, 19, 343000, tzinfo=UTC)

    pause = CORPUS / "etcd-3.4" / "leader-pause-zap-debug"
    parsed = read_logs([str(pause)])
    by_line = {e.source.line: e for e in parsed.events_of(str(pause / "node4.log"))}
    unreachable = by_line[259]
    assert isinstance(unreachable, ev.ReplicationProgress)
    assert (unreachable.node, unreachable.peer, unreachable.action, unreachable.state,
            unreachable.match, unreachable.next) == ("n4", "n5", "unreachable", "StateProbe",
                                                     36, 37)


@needs_corpus
def test_corpus_directory_with_only_some_files_names_by_file(tmp_path: Path) -> None:
    run = CORPUS / "etcd-3.4" / "steady-zap"
    scenario = json.loads((run / "scenario.json").read_text())
    parsed = read_logs([str(run / "node3.log"), str(run / "node5.log")])
    own = {f.node for f in parsed.files}
    assert own == {"n3", "n5"}
    by_id = {raw: name for name, info in parsed.nodes.items() for raw in info.ids}
    for raw, name in scenario["id_to_name"].items():
        if name in ("node3", "node5"):
            assert by_id[raw] == f"n{name[-1]}"
    others = sorted(v for k, v in by_id.items() if scenario["id_to_name"][k] not in
                    ("node3", "node5"))
    assert others == ["n1", "n2", "n4"]  # the free numbers, in order of first appearance
