"""Runs are units: each directory of node logs (searched recursively), each transcript and each
trace is validated on its own, with one verdict each, one JUnit test case each, and the exit
code of the worst; logs that cannot be one cluster given as one run are refused (exit 2)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from raftcheck.cli import main
from raftcheck.traces.logfiles import LogError
from raftcheck.validate import validate_paths, validate_runs
from raftcheck.validate.runs import find_runs

DATA = Path(__file__).parent / "data"
KILL = DATA / "etcd35" / "leader-kill"
PARTITION = DATA / "etcd35" / "leader-minority-partition"
STALE = DATA / "etcd35" / "stale-pre-vote"


def runs_folder(tmp_path: Path) -> Path:
    """runs/a/leader-kill, runs/a/partition, runs/b/stale-pre-vote: three runs, two levels."""
    top = tmp_path / "runs"
    shutil.copytree(KILL, top / "a" / "leader-kill")
    shutil.copytree(PARTITION, top / "a" / "partition")
    shutil.copytree(STALE, top / "b" / "stale-pre-vote")
    (top / "notes.txt").write_text("operator notes, not a log\n")
    return top


def test_a_folder_of_runs_gives_one_verdict_per_run(tmp_path: Path) -> None:
    top = runs_folder(tmp_path)
    report = validate_runs([top])
    assert [Path(v.run).relative_to(top).as_posix() for v in report.verdicts] == [
        "a/leader-kill", "a/partition", "b/stale-pre-vote"]
    assert [v.status for v in report.verdicts] == ["conforms"] * 3
    assert all(len(v.files) == 3 for v in report.verdicts)


def test_the_exit_code_is_the_worst_run_s(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    top = runs_folder(tmp_path)
    node2 = top / "a" / "leader-kill" / "node2.log"
    fake = (KILL / "node3.log").read_text().splitlines()[87] \
        .replace("203c03cce64da127", "12e8e7f0e265b56c").replace("46.068Z", "48.164Z")
    node2.write_text(node2.read_text() + fake + "\n")  # a second leader of term 3
    assert main(["validate", str(top)]) == 1
    out = capsys.readouterr().out
    assert "3 runs: conforms 2, violates 1; exit 1 (violates, the worst)" in out
    assert f"run {top / 'a' / 'leader-kill'}\n  VIOLATES: ElectionSafety" in out


def test_json_and_junit_have_every_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    top = runs_folder(tmp_path)
    junit = tmp_path / "report.xml"
    assert main(["validate", "--json", "--junit", str(junit), str(top)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"] == {"conforms": 3} and len(report["runs"]) == 3
    text = junit.read_text()
    assert text.endswith("\n")
    suite = ET.fromstring(text)
    assert suite.get("tests") == "3" and suite.get("failures") == "0"
    assert [c.get("name") for c in suite.iter("testcase")] == [r["run"] for r in report["runs"]]
    assert next(iter(suite)).tag == "properties"  # before the test cases, as the schema orders


def test_each_transcript_is_its_own_run(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    body = "log-level info\n----\nok\n\nadd-nodes 1 voters=(1) index=2\n----\n" \
           "INFO 1 switched to configuration voters=(1)\nINFO 1 became follower at term 0\n"
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(body)
    runs = find_runs([folder])
    assert [Path(r.name).name for r in runs] == ["a.txt", "b.txt"]


def test_two_runs_given_as_one_are_refused(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(KILL / "node1.log"), str(KILL / "node2.log"), str(PARTITION / "node1.log")]
    assert main(["validate", *files]) == 2
    err = capsys.readouterr().err
    assert err.startswith("raftcheck: error: these logs cannot be one cluster: ")
    assert err.count("\n") == 1 and str(PARTITION / "node1.log") in err


def test_logs_of_different_clusters_are_refused(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for k, source in enumerate((KILL, PARTITION, STALE), start=1):
        shutil.copy(source / f"node{k}.log", mixed / f"node{k}.log")
    with pytest.raises(LogError, match="cannot be one cluster: different cluster ids"):
        validate_paths([mixed])


def test_logs_of_different_implementations_are_refused(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(KILL / "node1.log", mixed / "node1.log")
    (mixed / "node2.log").write_text(
        "2026-11-28T10:00:31.636Z [INFO]  raft: entering follower state: "
        'follower="Node at 127.0.0.1:8301 [Follower]" leader-address= leader-id=\n')
    with pytest.raises(LogError, match=r"different implementations: etcd .* hashicorp/raft"):
        validate_paths([mixed])


def test_a_rotated_log_of_one_node_is_accepted(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(KILL, run)
    lines = (run / "node1.log").read_text().splitlines(keepends=True)
    (run / "node1.log").write_text("".join(lines[:100]))
    (run / "node1-rotated.log").write_text("".join(lines[100:]))  # later in time
    verdict = validate_paths([run])
    assert verdict.status == "conforms", verdict.lines()


def test_a_copy_of_a_node_log_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(KILL, run)
    shutil.copy(run / "node1.log", run / "node1-copy.log")
    with pytest.raises(LogError, match="two logs of node n1 overlap in time"):
        validate_paths([run])


def test_a_folder_holding_only_folders_of_runs_is_searched(tmp_path: Path) -> None:
    top = tmp_path / "top"
    shutil.copytree(KILL, top / "only" / "run")
    assert [v.status for v in validate_runs([top]).verdicts] == ["conforms"]


def test_nothing_anywhere_is_bad_input(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    (tmp_path / "empty" / "deeper" / "scenario.json").write_text("{}")
    assert main(["validate", str(tmp_path / "empty")]) == 2
    assert "no Raft log files in this directory or below it" in capsys.readouterr().err
