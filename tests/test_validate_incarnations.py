"""Logs that pass from one cluster to another: a cluster restored from a snapshot with a new
token, or created again on wiped data, whose members log to the files the old ones did (as
journald does). Each cluster is a run of its own; read as one history they break every rule.

The files here are two real runs of the etcd harness appended node by node, the older first:
the second run's cluster has another token, so another cluster id and other member ids — what a
restore with a new token gives (the real restore, recorded by the harness's snapshot-restore
scenario, is tested where its fixture is kept)."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftcheck.traces.incarnations import _ids_in_bytes, _ids_in_lines, _line_at, cluster_segments
from raftcheck.validate.engine import check_run, validate_run
from raftcheck.validate.report import CONFORMS, REFUSED, VIOLATES
from raftcheck.validate.runs import Run, find_runs
from tests.forge import edit_line

ETCD = Path(__file__).parent / "data" / "etcd"
ZAP = (ETCD / "3.5-kill", ETCD / "3.5-restart")
CAPNSLOG = (ETCD / "3.4-flapping-capnslog", ETCD / "3.4-kill-capnslog")
_ID = re.compile(r'"cluster-id":"([0-9a-f]+)"|\bcluster ([0-9a-f]{8,16})\b')  # (no zero padding)


def cluster_id(run: Path) -> str:
    """The run's cluster id, as its first node log prints it."""
    found = _ID.search((run / "node1.log").read_text())
    assert found is not None
    return found.group(1) or found.group(2)


def appended(runs: tuple[Path, ...], tmp_path: Path) -> Path:
    """One folder whose nodeK.log is every run's nodeK.log, one after the other."""
    out = tmp_path / "appended"
    out.mkdir()
    for log in sorted(p.name for p in runs[0].glob("node*.log")):
        (out / log).write_text("".join((run / log).read_text() for run in runs))
    return out


def lines_of(path: Path) -> int:
    return len(path.read_text().splitlines())


@pytest.mark.parametrize("runs", [ZAP, CAPNSLOG], ids=["3.5-zap", "3.4-capnslog"])
def test_each_cluster_is_a_run_that_reads_as_it_did_alone(runs: tuple[Path, ...],
                                                          tmp_path: Path) -> None:
    folder = appended(runs, tmp_path)
    found = find_runs([folder])
    assert [r.name for r in found] == [f"{folder} (cluster {cluster_id(r)})" for r in runs]
    for part, alone in zip(found, runs, strict=True):
        verdict, by_itself = check_run(part), check_run(find_runs([alone])[0])
        assert verdict.status == by_itself.status == CONFORMS
        assert (verdict.events, verdict.checked, verdict.nodes) == \
            (by_itself.events, by_itself.checked, by_itself.nodes)


@pytest.mark.parametrize("runs", [ZAP, CAPNSLOG], ids=["3.5-zap", "3.4-capnslog"])
def test_read_as_one_history_they_break_the_rules(runs: tuple[Path, ...],
                                                  tmp_path: Path) -> None:
    """What the split spares: the same files read whole, as one run, are one cluster of six
    members, three of which took over the others' files — a false alarm (two leaders of term
    2) where the first cluster elected at term 2, or a pass that checked a cluster that never
    was."""
    folder = appended(runs, tmp_path)
    whole = Run(str(folder), find_runs([folder])[0].files)  # every file, whole
    assert sorted(p for p, _ in whole.files) == sorted(str(p) for p in folder.iterdir())
    verdict = validate_run(whole)
    assert len(verdict.nodes) == 6
    if runs == ZAP:
        assert verdict.status == VIOLATES and verdict.rule == "ElectionSafety"


def test_the_second_cluster_starts_at_its_server_banner(tmp_path: Path) -> None:
    folder = appended(ZAP, tmp_path)
    first_part = lines_of(ZAP[0] / "node2.log")
    second = (ZAP[1] / "node2.log").read_text().splitlines()
    banner = next(k for k, line in enumerate(second, 1) if "starting an etcd server" in line)
    assert not any(cluster_id(ZAP[1]) in line for line in second[:banner - 1])
    segments = cluster_segments(str(folder / "node2.log"))
    assert [(s.first, s.cluster) for s in segments] == [
        (1, cluster_id(ZAP[0])), (first_part + banner, cluster_id(ZAP[1]))]


def test_a_violation_in_the_second_cluster_is_found_at_its_line(tmp_path: Path) -> None:
    folder = appended(ZAP, tmp_path)
    log = folder / "node2.log"
    text = log.read_text().splitlines()
    offset = lines_of(ZAP[0] / "node2.log")
    # the second cluster's first leader, a candidate of term 2, says term 1: its term goes back
    number = next(k for k, line in enumerate(text, 1)
                  if k > offset and "became leader at term 2" in line)
    edit_line(log, number, lambda line: line.replace("became leader at term 2",
                                                     "became leader at term 1"))
    first, second = (check_run(run) for run in find_runs([folder]))
    assert first.status == CONFORMS
    assert second.status == VIOLATES and second.rule == "TermMonotonic"
    assert second.location == f"{log}:{number}"


def test_a_cluster_that_comes_back_is_refused_naming_the_line(tmp_path: Path) -> None:
    folder = appended((*ZAP, ZAP[0]), tmp_path)
    back = lines_of(ZAP[0] / "node1.log") + lines_of(ZAP[1] / "node1.log")
    refused = [validate_run(run) for run in find_runs([folder])]
    assert [v.status for v in refused] == [REFUSED, CONFORMS]
    assert f"{folder / 'node1.log'}: cluster {cluster_id(ZAP[0])} again at line" in \
        refused[0].reason
    line = int(re.search(r"again at line (\d+)", refused[0].reason).group(1))
    assert back < line <= back + lines_of(ZAP[0] / "node1.log")


def test_the_cli_gives_one_verdict_per_cluster_and_the_timeline_picks_one(
        tmp_path: Path) -> None:
    folder = appended(ZAP, tmp_path)
    validate = subprocess.run([sys.executable, "-m", "raftcheck", "validate", str(folder)],
                              capture_output=True, text=True, check=False)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    for run in ZAP:
        assert f"run {folder} (cluster {cluster_id(run)})" in validate.stdout
    assert "2 runs: conforms 2" in validate.stdout
    both = subprocess.run([sys.executable, "-m", "raftcheck", "timeline", str(folder)],
                          capture_output=True, text=True, check=False)
    assert both.returncode == 2 and "hold 2 runs" in both.stderr and "--run" in both.stderr
    second = cluster_id(ZAP[1])
    one = subprocess.run([sys.executable, "-m", "raftcheck", "timeline", str(folder), "--run",
                          second, "--json"], capture_output=True, text=True, check=False)
    assert one.returncode == 0, one.stderr
    assert f"(cluster {second})" in one.stdout and cluster_id(ZAP[0]) not in one.stdout
    none = subprocess.run([sys.executable, "-m", "raftcheck", "timeline", str(folder), "--run",
                           "no-such-cluster"], capture_output=True, text=True, check=False)
    assert none.returncode == 2 and "no run's name holds 'no-such-cluster'" in none.stderr


def _fixture_logs() -> list[Path]:
    """The recorded node logs of one cluster each (not those of a restore)."""
    return sorted(log for log in ETCD.glob("*/node1.log")
                  if len({a or b for a, b in _ID.findall(log.read_text())}) == 1)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.lists(st.sampled_from(_fixture_logs()), min_size=1, max_size=4),
       junk=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                                    blacklist_characters="\n\r\x0b\x0c\x1c"
                                                                         "\x1d\x1e\x85\u2028"
                                                                         "\u2029"),
                             max_size=60), max_size=5))
def test_segments_follow_the_appended_logs_whatever_they_are(order: list[Path],
                                                             junk: list[str],
                                                             tmp_path: Path) -> None:
    """Real etcd logs (3.4 and 3.5, zap and capnslog) appended in any order, with lines of
    junk between them: one segment per change of cluster id, starting inside the part where
    the new id first shows."""
    text, starts, ids = "", [], []
    for k, log in enumerate(order):
        starts.append(len(text.splitlines()) + 1)
        ids.append(cluster_id(log.parent))
        text += log.read_text() + "".join(f"{j.replace('cluster', 'c')}\n" for j in junk[k:k + 1])
    path = tmp_path / "node1.log"
    path.write_text(text)
    expected = [c for k, c in enumerate(ids) if k == 0 or ids[k - 1] != c]
    segments = cluster_segments(str(path))
    assert [s.cluster for s in segments] == expected
    for segment in segments[1:]:
        part = max(k for k, start in enumerate(starts) if start <= segment.first)
        assert ids[part] == segment.cluster


_LINES = st.one_of(
    st.sampled_from(['{"msg":"starting local member","cluster-id":"5e3926717cf4217"}',
                     "2026-12-05 07:56:51.838729 I | etcdserver: starting member "
                     "e216362c8e00c211 in cluster dcf7fb9deb8384f7",
                     "raft cluster ab", "clustercluster 0123456789abcdef", ""]).map(str.encode),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ")))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINES, max_size=30), crlf=st.booleans(), last_newline=st.booleans())
def test_ids_found_in_bytes_are_those_found_line_by_line(lines: list[bytes], crlf: bool,
                                                         last_newline: bool,
                                                         tmp_path: Path) -> None:
    """A plain file is searched as bytes, a wrapped one line by line: both find the same ids
    on the same lines, whatever the lines hold (CRLF ends, bytes that are not UTF-8, no
    newline at the end, a gzip header with nothing after it)."""
    end = b"\r\n" if crlf else b"\n"
    path = tmp_path / "node1.log"
    path.write_bytes(end.join(lines) + (end if last_newline else b""))
    def found(ids, line_of) -> list | str:
        try:
            return [(line_of(place), cluster) for place, cluster in ids(str(path))]
        except OSError:
            return "unreadable"
    assert found(_ids_in_bytes, partial(_line_at, str(path))) == found(_ids_in_lines, int)
