"""Histories of real etcd clusters: what the harness records (scenario.json) is a history;
`raftcheck history` reads it directly or as JSON lines, finds it linearizable, and catches a
broken copy (a read returning an overwritten value after a newer read) at the right read.

The fixture recordings (tests/data/etcd35) and the shared 3.4 corpus run everywhere; the live
cluster test is marked ``etcd`` (skipped with the reason when etcd is not installed).
"""

from __future__ import annotations

import copy
import json
import os
import random
import threading
from pathlib import Path

import pytest

from raftcheck import cli
from raftcheck.harness import EtcdCluster, EtcdNotInstalled, find_etcd_binaries
from raftcheck.history import check_history, read_history, scenario_history
from raftcheck.history.operations import INFO, OK, READ, WRITE
from raftcheck.validate import validate_paths

DATA = Path(__file__).parent / "data" / "etcd35"
HISTORIES = Path(__file__).parent / "data" / "history"
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _scenarios() -> list[Path]:
    return sorted(DATA.glob("*/scenario.json"))


@pytest.mark.parametrize("path", _scenarios(), ids=lambda p: p.parent.name)
def test_recorded_fixture_runs_are_linearizable(path: Path) -> None:
    doc = json.loads(path.read_text())
    h = scenario_history(doc, str(path))
    writes = [w for w in doc["writes"]]
    assert len(h.operations) == len(writes) + sum(
        1 for r in doc["reads"] if "key" in r and r.get("ok")
        and r.get("consistency", "linearizable") == "linearizable")
    # A failed put is indeterminate (etcdctl cannot say whether it was applied).
    assert sum(op.status == INFO for op in h.operations) == sum(not w["ok"] for w in writes)
    assert check_history(h).exit_code == 0


@pytest.mark.skipif(not (CORPUS / "etcd-3.4").is_dir(),
                    reason=f"the shared corpus is not at {CORPUS} (tests read it there)")
def test_corpus_runs_are_linearizable_and_prefix_reads_are_noted() -> None:
    paths = sorted((CORPUS / "etcd-3.4").glob("*/scenario.json"))
    assert paths
    for path in paths:
        h = read_history(str(path))
        assert h.format == "raftcheck-scenario"
        assert check_history(h).exit_code == 0, path
        assert any("prefix read" in n for n in h.notes), (path, h.notes)


def test_recorded_live_history_is_linearizable() -> None:
    h = read_history(str(HISTORIES / "etcd-live.jsonl"))
    verdict = check_history(h)
    assert verdict.exit_code == 0
    assert len(h.operations) == 124 and len(verdict.keys) == 3
    assert sum(op.status == INFO for op in h.operations) == 2  # the puts during the kill


def test_stale_read_report_transcript(capsys: pytest.CaptureFixture[str]) -> None:
    """The whole report for the stale read, as tests/data/history/etcd-stale-read.txt has it
    (RAFTCHECK_UPDATE_TRANSCRIPTS=1 rewrites the file)."""
    path = HISTORIES / "etcd-stale-read.jsonl"
    assert cli.main(["history", str(path)]) == 1
    out = capsys.readouterr().out.replace(str(path), path.name)
    report = "".join(line + "\n" for line in out.splitlines()
                     if not line.startswith("checked in "))
    expected = HISTORIES / "etcd-stale-read.txt"
    if os.environ.get("RAFTCHECK_UPDATE_TRANSCRIPTS"):
        expected.write_text(report)
    assert report == expected.read_text()


def _need_etcd() -> None:
    try:
        find_etcd_binaries()
    except EtcdNotInstalled as exc:
        pytest.skip(str(exc))


def _clients(cluster: EtcdCluster, keys: list[str], stop: threading.Event,
             seed: int) -> threading.Thread:
    rng = random.Random(seed)

    def run() -> None:
        n = 0
        while not stop.is_set() and n < 40:
            key = rng.choice(keys)
            if rng.random() < 0.5:
                cluster.put(key, f"c{seed}-{n}", timeout=1.5)
            else:
                cluster.get(key, timeout=1.5)
            n += 1

    return threading.Thread(target=run, daemon=True)


@pytest.mark.etcd
def test_live_cluster_history_is_linearizable_and_a_broken_copy_is_caught(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _need_etcd()
    logs = tmp_path / "logs"
    keys = ["/h/a", "/h/b"]
    with EtcdCluster(logs, 3, scenario="history-ci", client_timeout=1.5) as cluster:
        leader, term = cluster.wait_for_leader(10)
        stop = threading.Event()
        threads = [_clients(cluster, keys, stop, seed) for seed in range(3)]
        for t in threads:
            t.start()
        cluster.kill(leader)  # some operations time out or fail around the election
        cluster.wait_for_leader(10, min_term=term + 1)
        for t in threads:
            t.join(60)
        stop.set()
        cluster.restart(leader)
        cluster.wait_for_convergence(15)
        # The pattern the broken copy breaks: old, new, a read of new, a later read of new.
        assert cluster.put("/h/z", "old").ok
        assert cluster.put("/h/z", "new").ok
        assert cluster.get("/h/z").value == "new"
        assert cluster.get("/h/z").value == "new"
    scenario = logs / "scenario.json"

    # The logs and the client history of the same run: both hold.
    verdict = validate_paths([logs])
    assert verdict.status == "conforms", "\n".join(verdict.lines())
    assert cli.main(["history", str(scenario)]) == 0
    out = capsys.readouterr().out
    assert "LINEARIZABLE: every key's history has a linearization" in out

    h = read_history(str(scenario))
    assert {op.f for op in h.operations} == {READ, WRITE}
    assert len({op.process for op in h.operations}) >= 2  # the clients overlapped

    # As JSON lines (the format harnesses record), the same verdict.
    jsonl = tmp_path / "history.jsonl"
    assert cli.main(["history", str(scenario), "--export", str(jsonl)]) == 0
    capsys.readouterr()
    again = read_history(str(jsonl))
    assert again.format == "raftcheck-jsonl"
    assert len(again.operations) == len(h.operations)
    assert cli.main(["history", str(jsonl)]) == 0
    capsys.readouterr()

    # The broken copy: the last read of /h/z returns the overwritten value.
    doc = json.loads(scenario.read_text())
    broken = copy.deepcopy(doc)
    z_reads = [i for i, r in enumerate(broken["reads"]) if r["key"] == "/h/z"]
    newer, last = z_reads[-2], z_reads[-1]
    broken["reads"][last]["value"] = "old"
    broken_path = tmp_path / "broken.json"
    broken_path.write_text(json.dumps(broken))
    assert cli.main(["history", str(broken_path), "--json",
                     "--svg", str(tmp_path / "broken.svg")]) == 1
    report = json.loads(capsys.readouterr().out)
    (failing,) = [k for k in report["files"][0]["keys"] if k["verdict"] == "not linearizable"]
    assert failing["key"] == "/h/z"
    window = failing["window"]
    assert window["failing"]["source"] == f"reads[{last}]"
    assert window["failing"]["value"] == "old"
    sources = {op["source"] for op in window["operations"]}
    assert f"reads[{newer}]" in sources  # the newer read it contradicts
    assert all(op["status"] == OK for op in window["operations"])
    svg = (tmp_path / "broken.svg").read_text()
    assert svg.count('class="op ok window failing"') == 1
