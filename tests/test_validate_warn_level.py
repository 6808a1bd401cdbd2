"""Logs kept at --log-level warn (a production setting): etcd logs elections, votes and
appends at info, so such logs show no Raft state at all. That is too little to check, and the
verdict says why (inconclusive, exit 4), instead of refusing the logs as "different clusters"
(their warnings name a few peers at most) or calling unattributed warnings unparsed raft
lines. The logs are real runs (tests/data/etcd) with their lines below warn level removed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from raftcheck.cli import main
from raftcheck.validate.engine import check_run
from raftcheck.validate.report import CONFORMS, INCONCLUSIVE, VIOLATES
from raftcheck.validate.runs import find_runs
from tests.forge import copy_run

DATA = Path(__file__).parent / "data" / "etcd"
ZAP = DATA / "3.5-flapping-no-pre-vote"
CAPNSLOG = DATA / "3.4-flapping-capnslog"
_WARN = {
    ZAP: re.compile(r'"level":"(?:warn|error)"'),
    CAPNSLOG: re.compile(r"^\d{4}-\d\d-\d\d \S+ [WEC] \||^raft\S+ \S+ (?:WARN|ERROR)"),
}


def warn_level(run: Path, tmp_path: Path, keep_info_of: str | None = None) -> Path:
    """A copy of the run as if every node logged at warn level (``keep_info_of``: that node
    at info)."""
    logs = copy_run(run, tmp_path)
    for path in sorted(logs.glob("node*.log")):
        if path.name == keep_info_of:
            continue
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(s for s in lines if _WARN[run].search(s)))
    return logs


@pytest.mark.parametrize("run", [ZAP, CAPNSLOG], ids=["zap", "capnslog"])
def test_logs_at_warn_level_are_too_little_to_check_and_the_verdict_says_why(
        tmp_path: Path, run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = warn_level(run, tmp_path)
    assert all(path.stat().st_size > 0 for path in logs.glob("node*.log"))
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == INCONCLUSIVE, verdict.reason
    assert "no line shows Raft's state" in verdict.reason
    assert "--log-level warn" in verdict.reason
    assert verdict.problems == []  # warnings whose node is not known yet are no raft lines
    assert main(["validate", str(logs)]) == 4
    assert "too little observed" in capsys.readouterr().out


def test_one_node_at_info_among_nodes_at_warn_is_checked(tmp_path: Path) -> None:
    """node1 at info shows elections: that run is checked (it conforms), not refused."""
    logs = warn_level(ZAP, tmp_path, keep_info_of="node1.log")
    verdict = check_run(find_runs([logs])[0])
    assert verdict.status == CONFORMS, verdict.reason


def test_logs_of_another_cluster_at_info_are_still_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two clusters' info-level logs given as one run: their nodes never mention one another,
    and that still refuses them (the warn-level case above must not open that door)."""
    logs = tmp_path / "two"
    logs.mkdir()
    shutil.copy(ZAP / "node1.log", logs / "node1.log")
    shutil.copy(ZAP / "node2.log", logs / "node2.log")
    other = DATA / "3.5-kill"
    for name in ("node1.log", "node2.log"):
        text = (other / name).read_text()
        # (another cluster id would refuse them anyway: drop it, so only the mentions tell)
        (logs / f"other-{name}").write_text(re.sub(r'"cluster-id":"[0-9a-f]+",?', "", text))
    assert main(["validate", str(logs)]) == 2
    assert "never mention one another" in capsys.readouterr().err


def test_a_violation_in_the_one_node_at_info_is_still_found(tmp_path: Path) -> None:
    logs = warn_level(ZAP, tmp_path, keep_info_of="node1.log")
    path = logs / "node1.log"
    lines = path.read_text().splitlines(keepends=True)
    at = next(k for k, s in enumerate(lines, 1)
              if re.search(r"became (?:follower|candidate) at term [3-9]", s))
    lines[at - 1] = re.sub(r"at term \d+", "at term 1", lines[at - 1])
    path.write_text("".join(lines))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{path}:{at}")
