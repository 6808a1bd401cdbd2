"""One file holding every node's log, as an SRE often gets them: ``docker compose logs`` of
all services, ``kubectl logs --prefix -l app=etcd``, a syslog server's file of several hosts.
Real recorded runs, their node logs interleaved in an arbitrary order (each node's lines kept
in order, as these tools keep them), read as the runs themselves; violations found at the
combined file's line, for their rule; rotated combined files; and what must stay as it was:
a host's journal with systemd's lines beside etcd's is one node's log."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from raftcheck.grammar import split
from raftcheck.validate.engine import check_run
from raftcheck.validate.runs import find_runs
from tests.forge import edit_line
from tests.test_grammar_wrappers import FLAPPING, RUNS, WRAPS

NAMING = ("docker compose", "kubectl --prefix", "journald", "journald-iso")
"""The wrappers whose prefix names each line's source."""


def _source(wrapper: str, node: str) -> str:
    """The source that WRAPS[wrapper] names for ``node``'s lines."""
    return {"docker compose": f"etcd-{node}-1", "kubectl --prefix": f"pod/etcd-{node}/etcd",
            "journald": f"host-{node} etcd", "journald-iso": f"host-{node} etcd"}[wrapper]


def combine(run: Path, path: Path, wrapper: str, seed: int = 1) -> dict[tuple[str, int], int]:
    """Every node log of ``run``, wrapped, interleaved in batches of 1 to 8 lines from a node
    chosen at random, into the file ``path``; where each (node log, line) landed."""
    logs = {p.stem: p.read_text().splitlines() for p in sorted(run.glob("*.log"))}
    rng = random.Random(seed)
    taken = dict.fromkeys(logs, 0)
    out: list[str] = []
    where: dict[tuple[str, int], int] = {}
    while left := [n for n in logs if taken[n] < len(logs[n])]:
        node = rng.choice(left)
        for line in logs[node][taken[node]:taken[node] + rng.randint(1, 8)]:
            taken[node] += 1
            where[node, taken[node]] = len(out) + 1
            out += WRAPS[wrapper](line, node)
    path.write_text("\n".join(out) + "\n")
    return where


def _facts(paths: list[Path]) -> tuple:
    verdict = check_run(find_runs(paths)[0])
    return verdict.status, verdict.events, verdict.checked, verdict.rule


@pytest.mark.parametrize("wrapper", NAMING)
@pytest.mark.parametrize("kind", sorted(RUNS))
def test_a_run_in_one_file_reads_as_the_run(tmp_path: Path, kind: str, wrapper: str) -> None:
    run = RUNS[kind]
    path = tmp_path / "all.log"
    combine(run, path, wrapper)
    assert _facts([path]) == _facts([run])
    assert _facts([run])[0] == "conforms" and _facts([run])[1] > 20
    [found] = find_runs([path])
    nodes = sorted(p.stem for p in run.glob("*.log"))
    assert found.name == str(path)
    assert [p for p, _fmt in found.files] == \
        [f"{path}[{_source(wrapper, node)}]" for node in nodes]
    verdict = check_run(found)
    assert sum(f.lines for f in verdict.files) == len(path.read_text().splitlines())


@pytest.mark.parametrize("wrapper", NAMING)
def test_a_violation_in_a_run_in_one_file_is_found_at_its_line(tmp_path: Path,
                                                               wrapper: str) -> None:
    """node1's campaign for term 12 (its line 192) logged as term 10: TermMonotonic at the
    line of the combined file where it landed, in node1's part."""
    path = tmp_path / "all.log"
    where = combine(FLAPPING, path, wrapper, seed=7)
    at = where["node1", 192]
    edit_line(path, at, lambda s: s.replace("at term 12", "at term 10"))
    verdict = check_run(find_runs([path])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "TermMonotonic", f"{path}[{_source(wrapper, 'node1')}]:{at}")
    done = subprocess.run([sys.executable, "-m", "raftcheck", "validate", str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and f"{path}[{_source(wrapper, 'node1')}]:{at}" in done.stdout


def test_rotated_files_of_a_run_in_one_file_join_by_source(tmp_path: Path) -> None:
    """A syslog server's file rotated (all.log.1, then all.log), each part holding every
    host's lines: each host's lines are one log read oldest part first; a violation in the
    newer part is found there."""
    whole = tmp_path / "whole.log"
    where = combine(FLAPPING, whole, "journald", seed=5)
    lines = whole.read_text().splitlines(keepends=True)
    folder = tmp_path / "syslog"
    folder.mkdir()
    (folder / "all.log.1").write_text("".join(lines[:250]))
    (folder / "all.log").write_text("".join(lines[250:]))
    assert _facts([folder]) == _facts([FLAPPING])
    [found] = find_runs([folder])
    assert len(found.files) == 6  # three hosts, two files each
    at = where["node1", 192]
    assert at > 250
    edit_line(folder / "all.log", at - 250, lambda s: s.replace("at term 12", "at term 10"))
    verdict = check_run(find_runs([folder])[0])
    assert (verdict.status, verdict.rule, verdict.location) == \
        ("violates", "TermMonotonic", f"{folder / 'all.log'}[host-node1 etcd]:{at - 250}")


def test_a_hosts_journal_with_systemds_lines_is_one_log(tmp_path: Path) -> None:
    """``journalctl -u etcd`` names two programs: etcd and systemd (starting and stopping
    it). Only one logs Raft: the file is that node's log as it always was (not split)."""
    log = (FLAPPING / "node1.log").read_text().splitlines()
    out = ["Dec  6 12:00:00 host-a systemd[1]: Starting etcd.service - etcd key-value store..."]
    out += [f"Dec  6 12:00:01 host-a etcd[812]: {line}" for line in log]
    out.append("Dec  6 12:00:30 host-a systemd[1]: Stopping etcd.service...")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "node1.log").write_text("\n".join(out) + "\n")
    for other in ("node2.log", "node3.log"):
        (folder / other).write_text((FLAPPING / other).read_text())
    [found] = find_runs([folder])
    assert [Path(p).name for p, _fmt in found.files] == ["node1.log", "node2.log", "node3.log"]
    assert _facts([folder]) == _facts([FLAPPING])


def test_a_part_is_named_like_a_file() -> None:
    part = split.Part("/logs/all.log", "pod/etcd-0/etcd", "etcd-0")
    split._PARTS["/logs/all.log[pod/etcd-0/etcd]"] = part
    assert split.part_of("/logs/all.log[pod/etcd-0/etcd]") == part
    assert split.base_name("/logs/all.log[pod/etcd-0/etcd]") == "all.log[pod/etcd-0/etcd]"
    assert split.stem("/logs/all.log[pod/etcd-0/etcd]") == "etcd-0"
    assert split.stem("/logs/node2.log.3.gz") == "node2"
    assert split.part_of("/logs/node[1]") is None
