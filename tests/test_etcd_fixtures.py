"""Every committed real-etcd run (tests/data/etcd/*, tests/data/etcd35/*) agrees with the
scenario.json recorded with it: the members' own logs show what the harness saw and did.

The logs were printed by real etcd processes and the scenario.json by the harness, from
``etcdctl`` answers and ``/debug/vars``; neither is derived from the other, so each check below
can fail (a run mixed up with another, a status misattributed to a member, a restart not
counted, a history whose client ran two requests at once).
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from raftcheck.harness.etcd_fixtures import FIXTURES

DATA = Path(__file__).parent / "data"
RUNS = sorted([*DATA.glob("etcd/*/scenario.json"), *DATA.glob("etcd35/*/scenario.json")])
SKEW = timedelta(seconds=5)

_ZAP_TS = re.compile(r'"ts":"([^"]+)"')
_CAPNSLOG_TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) [A-Z] \| ")
_RAFT_TS = re.compile(r"^raft(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) [A-Z]+: ")
#: the role in raft.status and the words etcd-raft logs when a member takes it
ROLE_WORDS = {"StateFollower": "follower", "StateCandidate": "candidate",
              "StatePreCandidate": "pre-candidate", "StateLeader": "leader"}


def _run_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


def _line_time(line: str) -> datetime | None:
    if m := _ZAP_TS.search(line):
        return datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
    if m := _CAPNSLOG_TS.match(line):
        return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    if m := _RAFT_TS.match(line):
        return datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S").replace(tzinfo=UTC)
    return None


def _ids(doc: dict) -> dict[str, set[str]]:
    """Every member ID each member had (a snapshot restore gives each member a new one)."""
    ids: dict[str, set[str]] = {}
    for hex_id, name in doc["id_to_name"].items():
        ids.setdefault(name, set()).add(hex_id)
    return ids


def _starts(log: str) -> int:
    """How many times an etcd process started writing this log (in either format: a rolling
    upgrade's log goes on from 3.4's text to 3.5's JSON)."""
    return log.count("I | etcdmain: etcd Version: ") + \
        log.count('"msg":"starting an etcd server"')


@pytest.fixture(params=RUNS, ids=_run_id)
def run(request: pytest.FixtureRequest) -> tuple[Path, dict, dict[str, str]]:
    path: Path = request.param
    doc = json.loads(path.read_text())
    logs = {name: (path.parent / m["log"]).read_text() for name, m in doc["members"].items()}
    return path.parent, doc, logs


def test_the_runs_are_the_recipes_and_the_readme_lists_them() -> None:
    folders = {p.parent.name for p in RUNS if p.parent.parent.name == "etcd"}
    assert folders == set(FIXTURES)
    listed = set(re.findall(r"^\| ([\w.-]+) \|", (DATA / "etcd" / "README.md").read_text(),
                            re.MULTILINE)) - {"folder", "---"}
    assert listed == folders
    for name, fixture in FIXTURES.items():
        doc = json.loads((DATA / "etcd" / name / "scenario.json").read_text())
        assert doc["scenario"] == fixture.scenario
        assert doc["etcd_version"].endswith(fixture.options.version + "." +
                                            doc["etcd_version"].rsplit(".", 1)[1])
        assert (doc["format"], doc["pre_vote"]) == (fixture.options.logger,
                                                    fixture.options.pre_vote)
        assert doc["log_level"] == ("debug" if fixture.options.debug else "info")


def test_members_logs_and_ids(run: tuple[Path, dict, dict[str, str]]) -> None:
    folder, doc, logs = run
    # a restore gives every member a new ID, a replacement (remove, wipe, add) the one
    renewed = sum(len(s["target"]) for s in doc["steps"] if s["action"] == "snapshot-restore") \
        + sum(s["action"] == "wipe-data" for s in doc["steps"])
    assert len(doc["id_to_name"]) == len(doc["members"]) + renewed
    assert set(doc["id_to_name"].values()) == set(doc["members"])
    assert {p.name for p in folder.glob("*.log")} == {m["log"] for m in doc["members"].values()}
    for name, member in doc["members"].items():
        assert doc["id_to_name"][member["id_hex"]] == name
    for hex_id, name in doc["id_to_name"].items():
        assert hex_id in logs[name]  # each log is that member's


def test_every_line_falls_within_the_run(run: tuple[Path, dict, dict[str, str]]) -> None:
    _, doc, logs = run
    start = datetime.fromisoformat(doc["t_start"]) - SKEW
    end = datetime.fromisoformat(doc["t_end"]) + SKEW
    for name, log in logs.items():
        times = [t for t in map(_line_time, log.splitlines()) if t is not None]
        assert times, name
        assert start <= min(times) and max(times) <= end, name


def test_each_process_start_is_in_the_log(run: tuple[Path, dict, dict[str, str]]) -> None:
    _, doc, logs = run
    for name, member in doc["members"].items():
        assert _starts(logs[name]) == len(member["pids"]), name


def test_leaders_the_harness_saw_are_the_leaders_etcd_logged(
        run: tuple[Path, dict, dict[str, str]]) -> None:
    _, doc, logs = run
    ids = _ids(doc)
    seen = 0
    for step in doc["steps"]:
        if step["action"] == "leader-elected":
            leader, term = step["leader_after"], step["term_after"]
            assert any(f"{i} became leader at term {term}" in logs[leader] for i in ids[leader])
            seen += 1
    assert seen >= 1


def test_sampled_raft_states_are_logged(run: tuple[Path, dict, dict[str, str]]) -> None:
    """Each member's own state in each sample (role, term) is one its log shows it taking."""
    _, doc, logs = run
    samples = [s for s in doc["status_samples"] if "raft" in s]
    if not samples:
        pytest.skip("recorded before raft.status sampling")
    ids = _ids(doc)
    checked = 0
    for sample in samples:
        for name, raft in sample["raft"].items():
            if "state" not in raft:
                continue
            assert raft["member_id"] in ids[name]
            words = f"{raft['member_id']} became {ROLE_WORDS[raft['state']]} at term {raft['term']}"
            assert words in logs[name], (sample["t"], name)
            checked += 1
    assert checked >= len(samples)


def test_each_client_runs_one_request_at_a_time(run: tuple[Path, dict, dict[str, str]]) -> None:
    _, doc, _ = run
    requests = doc["writes"] + doc["reads"]
    if not requests or "epoch_start" not in requests[0]:
        pytest.skip("recorded before client histories")
    by_client: dict[str, list[dict]] = {}
    for r in requests:
        by_client.setdefault(r["client"], []).append(r)
        assert r["outcome"] in ("ok", "fail", "unknown")
        assert (r["outcome"] == "ok") == r["ok"]
        assert r["epoch_start"] <= r["epoch_end"]
    for client, ops in by_client.items():
        ops.sort(key=lambda r: r["epoch_start"])
        for before, after in itertools.pairwise(ops):
            assert before["epoch_end"] <= after["epoch_start"], client


def test_faults_left_their_marks(run: tuple[Path, dict, dict[str, str]]) -> None:
    """What each scenario injected shows in etcd's own words."""
    _, doc, logs = run
    facts = doc.get("facts", {})
    ids = {n: m["id_hex"] for n, m in doc["members"].items()}
    actions = {s["action"] for s in doc["steps"]}
    if actions & {"links", "partition"} and "dropped_packets" in facts:
        assert facts["dropped_packets"] > 0
    if "victim" in facts and doc["scenario"] == "snapshot-catchup":
        assert "received and saved database snapshot" in logs[facts["victim"]]
    for step in doc["steps"]:
        if step["action"] == "member-add":
            assert step["member_id"] == ids[step["target"]]
            assert doc["members"][step["target"]]["bootstrap"] is False
        if step["action"] == "member-remove":
            assert "the member has been permanently removed from the cluster" in \
                logs[step["target"]]
        if step["action"] == "member-promote":
            assert any('"msg":"promote member"' in log  # zap
                       or "etcdserver/membership: promote member " in log  # capnslog
                       for log in logs.values())
    if doc["scenario"] == "flapping":
        assert facts["term_after"] > facts["term_before"]
    if doc["scenario"] == "force-new-cluster":
        forced = logs[facts["forced"]]
        assert ("forcing restart of member " in forced  # capnslog
                or '"msg":"forcing restart member"' in forced)  # zap
        assert [m["name"] for m in facts["members"]] == [facts["forced"]]
        assert facts["acknowledged_writes_lost"] > 0
    if doc["scenario"] == "snapshot-restore":
        assert facts["old_cluster_id"] != facts["new_cluster_id"]
        for log in logs.values():  # each member was in both clusters
            assert facts["old_cluster_id"] in log and facts["new_cluster_id"] in log
