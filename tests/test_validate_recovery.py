"""Operations SREs run, recorded by the etcd harness: a member forced to a new one-member
cluster (``--force-new-cluster``), a cluster restored from a snapshot with a new token into the
same log files, a rolling upgrade from etcd 3.4 (text logs) to 3.5 (JSON) whose logs hold
both formats, and a member replaced under its name (two member IDs in one log)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from raftcheck.validate.engine import check_run
from raftcheck.validate.report import CONFORMS, INCONCLUSIVE, VIOLATES
from raftcheck.validate.runs import find_runs
from tests.forge import copy_run, drop_lines, edit_line

ETCD = Path(__file__).parent / "data" / "etcd"
FORCED = [ETCD / "3.5-force-new-cluster", ETCD / "3.4-force-new-cluster-capnslog"]
RESTORED = [ETCD / "3.5-snapshot-restore", ETCD / "3.4-snapshot-restore-capnslog"]
_FORCING = re.compile(r"forcing restart (of )?member")


def forcing_line(run: Path) -> tuple[Path, int]:
    """The one line where a member says it was forced to a new cluster."""
    found = [(log, k) for log in sorted(run.glob("node*.log"))
             for k, line in enumerate(log.read_text().splitlines(), 1) if _FORCING.search(line)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("run", FORCED, ids=lambda p: p.name)
def test_a_forced_new_cluster_is_inconclusive_naming_the_line(run: Path) -> None:
    log, number = forcing_line(run)
    assert log.name == f"{json.loads((run / 'scenario.json').read_text())['facts']['forced']}.log"
    verdict = check_run(find_runs([run])[0])
    assert verdict.status == INCONCLUSIVE
    assert verdict.features == {"force-new-cluster": f"{log}:{number}"}


@pytest.mark.parametrize("run", FORCED, ids=lambda p: p.name)
def test_without_the_forcing_line_the_lost_writes_would_pass(run: Path, tmp_path: Path) -> None:
    """What the feature stands for: at info level no line shows the writes the forced member
    lacked (scenario.json counts them), so without the forcing line the run conforms."""
    facts = json.loads((run / "scenario.json").read_text())["facts"]
    assert facts["acknowledged_writes_lost"] > 0
    copied = copy_run(run, tmp_path)
    log, number = forcing_line(copied)
    drop_lines(log, number)
    assert check_run(find_runs([copied])[0]).status == CONFORMS


@pytest.mark.parametrize("run", RESTORED, ids=lambda p: p.name)
def test_a_restored_cluster_is_a_run_of_its_own(run: Path) -> None:
    facts = json.loads((run / "scenario.json").read_text())["facts"]
    old, new = facts["old_cluster_id"], facts["new_cluster_id"]
    assert old != new
    parts = find_runs([run])
    assert [p.name for p in parts] == [f"{run} (cluster {old})", f"{run} (cluster {new})"]
    for part in parts:
        verdict = check_run(part)
        assert verdict.status == CONFORMS, verdict.reason
        assert len(verdict.nodes) == 3


UPGRADED = ETCD / "3.4-to-3.5-rolling-upgrade-capnslog"


def test_a_rolling_upgrade_reads_both_formats_of_each_log_and_conforms() -> None:
    verdict = check_run(find_runs([UPGRADED])[0])
    assert verdict.status == CONFORMS, verdict.reason
    assert not verdict.problems and verdict.checked == verdict.events
    for log in sorted(UPGRADED.glob("node*.log")):
        lines = log.read_text().splitlines()
        text = sum(line.startswith("raft20") for line in lines)
        records = sum('"logger":"raft"' in line for line in lines)
        assert text and records  # raft lines of both formats in every log
    assert verdict.events >= sum(f.events for f in verdict.files) > 0


def test_a_term_going_back_in_the_json_part_is_found_at_its_line(tmp_path: Path) -> None:
    logs = copy_run(UPGRADED, tmp_path)
    path = logs / "node3.log"  # (a follower after its upgrade: no other line waits for it)
    lines = path.read_text().splitlines()
    number = next(k for k, line in enumerate(lines, 1)
                  if line.startswith('{"level"') and "became follower at term 3" in line)
    edit_line(path, number, lambda line: line.replace("at term 3", "at term 1"))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{path}:{number}")


REPLACED = ETCD / "3.5-member-replace"


def test_a_replaced_member_is_two_members_of_one_log_both_checked() -> None:
    facts = json.loads((REPLACED / "scenario.json").read_text())["facts"]
    verdict = check_run(find_runs([REPLACED])[0])
    assert verdict.status == CONFORMS, verdict.reason
    ids = {raw: name for name, raws in verdict.nodes.items() for raw in raws}
    old, new = ids[facts["old_member_id"]], ids[facts["new_member_id"]]
    assert old != new and len(verdict.nodes) == 4
    # the new member's lines are its log: no step of it is assumed unlogged
    assert not [n for n in verdict.notes if n.startswith("no log of")]


def test_a_term_going_back_in_the_new_members_lines_is_found_at_its_line(
        tmp_path: Path) -> None:
    """The new member, at term 2, says it knows the leader of term 1."""
    facts = json.loads((REPLACED / "scenario.json").read_text())["facts"]
    logs = copy_run(REPLACED, tmp_path)
    path = logs / f"{facts['replaced']}.log"
    lines = path.read_text().splitlines()
    at_term_2 = next(k for k, line in enumerate(lines, 1)
                     if f"{facts['new_member_id']} became follower at term 2" in line)
    number = next(k for k, line in enumerate(lines, 1) if k > at_term_2
                  and f"{facts['new_member_id']} elected leader" in line)
    edit_line(path, number, lambda line: line.replace("at term 2", "at term 1"))
    verdict = check_run(find_runs([logs])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        (VIOLATES, "TermMonotonic", f"{path}:{number}")
